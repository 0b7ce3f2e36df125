"""Opening and closing an atomic relist in the event log, as one does a tree's branch.

Why this module exists: the log is a flat, fast table (``EventLogModel`` over a ring), yet
client-go 1.36 delivers a relist as one atomic ``ReplacedAll`` whose objects a user wants
to see on demand. ``GroupDelegate`` draws the Event cell as a tree would: the platform's
branch indicator (▸ closed, ▾ open) before a group's header, members indented under it.
``GroupControls`` answers the mouse and keys a tree answers: a click on the indicator or a
double click on the header toggles it; → opens (or, when open, goes to the first member),
← closes (or, from a member, goes to its header), Enter toggles, + and - open and close.
The model says what a row is through ``GroupRole``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QKeyEvent, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

__all__ = ["CLOSED", "MEMBER", "OPEN", "PLAIN", "GroupControls", "GroupDelegate", "GroupRole", "ObjectDelegate",
           "group_indent"]

GroupRole = Qt.ItemDataRole.UserRole + 2  # what a row is: PLAIN, CLOSED or OPEN (a header), MEMBER
PLAIN, CLOSED, OPEN, MEMBER = range(4)


def group_indent(widget: QWidget) -> int:
    """The width of one level (the branch indicator's room), from the font."""
    return max(12, widget.fontMetrics().height() * 4 // 5)


class GroupDelegate(QStyledItemDelegate):
    """The Event cell: a branch indicator before a header, members one level in."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view

    def indicator_rect(self, cell: QRect) -> QRect:
        w = group_indent(self.view)
        return QRect(cell.left(), cell.top(), w, cell.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        kind = index.data(GroupRole) or PLAIN
        style = self.view.style()
        # the cell's background (its brush, the selection) across the whole cell
        bg = QStyleOptionViewItem(option)
        self.initStyleOption(bg, index)
        bg.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, bg, painter, self.view)
        if kind in (CLOSED, OPEN):
            branch = QStyleOptionViewItem(option)
            branch.rect = self.indicator_rect(option.rect)
            branch.state = option.state | QStyle.StateFlag.State_Children
            if kind == OPEN:
                branch.state |= QStyle.StateFlag.State_Open
            style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorBranch, branch, painter, self.view)
        # the text, one level in (two for a member), over that background
        fg = QStyleOptionViewItem(option)
        self.initStyleOption(fg, index)
        fg.rect = option.rect.adjusted(group_indent(self.view) * (2 if kind == MEMBER else 1), 0, 0, 0)
        fg.backgroundBrush = QBrush()
        if option.state & QStyle.StateFlag.State_Selected:
            fg.state &= ~QStyle.StateFlag.State_Selected
            fg.palette.setColor(QPalette.ColorRole.Text, option.palette.color(QPalette.ColorRole.HighlightedText))
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, fg, painter, self.view)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex):  # noqa: N802
        size = super().sizeHint(option, index)
        kind = index.data(GroupRole)
        size.setWidth(size.width() + group_indent(self.view) * (2 if kind == MEMBER else 1))
        return size


class ObjectDelegate(QStyledItemDelegate):
    """The Object cell: names elided in the middle (both ends tell pods apart), a group's
    counts at the end (they read from the start)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        kind = index.data(GroupRole)
        option.textElideMode = Qt.TextElideMode.ElideRight if kind in (CLOSED, OPEN) else Qt.TextElideMode.ElideMiddle


class GroupControls(QObject):
    """Mouse and keys that open and close groups (installed on the view and its viewport).
    ``model`` is the log's model: ``group_kind``, ``header_row``, ``set_expanded``;
    ``before_toggle(row)`` runs first (the log selects the row and stops following)."""

    def __init__(self, view: QAbstractItemView, model: Any, column: int, delegate: GroupDelegate,
                 before_toggle: Any = None) -> None:
        super().__init__(view)
        self.view = view
        self.model = model
        self.column = column
        self.delegate = delegate
        self.before_toggle = before_toggle
        self._viewport = view.viewport()
        view.installEventFilter(self)
        self._viewport.installEventFilter(self)

    def toggle(self, row: int, on: bool | None = None) -> int:
        """Open, close (``on``) or flip the group whose header is ``row``; returns how many
        rows appeared or went (0: not a header, or already so)."""
        kind = self.model.group_kind(row)
        if kind not in (CLOSED, OPEN):
            return 0
        want = (kind == CLOSED) if on is None else on
        if want == (kind == OPEN):
            return 0
        if self.before_toggle is not None:
            self.before_toggle(row)
        return self.model.set_expanded(row, want)

    def _go(self, row: int) -> None:
        idx = self.model.index(row, self.view.currentIndex().column() if self.view.currentIndex().isValid() else 0)
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(idx)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        et = event.type()  # (first: other events may come while the view is being destroyed)
        if et == QEvent.Type.KeyPress and obj is self.view:
            return self._key(event)  # type: ignore[arg-type]
        if et in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick) and obj is self._viewport:
            return self._mouse(event, et == QEvent.Type.MouseButtonDblClick)  # type: ignore[arg-type]
        return False

    def _mouse(self, event: QMouseEvent, double: bool) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        pos = event.position().toPoint()
        idx = self.view.indexAt(pos)
        if not idx.isValid() or self.model.group_kind(idx.row()) not in (CLOSED, OPEN):
            return False
        if double:
            self.toggle(idx.row())
            return True
        cell = self.view.visualRect(self.model.index(idx.row(), self.column))
        if idx.column() == self.column and self.delegate.indicator_rect(cell).contains(pos):
            self.toggle(idx.row())
            return True
        return False

    def _key(self, event: QKeyEvent) -> bool:
        cur = self.view.currentIndex()
        if not cur.isValid() or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        row, key = cur.row(), event.key()
        kind = self.model.group_kind(row)
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Plus, Qt.Key.Key_Asterisk):
            if kind == CLOSED:
                self.toggle(row, True)
                return True
            if kind == OPEN and key == Qt.Key.Key_Right and self.model.group_kind(row + 1) == MEMBER:
                self._go(row + 1)
                return True
            return kind in (OPEN, MEMBER)  # (no sideways move in a row-selecting log)
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Minus):
            if kind == OPEN:
                self.toggle(row, False)
                return True
            if kind == MEMBER and key == Qt.Key.Key_Left:
                header = self.model.header_row(row)
                if header >= 0:
                    self._go(header)
                return True
            return kind == CLOSED
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and kind in (CLOSED, OPEN):
            self.toggle(row)
            return True
        return False
