"""The watch cache: kube-apiserver's cacher in front of the store, one window per resource.

Why this module exists: a real API server serves watches, ``resourceVersion="0"`` lists,
consistent lists and (in 1.36) continue tokens and Exact lists from its watch cache, not from
etcd. The cache keeps each resource's recent events in a window of its own -- at least the
last ``min_events`` (the cacher's lower bound, 100) and every event of the last ``window``
seconds (75 s) up to ``max_events`` -- independent of etcd's compaction. So a compaction of
storage alone changes nothing a watch sees; a 410 comes only for a version older than the
cache holds, or after a restart, when the cache starts empty at the current revision.

Each resource also has its cache version: the revision of its last event, moved to the
store's revision by a consistent read (etcd's progress notification) and every
``progress_interval`` seconds (etcd's periodic progress notify). Bookmarks carry it, and are
sent only once it passed the watch's version -- a quiet resource's watch gets none.

All state is guarded by the store's lock (events arrive through ``Store.listeners`` under it).
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from operator import attrgetter
from typing import Callable

from kmon.sim import resources as R
from kmon.sim.entries import Entry, Event, Key, rewind
from kmon.sim.errors import StoreError, too_old
from kmon.sim.storage import Store

_REV = attrgetter("rev")


class _Window:
    """One resource's events (oldest first from ``start``) and versions."""

    __slots__ = ("events", "times", "start", "floor", "rv", "dropped", "progress_at", "snap")

    def __init__(self, rev: int, now: float) -> None:
        self.events: list[Event] = []
        self.times: list[float] = []
        self.start = 0
        self.floor = rev  # a watch from below it is too old: every event newer than it is kept
        self.rv = rev  # the cache version of this resource
        self.dropped = rev  # the newest event dropped from the window (open watches behind it missed it)
        self.progress_at = now
        self.snap: tuple[int, dict[Key, Entry], list[Key]] | None = None

    def clear(self, rev: int) -> None:
        """Forget every event: the oldest servable version (and the cache version) is ``rev``."""
        if len(self.events) > self.start:
            self.dropped = max(self.dropped, self.events[-1].rev)
        self.events, self.times, self.start = [], [], 0
        self.floor = rev
        self.rv = max(self.rv, rev)
        self.snap = None

    def after(self, rev: int) -> list[Event]:
        i = bisect.bisect_right(self.events, rev, lo=self.start, key=_REV)
        return self.events[i:]


@dataclass(frozen=True)
class WatchCacheOptions:
    """What each resource's window keeps: every event of the last ``window`` seconds, at
    least ``min_events`` and at most ``max_events`` (kube-apiserver: 75 s, 100, 102400);
    ``progress_interval``: seconds between etcd's progress notifications (etcd's default 10
    minutes; 0 = only on consistent reads)."""

    window: float = 75.0
    min_events: int = 100
    max_events: int = 100 * 1024
    progress_interval: float = 600.0


class WatchCache:
    """The cacher of every resource (see the module docstring)."""

    def __init__(self, store: Store, options: WatchCacheOptions = WatchCacheOptions(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self.window = float(options.window)
        self.min_events = max(1, int(options.min_events))
        self.max_events = max(self.min_events, int(options.max_events))
        self.progress_interval = float(options.progress_interval)
        self._clock = clock
        now = clock()
        self._w = {r.key: _Window(store.revision, now) for r in R.CATALOGUE}
        store.listeners.append(self._record)

    # ---------------------------------------------------------------- recording
    def _record(self, ev: Event) -> None:
        """A store write (called under the store's lock)."""
        w = self._w[ev.rkey]
        now = self._clock()
        w.events.append(ev)
        w.times.append(now)
        w.rv = ev.rev
        s, n = w.start, len(w.events)
        while n - s > self.max_events or (n - s > self.min_events and now - w.times[s] > self.window):
            s += 1
        if s != w.start:
            w.dropped = w.events[s - 1].rev
            w.floor = max(w.floor, w.events[s].rev - 1)  # the cacher: oldest event's version - 1
            w.start = s
            w.snap = None if w.snap is not None and w.snap[0] < w.floor else w.snap
            if s > 4096 and 2 * s > n:
                del w.events[:s], w.times[:s]
                w.start = 0

    # ---------------------------------------------------------------- versions
    def version(self, res: R.Resource) -> int:
        """The resource's cache version (a periodic progress notification may move it)."""
        w = self._w[res.key]
        if self.progress_interval > 0 and self._clock() - w.progress_at >= self.progress_interval:
            self._progress(w)
        return w.rv

    def sync(self, res: R.Resource) -> int:
        """A consistent read: etcd's progress notification brings the resource's cache
        version to the store's revision. Returns it."""
        return self._progress(self._w[res.key])

    def _progress(self, w: _Window) -> int:
        with self._store.lock:
            w.rv = max(w.rv, self._store.revision)
            w.progress_at = self._clock()
            return w.rv

    def oldest(self, res: R.Resource) -> int:
        """The oldest version a watch may start from (older ones are too old: 410)."""
        return self._w[res.key].floor

    # ---------------------------------------------------------------- reading
    def check_watch_from(self, res: R.Resource, rev: int) -> StoreError | None:
        """The 410 a watch from ``rev`` gets when the window no longer reaches back to it."""
        floor = self._w[res.key].floor
        return too_old(rev, floor) if rev < floor else None

    def events_after(self, res: R.Resource, rev: int) -> tuple[list[Event], int, bool]:
        """``(events after rev, cache version, missed)``: ``missed`` when events newer than
        ``rev`` were dropped from the window (a watch that fell that far behind is ended)."""
        with self._store.lock:
            w = self._w[res.key]
            return w.after(rev), w.rv, rev < w.dropped

    def serves(self, res: R.Resource, at: int) -> bool:
        """Whether the window reaches back to revision ``at`` (a snapshot list from cache)."""
        return at >= self._w[res.key].floor

    def state_at(self, res: R.Resource, at: int) -> tuple[dict[Key, Entry], list[Key]]:
        """The resource's objects at ``at`` (``serves(res, at)`` must hold; under the lock)."""
        w = self._w[res.key]
        items, keys = self._store.current(res)
        if at >= w.rv:
            return items, keys
        if w.snap is not None and w.snap[0] == at:
            return w.snap[1], w.snap[2]
        got, keys = rewind(items, w.after(at))
        w.snap = (at, got, keys)
        return got, keys

    # ---------------------------------------------------------------- faults and restarts
    def expire(self, res: R.Resource | None = None) -> int:
        """Drop the history of one resource (default: all), as a burst of writes pushes it
        out: a watch from before the current revision gets 410. Open watches that kept up
        are not affected. Returns the oldest version still servable."""
        with self._store.lock:
            rev = self._store.revision
            for key in ([res.key] if res is not None else list(self._w)):
                self._w[key].clear(rev)
            return rev

    def reinitialize(self) -> int:
        """A restarted server's cache: empty at the current revision (every resource's
        version is it; any older version is too old). Returns it."""
        with self._store.lock:
            rev, now = self._store.revision, self._clock()
            self._w = {k: _Window(rev, now) for k in self._w}
            return rev
