"""A recorded informer's stats at any moment, folded from its records as live counts them.

Why this module exists: a replay must show the numbers the live app showed at the same
moment — the inspector's state and "Synced rv", the resourceVersion chart, the cache size —
but a recording holds only what the informers emitted (deltas, reflector events, session
events), not their counters. ``ReplayStats`` is an ``InformerCounts``
(``kmon.monitor.informer_counts``, the one fold of an informer's reports into the counters
``InformerStats`` names, where the rules are) fed from records, plus what a recording
says otherwise: ``store_size``, the keys the deltas left in the cache (a recording has no
queue: ``queue_depth`` is 0), and the session's word — stopped at a session's "stopped"
(the whole context when it names no resource), failed at its "failed" for the resource. A
list after a stop is a new informer: its counters start again.

``StatsFold`` folds a recording's records in file order up to an index (forward only);
``sample()`` gives what the charts' stats sampling takes from ``InformerStats`` and a
recording can reproduce (not the queue, the processing latency or the store's version:
those series stay empty in a replay).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, Sequence

from kmon.cache.stats import InformerStats
from kmon.monitor.informer_counts import InformerCounts

__all__ = ["ReplayStats", "StatsFold", "SAMPLED"]

Key = tuple[str, str]
# what SeriesBook.sample takes from a recording: the queue's items, the processing latency and
# the store's version were not recorded, so the charts leave them empty (not 0)
SAMPLED = ("store_size", "last_synced_version")
_FIELDS = tuple(f.name for f in fields(InformerStats))


class ReplayStats(InformerCounts):
    """``InformerStats``-like counters of one recorded informer (see the module doc)."""

    def __init__(self, context: str, resource: str) -> None:
        super().__init__()
        self.context, self.resource = context, resource
        self.name = f"{context}/{resource}"
        self.queue_depth = 0
        self.store_size = 0
        self.handler_errors = 0
        self.listener_errors = 0
        self.handler_backlog: dict[str, int] = {}
        # the path it ran: what the recording's header says (kmon.monitor.path_text)
        self.queue = ""
        self.initial_sync = ""
        self.features: Any = None
        self.store_resource_version = ""  # not recorded
        self.processing_latency = None  # not recorded

    def fold(self, rec: dict[str, Any], store_size: int) -> None:
        kind, typ, t = rec.get("kind"), rec.get("type"), rec.get("time")
        rv = str(rec.get("resource_version") or "")
        if kind == "delta":
            self.store_size = store_size
            self.delta(str(typ), rv, t, initial=bool(rec.get("initial")),
                       final_state_unknown=bool(rec.get("final_state_unknown")))
        elif kind == "session":
            if typ == "stopped":
                self.stopped()
            elif typ == "failed" and rec.get("resource"):
                self.failed()
        elif kind == "reflector":
            self.reflector(str(typ), rv, rec.get("detail") or {}, t)

    def as_dict(self) -> dict[str, Any]:
        """The fields of an ``InformerStats``, by name."""
        return {k: getattr(self, k) for k in _FIELDS}


class StatsFold:
    """``ReplayStats`` of every informer of a recording, folded from ``records[:index]``;
    ``paths``: each informer's (queue, FeatureGates) as the header says
    (``recording_format.informer_paths``)."""

    def __init__(self, records: Sequence[dict[str, Any]],
                 paths: Mapping[Key, tuple[str, Any]] | None = None) -> None:
        self.records = records
        self.paths = paths or {}
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
            if k in self.paths:
                st.queue, st.features = self.paths[k]
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
