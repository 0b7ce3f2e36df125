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

An atomic relist or resync is a header row whose members the user opens and closes like a
tree's branch (``set_expanded``; ``GroupRole`` tells the delegate which rows are headers
and members, see ``kmon.ui.event_log_groups``); the index decides what a filter shows.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from kmon.cache.events import ReflectorEventKind
from kmon.monitor.event_filter import EventFilter
from kmon.monitor.filtered_index import FilteredIndex
from kmon.monitor.journal import Journal, JournalRow
from kmon.monitor.notifications import LABELS, RESYNC_NOTE, label_tooltip
from kmon.monitor.timeseries import DELTA_TYPES

from .columns import Fit, chars_width, header_width, text_width
from .event_log_groups import CLOSED, MEMBER, OPEN, PLAIN, GroupRole, group_indent

__all__ = ["COLUMNS", "CONTEXT", "DETAIL", "EVENT", "GROUP_TYPES", "EventLogModel", "GroupRole", "NOTIFICATION",
           "RowRole", "TYPE_GROUPS", "measure_columns"]

COLUMNS = ("Time", "Context", "Resource", "Event", "Object", "RV", "Notification", "Detail")
_HEADER_TIPS = ("When kmon received the event (local time)", "The kubeconfig context", "The informer's resource",
                "A delta applied to the cache (an atomic relist or resync opens on its objects), a reflector "
                "event (list, watch, relist) or a session event",
                "namespace/name of the object", "resourceVersion the event carried",
                "What the informer's event handlers received for the delta: on_add (initial list?), on_update "
                f"(resync when the versions are equal: {RESYNC_NOTE}) or on_delete (tombstone: a "
                "DeletedFinalStateUnknown)",
                "What happened: the reason of a relist or watch end, an error, the versions of an update")
TIME, CONTEXT, RESOURCE, EVENT, OBJECT, RV, NOTIFICATION, DETAIL = range(len(COLUMNS))
GROUP_TYPES = ("ReplacedAll", "SyncAll")  # client-go 1.36's atomic relist and resync
# every event type the log shows, by where it comes from (the type filter's menu)
TYPE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Deltas", DELTA_TYPES),
    ("Atomic relists and resyncs (client-go 1.36)", GROUP_TYPES),
    ("Reflector", tuple(k.value for k in ReflectorEventKind)),
    ("Session", ("connecting", "ready", "failed", "error", "started", "stopped", "verified", "verify-failed")),
)
RowRole = Qt.ItemDataRole.UserRole + 1  # the JournalRow

_DISPLAY = Qt.ItemDataRole.DisplayRole
_INVALID = QModelIndex()

# event type -> hue of its text (read on the palette's base: light and dark themes alike)
_TYPE_COLOURS = {
    "Added": "#2e9d4f", "Updated": "#3f7fd0", "Deleted": "#d04a3f", "Replaced": "#8a63c8",
    "Sync": "#7a8793", "ReplacedAll": "#8a63c8", "SyncAll": "#7a8793", "Relist": "#e08a1e", "Expired": "#e08a1e", "Error": "#d04a3f",
    "Backoff": "#c0892b", "WatchStarted": "#3a9aa5", "WatchEnded": "#3a9aa5",
    "failed": "#d04a3f", "error": "#d04a3f", "verified": "#2e9d4f", "verify-failed": "#d04a3f",
}


_ROLES = frozenset({
    _DISPLAY, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ToolTipRole, RowRole, GroupRole,
})
# notification label -> how its text is drawn (on the palette's base)
_NOTE_COLOURS = {"on_update (resync)": "#7a8793", "on_delete (tombstone)": "#e08a1e", "on_delete": "#d04a3f",
                 "on_add (initial list)": "#2e9d4f", "on_add": "#2e9d4f"}


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
        self._folded = False  # the notification is said in the Detail cell (its column hidden)
        self._row_cache: tuple[int, JournalRow | None] | None = None
        self._colours: dict[str, QColor] = {k: QColor(v) for k, v in _TYPE_COLOURS.items()}
        self._note_colours: dict[str, QColor] = {k: QColor(v) for k, v in _NOTE_COLOURS.items()}
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
        self.journal = self.journal.resized(capacity)
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
        """What the view shows, oldest first, with the matching members of closed groups
        (for export: a closed relist stands for its objects)."""
        return self.index_.rows(self._visible, with_members=True)

    def set_folded(self, on: bool) -> None:
        """Say each delta's notification at the start of its Detail cell (when the
        Notification column is hidden)."""
        if on != self._folded:
            self._folded = on
            self._row_cache = None
            if self._visible:
                self.dataChanged.emit(self.index(0, DETAIL), self.index(self._visible - 1, DETAIL))

    # --- groups ------------------------------------------------------------------------------
    def group_kind(self, row: int) -> int:
        """``PLAIN``, ``CLOSED``/``OPEN`` (a group's header) or ``MEMBER``."""
        r = self.row_at(row)
        if r is None or (r.members == 0 and r.group < 0):
            return PLAIN
        if r.members == 0:
            return MEMBER
        g = self.index_.groups.get(r.group)
        return OPEN if g is not None and g.expanded else CLOSED

    def header_row(self, row: int) -> int:
        """The row of the header of the group ``row`` is a member of (-1 if none shown)."""
        h = self.index_.header_of(row) if 0 <= row < self._visible else -1
        return h if 0 <= h < self._visible else -1

    def set_expanded(self, row: int, on: bool) -> int:
        """Open (or close) the group whose header is ``row``: its matching members appear
        right under it (or go). Returns how many rows were inserted or removed."""
        idx = self.index_
        g = idx.group_at(row) if 0 <= row < self._visible else None
        if g is None or g.expanded == on:
            return 0
        self._row_cache = None
        if on:
            members = idx.matching_members(g)
            n = len(members)
            if n:
                self.beginInsertRows(_INVALID, row + 1, row + n)
            idx.set_expanded(row, True, members)
            self._visible += n
            if n:
                self.endInsertRows()
        else:
            n = idx.shown_members(row)
            shown = max(0, min(n, self._visible - row - 1))  # (the rest waits while paused)
            if shown:
                self.beginRemoveRows(_INVALID, row + 1, row + shown)
            idx.set_expanded(row, False)
            self._visible -= shown
            if shown:
                self.endRemoveRows()
        first = self.index(row, 0)
        self.dataChanged.emit(first, self.index(row, len(COLUMNS) - 1))
        self.sigCounts.emit(self._visible, len(self.journal), self.pending)
        return n

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
                return self._group_object(row) if row.members else _object_text(row)
            if col == 5:
                return row.resource_version
            if col == 6:
                return row.notification
            if col == 7:
                if self._folded and row.notification and not row.members:
                    d = row.detail
                    return f"{row.notification} · {d}" if d and d not in row.notification else row.notification
                return row.detail
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3:
                return self._colours.get(row.type)
            if col == 6:
                return None if row.members else self._note_colours.get(row.notification)
            if col == 7 and row.level in ("warning", "error"):
                return self._colours["Error" if row.level == "error" else "Relist"]
            return None
        if role == Qt.ItemDataRole.FontRole:
            if col == 3 and (row.category != "delta" or row.members):
                return self._bold
            if col == 5:
                return self._mono
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.level in ("warning", "error"):
                c = QColor(self._colours["Error" if row.level == "error" else "Relist"])
                c.setAlpha(38)
                return c
            if row.category == "reflector" or row.members:
                c = QApplication.palette().color(QPalette.ColorRole.Highlight)
                c.setAlpha(18 if not row.members else 30)
                return c
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == RowRole:
            return row
        if role == GroupRole:
            return self.group_kind(r)
        return None

    def _group_object(self, row: JournalRow) -> str:
        """A group header's Object cell: how many objects it holds (how many match a
        filter) and what the relist did to them, e.g. "139 objects: 1 deleted, 1 updated,
        1 added, 136 unchanged" (the Detail cell says it whole, often out of a narrow
        dock's sight)."""
        n = row.members
        g = self.index_.groups.get(row.group)
        things = f"{n:,} object{'s' if n != 1 else ''}"
        if g is not None and g.matched < n and not self.index_.filter.empty:
            things = f"{g.matched:,} of {things}"
        counts = row.detail.rpartition(": ")[2] if row.type == "ReplacedAll" else "unchanged (resync)"
        return f"{things}: {counts.removesuffix(' (continued)')}" if counts else things

    def _tooltip(self, row: JournalRow, col: int) -> str | None:
        if col == 0:
            return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.time)) + f".{int((row.time % 1) * 1000):03d}"
        if row.members and col in (3, 4, 6, 7):
            g = self.index_.groups.get(row.group)
            state = "open: ←, Enter or a click on ▾ closes it" if g is not None and g.expanded else \
                "closed: →, Enter or a click on ▸ opens it"
            return (f"{row.detail}\nHandlers received: {row.notification}\n"
                    f"One atomic {row.type} delta, applied to the cache as a whole ({state}).")
        if col == 6 and row.notification:
            return label_tooltip(row.notification) or row.notification
        if col == 7 and row.detail:
            return row.detail
        return None


def _object_text(row: JournalRow) -> str:
    return f"{row.namespace}/{row.name}" if row.namespace else row.name


def measure_columns(view: Any, model: EventLogModel, sample: int = 200) -> dict[int, Fit]:
    """The log's column widths: times, event names and contexts/resources seen so far from
    the font (a few dozen texts at most), objects and resourceVersions from the newest
    ``sample`` shown rows (and the first objects of the groups among them, open or not: a
    1.36 initial list is one closed row). Detail is not measured: it stretches."""
    idx = model.index_
    n = model.rowCount()
    rows = [model.row_at(r) for r in range(max(0, n - sample), n)]
    rows = [r for r in rows if r is not None]
    j = model.journal
    for h in [r.group for r in rows if r.members][-8:]:
        start = h + 1 - j.first_seq
        rows += [m for m in j[max(0, start):max(0, start + 25)] if m.group == h]
    kinds = {t for _g, ts in TYPE_GROUPS for t in ts} | set(idx.types)
    indent = group_indent(view)
    time_w = text_width(view, ["00:00:00.000"])
    # (headers one level in, members two: see event_log_groups)
    event_w = max(text_width(view, kinds, model._bold) + indent, text_width(view, DELTA_TYPES) + 2 * indent)
    fits = {  # column -> (content width, least width)
        TIME: (time_w, time_w),
        CONTEXT: (text_width(view, idx.contexts), text_width(view, ["kmon-dem…o-2"])),
        RESOURCE: (text_width(view, idx.resources), text_width(view, ["deployments.apps"])),
        EVENT: (event_w, event_w),  # never elided: it is what happened
        NOTIFICATION: (text_width(view, LABELS), text_width(view, ["on_update…"])),
        OBJECT: (min(text_width(view, [_object_text(r) for r in rows]), chars_width(view, 60)), chars_width(view, 14)),
        RV: (text_width(view, [r.resource_version for r in rows], model._mono), header_width(view, RV)),
    }
    out = {}
    for c, (want, least) in fits.items():
        want = max(want, header_width(view, c))
        out[c] = Fit(want, min(least, want))
    return out
