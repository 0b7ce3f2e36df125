"""The cache inspector's table model: one row per informer, refreshed from ``stats()``.

Why this module exists: "is my informer healthy, and is its cache right?" is a per-informer
question; the inspector answers it with the informer's own counters (``InformerStats``),
what the feed said about it (the last watch end reason, when it last finished a list) and
the outcome of the last verify. The model is refreshed about once a second; only the cells
whose text changed get a ``dataChanged`` (most cells of a healthy informer never change),
and rows are inserted/removed as informers start and stop — never a reset per refresh.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable, Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from kmon.monitor.feed import ReflectorItem, SessionItem
from kmon.monitor.path_text import (
    gate_rows,
    gates_short,
    gates_text,
    queue_explained,
    queue_short,
    sync_explained,
    sync_short,
)
from kmon.monitor.tree_node import type_name
from kmon.monitor.watch_text import WATCHES_HEADER, watches_explained, watches_text

__all__ = ["COLUMNS", "HIDDEN", "InspectorModel", "InformerRow", "KeyRole", "VerifyLevel", "state_of"]

# what tells an informer's health first; the path it runs (client-go's queue, initial sync and
# feature gates); the counters a diagnosis needs after them (hidden by default: HIDDEN); the
# last error last, where it takes the width that is left
COLUMNS = (
    "Context", "Resource", "State", "Store", "Synced rv", "Relists", "Watches", "Last watch end",
    "Synced since", "Last event", "Queued", "Verify", "Queue", "Initial sync", "Gates", "Flags", "Lists",
    "Bookmarks", "Backoff", "Last error",
)
# (Last watch end: the Watches cell's tooltip says it, with every reason counted)
HIDDEN = ("Last watch end", "Queued", "Flags", "Lists", "Bookmarks", "Backoff")
KeyRole = Qt.ItemDataRole.UserRole + 1  # (context, resource)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_INVALID = QModelIndex()
# state -> hue; drawn as a translucent background so light and dark palettes both work
STATE_COLOURS = {
    "listing": "#3f7fd0", "watching": "#2e9d4f", "backing off": "#e08a1e", "stopped": "#7a8793",
    "failed": "#d0453a", "starting": "#7a8793",
}


def state_of(st: Any) -> str:
    """The inspector's words for an ``InformerStats.state``."""
    s = str(st.state or "")
    if s == "backing-off":
        return "backing off"
    return s


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return "now"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


class VerifyLevel(StrEnum):
    """Where the last verify of an informer's cache stands (the Verify cell's colour)."""

    NONE = ""  # never verified
    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"  # the cache differs from the server
    ERROR = "error"  # the verify itself failed


_VERIFY_COLOURS = {VerifyLevel.OK: "#2e9d4f", VerifyLevel.WARNING: "#e08a1e", VerifyLevel.ERROR: "#d0453a"}


@dataclass
class InformerRow:
    """What the inspector knows about one informer."""

    context: str
    resource: str
    stats: Any = None
    last_watch_end: str = ""
    synced_at: float | None = None  # end of the last (re)list
    verify: str = ""  # short outcome of the last verify ("ok", "3 missing", "running…")
    verify_level: VerifyLevel = VerifyLevel.NONE
    verify_detail: str = ""
    cells: list[str] = field(default_factory=list)


class InspectorModel(QAbstractTableModel):
    def __init__(self, parent=None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.rows: list[InformerRow] = []
        self._pos: dict[tuple[str, str], int] = {}
        self.clock = clock
        self.changed_cells = 0  # cells announced through dataChanged (for tests)

    # --- feeding ----------------------------------------------------------------------------
    def ingest(self, items: Iterable[Any]) -> None:
        """Take from a drained batch what stats() does not say: the last watch end reason,
        when lists finished, verify outcomes."""
        touched: set[int] = set()
        for it in items:
            if isinstance(it, ReflectorItem):
                kind = type_name(it.event.kind)
                if kind not in ("WatchEnded", "ListFinished"):
                    continue
                r = self._row(it.context, it.resource, create=False)
                if r is None:
                    continue
                if kind == "WatchEnded":
                    r.last_watch_end = str((it.event.detail or {}).get("reason") or "")
                else:
                    r.synced_at = it.event.time
                touched.add(self._pos[(r.context, r.resource)])
            elif isinstance(it, SessionItem) and it.resource and it.state in ("verified", "verify-failed"):
                r = self._row(it.context, it.resource, create=False)
                if r is None:
                    continue
                self._set_verify(r, it)
                touched.add(self._pos[(r.context, r.resource)])
        for i in touched:
            self._refresh_row(i)

    def _set_verify(self, r: InformerRow, it: SessionItem) -> None:
        d = it.detail or {}
        if it.state == "verify-failed":
            r.verify, r.verify_level, r.verify_detail = "failed", VerifyLevel.ERROR, it.message
            return
        if d.get("ok"):
            r.verify, r.verify_level = f"ok ({d.get('server_count', 0):,})", VerifyLevel.OK
        else:
            parts = [f"{len(d.get(k) or [])} {k}" for k in ("missing", "extra", "stale") if d.get(k)]
            r.verify, r.verify_level = ", ".join(parts) or "differs", VerifyLevel.WARNING
        r.verify_detail = it.message

    def set_verify_running(self, context: str, resource: str) -> None:
        r = self._row(context, resource, create=False)
        if r is not None:
            r.verify, r.verify_level, r.verify_detail = "running…", VerifyLevel.RUNNING, "verifying against a fresh list"
            self._refresh_row(self._pos[(context, resource)])

    def update_stats(self, stats: dict[tuple[str, str], Any]) -> None:
        """Refresh from ``{(context, resource): InformerStats}``: rows for informers that
        appeared are inserted, rows of informers gone are removed, changed cells announced."""
        for key in [k for k in self._pos if k not in stats]:
            i = self._pos[key]
            self.beginRemoveRows(_INVALID, i, i)
            del self.rows[i]
            self._reindex()
            self.endRemoveRows()
        for key in sorted(k for k in stats if k not in self._pos):
            self._row(*key, create=True)
        for key, st in stats.items():
            i = self._pos[key]
            r = self.rows[i]
            r.stats = st
            if r.synced_at is None and st.synced:
                r.synced_at = self.clock()
            self._refresh_row(i)

    def _reindex(self) -> None:
        self._pos = {(r.context, r.resource): i for i, r in enumerate(self.rows)}

    def _row(self, context: str, resource: str, *, create: bool) -> InformerRow | None:
        i = self._pos.get((context, resource))
        if i is not None:
            return self.rows[i]
        if not create:
            return None
        r = InformerRow(context, resource)
        # keep rows sorted by (context, resource)
        keys = [(x.context, x.resource) for x in self.rows]
        i = sum(1 for k in keys if k < (context, resource))
        self.beginInsertRows(_INVALID, i, i)
        self.rows.insert(i, r)
        r.cells = self._cells(r)
        self._reindex()
        self.endInsertRows()
        return r

    def _refresh_row(self, i: int) -> None:
        r = self.rows[i]
        new = self._cells(r)
        old = r.cells
        r.cells = new
        first = None
        for c, (a, b) in enumerate(zip(old, new)):
            if a != b:
                if first is None:
                    first = c
                last = c
            elif first is not None:
                self._changed(i, first, last)
                first = None
        if first is not None:
            self._changed(i, first, last)

    def _changed(self, row: int, first: int, last: int) -> None:
        self.changed_cells += last - first + 1
        self.dataChanged.emit(self.index(row, first), self.index(row, last))

    def _cells(self, r: InformerRow) -> list[str]:
        st = r.stats
        now = self.clock()
        if st is None:
            cells = {"Context": r.context, "Resource": r.resource, "State": "starting", "Verify": r.verify}
            return [cells.get(c, "") for c in COLUMNS]
        flags = []
        if st.unavailable:
            flags.append("rv unavailable")
        if st.paginated:
            flags.append("paginated")
        cells = {
            "Context": r.context,
            "Resource": r.resource,
            "State": state_of(st),
            "Store": f"{st.store_size:,}",
            "Synced rv": str(st.last_synced_version or ""),
            "Relists": f"{st.relists:,}",
            "Watches": watches_text(st.watches_started, st.watches_ended),
            "Last watch end": r.last_watch_end,
            "Synced since": (_ago(now - r.synced_at) if (r.synced_at is not None and st.synced)
                             else ("not synced" if not st.synced else "")),
            "Last event": _ago(now - st.last_event_time) if st.last_event_time else "",
            "Queued": f"{st.queue_depth:,}",
            "Verify": r.verify,
            # the path, short (each cell's tooltip says it whole)
            "Queue": queue_short(st.queue or ""),
            "Initial sync": sync_short(st.initial_sync or ""),
            "Gates": gates_short(st.features),
            "Flags": ", ".join(flags),
            "Lists": f"{st.lists:,}",
            "Bookmarks": f"{st.bookmarks:,}",
            "Backoff": f"{st.current_backoff:.1f} s" if st.current_backoff else "",
            "Last error": st.last_error or "",
        }
        return [cells[c] for c in COLUMNS]

    # --- reading ----------------------------------------------------------------------------
    def key_at(self, row: int) -> tuple[str, str] | None:
        return (self.rows[row].context, self.rows[row].resource) if 0 <= row < len(self.rows) else None

    def row_of(self, context: str, resource: str) -> InformerRow | None:
        return self._row(context, resource, create=False)

    def cell(self, context: str, resource: str, column: str) -> str:
        r = self.row_of(context, resource)
        return r.cells[COLUMNS.index(column)] if r is not None else ""

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _DISPLAY:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return _HEADER_TIPS.get(COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == _DISPLAY:
            return r.cells[col] if col < len(r.cells) else None
        name = COLUMNS[col]
        if role == Qt.ItemDataRole.BackgroundRole:
            if name == "State":
                hue = STATE_COLOURS.get(r.cells[2])
                if hue:
                    c = QColor(hue)
                    c.setAlpha(70)
                    return c
            if name == "Verify" and r.verify_level in _VERIFY_COLOURS:
                c = QColor(_VERIFY_COLOURS[r.verify_level])
                c.setAlpha(60)
                return c
            if name == "Last error" and r.cells[col]:
                c = QColor("#d0453a")
                c.setAlpha(35)
                return c
            return None
        if role == Qt.ItemDataRole.ForegroundRole and name in ("Synced since", "Last event") and r.stats is not None:
            if not r.stats.synced:
                return QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and name in ("Lists", "Relists", "Bookmarks", "Queued", "Store", "Backoff"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            st = r.stats
            if name == "State" and st is not None:  # what the hidden-by-default columns say
                parts = [r.cells[col]]
                if st.current_backoff:
                    parts.append(f"next attempt in {st.current_backoff:.1f} s")
                if st.queue_depth:
                    parts.append(f"{st.queue_depth:,} deltas queued")
                if r.cells[COLUMNS.index("Flags")]:
                    parts.append(r.cells[COLUMNS.index("Flags")])
                if st.last_error:
                    parts.append(f"last error: {st.last_error}")
                return "\n".join(parts)
            if name == "Relists" and st is not None:
                why = f"\nwhy the last: {st.last_relist_reason}" if st.last_relist_reason else ""
                return f"{st.lists:,} list{'' if st.lists == 1 else 's'} in all, {st.relists:,} after the first" + why
            if name == "Watches" and st is not None:
                last = f"\nthe last ended: {r.last_watch_end}" if r.last_watch_end else ""
                return watches_explained(st.watches_started, st.watches_ended) + last
            if name == "Verify":
                return r.verify_detail or "not verified yet: select the row and press Verify"
            if name == "Queue" and st is not None and st.queue:
                return f"{st.queue}\n\n{queue_explained(st.queue)}"
            if name == "Initial sync" and st is not None and st.initial_sync:
                return f"{st.initial_sync}\n\n{sync_explained(st.initial_sync)}"
            if name == "Gates" and st is not None and st.features is not None:
                return gates_tooltip(st.features)
            if name == "Last error" and r.cells[col]:
                return r.cells[col]
            return None
        if role == KeyRole:
            return (r.context, r.resource)
        return None


def gates_tooltip(gates: Any) -> str:
    """Every gate, its value and where the value came from, as a rich-text table."""
    rows = "".join(
        f"<tr><td>{g}</td><td>{'on' if on else '<b>off</b>'}</td><td>{html.escape(why)}</td></tr>"
        for g, on, why in gate_rows(gates)
    )
    return (f"<b>client-go {html.escape(gates_text(gates))}</b>"
            f"<table cellspacing=3><tr><th align=left>gate</th><th align=left>value</th>"
            f"<th align=left>from</th></tr>{rows}</table>")


_HEADER_TIPS = {
    "Synced rv": "resourceVersion of the last list or watch event processed",
    "Flags": "rv unavailable: the last version expired (the next list is from etcd); paginated: the list came in pages",
    "Queued": "queue depth: deltas waiting to be applied to the cache",
    "Queue": "the informer's queue: DeltaFIFO (classic) or RealFIFO (in order) and its modes",
    "Initial sync": "how the last (re)list came: LIST, a WatchList stream, or LIST (fallback) when a WatchList "
                    "failed (hover a cell for why)",
    "Gates": "client-go profile and the feature gates the environment changed (KUBE_FEATURE_*); "
             "hover a cell for every gate and where its value came from",
    "Store": "objects in the cache (indexer)",
    "Backoff": "current delay before the next list/watch attempt",
    "Verify": "last comparison of the cache with a fresh consistent list from the server",
    "Relists": "lists after the first one (a watch that expired or failed)",
    "Watches": WATCHES_HEADER + " (hover a cell for why they ended)",
    "Last watch end": "why the last watch ended (expired, closed by the server, an error…)",
    "Synced since": "when the last list finished",
}
