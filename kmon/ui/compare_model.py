"""The Compare window's table: the two sides' handler calls in aligned columns, time order,
each row tinted by how the two sides relate (the same, another order, a difference, a
timing difference), filtered by object and to the differences.

Why this module exists: a comparison can hold tens of thousands of calls; a model over the
analysis's rows (``kmon.monitor.compare_analysis.Row``) shows them without copying, and the
filter (object text, differences only) is a list of row indexes rebuilt on change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from kmon.monitor.compare_analysis import REORDERED, SAME, Comparison, Row
from kmon.monitor.compare_text import KIND_TEXT, TIMING_KINDS, call_text, row_causes

__all__ = ["COLUMNS", "CompareModel"]

COLUMNS = ("+s", "Object", "A", "A from", "B", "B from", "Difference")
TIME, OBJECT, CALL_A, FROM_A, CALL_B, FROM_B, WHY = range(len(COLUMNS))
_TIPS = {
    TIME: "Seconds since the comparison started (the earlier of the two calls)",
    OBJECT: "namespace/name of the object the handler was told about",
    WHY: "How the two sides' calls relate; hover a row for what it means to a controller's handlers",
}
# method -> hue of its text (read on the palette's base, light and dark alike)
_METHOD_COLOURS = {"on_add": "#2e9d4f", "on_update": "#3f7fd0", "on_delete": "#d04a3f"}
_DIFF, _ORDER, _TIMING = "#e08a1e", "#3f7fd0", "#8c8f94"

_DISPLAY = Qt.ItemDataRole.DisplayRole
_INVALID = QModelIndex()


class CompareModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.comparison: Comparison | None = None
        self.labels = ("A", "B")
        self._rows: list[Row] = []
        self._shown: list[int] = []
        self._text = ""
        self._only_differences = True
        self._kind = ""
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._bold = QFont()
        self._bold.setBold(True)
        self._method = {k: QColor(v) for k, v in _METHOD_COLOURS.items()}

    # -- content --------------------------------------------------------------------------------
    def set_comparison(self, comparison: Comparison | None) -> None:
        self.beginResetModel()
        self.comparison = comparison
        self._rows = list(comparison.rows) if comparison is not None else []
        self.labels = (comparison.a.label, comparison.b.label) if comparison is not None else ("A", "B")
        self._refilter()
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)

    def set_filter(self, text: str, only_differences: bool, kind: str = "") -> None:
        """Rows whose object contains ``text``; only where the sides differ (or another order)
        when ``only_differences``; only one ``kind`` when given."""
        text = text.strip().lower()
        if (text, only_differences, kind) == (self._text, self._only_differences, self._kind):
            return
        self.beginResetModel()
        self._text, self._only_differences, self._kind = text, only_differences, kind
        self._refilter()
        self.endResetModel()

    def _refilter(self) -> None:
        text, only, kind = self._text, self._only_differences, self._kind
        self._shown = [i for i, r in enumerate(self._rows)
                       if (not only or r.kind != SAME) and (not kind or r.kind == kind)
                       and (not text or text in r.key.lower())]

    def row_at(self, row: int) -> Row | None:
        return self._rows[self._shown[row]] if 0 <= row < len(self._shown) else None

    def total(self) -> int:
        return len(self._rows)

    # -- Qt ---------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        a, b = self.labels
        if role == _DISPLAY:
            return {CALL_A: a, FROM_A: f"{a}: from", CALL_B: b, FROM_B: f"{b}: from"}.get(section, COLUMNS[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            side = {CALL_A: a, FROM_A: a, CALL_B: b, FROM_B: b}.get(section)
            if section in (CALL_A, CALL_B):
                return f"The call client-go {side}'s handler received: on_add, on_update old→new, on_delete"
            if section in (FROM_A, FROM_B):
                return f"What produced {side}'s call: a watch event, the initial state, a relist or a resync (its delta)"
            return _TIPS.get(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        r = self.row_at(index.row()) if index.isValid() else None
        if r is None:
            return None
        col = index.column()
        if role == _DISPLAY:
            return self._display(r, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            call = r.a if col == CALL_A else r.b if col == CALL_B else None
            if col in (CALL_A, CALL_B):
                return self._method.get(call.method) if call is not None else _muted()
            if col in (FROM_A, FROM_B, TIME):
                return _muted()
            return None
        if role == Qt.ItemDataRole.FontRole:
            if col in (CALL_A, CALL_B):
                return self._mono
            if col == WHY and r.differs:
                return self._bold
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return _tint(r.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == TIME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, r: Row, col: int) -> str:
        if col == TIME:
            return f"{r.time:.2f}"
        if col == OBJECT:
            return r.key
        if col == CALL_A:
            return call_text(r.a)
        if col == CALL_B:
            return call_text(r.b)
        if col in (FROM_A, FROM_B):
            return row_causes(r)[0 if col == FROM_A else 1]
        if col == WHY:
            return "" if r.kind == SAME else KIND_TEXT[r.kind][0]
        return ""

    def _tooltip(self, r: Row) -> str:
        a, b = self.labels
        lines = []
        for label, call, cause in ((a, r.a, row_causes(r)[0]), (b, r.b, row_causes(r)[1])):
            lines.append(f"{label}: {call_text(call)}" + (f" at +{call.time:.3f} s, #{call.seq}" if call else " (no call)")
                         + (f" — {cause}" if cause else ""))
        if r.kind != SAME:
            title, text = KIND_TEXT[r.kind]
            lines += ["", f"{title}: {text}"]
        return "\n".join(lines)


def _muted() -> QColor:
    return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)


def _tint(kind: str) -> QColor | None:
    """A row's background: a difference orange, another order blue, timing grey (translucent,
    so the palette's base shows through in light and dark alike)."""
    if kind == SAME:
        return None
    colour = QColor(_ORDER if kind == REORDERED else _TIMING if kind in TIMING_KINDS else _DIFF)
    colour.setAlpha(40 if kind not in TIMING_KINDS else 30)
    return colour
