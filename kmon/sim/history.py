"""etcd's history behind the store: every write's event in revision order, and compaction.

Why this module exists: a list at an exact past revision and a continue token are served
from storage while etcd still has that revision; once compacted they get 410 Expired. The
``Store`` appends each write's ``Event`` here; ``History`` keeps them in revision order,
discards them up to a revision on ``compact`` (and on its own beyond ``limit`` events, as
the apiserver's periodic compaction does), hands out the events after a revision, and
rewinds a resource's current objects to a past revision (the last one asked is cached: a
paged list asks for the same revision page after page). Not thread-safe: the store's lock
guards it.
"""

from __future__ import annotations

import bisect

from kmon.sim.entries import Entry, Event, Key, rewind
from kmon.sim.errors import EXPIRED_LIST, expired

__all__ = ["History"]


class History:
    """Events in revision order, from ``compacted`` (exclusive) on."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = max(1, int(limit))  # events kept; beyond (plus some slack) the oldest go
        self._events: list[Event] = []
        self._revs: list[int] = []
        self._compacted = 0
        self._snapshots: dict[str, tuple[int, dict[Key, Entry], list[Key]]] = {}  # resource -> (revision, state)

    @property
    def compacted(self) -> int:
        """History at and below it is gone (410)."""
        return self._compacted

    def append(self, ev: Event) -> None:
        self._events.append(ev)
        self._revs.append(ev.rev)
        if len(self._events) > self.limit + max(1000, self.limit // 8):
            self._discard(len(self._events) - self.limit)

    def compact(self, revision: int) -> int:
        """Discard the events up to ``revision``; returns the compacted revision."""
        if revision > self._compacted:
            self._discard(bisect.bisect_right(self._revs, revision))
            self._compacted = revision
        return self._compacted

    def _discard(self, n: int) -> None:
        if n:
            self._compacted = max(self._compacted, self._revs[n - 1])
            del self._events[:n], self._revs[:n]
        self._snapshots.clear()

    def after(self, revision: int) -> list[Event]:
        """The events with a revision above ``revision``; 410 Expired when compaction took
        some of them."""
        if revision < self._compacted:
            raise expired(f"too old resource version: {revision} ({self._compacted})")
        return self._events[bisect.bisect_right(self._revs, revision):]

    def state_at(self, rkey: str, items: dict[Key, Entry], at: int) -> tuple[dict[Key, Entry], list[Key]]:
        """Resource ``rkey``'s objects at revision ``at`` (older than the current one), from
        ``items``, its objects now; and their sorted keys. 410 Expired below ``compacted``."""
        if at < self._compacted:
            raise expired(EXPIRED_LIST)
        c = self._snapshots.get(rkey)
        if c is not None and c[0] == at:
            return c[1], c[2]
        i = bisect.bisect_right(self._revs, at)
        state, keys = rewind(items, (ev for ev in self._events[i:] if ev.rkey == rkey))
        self._snapshots[rkey] = (at, state, keys)
        return state, keys
