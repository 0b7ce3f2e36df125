"""A recorded informer's stats at any moment, folded from its records as live counts them.

Why this module exists: a replay must show the numbers the live app showed at the same
moment — the inspector's state and "Synced rv", the resourceVersion chart, the cache size —
but a recording holds only what the informers emitted (deltas, reflector events, session
events), not their counters. ``ReplayStats.fold`` applies one record the way the live
reflector and informer change their ``InformerStats`` (``kmon/cache/reflector.py``,
``watch_handler.py``, ``informer.py``):

- ``last_synced_version``: the list's version at ``ListFinished``, then the version of each
  watch event (an Added/Updated/Deleted delta that is neither from a list nor a relist's
  "final state unknown" delete) and of each bookmark. Numeric versions never go back (the
  recorder writes a list's end, from the reflector thread, before the informer thread
  records the last deltas that preceded it).
- ``state``: listing from ``ListStarted`` until the watch starts (``WatchStarted``; for a
  WatchList, which streams the list over its watch, the list's end), backing off from
  ``Backoff``, stopped at a ``WatchEnded`` for a stop or a session's "stopped" (the whole
  context when it names no resource), failed at a session's "failed" for the resource. A
  list after a stop is a new informer: its counters start again.
- ``store_size``: the keys the deltas left in the cache. A recording has no queue:
  ``queue_depth`` is 0.

``StatsFold`` folds a recording's records in file order up to an index (forward only);
``sample()`` gives what the charts' stats sampling takes from ``InformerStats``.
"""

from __future__ import annotations

from typing import Any, Sequence

from kmon.monitor.timeseries import parse_rv

__all__ = ["ReplayStats", "StatsFold", "SAMPLED"]

Key = tuple[str, str]
SAMPLED = ("store_size", "queue_depth", "last_synced_version")  # what SeriesBook.sample reads
_WATCH_EVENT = {"Added": "ADDED", "Updated": "MODIFIED", "Deleted": "DELETED"}


class ReplayStats:
    """``InformerStats``-like counters of one recorded informer (see the module doc)."""

    def __init__(self, context: str, resource: str) -> None:
        self.context, self.resource = context, resource
        self.name = f"{context}/{resource}"
        self.state = "starting"
        self.lists = self.relists = 0
        self.last_relist_reason = ""
        self.list_duration_last = self.list_duration_total = 0.0
        self.list_items_last = self.list_items_total = 0
        self.pages_total = self.pages_last = 0
        self.watches_started = 0
        self.watches_ended: dict[str, int] = {}
        self.events: dict[str, int] = {}
        self.bookmarks = 0
        self.expired = 0
        self.errors: dict[str, int] = {}
        self.current_backoff = 0.0
        self.last_synced_version = ""
        self.unavailable = False
        self.paginated = False
        self.queue_depth = 0
        self.store_size = 0
        self.synced = False
        self.last_event_time: float | None = None
        self.last_error = ""
        self.deltas_processed = 0
        self.handler_errors = 0
        self.listener_errors = 0
        self.handler_backlog: dict[str, int] = {}
        self._streaming = False  # the list in progress is a WatchList's initial events

    def _synced_at(self, rv: str) -> None:
        """The reflector's last synced version moves to ``rv`` (never back, when numeric)."""
        if not rv:
            return
        new, cur = parse_rv(rv), parse_rv(self.last_synced_version)
        if new is not None and cur is not None and new < cur:
            return
        self.last_synced_version = rv

    def fold(self, rec: dict[str, Any], store_size: int) -> None:
        kind, typ, t = rec.get("kind"), rec.get("type"), rec.get("time")
        rv = str(rec.get("resource_version") or "")
        if kind == "delta":
            self.deltas_processed += 1
            self.store_size = store_size
            ev = _WATCH_EVENT.get(str(typ))
            if ev and not rec.get("initial") and not rec.get("final_state_unknown"):
                self.events[ev] = self.events.get(ev, 0) + 1
                self.last_event_time = t
                self._synced_at(rv)
            return
        if kind == "session":
            if typ == "stopped":
                self.state, self.current_backoff = "stopped", 0.0
            elif typ == "failed" and rec.get("resource"):
                self.state = "failed"
            return
        if kind == "reflector":
            self._reflector(str(typ), rv, rec.get("detail") or {}, t)

    def _reflector(self, typ: str, rv: str, d: dict[str, Any], t: Any) -> None:
        if typ == "ListStarted":
            self.state, self.pages_last, self.current_backoff = "listing", 0, 0.0
            self._streaming = False
        elif typ == "Page":
            self.pages_total += 1
            self.pages_last += 1
            self.paginated = self.paginated or bool(d.get("paginated")) or self.pages_last > 1
        elif typ == "ListFinished":
            self.lists += 1
            self.synced, self.unavailable = True, False
            if self._streaming:  # a WatchList goes on watching on the same stream
                self.state = "watching"
            self.list_items_last = int(d.get("items") or 0)
            self.list_items_total += self.list_items_last
            self.list_duration_last = float(d.get("duration") or 0.0)
            self.list_duration_total += self.list_duration_last
            self._synced_at(rv)
            self.current_backoff = 0.0
        elif typ == "Relist":  # the reflector announces its initial list as a Relist too
            if str(d.get("reason") or "") != "initial":
                self.relists += 1
                self.last_relist_reason = str(d.get("reason") or "")
        elif typ == "WatchStarted":
            self.watches_started += 1
            self.current_backoff = 0.0
            self._streaming = d.get("reason") == "watch-list"
            self.state = "listing" if self._streaming else "watching"
        elif typ == "WatchEnded":
            reason = str(d.get("reason") or "closed")
            self.watches_ended[reason] = self.watches_ended.get(reason, 0) + 1
            if reason == "stopped":
                self.state = "stopped"
        elif typ == "Bookmark":
            self.bookmarks += 1
            self.events["BOOKMARK"] = self.events.get("BOOKMARK", 0) + 1
            self.last_event_time = t
            self._synced_at(rv)
        elif typ == "Expired":
            self.expired += 1
            if d.get("reason") == "list":
                self.unavailable = True
        elif typ == "Error":
            why = str(d.get("reason") or "error")
            self.errors[why] = self.errors.get(why, 0) + 1
            self.last_error = str(d.get("error") or why)
        elif typ == "Backoff":
            self.state, self.current_backoff = "backing-off", float(d.get("delay") or 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("context", "resource") and not k.startswith("_")}


class StatsFold:
    """``ReplayStats`` of every informer of a recording, folded from ``records[:index]``."""

    def __init__(self, records: Sequence[dict[str, Any]]) -> None:
        self.records = records
        self.stats: dict[Key, ReplayStats] = {}
        self.index = 0
        self._keys: dict[Key, set[str]] = {}

    def reset(self) -> None:
        self.stats, self._keys, self.index = {}, {}, 0

    def advance(self, index: int) -> None:
        """Fold the records up to ``index`` (going back folds again from the start)."""
        if index < self.index:
            self.reset()
        records = self.records
        for i in range(self.index, index):
            self._fold(records[i])
        self.index = max(self.index, index)

    def _fold(self, rec: dict[str, Any]) -> None:
        c, res = rec.get("context"), rec.get("resource")
        if not c:
            return
        if not res:  # a context-wide session event: every informer of the context
            if rec.get("kind") == "session":
                for (ctx, _r), st in self.stats.items():
                    if ctx == c:
                        st.fold(rec, st.store_size)
            return
        k = (c, res)
        st = self.stats.get(k)
        if st is None or (st.state == "stopped" and rec.get("type") in ("Relist", "ListStarted")):
            st = self.stats[k] = ReplayStats(c, res)  # a new informer for the resource
            self._keys[k] = set()
        size = st.store_size
        if rec.get("kind") == "delta":
            keys = self._keys[k]
            (keys.discard if rec.get("type") == "Deleted" else keys.add)(rec.get("key"))
            size = len(keys)
        st.fold(rec, size)

    def sample(self) -> dict[Key, dict[str, Any]]:
        """What the charts sample from each informer's stats, now."""
        return {k: {n: getattr(st, n) for n in SAMPLED} for k, st in self.stats.items()}
