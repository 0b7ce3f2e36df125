"""Choosing kubeconfig contexts: the toolbar combo box and the Ctrl+K quick switcher.

Why this module exists: operators juggle many contexts; both widgets list every context of
the merged kubeconfig with its cluster, user and namespace, and say nothing about how a
switch happens — they emit ``sigSwitch(name)`` (replace the open contexts) or
``sigOpen(name)`` (open another root), and the window wires those to the workspace.

The quick switcher is a frameless dialog that activates itself and gives its search field
the keyboard (a ``Popup`` dialog is mapped as a tool window that window managers do not
focus, so keys went to the tree behind it). It is one instance per window, re-shown by
``open_for``; Esc, Enter or clicking another window closes it. ``rank_entries`` orders the
matches: exact name, name prefix, name word, name substring, letters of the name in order,
then cluster, user or namespace (never the server URL, which every entry of a cloud
provider shares).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
)

__all__ = ["ContextEntry", "ContextSwitcher", "QuickSwitcher", "entries_of", "rank_entries"]

NameRole = Qt.ItemDataRole.UserRole
DescRole = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class ContextEntry:
    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = "default"
    server: str = ""

    def describe(self) -> str:
        return f"cluster {self.cluster or '?'} · user {self.user or '?'} · ns {self.namespace}"


def entries_of(cfg) -> list[ContextEntry]:
    """The switcher's entries for a loaded ``KubeConfig``."""
    return [ContextEntry(c.name, c.cluster, c.user, c.namespace, c.server) for c in cfg.contexts]


def _is_subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


def _tier(e: ContextEntry, q: str) -> int | None:
    name = e.name.lower()
    if name == q:
        return 0
    if name.startswith(q):
        return 1
    pos = name.find(q)
    if pos > 0 and not name[pos - 1].isalnum():
        return 2  # starts a word of the name: "prod" in "eu-prod-1"
    if pos > 0:
        return 3
    if _is_subsequence(q, name):
        return 4
    if any(q in f.lower() for f in (e.cluster, e.user, e.namespace)):
        return 5
    return None


def rank_entries(entries: list[ContextEntry], text: str) -> list[ContextEntry]:
    """The entries matching ``text`` (case-insensitive), best first: exact name, name
    prefix, start of a word of the name, name substring, the letters of ``text`` in order
    in the name, then cluster, user or namespace. Ties keep the kubeconfig's order, shorter
    names first. The server URL is not searched. Empty ``text``: every entry, in order."""
    q = text.strip().lower()
    if not q:
        return list(entries)
    scored = []
    for i, e in enumerate(entries):
        t = _tier(e, q)
        if t is not None:
            scored.append((t, len(e.name) if t < 5 else 0, i, e))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored]


class ContextSwitcher(QComboBox):
    """The toolbar's context list. Choosing an entry emits ``sigSwitch``. ``set_current``
    with a name the kubeconfig lacks shows that name marked missing, never another
    context; with "" the box shows that no context is open."""

    sigSwitch = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.entries: list[ContextEntry] = []
        self.missing = ""  # a context open but absent from the kubeconfig (``--context nope``)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(22)
        self.setToolTip("Kubeconfig context (Ctrl+K to search)")
        self.setPlaceholderText("No context open")
        self.activated.connect(self._activated)

    def set_entries(self, entries: list[ContextEntry]) -> None:
        current = self.current_name()
        self.entries = list(entries)
        self.blockSignals(True)
        self.clear()
        self.missing = ""
        for e in self.entries:
            # the drop-down shows cluster, user and namespace beside each name; the closed
            # box shows the name only (paintEvent)
            self.addItem(f"{e.name}    —  {e.describe()}", e.name)
            i = self.count() - 1
            self.setItemData(i, f"{e.name}\n{e.describe()}\n{e.server}", Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(-1)
        self.blockSignals(False)
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)
        if current:
            self.set_current(current)

    def set_current(self, name: str) -> None:
        """Show ``name`` as the current context ("" for none)."""
        self.blockSignals(True)
        if self.missing and name != self.missing:  # drop the stale "missing" entry
            i = self.findData(self.missing)
            if i >= 0:
                self.removeItem(i)
            self.missing = ""
        i = self.findData(name) if name else -1
        if name and i < 0:  # open but not in the kubeconfig: say so rather than show another
            self.missing = name
            self.addItem(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
                         f"{name}    —  not in the kubeconfig", name)
            i = self.count() - 1
            self.setItemData(i, f"{name}\nThis context is not in the kubeconfig", Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(i)
        self.blockSignals(False)
        self.update()

    def current_name(self) -> str:
        return self.currentData() or ""

    def _activated(self, index: int) -> None:
        name = self.itemData(index)
        if name and name != self.missing:
            self.sigSwitch.emit(name)

    def paintEvent(self, event) -> None:  # show only the name in the closed box
        from PySide6.QtWidgets import QStyleOptionComboBox, QStylePainter

        p = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        name = self.current_name()
        if name:
            opt.currentText = f"{name} (missing)" if name == self.missing else name
        else:  # (as QComboBox paints its placeholder)
            opt.currentText = self.placeholderText()
            opt.palette.setBrush(QPalette.ColorRole.ButtonText, opt.palette.placeholderText())
        p.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        p.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


class _EntryDelegate(QStyledItemDelegate):
    """Name on the left, cluster · user · namespace dimmed on the right."""

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        desc = index.data(DescRole)
        if not desc:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(option.palette.color(role))
        r = option.rect.adjusted(0, 0, -8, 0)
        name_w = option.fontMetrics.horizontalAdvance(str(index.data() or "")) + 40
        r.setLeft(min(r.right(), r.left() + name_w))
        text = option.fontMetrics.elidedText(desc, Qt.TextElideMode.ElideLeft, r.width())
        painter.drawText(r, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        s = super().sizeHint(option, index)
        return QSize(s.width(), max(s.height(), option.fontMetrics.height() + 10))


class QuickSwitcher(QDialog):
    """The Ctrl+K palette: type to narrow, Up/Down to choose, Enter to switch (or open
    beside, in mode "open"), Esc to close. ``mode`` is "switch" (emits ``sigSwitch``) or
    "open" (emits ``sigOpen``); ``open_for(mode)`` re-shows the same instance."""

    sigSwitch = Signal(str)
    sigOpen = Signal(str)

    TITLES = {"switch": "Switch context", "open": "Open another context"}
    MAX_ROWS = 12

    def __init__(self, entries: list[ContextEntry], parent=None, *, mode: str = "switch") -> None:
        super().__init__(parent)
        self.setObjectName("quickSwitcher")
        self.entries = list(entries)
        self.open_names: set[str] = set()
        self.setModal(False)
        # a real (frameless) dialog: transient for the window, activated and focused by the
        # window manager like any dialog
        self.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)
        frame = QFrame(self)
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        f = QFont(self.title.font())
        f.setBold(True)
        self.title.setFont(f)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type a context name, cluster, user or namespace…")
        self.filter.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(_EntryDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps the keyboard
        self.empty = QLabel()
        self.empty.setEnabled(False)
        self.empty.setVisible(False)
        self.hint = QLabel()
        self.hint.setEnabled(False)
        inner = QVBoxLayout(frame)
        inner.addWidget(self.title)
        inner.addWidget(self.filter)
        inner.addWidget(self.list)
        inner.addWidget(self.empty)
        inner.addWidget(self.hint)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        self.setMinimumWidth(560)
        self.filter.textChanged.connect(self._filter)
        self.filter.returnPressed.connect(self.accept_current)
        self.list.clicked.connect(lambda _i: self.accept_current())
        self._was_active = False
        self.set_mode(mode)

    # ------------------------------------------------------------------ content
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.setWindowTitle(self.TITLES.get(mode, self.TITLES["switch"]))
        self.title.setText(self.windowTitle())
        action = "switch to it" if mode == "switch" else "open it beside the others"
        self.hint.setText(f"Enter: {action} · ↑↓: choose · Esc: close")

    def set_entries(self, entries: list[ContextEntry], open_names=()) -> None:
        self.entries = list(entries)
        self.open_names = set(open_names)
        self._filter(self.filter.text())

    def _filter(self, text: str) -> None:
        self.model.clear()
        for e in rank_entries(self.entries, text):
            it = QStandardItem(e.name)
            it.setData(e.name, NameRole)
            state = "open · " if e.name in self.open_names else ""
            it.setData(state + e.describe(), DescRole)
            it.setToolTip(f"{e.name}\n{e.describe()}\n{e.server}")
            it.setEditable(False)
            self.model.appendRow(it)
        n = self.model.rowCount()
        if n:
            self.list.setCurrentIndex(self.model.index(0, 0))
            # as tall as its rows (up to MAX_ROWS, then it scrolls): no empty box under two
            rows = min(n, self.MAX_ROWS)
            self.list.setFixedHeight(rows * self.list.sizeHintForRow(0) + 2 * self.list.frameWidth() + 2)
        self.empty.setText(f"No context matches “{text.strip()}”" if text.strip() else "The kubeconfig has no contexts")
        self.empty.setVisible(n == 0)
        self.list.setVisible(n > 0)
        self.adjustSize()

    def current_name(self) -> str:
        idx = self.list.currentIndex()
        return idx.data(NameRole) if idx.isValid() else ""

    # ------------------------------------------------------------------ showing
    def open_for(self, mode: str) -> None:
        """Show (or bring back) the switcher in ``mode`` with an empty search, focused."""
        self.set_mode(mode)
        self.filter.clear()
        self._filter("")
        parent = self.parentWidget()
        if parent is not None:
            geo = parent.frameGeometry()
            self.move(geo.x() + (geo.width() - self.width()) // 2, geo.y() + 90)
        self.show()
        self.raise_()
        self.activateWindow()
        self.filter.setFocus(Qt.FocusReason.PopupFocusReason)

    def changeEvent(self, event) -> None:  # noqa: N802
        # clicking another window closes the switcher, as a popup would
        if event.type() == QEvent.Type.ActivationChange:
            if self.isActiveWindow():
                self._was_active = True
            elif self._was_active and self.isVisible():
                self.reject()
        super().changeEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802
        self._was_active = False
        super().hideEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 8, Qt.Key.Key_PageUp: -8}
        if key in steps and self.model.rowCount():
            row = self.list.currentIndex().row() + steps[key]
            row = max(0, min(self.model.rowCount() - 1, row))
            self.list.setCurrentIndex(self.model.index(row, 0))
            return
        super().keyPressEvent(event)  # Esc: reject (close)

    def accept_current(self) -> None:
        name = self.current_name()
        if not name:
            return
        self.accept()
        (self.sigSwitch if self.mode == "switch" else self.sigOpen).emit(name)
