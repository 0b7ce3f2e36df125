"""DeltaFIFO: the queue between the reflector and the informer (client-go ``DeltaFIFO``).

Each key holds the ordered deltas that happened to its object since it was last popped; the
queue holds each key once, in the order it first became non-empty. Popping hands over all of
a key's deltas at once, oldest first, so a consumer sees an object's whole history in order
and never the same key twice concurrently.

``known_objects`` (the informer's indexer) tells ``delete``/``replace``/``resync`` what the
consumer already holds. ``pop(process)`` and ``pop_batch(process)`` (up to ``max_keys`` keys,
each handed over exactly as ``pop`` would) run ``process`` under the queue lock, so the
consumer's store stays consistent with what the queue assumes; the key function and the
transform also run under it, as objects are queued, and ``before_replace`` outside it.
``queue_watch_events`` queues a run of watch events under one lock acquisition with at most
one wake-up (``watch_sink.StoreSink`` uses it).

Metrics (``informer_metrics``): ``len()`` is ``informer_queued_items`` (the keys with pending
deltas); ``latency``, when given, observes each pop's ``process`` call (one per ``pop_batch``).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

from kmon.cache.deltas import BookmarkInfo, Delta, DeltaType, FIFOClosedError, KeyListerGetter
from kmon.cache.deltas import ReplacedAllInfo, SyncAllInfo
from kmon.cache.informer_metrics import LatencyHistogram
from kmon.cache.keys import DeletedFinalStateUnknown, KeyFunc, meta_namespace_key
from kmon.cache.queue_wait import BlockingQueue

__all__ = [
    "BookmarkInfo", "DeltaType", "Delta", "DeletedFinalStateUnknown", "DeltaFIFO", "FIFOClosedError",
    "KeyListerGetter", "ReplacedAllInfo", "SyncAllInfo",
]


_ADDED = DeltaType.Added
_UPDATED = DeltaType.Updated
_DELETED = DeltaType.Deleted
_REPLACED = DeltaType.Replaced
_SYNC = DeltaType.Sync

# Delta(type, obj) without the Python-level __new__ of a NamedTuple (the hot paths)
_tuple_new = tuple.__new__


class DeltaFIFO(BlockingQueue):
    def __init__(
        self,
        key_func: KeyFunc = meta_namespace_key,
        known_objects: KeyListerGetter | None = None,
        emit_delta_type_replaced: bool = True,
        *,
        transformer: Callable[[Any], Any] | None = None,
        before_replace: Callable[[], Any] | None = None,
        latency: LatencyHistogram | None = None,
    ) -> None:
        self._key_func = key_func
        self._known = known_objects
        self._replace_type = _REPLACED if emit_delta_type_replaced else _SYNC
        # Applied to every object as it is queued; tombstones pass through untouched (their
        # inner object was transformed when it first came through).
        self._transformer = transformer
        # called (outside the lock, on the producer's thread) as ``replace`` starts: the
        # informer takes its GC pause for the initial list there, with no gap after the
        # reflector's own pause around list + replace
        self._before_replace = before_replace
        self.latency = latency
        super().__init__()
        # guarded by _lock (BlockingQueue's)
        self._items: dict[str, list[Delta]] = {}
        self._queue: deque[str] = deque()
        self._populated = False
        self._initial_population_count = 0

    # -- keys ---------------------------------------------------------------------------------
    def key_of(self, obj: Any) -> str:
        if obj.__class__ is DeletedFinalStateUnknown:
            return obj.key
        if isinstance(obj, list) and obj and isinstance(obj[-1], Delta):
            return self.key_of(obj[-1].object)
        return self._key_func(obj)

    # -- producers ------------------------------------------------------------------------------
    def add(self, obj: Any) -> None:
        with self._lock:
            self._populated = True
            self._queue_action_locked(_ADDED, obj)

    def update(self, obj: Any) -> None:
        # the watch hot path: _queue_action_locked inlined for the common shapes
        if self._transformer is not None or obj.__class__ is DeletedFinalStateUnknown:
            with self._lock:
                self._populated = True
                self._queue_action_locked(_UPDATED, obj)
            return
        key = self._key_func(obj)
        with self._lock:
            self._populated = True
            deltas = self._items.get(key)
            if deltas is not None:
                deltas.append(Delta(_UPDATED, obj))
                return
            self._items[key] = [Delta(_UPDATED, obj)]
            self._queue.append(key)
            if self._waiters:
                self._cond.notify()

    def queue_watch_events(self, events: list[tuple[str, Any]]) -> list[tuple[int, Exception]]:
        """Queue a batch of watch events, ``(type, obj)`` with type ``"ADDED"``,
        ``"MODIFIED"`` or ``"DELETED"``, exactly as ``add``/``update``/``delete`` would one
        after the other, under one lock acquisition and with at most one wake-up of a waiting
        ``pop``. A failing item (its key or transform raised) is skipped and reported as
        ``(index, exception)``; the others are queued."""
        errors: list[tuple[int, Exception]] = []
        key_func = self._key_func
        transformer = self._transformer
        known = self._known
        items = self._items
        queue = self._queue
        with self._lock:
            self._populated = True
            for i, (etype, obj) in enumerate(events):
                try:
                    tomb = obj.__class__ is DeletedFinalStateUnknown
                    key = obj.key if tomb else key_func(obj)
                    if etype == "DELETED":
                        if key not in items:
                            if known is None:
                                continue
                            _, exists = known.get_by_key(key)
                            if not exists:
                                continue
                        self._queue_action_locked(_DELETED, obj, key)
                        continue
                    action = _UPDATED if etype == "MODIFIED" else _ADDED
                    if transformer is not None and not tomb:
                        obj = transformer(obj)
                    deltas = items.get(key)
                    if deltas is None:
                        items[key] = [_tuple_new(Delta, (action, obj))]
                        queue.append(key)
                    else:
                        deltas.append(_tuple_new(Delta, (action, obj)))
                except Exception as err:  # noqa: BLE001 - reported per item, like the single calls
                    errors.append((i, err))
            if queue and self._waiters:
                self._cond.notify()
        return errors

    def delete(self, obj: Any) -> None:
        """Queue a ``Deleted`` delta, unless the key is neither queued nor known (it was
        presumably deleted by a relist already: do not report it twice)."""
        key = self.key_of(obj)
        with self._lock:
            self._populated = True
            if key not in self._items:
                if self._known is None:
                    return
                _, exists = self._known.get_by_key(key)
                if not exists:
                    return
            self._queue_action_locked(_DELETED, obj, key)

    def _queue_action_locked(self, action: DeltaType, obj: Any, key: str | None = None) -> None:
        if key is None:
            key = obj.key if obj.__class__ is DeletedFinalStateUnknown else self._key_func(obj)
        if self._transformer is not None and obj.__class__ is not DeletedFinalStateUnknown:
            obj = self._transformer(obj)
        deltas = self._items.get(key)
        if deltas is None:
            self._items[key] = [Delta(action, obj)]
            self._queue.append(key)
            if self._waiters:
                self._cond.notify()
            return
        if action is _DELETED and deltas[-1].type is _DELETED:
            # two deletions in a row: keep the more informative one (the older, unless the
            # older is the tombstone)
            if deltas[-1].object.__class__ is DeletedFinalStateUnknown:
                deltas[-1] = Delta(action, obj)
            return
        deltas.append(Delta(action, obj))

    def replace(self, items: list[Any], resource_version: str = "") -> None:
        """Queue ``Replaced`` (or ``Sync``) for every item, then a ``Deleted`` tombstone for
        every queued or known key the list no longer has."""
        if self._before_replace is not None:
            self._before_replace()
        action = self._replace_type
        key_func = self._key_func
        with self._lock:
            keys = set()
            for item in items:
                key = item.key if item.__class__ is DeletedFinalStateUnknown else key_func(item)
                keys.add(key)
                self._queue_action_locked(action, item, key)
            queued_deletions = 0
            for key, deltas in list(self._items.items()):
                if key in keys:
                    continue
                last = deltas[-1].object if deltas else None
                if last.__class__ is DeletedFinalStateUnknown:
                    last = last.obj
                queued_deletions += 1
                self._queue_action_locked(_DELETED, DeletedFinalStateUnknown(key, last), key)
            if self._known is not None:
                for key in self._known.list_keys():
                    if key in keys or self._items.get(key):
                        continue
                    obj, exists = self._known.get_by_key(key)
                    queued_deletions += 1
                    self._queue_action_locked(
                        _DELETED, DeletedFinalStateUnknown(key, obj if exists else None), key
                    )
            if not self._populated:
                self._populated = True
                self._initial_population_count = len(keys) + queued_deletions

    def resync(self) -> None:
        """Queue ``Sync`` for every known object whose key has nothing pending."""
        if self._known is None:
            return
        with self._lock:
            for key in self._known.list_keys():
                if self._items.get(key):
                    continue
                obj, exists = self._known.get_by_key(key)
                if not exists:
                    continue
                self._queue_action_locked(_SYNC, obj, key)

    # -- consumer -------------------------------------------------------------------------------
    def pop(self, process: Callable[[list[Delta], bool], Any], timeout: float | None = None) -> Any:
        """Wait for a key, remove it with all its deltas and return ``process(deltas,
        is_in_initial_list)``, called under the queue lock. ``None`` without calling
        ``process`` if ``timeout`` passes first; ``FIFOClosedError`` once closed and empty.
        An exception from ``process`` propagates; the deltas are not requeued."""
        with self._lock:
            if not self._queue and not self._wait_locked(self._queue, timeout):
                return None
            is_in_initial_list = not (self._populated and self._initial_population_count == 0)
            key = self._queue.popleft()
            if self._initial_population_count > 0:
                self._initial_population_count -= 1
            deltas = self._items.pop(key)
            latency = self.latency
            return process(deltas, is_in_initial_list) if latency is None else latency.timed(
                process, deltas, is_in_initial_list)

    def pop_batch(
        self,
        process: Callable[[list[tuple[str, list[Delta], bool]]], Any],
        max_keys: int = 256,
        timeout: float | None = None,
    ) -> Any:
        """Like ``pop``, for up to ``max_keys`` keys at once: wait for a key, remove the
        first ``max_keys`` queued keys with their deltas (each counted as one pop) and return
        ``process(batch)`` with ``batch`` a list of ``(key, deltas, is_in_initial_list)`` in
        queue order, called under the queue lock (client-go pops one key per ``Pop``; each
        key here gets exactly what ``pop`` would have given it). ``None`` without calling
        ``process`` if ``timeout`` passes first; ``FIFOClosedError`` once closed and empty.
        Keys are removed before ``process`` runs and not requeued if it raises: a consumer
        that must not lose the rest of a batch handles its errors per key."""
        with self._lock:
            if not self._queue and not self._wait_locked(self._queue, timeout):
                return None
            queue = self._queue
            items = self._items
            popleft = queue.popleft
            n = min(max_keys, len(queue))
            batch = []
            append = batch.append
            count = self._initial_population_count
            if count == 0 and self._populated:
                for _ in range(n):
                    key = popleft()
                    append((key, items.pop(key), False))
            else:
                populated = self._populated
                for _ in range(n):
                    key = popleft()
                    append((key, items.pop(key), not (populated and count == 0)))
                    if count > 0:
                        count -= 1
                self._initial_population_count = count
            latency = self.latency
            return process(batch) if latency is None else latency.timed(process, batch)

    # -- reads ----------------------------------------------------------------------------------
    def has_synced(self) -> bool:
        """True once the first ``replace`` (or any add/update/delete before it) happened and
        everything that first ``replace`` queued has been popped."""
        with self._lock:
            return self._populated and self._initial_population_count == 0

    def list_keys(self) -> list[str]:
        with self._lock:
            return list(self._queue)

    def list(self) -> list[Any]:
        """The newest object of every queued key."""
        with self._lock:
            return [d[-1].object for d in self._items.values()]

    def get_by_key(self, key: str) -> tuple[list[Delta], bool]:
        """A copy of the deltas queued for ``key``."""
        with self._lock:
            deltas = self._items.get(key)
            return (list(deltas), True) if deltas is not None else ([], False)

    def get(self, obj: Any) -> tuple[list[Delta], bool]:
        return self.get_by_key(self.key_of(obj))

    def __len__(self) -> int:
        return len(self._queue)
