"""The event log view: every delta, reflector event and session event, newest at the bottom.

Why this module exists: "what did my informer see, and when" is answered by a log a person
can follow live, stop, filter and export. This widget is the toolbar and the table around
``EventLogModel``; the model and ``kmon.monitor.event_filter`` do the work.

Follow mode keeps the newest row in view; it turns itself off when the user scrolls away
from the bottom or selects a row, and on again when they scroll back to the bottom. Pause
stops the view (the journal keeps recording; "N new" counts what waits). Selecting a row
that names an object emits ``sigObjectSelected(context, resource, key)``.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from kmon.cache.events import ReflectorEventKind
from kmon.monitor.event_filter import EventFilter
from kmon.monitor.journal import JournalRow
from kmon.monitor.timeseries import DELTA_TYPES

from .event_log_model import EventLogModel, RowRole
from .log_export import ExportPlace, report_failure, write_rows

__all__ = ["EventLog", "TYPE_GROUPS"]

TYPE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Deltas", DELTA_TYPES),
    ("Reflector", tuple(k.value for k in ReflectorEventKind)),
    ("Session", ("connecting", "ready", "failed", "error", "started", "stopped", "verified", "verify-failed")),
)
ANY_NAMESPACE = "all namespaces"


def _tool(text: str, tip: str, *, checkable: bool = False) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setAutoRaise(True)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return b


class EventLog(QWidget):
    sigObjectSelected = Signal(str, str, str)  # context, resource, key ("ns/name" or "name")
    sigCapacityChanged = Signal(int)

    def __init__(self, model: EventLogModel | None = None, parent=None, *, settings: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLog")
        self.model = model if model is not None else EventLogModel(parent=self)
        self._following = True
        self._programmatic = 0
        self.export_place = ExportPlace(settings)  # where the export dialog opens (remembered)
        self.last_error: Any = None  # the box saying the last export failed

        # --- toolbar
        self.follow = _tool("Follow", "Keep the newest event in view (turns off while you scroll up or select)", checkable=True)
        self.follow.setChecked(True)
        self.pause = _tool("Pause", "Stop the view; events keep being recorded", checkable=True)
        st = self.style()
        self.follow.setIcon(st.standardIcon(QStyle.StandardPixmap.SP_ArrowDown))
        self.pause.setIcon(st.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        for b in (self.follow, self.pause):
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_label = QLabel("")
        self.new_label.setObjectName("newEvents")
        self.types_btn = _tool("Events ▾", "Which event types to show")
        self.types_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.types_menu = QMenu(self)
        self.types_btn.setMenu(self.types_menu)
        self.type_actions: dict[str, QAction] = {}
        for group, types in TYPE_GROUPS:
            self.types_menu.addSection(group)
            for t in types:
                self._add_type_action(t)
        self.types_menu.addSeparator()
        self.types_menu.addAction("Show all", lambda: self._set_all_types(True))
        self.types_menu.addAction("Only reflector and session events", self._only_reflector)
        self.res_btn = _tool("Resources ▾", "Which resources to show")
        self.res_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.res_menu = QMenu(self)
        self.res_menu.aboutToShow.connect(self._fill_resources)
        self.res_btn.setMenu(self.res_menu)
        self.res_actions: dict[str, QAction] = {}
        self.namespace = QComboBox()
        self.namespace.setToolTip("Show one namespace only")
        self.namespace.addItem(ANY_NAMESPACE)
        self.namespace.setMinimumContentsLength(12)
        self.namespace.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._ns_known = 0
        self.text = QLineEdit()
        self.text.setPlaceholderText("Search name, detail, rv…")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(100)
        self.counts = QLabel("")
        self.counts.setObjectName("eventCounts")
        self.export_btn = _tool("Export ▾", "Write the events to a file (Secret values are never written)")
        self.export_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        em = QMenu(self)
        em.addAction("Shown events as JSON Lines…", lambda: self.export_dialog("jsonl", shown=True))
        em.addAction("Shown events as CSV…", lambda: self.export_dialog("csv", shown=True))
        em.addSeparator()
        em.addAction("All kept events as JSON Lines…", lambda: self.export_dialog("jsonl", shown=False))
        em.addAction("All kept events as CSV…", lambda: self.export_dialog("csv", shown=False))
        self.export_btn.setMenu(em)
        self.options_btn = _tool("⋯", "Event log options")
        self.options_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        om = QMenu(self)
        cap = QWidget()
        cl = QHBoxLayout(cap)
        cl.setContentsMargins(8, 2, 8, 2)
        cl.addWidget(QLabel("Keep at most"))
        self.capacity = QSpinBox()
        self.capacity.setRange(1_000, 5_000_000)
        self.capacity.setSingleStep(10_000)
        self.capacity.setGroupSeparatorShown(True)
        self.capacity.setValue(self.model.journal.capacity)
        self.capacity.setSuffix(" events")
        cl.addWidget(self.capacity)
        wa = QWidgetAction(om)
        wa.setDefaultWidget(cap)
        om.addAction(wa)
        om.addAction("Clear the log", self.model.clear)
        self.options_btn.setMenu(om)

        # a toolbar, not a row layout: when the dock is narrow, the rest goes behind "»"
        bar = QToolBar("Event log")
        bar.setObjectName("eventLogBar")
        bar.setIconSize(QSize(16, 16))
        bar.setMovable(False)
        for w in (self.follow, self.pause, self.new_label):
            bar.addWidget(w)
        bar.addSeparator()
        for w in (self.types_btn, self.res_btn, self.namespace, self.text, self.counts, self.export_btn, self.options_btn):
            bar.addWidget(w)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        # --- table
        self.view = QTableView()
        self.view.setObjectName("eventLogView")
        self.view.setMinimumHeight(3 * self.fontMetrics().height())
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        vh = self.view.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 4)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        for col, width in enumerate((92, 90, 120, 96, 260, 112)):
            self.view.setColumnWidth(col, width)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(bar)
        lay.addWidget(self.view, 1)

        # --- wiring
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.text.textChanged.connect(lambda _t: self._filter_timer.start())
        self.namespace.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.follow.toggled.connect(self.set_following)
        self.pause.toggled.connect(self.set_paused)
        self.capacity.editingFinished.connect(lambda: self.set_capacity(self.capacity.value()))
        self.model.sigCounts.connect(self._counts)
        self.model.rowsInserted.connect(self._rows_inserted)
        self.model.rowsAboutToBeRemoved.connect(self._rows_removing)
        self.model.rowsRemoved.connect(self._rows_removed)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.clicked.connect(lambda idx: self._current_changed(idx, QModelIndex()))
        self._removing_top = 0
        self._counts(self.model.rowCount(), len(self.model.journal), 0)

    # ------------------------------------------------------------------ feeding
    def append_items(self, items: list) -> None:
        self.model.append_items(items)

    # ------------------------------------------------------------------ follow and pause
    @property
    def following(self) -> bool:
        return self._following

    def set_following(self, on: bool) -> None:
        self._following = on
        if self.follow.isChecked() != on:
            self.follow.blockSignals(True)
            self.follow.setChecked(on)
            self.follow.blockSignals(False)
        if on:
            self.view.selectionModel().clearSelection()
            self._scroll_to_bottom()

    def set_paused(self, on: bool) -> None:
        if self.pause.isChecked() != on:
            self.pause.setChecked(on)  # re-enters through toggled
            return
        self.pause.setText("Resume" if on else "Pause")
        self.pause.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if on else QStyle.StandardPixmap.SP_MediaPause))
        self.model.set_paused(on)
        if not on and self._following:
            self._scroll_to_bottom()

    def _scroll_to_bottom(self) -> None:
        self._programmatic += 1
        try:
            self.view.scrollToBottom()
        finally:
            self._programmatic -= 1

    def _rows_inserted(self, _parent, _first: int, _last: int) -> None:
        if self._following and not self.model.paused:
            self._scroll_to_bottom()

    def _rows_removing(self, _parent, first: int, last: int) -> None:
        # rows leave at the top: remember how far the content is about to move up
        sb = self.view.verticalScrollBar()
        self._removing_top = (last - first + 1) if first == 0 else 0
        self._removing_value = sb.value()

    def _rows_removed(self, _parent, _first: int, _last: int) -> None:
        n, self._removing_top = self._removing_top, 0
        if n and not self._following:  # keep the rows the user is reading where they are
            self._programmatic += 1
            try:
                self.view.verticalScrollBar().setValue(max(0, self._removing_value - n))
            finally:
                self._programmatic -= 1

    def _scrolled(self, value: int) -> None:
        if self._programmatic or self.model.paused:
            return
        at_bottom = value >= self.view.verticalScrollBar().maximum()
        if at_bottom != self._following:
            self.set_following(at_bottom)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        if self._following:
            self.set_following(False)
        row: JournalRow | None = current.data(RowRole)
        if row is not None and row.name and row.category == "delta":
            key = f"{row.namespace}/{row.name}" if row.namespace else row.name
            self.sigObjectSelected.emit(row.context, row.resource, key)

    def select_row(self, row: int) -> None:
        """Select row ``row`` as a click does (for tests and keyboard users)."""
        idx = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )

    def _counts(self, shown: int, kept: int, pending: int) -> None:
        total = self.model.journal.total
        text = f"{shown:,} of {kept:,} shown"
        self.counts.setText(text)
        self.counts.setToolTip(
            f"{shown:,} events match the filter; the log keeps the newest {kept:,} "
            f"(at most {self.model.journal.capacity:,}); {total:,} recorded since start"
        )
        self.new_label.setText(f"<b>{pending:,} new</b>" if pending else "")
        if len(self.model.index_.namespaces) != self._ns_known:
            self._fill_namespaces()

    # ------------------------------------------------------------------ filters
    def _add_type_action(self, t: str) -> QAction:
        a = self.types_menu.addAction(t)
        a.setCheckable(True)
        a.setChecked(True)
        a.toggled.connect(lambda _on: self.apply_filter())
        self.type_actions[t] = a
        return a

    def _set_all_types(self, on: bool) -> None:
        for a in self.type_actions.values():
            a.blockSignals(True)
            a.setChecked(on)
            a.blockSignals(False)
        self.apply_filter()

    def _only_reflector(self) -> None:
        for t, a in self.type_actions.items():
            a.blockSignals(True)
            a.setChecked(t not in DELTA_TYPES)
            a.blockSignals(False)
        self.apply_filter()

    def _fill_resources(self) -> None:
        for r in sorted(self.model.index_.resources):
            if r and r not in self.res_actions:
                a = self.res_menu.addAction(r)
                a.setCheckable(True)
                a.setChecked(True)
                a.toggled.connect(lambda _on: self.apply_filter())
                self.res_actions[r] = a

    def _fill_namespaces(self) -> None:
        names = sorted(self.model.index_.namespaces)
        self._ns_known = len(names)
        cur = self.namespace.currentText()
        self.namespace.blockSignals(True)
        self.namespace.clear()
        self.namespace.addItem(ANY_NAMESPACE)
        self.namespace.addItems(names)
        i = self.namespace.findText(cur)
        self.namespace.setCurrentIndex(max(0, i))
        self.namespace.blockSignals(False)

    def current_filter(self) -> EventFilter:
        ns = self.namespace.currentText()
        return EventFilter(
            hidden_types=frozenset(t for t, a in self.type_actions.items() if not a.isChecked()),
            hidden_resources=frozenset(r for r, a in self.res_actions.items() if not a.isChecked()),
            namespace=None if ns == ANY_NAMESPACE or not ns else ns,
            text=self.text.text().strip(),
        )

    def set_types(self, shown: set[str] | None) -> None:
        """Show only these event types (None: all)."""
        for t, a in self.type_actions.items():
            a.blockSignals(True)
            a.setChecked(shown is None or t in shown)
            a.blockSignals(False)
        self.apply_filter()

    def set_resources(self, shown: set[str] | None) -> None:
        self._fill_resources()
        for r, a in self.res_actions.items():
            a.blockSignals(True)
            a.setChecked(shown is None or r in shown)
            a.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        flt = self.current_filter()
        if flt == self.model.filter:
            return
        self._programmatic += 1
        try:
            self.model.set_filter(flt)
        finally:
            self._programmatic -= 1
        active = bool(flt.hidden_types)
        self.types_btn.setText("Events ▾" if not active else f"Events ({len(self.type_actions) - len(flt.hidden_types)}) ▾")
        self.res_btn.setText("Resources ▾" if not flt.hidden_resources else f"Resources ({len(self.res_actions) - len(flt.hidden_resources)}) ▾")
        if self._following:
            self._scroll_to_bottom()

    def set_capacity(self, capacity: int) -> None:
        if capacity != self.model.journal.capacity:
            self.model.set_capacity(capacity)
            self.sigCapacityChanged.emit(capacity)
        if self.capacity.value() != capacity:
            self.capacity.setValue(capacity)

    # ------------------------------------------------------------------ export
    def _rows(self, shown: bool) -> list[JournalRow]:
        return self.model.shown_rows() if shown else list(self.model.journal)

    def export(self, path: str | os.PathLike[str], fmt: str | None = None, *, shown: bool = True) -> int:
        """Write the shown (or all kept) events to ``path`` as "jsonl" or "csv" (default:
        from the extension); returns the number of rows written. Details are redacted and
        rows never carry object contents, so no Secret value can be written."""
        return write_rows(self._rows(shown), path, fmt)

    def export_dialog(self, fmt: str, *, shown: bool = True) -> str:
        """Ask the desktop's save dialog where to write the events shown (or kept) now, then
        write them; returns the path written ("" when cancelled or failed)."""
        rows = self._rows(shown)
        path = self.export_place.ask(self, fmt, {r.context for r in rows})
        if not path:
            return ""
        try:
            n = write_rows(rows, path, fmt)
        except OSError as e:
            self.last_error = report_failure(self, path, e)
            return ""
        self.export_place.remember(path)
        win = self.window()
        if hasattr(win, "statusBar"):
            win.statusBar().showMessage(f"Exported {n:,} events to {path}", 8000)
        return path
