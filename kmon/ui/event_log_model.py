"""The event log's table model: a Qt adapter over a ``Journal`` and its ``FilteredIndex``.

Why this module exists: the log receives thousands of rows per second into a bounded ring.
The model adapts, it never copies: row ``r`` is match ``r`` of the filtered index, read from
the journal on demand. Per drained batch the model makes at most two structural changes —
``beginRemoveRows`` for the matches that fell off the ring's front, then ``beginInsertRows``
for the new matches — so views and ``QAbstractItemModelTester`` see a consistent model. A
filter change is a reset (one vectorised pass, see ``kmon.monitor.event_filter``).

Paused: the model stops growing (the view stops moving) while the journal keeps recording;
``pending`` counts the matching rows not shown yet, which ``set_paused(False)`` inserts in
one step. Rows falling off the ring are removed even while paused (they no longer exist).
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from kmon.cache.events import ReflectorEventKind
from kmon.monitor.event_filter import EventFilter, FilteredIndex
from kmon.monitor.journal import Journal, JournalRow
from kmon.monitor.timeseries import DELTA_TYPES

from .columns import Fit, chars_width, header_width, text_width

__all__ = ["COLUMNS", "CONTEXT", "DETAIL", "EventLogModel", "RowRole", "TYPE_GROUPS", "measure_columns"]

COLUMNS = ("Time", "Context", "Resource", "Event", "Object", "RV", "Detail")
_HEADER_TIPS = ("When kmon received the event (local time)", "The kubeconfig context", "The informer's resource",
                "A delta applied to the cache, a reflector event (list, watch, relist) or a session event",
                "namespace/name of the object", "resourceVersion the event carried",
                "What happened: the reason of a relist or watch end, an error, the versions of an update")
TIME, CONTEXT, RESOURCE, EVENT, OBJECT, RV, DETAIL = range(len(COLUMNS))
# every event type the log shows, by where it comes from (the type filter's menu)
TYPE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Deltas", DELTA_TYPES),
    ("Reflector", tuple(k.value for k in ReflectorEventKind)),
    ("Session", ("connecting", "ready", "failed", "error", "started", "stopped", "verified", "verify-failed")),
)
RowRole = Qt.ItemDataRole.UserRole + 1  # the JournalRow

_DISPLAY = Qt.ItemDataRole.DisplayRole
_INVALID = QModelIndex()

# event type -> hue of its text (read on the palette's base: light and dark themes alike)
_TYPE_COLOURS = {
    "Added": "#2e9d4f", "Updated": "#3f7fd0", "Deleted": "#d04a3f", "Replaced": "#8a63c8",
    "Sync": "#7a8793", "Relist": "#e08a1e", "Expired": "#e08a1e", "Error": "#d04a3f",
    "Backoff": "#c0892b", "WatchStarted": "#3a9aa5", "WatchEnded": "#3a9aa5",
    "failed": "#d04a3f", "error": "#d04a3f", "verified": "#2e9d4f", "verify-failed": "#d04a3f",
}


_ROLES = frozenset({
    _DISPLAY, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ToolTipRole, RowRole,
})


def _clock(t: float) -> str:
    lt = time.localtime(t)
    return f"{lt.tm_hour:02d}:{lt.tm_min:02d}:{lt.tm_sec:02d}.{int((t % 1) * 1000):03d}"


class EventLogModel(QAbstractTableModel):
    sigCounts = Signal(int, int, int)  # shown, kept in the journal, pending while paused

    def __init__(self, journal: Journal | None = None, parent=None) -> None:
        super().__init__(parent)
        self.journal = journal if journal is not None else Journal()
        self.index_ = FilteredIndex(self.journal)
        self._visible = len(self.index_)  # matches the view shows (all of them unless paused)
        self._paused = False
        self._row_cache: tuple[int, JournalRow | None] | None = None
        self._colours: dict[str, QColor] = {k: QColor(v) for k, v in _TYPE_COLOURS.items()}
        self._bold = QFont()
        self._bold.setBold(True)
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)

    # --- feeding ----------------------------------------------------------------------------
    def append_items(self, items: Iterable[Any]) -> tuple[int, int]:
        """Record a drained feed batch in the journal and show what passes the filter."""
        added, dropped = self.journal.append_items(items)
        self._sync()
        return added, dropped

    def append_rows(self, rows: list[JournalRow]) -> tuple[int, int]:
        added, dropped = self.journal.append_rows(rows)
        self._sync()
        return added, dropped

    def _sync(self) -> None:
        self._row_cache = None
        idx = self.index_
        gone = idx.front_dropped()
        if gone:
            shown_gone = min(gone, self._visible)
            if shown_gone:
                self.beginRemoveRows(_INVALID, 0, shown_gone - 1)
                idx.drop_front(gone)
                self._visible -= shown_gone
                self.endRemoveRows()
            else:
                idx.drop_front(gone)
        new = idx.add_new()
        if new and not self._paused:
            self._show_pending()
        self.sigCounts.emit(self._visible, len(self.journal), self.pending)

    def _show_pending(self) -> None:
        n = len(self.index_) - self._visible
        if n > 0:
            self.beginInsertRows(_INVALID, self._visible, self._visible + n - 1)
            self._visible += n
            self.endInsertRows()

    # --- pause and filter -------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def pending(self) -> int:
        """Matching rows recorded while paused and not shown yet."""
        return len(self.index_) - self._visible

    def set_paused(self, on: bool) -> None:
        if on == self._paused:
            return
        self._paused = on
        if not on:
            self._show_pending()
        self.sigCounts.emit(self._visible, len(self.journal), self.pending)

    @property
    def filter(self) -> EventFilter:
        return self.index_.filter

    def set_filter(self, flt: EventFilter) -> None:
        self._row_cache = None
        self.beginResetModel()
        self.index_.set_filter(flt)
        self._visible = len(self.index_)
        self.endResetModel()
        self.sigCounts.emit(self._visible, len(self.journal), self.pending)

    def set_capacity(self, capacity: int) -> None:
        """Keep at most ``capacity`` rows from now on (the newest rows survive)."""
        if capacity == self.journal.capacity:
            return
        self._row_cache = None
        self.beginResetModel()
        old = self.journal
        self.journal = Journal(capacity)
        rows = old[max(0, len(old) - capacity):]
        self.journal.total = old.first_seq + len(old) - len(rows)  # sequences keep counting
        self.journal.append_rows(rows)
        self.index_ = FilteredIndex(self.journal, self.index_.filter)
        self._visible = len(self.index_)
        self.endResetModel()
        self.sigCounts.emit(self._visible, len(self.journal), self.pending)

    def clear(self) -> None:
        self._row_cache = None
        self.beginResetModel()
        self.journal.clear()
        self.index_.rescan()
        self._visible = 0
        self.endResetModel()
        self.sigCounts.emit(0, 0, 0)

    # --- reading ----------------------------------------------------------------------------
    def row_at(self, row: int) -> JournalRow | None:
        if 0 <= row < self._visible:
            return self.index_.row(row)
        return None

    def shown_rows(self) -> list[JournalRow]:
        """What the view shows, oldest first (for export)."""
        return self.index_.rows(self._visible)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else self._visible

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _DISPLAY:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return _HEADER_TIPS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # a repaint asks ~8 roles of each visible cell: answer the unused ones at once and
        # look each row up once (the cache is dropped with every structural change)
        if role not in _ROLES or not index.isValid():
            return None
        r = index.row()
        cached = self._row_cache
        if cached is not None and cached[0] == r:
            row = cached[1]
        else:
            row = self.row_at(r)
            self._row_cache = (r, row)
        if row is None:
            return None
        col = index.column()
        if role == _DISPLAY:
            if col == 0:
                return _clock(row.time)
            if col == 1:
                return row.context
            if col == 2:
                return row.resource
            if col == 3:
                return row.type
            if col == 4:
                return f"{row.namespace}/{row.name}" if row.namespace else row.name
            if col == 5:
                return row.resource_version
            if col == 6:
                return row.detail
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3:
                return self._colours.get(row.type)
            if col == 6 and row.level in ("warning", "error"):
                return self._colours["Error" if row.level == "error" else "Relist"]
            return None
        if role == Qt.ItemDataRole.FontRole:
            if col == 3 and row.category != "delta":
                return self._bold
            if col == 5:
                return self._mono
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.level in ("warning", "error"):
                c = QColor(self._colours["Error" if row.level == "error" else "Relist"])
                c.setAlpha(38)
                return c
            if row.category == "reflector":
                c = QApplication.palette().color(QPalette.ColorRole.Highlight)
                c.setAlpha(18)
                return c
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.time)) + f".{int((row.time % 1) * 1000):03d}"
            if col == 6 and row.detail:
                return row.detail
            return None
        if role == RowRole:
            return row
        return None


def _object_text(row: JournalRow) -> str:
    return f"{row.namespace}/{row.name}" if row.namespace else row.name


def measure_columns(view: Any, model: EventLogModel, sample: int = 200) -> dict[int, Fit]:
    """The log's column widths: times, event names and contexts/resources seen so far from
    the font (a few dozen texts at most), objects and resourceVersions from the newest
    ``sample`` shown rows. Detail is not measured: it stretches."""
    idx = model.index_
    n = model.rowCount()
    rows = [model.row_at(r) for r in range(max(0, n - sample), n)]
    rows = [r for r in rows if r is not None]
    kinds = {t for _g, ts in TYPE_GROUPS for t in ts} | set(idx.types)
    time_w = text_width(view, ["00:00:00.000"])
    event_w = text_width(view, kinds, model._bold)
    fits = {  # column -> (content width, least width)
        TIME: (time_w, time_w),
        CONTEXT: (text_width(view, idx.contexts), text_width(view, ["kmon-dem…o-2"])),
        RESOURCE: (text_width(view, idx.resources), text_width(view, ["deployments.apps"])),
        EVENT: (event_w, event_w),  # never elided: it is what happened
        OBJECT: (min(text_width(view, [_object_text(r) for r in rows]), chars_width(view, 60)), chars_width(view, 14)),
        RV: (text_width(view, [r.resource_version for r in rows], model._mono), header_width(view, RV)),
    }
    out = {}
    for c, (want, least) in fits.items():
        want = max(want, header_width(view, c))
        out[c] = Fit(want, min(least, want))
    return out
