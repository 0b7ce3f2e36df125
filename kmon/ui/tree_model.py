"""The Qt item model of the object tree: a thin adapter over ``kmon.monitor.tree.ObjectTree``.

Why this module exists: the tree's logic (coalescing, counts, ordering) lives in the Qt-free
``ObjectTree``; this class only forwards its notifications (napari's pattern) —
``beginInsertRows``/``endInsertRows`` per run of new rows, ``dataChanged`` for exactly the
rows changed (merged into contiguous ranges), ``beginResetModel`` only for a real reset — and
renders nodes for views. It never rebuilds itself per event.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from kmon.monitor.summary import created_epoch, format_age, summarize
from kmon.monitor.tree import CONTEXT, KIND, NAMESPACE, OBJECT, ROOT, Node, ObjectTree, display_resource

__all__ = ["ObjectTreeModel", "NodeRole", "SortRole", "COLUMNS", "FADE_SECONDS"]

COLUMNS = ("Name", "Age", "Resource version", "Status", "Last delta")
_NCOLS = len(COLUMNS)
_INVALID = QModelIndex()
COL_NAME, COL_AGE, COL_RV, COL_STATUS, COL_DELTA = range(5)
NodeRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
FADE_SECONDS = 1.5

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


def _count_text(node: Node) -> str:
    return f"{node.count:,}"


class ObjectTreeModel(QAbstractItemModel):
    """Adapts an ``ObjectTree`` (it becomes the tree's listener)."""

    def __init__(self, tree: ObjectTree | None = None, parent=None, *, wall_clock=time.time) -> None:
        super().__init__(parent)
        self.tree = tree if tree is not None else ObjectTree()
        self.tree.listener = self
        self._wall = wall_clock
        self._mono = self.tree.clock
        self._now_wall = wall_clock()
        self._now_mono = self._mono()
        self._bold = QFont()
        self._bold.setBold(True)
        self._icons: dict[str, Any] = {}
        self.rows_changed = 0  # rows reported through dataChanged (for tests and the bench)

    # ------------------------------------------------------------ listener protocol
    def _index_of(self, node: Node) -> QModelIndex:
        if node is self.tree.root:
            return QModelIndex()
        return self.createIndex(node.row(), 0, node)

    def begin_insert(self, parent: Node, first: int, last: int) -> None:
        self.beginInsertRows(self._index_of(parent), first, last)

    def end_insert(self) -> None:
        self.endInsertRows()

    def begin_remove(self, parent: Node, first: int, last: int) -> None:
        self.beginRemoveRows(self._index_of(parent), first, last)

    def end_remove(self) -> None:
        self.endRemoveRows()

    def begin_reset(self) -> None:
        self.beginResetModel()

    def end_reset(self) -> None:
        self.endResetModel()

    def changed(self, nodes: list[Node]) -> None:
        by_parent: dict[int, tuple[Node, list[int]]] = {}
        for n in nodes:
            p = n.parent
            if p is None or not n.attached:
                continue
            entry = by_parent.get(id(p))
            if entry is None:
                by_parent[id(p)] = entry = (p, [])
            entry[1].append(n.row())
        last_col = len(COLUMNS) - 1
        for parent, rows in by_parent.values():
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
            children = parent.internalPointer().children
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
        return self.createIndex(p.row(), 0, p)

    def rowCount(self, parent: QModelIndex = _INVALID) -> int:
        if not parent.isValid():
            return len(self.tree.root.children)
        if parent.column():
            return 0
        return len(parent.internalPointer().children)

    def columnCount(self, parent: QModelIndex = _INVALID) -> int:
        return _NCOLS

    # flags() and hasChildren() are not overridden: the C++ defaults (enabled|selectable;
    # rowCount() > 0) are what we want and save a Python call per row on every relayout.

    def headerData(self, section: int, orientation, role=_DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    # ------------------------------------------------------------ data
    def data(self, index: QModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        col = index.column()
        if role == _DISPLAY:
            return self._display(node, col)
        if role == _BACKGROUND:
            if node.level == OBJECT and node.changed_at:
                age = self._now_mono - node.changed_at
                if age < FADE_SECONDS:
                    r, g, b = _FADE.get(node.last_type, _FADE["Updated"])
                    return QColor(r, g, b, int(_FADE_ALPHA * (1.0 - age / FADE_SECONDS)))
            return None
        if role == NodeRole:
            return node
        if role == SortRole:
            return self._sort_key(node, col)
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
            return self._tooltip(node)
        if role == _DECORATION and col == COL_NAME:
            return self._icon(node)
        if role == _ALIGN and col in (COL_AGE, COL_RV):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, node: Node, col: int) -> str | None:
        level = node.level
        if level == OBJECT:
            if col == COL_NAME:
                return node.name
            if col == COL_AGE:
                if node.created is None:
                    node.created = created_epoch(node.obj) or 0.0
                return format_age(self._now_wall - node.created) if node.created else ""
            if col == COL_RV:
                return node.rv
            if col == COL_STATUS:
                if node.is_deleted:
                    return "deleted"
                if node.summary is None:
                    node.summary = summarize(node.obj, node.resource)
                return node.summary
            if col == COL_DELTA:
                return node.last_type
            return None
        if col == COL_NAME:
            label = display_resource(node.name) if level == KIND else node.name
            return f"{label} ({_count_text(node)})"
        if col == COL_STATUS:
            if level == CONTEXT:
                if node.error:
                    return f"⚠ {node.error}"
                return node.progress or node.state
            if level == KIND:
                return node.progress
        return None

    def _sort_key(self, node: Node, col: int) -> Any:
        if col == COL_AGE and node.level == OBJECT:
            if node.created is None:
                node.created = created_epoch(node.obj) or 0.0
            return -node.created  # youngest first when ascending, like "age" ascending
        if col == COL_RV:
            try:
                return int(node.rv)
            except ValueError:
                return 0
        if col == COL_NAME and node.level != OBJECT:
            return node.name.lower()
        text = self._display(node, col)
        return (text or "").lower()

    def _tooltip(self, node: Node) -> str | None:
        if node.level == CONTEXT:
            if node.error:
                return f"{node.name}: {node.error}"
            return f"{node.name}: {node.state or 'open'} — {node.count:,} objects"
        if node.level == NAMESPACE:
            return f"namespace {node.name}: {node.count:,} objects"
        if node.level == KIND:
            return f"{node.name}: {node.count:,} objects" + (f"\n{node.progress}" if node.progress else "")
        if node.level == OBJECT:
            return f"{node.resource} {node.key}\nresourceVersion {node.rv}, last delta {node.last_type}"
        return None

    def _icon(self, node: Node) -> Any:
        if node.level != CONTEXT:
            return None
        if node.error:
            name = "error"
        elif node.state in ("connecting", "starting", "loading", "") and not node.count:
            name = "busy"
        else:
            name = "ok"
        icon = self._icons.get(name)
        if icon is None:
            if not isinstance(QApplication.instance(), QApplication):
                return None  # model tier without widgets: no style to draw icons
            style = QApplication.style()
            sp = {
                "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
                "busy": QStyle.StandardPixmap.SP_BrowserReload,
                "ok": QStyle.StandardPixmap.SP_DriveNetIcon,
            }[name]
            icon = self._icons[name] = style.standardIcon(sp)
        return icon

    # ------------------------------------------------------------ helpers
    def index_for(self, node: Node, column: int = 0) -> QModelIndex:
        if node is self.tree.root or not node.attached:
            return QModelIndex()
        return self.createIndex(node.row(), column, node)
