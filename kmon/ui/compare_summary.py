"""The Compare window's summary: the verdict, one card per side (the path it ran, its relists,
its calls per handler method) and the differences by kind, each with what it means.

Why this module exists: before reading rows, a controller author wants the answer ("what
changes for my handlers?") in one glance; the summary says it with the words of
``kmon.monitor.compare_text``, shared with ``kmon compare``. Choosing a kind in the list
asks the table to show only that kind (``sigKind``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication, QFrame, QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QSizePolicy, QVBoxLayout,
    QWidget,
)

from kmon.monitor.compare_analysis import Comparison
from kmon.monitor.compare_record import ADD, DELETE, UPDATE
from kmon.monitor.compare_text import caches_text, count_lines, difference_lines, side_relists, verdict

__all__ = ["CompareSummary", "SideCard"]

_ROWS = ("Queue", "Initial sync", "Relists", ADD, UPDATE, DELETE, "Notifications")
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1
_LONGEST = 52  # characters of a card's value
_OK, _DIFFER, _BAD = "#2e9d4f", "#e08a1e", "#d04a3f"


class SideCard(QFrame):
    """One side: its client-go version, the path it ran and what its handler heard."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        grid.addWidget(self.title, 0, 0, 1, 2)
        self.values: dict[str, QLabel] = {}
        for i, name in enumerate(_ROWS, start=1):
            key = QLabel(name)
            key.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            value = QLabel("—")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(key, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, i, 1)
            self.values[name] = value
        grid.setColumnStretch(1, 1)

    def show_side(self, label: str, values: dict[str, str]) -> None:
        """One line per value (a wrapped label would ask for the height of a narrow one); a
        long one is cut with "…", whole in its tooltip."""
        self.title.setText(f"client-go {label}")
        for name, widget in self.values.items():
            text = values.get(name, "—")
            widget.setText(text if len(text) <= _LONGEST else text[:_LONGEST - 1] + "…")
            widget.setToolTip(text if len(text) > _LONGEST else "")

    def clear(self, label: str = "") -> None:
        self.show_side(label, {})


class CompareSummary(QWidget):
    sigKind = Signal(str)  # "" for every difference, else one kind (or "reordered")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.verdict = QLabel("Choose a resource and two client-go versions, then Start.")
        self.verdict.setObjectName("compareVerdict")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caches = QLabel("")  # (one line each: a wrapped label asks for the height of a narrow one)
        self.cards = (SideCard(), SideCard())
        self.kinds = QListWidget()
        self.kinds.setObjectName("compareKinds")
        self.kinds.setMinimumWidth(280)
        self.kinds.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        self.kinds.currentItemChanged.connect(self._kind_chosen)
        self.explain = QLabel("")
        self.explain.setWordWrap(True)
        self.explain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explain.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.explain.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)

        differences = QVBoxLayout()
        differences.setSpacing(4)
        heading = QLabel("Differences")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        differences.addWidget(heading)
        differences.addWidget(self.kinds)
        differences.addWidget(self.explain)
        differences.addStretch(1)
        cards = QHBoxLayout()
        cards.setSpacing(10)
        for card in self.cards:
            cards.addWidget(card, 1)
        left = QVBoxLayout()
        left.setSpacing(6)
        left.addLayout(cards)
        left.addWidget(self.caches)
        left.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addLayout(left, 7)
        row.addLayout(differences, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.verdict)
        layout.addLayout(row, 1)
        self._tone("")
        for card, label in zip(self.cards, ("A", "B")):
            card.clear(label)

    # -- showing --------------------------------------------------------------------------------
    def show_comparison(self, c: Comparison) -> None:
        for card, side, counts in zip(self.cards, (c.a, c.b), c.counts):
            relists = side_relists(side)
            cells = count_lines(counts)
            card.show_side(side.label, {
                "Queue": side.queue, "Initial sync": side.initial_sync,
                "Relists": f"{len(relists)}" + (f" ({'; '.join(dict.fromkeys(relists))})" if relists else ""),
                ADD: cells[ADD], UPDATE: cells[UPDATE], DELETE: cells[DELETE],
                "Notifications": f"{len(side.calls)} · {len(side.cache)} objects at the cut",
            })
        self.verdict.setText(verdict(c))
        self.verdict.setToolTip(verdict(c))
        self._tone(_BAD if not c.caches.equal else _OK if c.same else _DIFFER)
        self.caches.setText("Caches: " + caches_text(c))
        self.caches.setToolTip("\n".join(("Caches: " + caches_text(c), *c.notes)))
        self.kinds.blockSignals(True)
        self.kinds.clear()
        lines = difference_lines(c)
        kinds = list(c.kinds) + (["reordered"] if c.reordered else [])
        total = QListWidgetItem(f"All differences ({sum(n for n, _t, _e in lines)})" if lines else "No differences")
        total.setData(_KIND_ROLE, "")
        total.setToolTip("Show every row where the two sides differ")
        self.kinds.addItem(total)
        for kind, (n, title, text) in zip(kinds, lines):
            item = QListWidgetItem(f"{n:>5}  {title}")
            item.setData(_KIND_ROLE, kind)
            item.setToolTip(text)
            self.kinds.addItem(item)
        self.kinds.setCurrentRow(0)
        self.kinds.blockSignals(False)
        self.explain.setText("Choose a kind to see what it means and show only its rows." if lines
                             else "Both handlers heard the same calls in the same order.")

    def show_running(self, text: str, labels: tuple[str, str]) -> None:
        self.verdict.setText(text)
        self._tone("")
        self.caches.setText("")
        self.kinds.clear()
        self.explain.setText("")
        for card, label in zip(self.cards, labels):
            card.clear(label)

    def show_problem(self, text: str) -> None:
        self.verdict.setText(text)
        self._tone(_BAD)

    def _tone(self, colour: str) -> None:
        """The verdict's frame: green (same), orange (differences), red (a problem), none."""
        if not colour:
            self.verdict.setStyleSheet("QLabel#compareVerdict { padding: 8px 10px; font-weight: 600; }")
            return
        tint = QColor(colour)
        tint.setAlpha(36)
        text = QApplication.palette().color(QPalette.ColorRole.WindowText).name()
        self.verdict.setStyleSheet(
            "QLabel#compareVerdict { padding: 8px 10px; font-weight: 600; "
            f"border-left: 4px solid {colour}; background: rgba({tint.red()},{tint.green()},{tint.blue()},{tint.alpha()}); "
            f"color: {text}; }}")

    def _kind_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        kind = item.data(_KIND_ROLE) if item is not None else ""
        self.explain.setText(item.toolTip() if item is not None and kind else
                             "Choose a kind to see what it means and show only its rows.")
        self.sigKind.emit(kind or "")
