"""The Qt item model of the object tree: a thin adapter over ``kmon.monitor.tree.ObjectTree``.

Why this module exists: the tree's logic (coalescing, counts, ordering) lives in the Qt-free
``ObjectTree``; this class only forwards its notifications (napari's pattern) —
``beginInsertRows``/``endInsertRows`` per run of new rows, ``dataChanged`` for exactly the
rows changed (merged into contiguous ranges), ``beginResetModel`` only for a real reset (or
a new sort order) — and renders nodes for views (what each cell says: ``tree_cells``). It
never rebuilds itself per event.

Two view concerns live here because they change what rows exist: each kind shows at most
``ROW_CAP`` objects and a "... N more" row (QTreeView re-lays out every expanded row after
each insertion, so the cap bounds a batch's cost), and ``sort(column, order)`` orders
objects inside the tree, where a changed key moves one row (no QSortFilterProxyModel).
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from kmon.monitor.tree import ObjectTree
from kmon.monitor.tree_node import CONTEXT, KIND, MORE, OBJECT, ROOT, Node

from .tree_cells import (
    COL_AGE,
    COL_DELTA,
    COL_NAME,
    COL_RV,
    COL_STATUS,
    COLUMNS,
    HEADER_TIPS,
    ORDERS,
    ContextIcons,
    NodeRole,
    display,
    more_data,
    tooltip,
)

__all__ = ["ObjectTreeModel", "NodeRole", "COLUMNS", "FADE_SECONDS", "ROW_CAP",
           "COL_NAME", "COL_AGE", "COL_RV", "COL_STATUS", "COL_DELTA"]

_NCOLS = len(COLUMNS)
_INVALID = QModelIndex()
FADE_SECONDS = 1.5
ROW_CAP = 1000  # objects shown per kind row before a "... N more" row (see begin_insert)

# The only hard-coded colours: translucent fades that read on light and dark bases alike.
_FADE = {
    "Added": (46, 160, 67),
    "Updated": (230, 160, 20),
    "Replaced": (70, 130, 230),
    "Sync": (70, 130, 230),
    "Deleted": (220, 60, 60),
}
_FADE_ALPHA = 150

_DISPLAY = Qt.ItemDataRole.DisplayRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_FONT = Qt.ItemDataRole.FontRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # (enum | per call: slow)


class ObjectTreeModel(QAbstractItemModel):
    """Adapts an ``ObjectTree`` (it becomes the tree's listener)."""

    # the first shown row started fading after a quiet spell (views restart their fade timer)
    sigFading = Signal()

    def __init__(self, tree: ObjectTree | None = None, parent=None, *, wall_clock=time.time, row_cap: int | None = ROW_CAP) -> None:
        super().__init__(parent)
        self.tree = tree if tree is not None else ObjectTree()
        self.tree.listener = self
        self._wall = wall_clock
        self._mono = self.tree.clock
        self._now_wall = wall_clock()
        self._now_mono = self._mono()
        self._bold = QFont()
        self._bold.setBold(True)
        self._icons = ContextIcons()
        self.rows_changed = 0  # rows reported through dataChanged (for tests and the bench)
        self.row_cap: int | None = row_cap
        self._ops: list = []  # pending begin_* translations, matched by end_*
        # parents (kinds) whose shown object rows changed or appeared lately -> when: what a
        # view repaints while rows fade, without asking itself where rows are (a QTreeView
        # re-lays out every expanded row to answer that after an insertion or removal)
        self._fading: dict[Node, float] = {}

    def _note_fade(self, parent: Node) -> None:
        if not self._fading:
            self._fading[parent] = self._mono()
            self.sigFading.emit()
        else:
            self._fading[parent] = self._mono()

    def fading_parents(self) -> list[Node]:
        """The attached parents with a shown row still fading (expired ones forgotten)."""
        if not self._fading:
            return []
        now = self._mono()
        horizon = FADE_SECONDS + 0.2  # one more repaint once the fade reached nothing
        for p in [p for p, t in self._fading.items() if now - t > horizon or not p.attached]:
            del self._fading[p]
        return list(self._fading)

    # ------------------------------------------------------------ listener protocol
    # Kind rows show at most ``row_cap`` objects and then one "... N more" row: QTreeView
    # re-lays out every expanded row after each insertion, so the cost of a batch follows
    # the number of rows a user expanded; the cap bounds it. ``Node.shown`` holds how many
    # objects a kind shows (what rowCount reports, updated between begin/end as Qt wants).
    def _index_of(self, node: Node) -> QModelIndex:
        if node is self.tree.root:
            return QModelIndex()
        return self.createIndex(node.row(), 0, node)

    def _capped(self, node: Node) -> bool:
        return self.row_cap is not None and node.level == KIND

    def _track(self, kind: Node) -> None:
        """Start tracking a kind's shown rows from its current children."""
        if kind.shown < 0:
            n = len(kind.children)
            kind.shown = min(n, self.row_cap)
            kind.more = self._more(kind) if n > self.row_cap else None

    def _more(self, kind: Node) -> Node:
        more = Node(MORE, "", kind)
        more.count = len(kind.children) - kind.shown  # what its text says (changed via dataChanged)
        return more

    def _sync_more(self, kind: Node) -> None:
        want = len(kind.children) > kind.shown
        if want and kind.more is None:
            self.beginInsertRows(self._index_of(kind), kind.shown, kind.shown)
            kind.more = self._more(kind)
            self.endInsertRows()
        elif not want and kind.more is not None:
            self.beginRemoveRows(self._index_of(kind), kind.shown, kind.shown)
            kind.more = None
            self.endRemoveRows()
        elif want and kind.more.count != len(kind.children) - kind.shown:
            kind.more.count = len(kind.children) - kind.shown
            i = self.createIndex(kind.shown, 0, kind.more)
            self.dataChanged.emit(i, self.createIndex(kind.shown, _NCOLS - 1, kind.more))

    def begin_insert(self, parent: Node, first: int, last: int) -> None:
        if not self._capped(parent):
            if parent.level == KIND:
                self._note_fade(parent)
            self.beginInsertRows(self._index_of(parent), first, last)
            self._ops.append(None)
            return
        self._track(parent)
        cap = self.row_cap
        if first >= cap:
            self._ops.append(("more", parent, 0))
            return
        vis_last = min(last, cap - 1)
        k_vis = vis_last - first + 1
        r_new = min(len(parent.children) + (last - first + 1), cap)
        pushed = parent.shown + k_vis - r_new
        pidx = self._index_of(parent)
        if pushed > 0:  # rows pushed past the cap leave the view first
            self.beginRemoveRows(pidx, parent.shown - pushed, parent.shown - 1)
            parent.shown -= pushed
            self.endRemoveRows()
        self._note_fade(parent)
        self.beginInsertRows(pidx, first, vis_last)
        self._ops.append(("ins", parent, k_vis))

    def end_insert(self) -> None:
        op = self._ops.pop()
        if op is None:
            self.endInsertRows()
            return
        kind_, parent, k = op
        if kind_ == "ins":
            parent.shown += k
            self.endInsertRows()
        self._sync_more(parent)

    def begin_remove(self, parent: Node, first: int, last: int) -> None:
        if not self._capped(parent):
            self.beginRemoveRows(self._index_of(parent), first, last)
            self._ops.append(None)
            return
        self._track(parent)
        if first >= parent.shown:
            self._ops.append(("more", parent, 0))
            return
        vis_last = min(last, parent.shown - 1)
        self.beginRemoveRows(self._index_of(parent), first, vis_last)
        self._ops.append(("rem", parent, vis_last - first + 1))

    def end_remove(self) -> None:
        op = self._ops.pop()
        if op is None:
            self.endRemoveRows()
            return
        kind_, parent, k = op
        if kind_ == "rem":
            parent.shown -= k
            self.endRemoveRows()
            target = min(len(parent.children), self.row_cap)
            if target > parent.shown:  # rows from beyond the cap move into view
                self.beginInsertRows(self._index_of(parent), parent.shown, target - 1)
                parent.shown = target
                self.endInsertRows()
        self._sync_more(parent)

    def begin_reset(self) -> None:
        self.beginResetModel()

    def end_reset(self) -> None:
        self.endResetModel()

    def set_row_cap(self, cap: int | None) -> None:
        """Show at most ``cap`` objects per kind (None: all). A model reset."""
        if cap == self.row_cap:
            return
        self.beginResetModel()
        self.row_cap = cap
        for ctx in self.tree.root.children:
            for ns in ctx.children:
                for kind in ns.children:
                    kind.shown, kind.more = -1, None
        self.endResetModel()

    def changed(self, nodes: list[Node]) -> None:
        by_parent: dict[int, tuple[Node, list[int]]] = {}
        cap = self.row_cap
        for n in nodes:
            p = n.parent
            if p is None or not n.attached:
                continue
            r = n.row()
            if cap is not None and p.level == KIND:
                if p.shown < 0:
                    continue  # no view has asked for these rows yet
                if r >= p.shown:
                    continue  # beyond the cap: not shown
            entry = by_parent.get(id(p))
            if entry is None:
                by_parent[id(p)] = entry = (p, [])
            entry[1].append(r)
        last_col = len(COLUMNS) - 1
        for parent, rows in by_parent.values():
            if parent.level == KIND:
                self._note_fade(parent)
            rows.sort()
            start = prev = rows[0]
            for r in rows[1:] + [None]:
                if r is not None and r <= prev + 1:
                    prev = r
                    continue
                a = self.createIndex(start, 0, parent.children[start])
                b = self.createIndex(prev, last_col, parent.children[prev])
                self.dataChanged.emit(a, b)
                self.rows_changed += prev - start + 1
                if r is not None:
                    start = prev = r

    # ------------------------------------------------------------ sorting
    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Order objects by a column (QTreeView calls this on header clicks; -1: by name).
        The tree keeps the order as deltas arrive (a changed key moves its row): no proxy,
        and every batch stays O(changes)."""
        key = ORDERS.get(column)
        reverse = column >= 0 and order == Qt.SortOrder.DescendingOrder
        if key is not self.tree.order or reverse != self.tree.reverse:
            self.tree.set_order(key, reverse)

    # ------------------------------------------------------------ batches
    def apply(self, items: Iterable[Any]) -> int:
        """Apply one drained batch (the bridge's ``sigBatch``)."""
        return self.tree.apply(items)

    def tick(self) -> None:
        """Refresh the clock used for ages and fades (views call it before repainting)."""
        self._now_wall = self._wall()
        self._now_mono = self._mono()

    # ------------------------------------------------------------ structure
    def node(self, index: QModelIndex | QPersistentModelIndex) -> Node:
        return index.internalPointer() if index.isValid() else self.tree.root

    def index(self, row: int, column: int, parent: QModelIndex = _INVALID) -> QModelIndex:
        # hot path (views call it for every visible cell and every relayout): keep it lean
        if parent.isValid():
            if parent.column():
                return _INVALID
            p = parent.internalPointer()
            if p.level == KIND and self.row_cap is not None:
                if p.shown < 0:
                    self._track(p)
                if row >= p.shown:
                    if row == p.shown and p.more is not None and 0 <= column < _NCOLS:
                        return self.createIndex(row, column, p.more)
                    return _INVALID
            children = p.children
        else:
            children = self.tree.root.children
        if 0 <= row < len(children) and 0 <= column < _NCOLS:
            return self.createIndex(row, column, children[row])
        return _INVALID

    def parent(self, index: QModelIndex = _INVALID):  # type: ignore[override]
        if not index.isValid():
            return _INVALID
        p = index.internalPointer().parent
        if p is None or p.level == ROOT:
            return _INVALID
        return self.createIndex(p.row(), 0, p)  # parents are containers: never a MORE row

    def rowCount(self, parent: QModelIndex = _INVALID) -> int:
        if not parent.isValid():
            return len(self.tree.root.children)
        if parent.column():
            return 0
        p = parent.internalPointer()
        if p.level == KIND and self.row_cap is not None:
            if p.shown < 0:
                self._track(p)
            return p.shown + (p.more is not None)
        return len(p.children)

    def columnCount(self, parent: QModelIndex = _INVALID) -> int:
        return _NCOLS

    # flags() and hasChildren() are not overridden: the C++ defaults (enabled|selectable;
    # rowCount() > 0) are what we want and save a Python call per row on every relayout.

    def headerData(self, section: int, orientation, role=_DISPLAY):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _DISPLAY or role == _TOOLTIP:
                return COLUMNS[section] if role == _DISPLAY else HEADER_TIPS[section] or None
        return None

    # ------------------------------------------------------------ data
    def data(self, index: QModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        col = index.column()
        if node.level == MORE:
            return more_data(node, col, role)
        if role == _DISPLAY:
            return display(node, col, self._now_wall)
        if role == _BACKGROUND:
            if node.level == OBJECT and node.changed_at:
                age = self._now_mono - node.changed_at
                if age < FADE_SECONDS:
                    r, g, b = _FADE.get(node.last_type, _FADE["Updated"])
                    return QColor(r, g, b, int(_FADE_ALPHA * (1.0 - age / FADE_SECONDS)))
            return None
        if role == NodeRole:
            return node
        if role == _FOREGROUND:
            if node.level == OBJECT and node.is_deleted:
                return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            if node.level == CONTEXT and node.error and col in (COL_NAME, COL_STATUS):
                return QGuiApplication.palette().color(QPalette.ColorRole.Link)
            return None
        if role == _FONT:
            if node.level == CONTEXT or (node.level == OBJECT and node.is_deleted):
                f = QFont(self._bold) if node.level == CONTEXT else QFont()
                f.setStrikeOut(node.level == OBJECT)
                return f
            return None
        if role == _TOOLTIP:
            return tooltip(node)
        if role == _DECORATION and col == COL_NAME:
            return self._icons.icon(node)
        if role == _ALIGN and col in (COL_AGE, COL_RV):
            return _RIGHT
        return None

    # ------------------------------------------------------------ helpers
    def index_for(self, node: Node, column: int = 0) -> QModelIndex:
        """The index of ``node`` (invalid when detached or hidden beyond a kind's cap)."""
        if node is self.tree.root or not node.attached or node.level == MORE:
            return QModelIndex()
        row = node.row()
        p = node.parent
        if p.level == KIND and self.row_cap is not None:
            if p.shown < 0:
                self._track(p)
            if row >= p.shown:
                return QModelIndex()
        return self.createIndex(row, column, node)
