"""The store side of a reflector: the Protocols it asks of a store (``ObjectStore``,
``ReflectorStore``, ``WatchEventQueue``) and ``StoreSink``, the reflector's ``WatchSink``,
applying watch events to a store.

A run of object events goes to the store in one ``queue_watch_events`` call when the store
offers it (``WatchEventQueue``: ``DeltaFIFO`` does, with one lock acquisition and one wake-up
of its consumer per run), else (and for a run of one) event by event through
``add``/``update``/``delete``. An item the store rejects is counted and logged, and the others
are applied. The sink counts events by type into the reflector's ``Counters`` and reports each
new resource version through ``on_version`` (the reflector's, while watching; none while a
WatchList collects its initial events, whose version only counts once the store was
replaced) and each bookmark through ``on_bookmark``; a store that takes bookmarks
(``BookmarkStore``: client-go 1.36's queue) also gets each bookmark's version.

``hold_version``: the watch started at ``""`` or ``"0"``, so it begins with synthetic ADDED
events in no version order; no version is reported until the first event that is not ADDED
(MODIFIED, DELETED or BOOKMARK) -- from then on each run's (client-go 1.36's reflector).
"""

from __future__ import annotations

import logging
from operator import itemgetter
from typing import Any, Callable, Protocol, runtime_checkable

from kmon.cache.reasons import classify_error
from kmon.cache.stats import Counters

log = logging.getLogger("kmon.cache.reflector")

_type_of = itemgetter(0)


class ObjectStore(Protocol):
    """What a watch changes in a store."""

    def add(self, obj: Any) -> Any: ...

    def update(self, obj: Any) -> Any: ...

    def delete(self, obj: Any) -> Any: ...


class ReflectorStore(ObjectStore, Protocol):
    """The store a reflector keeps in step (the informer passes its DeltaFIFO; one that is
    also a ``WatchEventQueue`` gets each run of watch events in one call)."""

    def replace(self, items: list[Any], resource_version: str) -> Any: ...

    def resync(self) -> Any: ...


@runtime_checkable
class BookmarkStore(Protocol):
    """A store that wants the version of every watch bookmark (``RealFIFO.bookmark``)."""

    def bookmark(self, resource_version: str) -> Any: ...


@runtime_checkable
class WatchEventQueue(Protocol):
    """A store that takes a run of watch events at once (``DeltaFIFO.queue_watch_events``):
    ``(type, object)`` pairs queued as the single calls would be, failing items reported as
    ``(index, exception)``."""

    def queue_watch_events(self, events: list[tuple[str, Any]]) -> list[tuple[int, Exception]]: ...


class StoreSink:
    """A ``WatchSink`` into ``store`` (see the module doc)."""

    __slots__ = ("_ops", "_queue", "_bookmark", "_counters", "_now", "_name", "_on_version", "_on_bookmark",
                 "_hold")

    def __init__(
        self,
        store: ObjectStore,
        counters: Counters,
        now: Callable[[], float],
        name: str,
        *,
        on_version: Callable[[str], None] | None,
        on_bookmark: Callable[[bool], None],
        hold_version: bool = False,
    ) -> None:
        self._ops = {"ADDED": store.add, "MODIFIED": store.update, "DELETED": store.delete}
        self._queue = store.queue_watch_events if isinstance(store, WatchEventQueue) else None
        self._bookmark = store.bookmark if isinstance(store, BookmarkStore) else None
        self._hold = hold_version
        self._counters = counters
        self._now = now
        self._name = name
        self._on_version = on_version
        self._on_bookmark = on_bookmark

    def apply(self, run: list[tuple[str, Any]], resource_version: str) -> None:
        c = self._counters
        if len(run) == 1:  # (a plain watch's every event: the store's own call is cheaper)
            etype, obj = run[0]
            try:
                self._ops[etype](obj)
            except Exception as err:
                self._failed(etype, err)
            if etype == "MODIFIED":
                c.modified += 1
            elif etype == "ADDED":
                c.added += 1
            else:
                c.deleted += 1
        else:
            self._apply_run(run)
        if self._hold and any(etype != "ADDED" for etype, _obj in run):
            self._hold = False
        if self._on_version is not None and not self._hold:
            self._on_version(resource_version)
        c.last_event_time = self._now()

    def _apply_run(self, run: list[tuple[str, Any]]) -> None:
        c = self._counters
        if self._queue is not None:
            try:
                errors = self._queue(run)
            except Exception as err:  # the whole call failed: nothing per item to report
                errors = [(i, err) for i in range(len(run))]
        else:
            errors = []
            ops = self._ops
            for i, (etype, obj) in enumerate(run):
                try:
                    ops[etype](obj)
                except Exception as err:
                    errors.append((i, err))
        types = list(map(_type_of, run))  # (counted in C: this is the hot path)
        added = types.count("ADDED")
        modified = types.count("MODIFIED")
        c.added += added
        c.modified += modified
        c.deleted += len(run) - added - modified
        for i, err in errors:
            self._failed(run[i][0], err)

    def _failed(self, etype: str, err: Exception) -> None:
        self._counters.count_error(classify_error(err), f"store error: {err}")
        log.error("%s: unable to apply %s event to the store: %s", self._name, etype, err)

    def bookmark(self, resource_version: str, initial_events_end: bool) -> None:
        c = self._counters
        c.bookmarks += 1
        if self._bookmark is not None:
            try:
                self._bookmark(resource_version)
            except Exception as err:
                self._failed("BOOKMARK", err)
        self._hold = False  # past any synthetic ADDED events
        if self._on_version is not None:
            self._on_version(resource_version)  # before the event, which reports the new version
        self._on_bookmark(initial_events_end)
        c.last_event_time = self._now()
