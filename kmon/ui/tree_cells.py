"""The object tree's columns: what each cell of a row says, its tooltip, icon and sort key.

Why this module exists: ``ObjectTreeModel`` adapts the tree's structure to Qt; what a
context, namespace, kind or object row shows in each column is a separate concern, kept
here as plain functions of a ``Node`` (``display`` runs for every painted cell: no lookups
beyond the node's own cached fields).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from kmon.monitor.summary import created_epoch, display_resource, format_age, summarize
from kmon.monitor.tree_node import CONTEXT, KIND, NAMESPACE, OBJECT, Node

__all__ = ["COLUMNS", "COL_NAME", "COL_AGE", "COL_RV", "COL_STATUS", "COL_DELTA", "ContextIcons", "HEADER_TIPS",
           "NodeRole", "ORDERS", "display", "more_data", "tooltip"]

COLUMNS = ("Name", "Age", "RV", "Status", "Last delta")
HEADER_TIPS = ("", "Time since the object was created", "resourceVersion of the object in the cache",
                "What the object says about itself (ready replicas, phase…)", "The last delta applied to the cache")
COL_NAME, COL_AGE, COL_RV, COL_STATUS, COL_DELTA = range(5)
NodeRole = Qt.ItemDataRole.UserRole + 1
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_FONT = Qt.ItemDataRole.FontRole


def _count_text(node: Node) -> str:
    return f"{node.count:,}"


def _order_age(node: Node) -> float:
    if node.created is None:
        node.created = created_epoch(node.obj) or 0.0
    return -node.created  # ascending age: youngest first


def _order_rv(node: Node) -> int:
    try:
        return int(node.rv)
    except ValueError:
        return 0


def _order_status(node: Node) -> str:
    if node.summary is None:
        node.summary = summarize(node.obj, node.resource)
    return node.summary


def _order_delta(node: Node) -> str:
    return node.last_type


# column -> sort key of its objects (header clicks sort inside the tree)
ORDERS = {COL_AGE: _order_age, COL_RV: _order_rv, COL_STATUS: _order_status, COL_DELTA: _order_delta}


def display(node: Node, col: int, now_wall: float) -> str | None:
    """A cell's text (ages against ``now_wall``, summaries cached on the node)."""
    level = node.level
    if level == OBJECT:
        if col == COL_NAME:
            return node.name
        if col == COL_AGE:
            if node.created is None:
                node.created = created_epoch(node.obj) or 0.0
            return format_age(now_wall - node.created) if node.created else ""
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


def more_data(node: Node, col: int, role: int) -> Any:
    """The \"... N more\" row of a capped kind."""
    if role == _DISPLAY and col == COL_NAME:
        return f"… {node.count:,} more {display_resource(node.parent.name)}"
    if role == _DISPLAY and col == COL_STATUS:
        return "type in the filter box (Ctrl+F) to see them"
    if role == _FOREGROUND:
        return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    if role == _FONT:
        f = QFont()
        f.setItalic(True)
        return f
    if role == NodeRole:
        return node
    return None


def tooltip(node: Node) -> str | None:
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


class ContextIcons:
    """The context rows' state icons (from the style, made once)."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def icon(self, node: Node) -> Any:
        if node.level != CONTEXT:
            return None
        if node.error:
            name = "error"
        elif node.state in ("connecting", "starting", "loading", "") and not node.count:
            name = "busy"
        else:
            name = "ok"
        icon = self._cache.get(name)
        if icon is None:
            if not isinstance(QApplication.instance(), QApplication):
                return None  # model tier without widgets: no style to draw icons
            style = QApplication.style()
            sp = {
                "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
                "busy": QStyle.StandardPixmap.SP_BrowserReload,
                "ok": QStyle.StandardPixmap.SP_DriveNetIcon,
            }[name]
            icon = self._cache[name] = style.standardIcon(sp)
        return icon
