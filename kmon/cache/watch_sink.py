"""The store side of a reflector: the Protocols it asks of a store (``ObjectStore``,
``ReflectorStore``, ``WatchEventQueue``) and ``StoreSink``, the reflector's ``WatchSink``,
applying watch events to a store.

A run of object events goes to the store in one ``queue_watch_events`` call when the store
offers it (``WatchEventQueue``: ``DeltaFIFO`` does, with one lock acquisition and one wake-up
of its consumer per run), else event by event through ``add``/``update``/``delete``. An item
the store rejects is counted and logged, and the others are applied. The sink counts events
by type into the reflector's ``Counters`` and reports each new resource version through
``on_version`` (the reflector's, while watching; none while a WatchList collects its initial
events, whose version only counts once the store was replaced) and each bookmark through
``on_bookmark``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Protocol, runtime_checkable

from kmon.cache.reasons import classify_error
from kmon.cache.stats import Counters

log = logging.getLogger("kmon.cache.reflector")


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
class WatchEventQueue(Protocol):
    """A store that takes a run of watch events at once (``DeltaFIFO.queue_watch_events``):
    ``(type, object)`` pairs queued as the single calls would be, failing items reported as
    ``(index, exception)``."""

    def queue_watch_events(self, events: list[tuple[str, Any]]) -> list[tuple[int, Exception]]: ...


def _one_by_one(store: ObjectStore) -> Callable[[list[tuple[str, Any]]], list[tuple[int, Exception]]]:
    ops = {"ADDED": store.add, "MODIFIED": store.update, "DELETED": store.delete}

    def queue(run: list[tuple[str, Any]]) -> list[tuple[int, Exception]]:
        errors = []
        for i, (etype, obj) in enumerate(run):
            try:
                ops[etype](obj)
            except Exception as err:
                errors.append((i, err))
        return errors

    return queue


class StoreSink:
    """A ``WatchSink`` into ``store`` (see the module doc)."""

    __slots__ = ("_queue", "_counters", "_now", "_name", "_on_version", "_on_bookmark")

    def __init__(
        self,
        store: ObjectStore,
        counters: Counters,
        now: Callable[[], float],
        name: str,
        *,
        on_version: Callable[[str], None] | None,
        on_bookmark: Callable[[bool], None],
    ) -> None:
        self._queue = store.queue_watch_events if isinstance(store, WatchEventQueue) else _one_by_one(store)
        self._counters = counters
        self._now = now
        self._name = name
        self._on_version = on_version
        self._on_bookmark = on_bookmark

    def apply(self, run: list[tuple[str, Any]], resource_version: str) -> None:
        c = self._counters
        try:
            errors = self._queue(run)
        except Exception as err:  # the whole call failed: nothing per item to report
            errors = [(i, err) for i in range(len(run))]
        added = modified = 0
        for etype, _ in run:
            if etype == "MODIFIED":
                modified += 1
            elif etype == "ADDED":
                added += 1
        c.added += added
        c.modified += modified
        c.deleted += len(run) - added - modified
        for i, err in errors:
            c.count_error(classify_error(err), f"store error: {err}")
            log.error("%s: unable to apply %s event to the store: %s", self._name, run[i][0], err)
        if self._on_version is not None:
            self._on_version(resource_version)
        c.last_event_time = self._now()

    def bookmark(self, resource_version: str, initial_events_end: bool) -> None:
        c = self._counters
        c.bookmarks += 1
        if self._on_version is not None:
            self._on_version(resource_version)  # before the event, which reports the new version
        self._on_bookmark(initial_events_end)
        c.last_event_time = self._now()
