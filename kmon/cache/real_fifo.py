"""RealFIFO: the in-order queue of client-go 1.33 and later (``the_real_fifo.go``).

One flat queue of deltas in arrival order: nothing is merged per key, every ``add`` /
``update`` / ``delete`` is its own delta and ``delete`` is never ignored. A pop hands over
exactly one delta (as a one-element list); ``pop_batch`` hands over a run of deltas of
distinct keys.

Two modes (client-go's ``AtomicEvents``):

- not atomic (``known_objects`` required): ``replace`` queues a ``Deleted`` tombstone for
  every queued or known key the list lacks, then one ``Replaced`` per listed object;
  ``resync`` a ``Sync`` per known key with nothing queued;
- atomic (``known_objects`` forbidden: the queue never reads the consumer's store, so it may
  stay writable while a pop is processed, ``unlock_while_processing``): ``replace`` is one
  ``ReplacedAll`` delta, ``resync`` one ``SyncAll``, and, with ``emit_bookmarks``,
  ``bookmark(rv)`` a ``Bookmark`` delta. The consumer works out what they mean against its
  store (``kmon.cache.in_order_apply``).

Synced: the first ``replace`` (or any add/update/delete before one) marks the queue
populated and remembers how many deltas were queued then; ``has_synced()`` once that many
have been popped and processed (an add/update/delete first: at once). A pop's
``is_in_initial_list`` is "not yet synced".
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from typing import Any, Callable

from kmon.cache.deltas import BookmarkInfo, Delta, DeltaType, KeyListerGetter, ReplacedAllInfo, SyncAllInfo
from kmon.cache.informer_metrics import LatencyHistogram
from kmon.cache.keys import DeletedFinalStateUnknown, KeyFunc, meta_namespace_key
from kmon.cache.queue_wait import BlockingQueue

__all__ = ["DEFAULT_BATCH_SIZE", "RealFIFO"]

DEFAULT_BATCH_SIZE = 1000  # client-go's defaultBatchSize

_ADDED = DeltaType.Added
_UPDATED = DeltaType.Updated
_DELETED = DeltaType.Deleted
_REPLACED = DeltaType.Replaced
_SYNC = DeltaType.Sync
# what pop_batch may put in one batch; any other type at the head is popped alone
_BATCHABLE = frozenset((_ADDED, _UPDATED, _DELETED, _REPLACED, _SYNC))
_OPS = {"ADDED": _ADDED, "MODIFIED": _UPDATED, "DELETED": _DELETED}

_tuple_new = tuple.__new__  # Delta(type, obj) without NamedTuple's Python-level __new__


class RealFIFO(BlockingQueue):
    """See the module doc. ``transform`` runs once per object as it enters the queue (never
    on tombstones or ``Sync``); ``batch_size`` bounds ``pop_batch`` (and, with
    ``unlock_while_processing``, the queue stays writable during a pop only while fewer than
    twice that many deltas wait). ``before_replace`` is called as ``replace`` starts, outside
    the lock (the informer pauses the collector there). Construction rules (a violation is a
    ``ValueError``): not atomic requires ``known_objects``; atomic forbids it;
    ``unlock_while_processing`` and ``emit_bookmarks`` require atomic. ``latency``, when
    given, observes how long each pop's processing took (``informer_processing_latency_seconds``;
    ``len()`` is ``informer_queued_items``: the deltas queued)."""

    def __init__(
        self,
        key_func: KeyFunc = meta_namespace_key,
        known_objects: KeyListerGetter | None = None,
        atomic_events: bool = False,
        unlock_while_processing: bool = False,
        emit_bookmarks: bool = False,
        transform: Callable[[Any], Any] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        before_replace: Callable[[], Any] | None = None,
        latency: LatencyHistogram | None = None,
    ) -> None:
        if atomic_events and known_objects is not None:
            raise ValueError("RealFIFO: known_objects must not be given with atomic_events")
        if not atomic_events:
            if known_objects is None:
                raise ValueError("RealFIFO: known_objects is required without atomic_events")
            if unlock_while_processing:
                raise ValueError("RealFIFO: unlock_while_processing requires atomic_events")
            if emit_bookmarks:
                raise ValueError("RealFIFO: emit_bookmarks requires atomic_events")
        if batch_size < 1:
            raise ValueError(f"RealFIFO: batch_size must be at least 1, not {batch_size}")
        super().__init__()
        self._key_func = key_func
        self._known = known_objects
        self.atomic_events = atomic_events
        self.unlock_while_processing = unlock_while_processing
        self.emit_bookmarks = emit_bookmarks
        self._transform = transform
        self.batch_size = batch_size
        self._before_replace = before_replace
        self.latency = latency
        # guarded by _lock (BlockingQueue's)
        self._items: deque[Delta] = deque()
        self._populated = False
        self._initial_population_count = 0
        self._synced = False  # latched once populated and the initial population is processed

    # -- keys ---------------------------------------------------------------------------------
    def key_of(self, obj: Any) -> str:
        """The key of an object, a tombstone, a ``Delta`` or a list of deltas (the newest's)."""
        if isinstance(obj, list) and obj:
            obj = obj[-1]
        if isinstance(obj, Delta):
            obj = obj.object
        if obj.__class__ is DeletedFinalStateUnknown:
            return obj.key
        return self._key_func(obj)

    def _check_synced_locked(self) -> None:
        if not self._synced and self._populated and self._initial_population_count == 0:
            self._synced = True

    def _queue_locked(self, dtype: DeltaType, obj: Any, transform: bool = True) -> None:
        """Append one delta: the key must be readable (else the key function's error); the
        object is transformed unless it is a tombstone or ``transform`` is False."""
        tomb = obj.__class__ is DeletedFinalStateUnknown
        if not tomb:
            self._key_func(obj)
            if transform and self._transform is not None:
                obj = self._transform(obj)
        self._items.append(_tuple_new(Delta, (dtype, obj)))
        if self._waiters:
            self._cond.notify()

    # -- producers ------------------------------------------------------------------------------
    def _change(self, dtype: DeltaType, obj: Any) -> None:
        with self._lock:
            self._populated = True
            self._check_synced_locked()
            self._queue_locked(dtype, obj)

    def add(self, obj: Any) -> None:
        self._change(_ADDED, obj)

    def update(self, obj: Any) -> None:
        self._change(_UPDATED, obj)

    def delete(self, obj: Any) -> None:
        """Queue a ``Deleted`` delta (never ignored: handlers hear of every deletion)."""
        self._change(_DELETED, obj)

    def queue_watch_events(self, events: list[tuple[str, Any]]) -> list[tuple[int, Exception]]:
        """Queue a run of watch events ``(type, obj)`` (``"ADDED"``, ``"MODIFIED"`` or
        ``"DELETED"``) exactly as ``add``/``update``/``delete`` would one after the other,
        under one lock hold and with at most one wake-up of a waiting pop. A failing item (its
        key or transform raised) is skipped and reported as ``(index, exception)``."""
        errors: list[tuple[int, Exception]] = []
        key_func = self._key_func
        transform = self._transform
        append = self._items.append
        with self._lock:
            self._populated = True
            self._check_synced_locked()
            for i, (etype, obj) in enumerate(events):
                try:
                    if obj.__class__ is not DeletedFinalStateUnknown:
                        key_func(obj)
                        if transform is not None:
                            obj = transform(obj)
                    append(_tuple_new(Delta, (_OPS[etype], obj)))
                except Exception as err:  # noqa: BLE001 - reported per item, like the single calls
                    errors.append((i, err))
            if self._items and self._waiters:
                self._cond.notify()
        return errors

    def replace(self, items: list[Any], resource_version: str = "") -> None:
        """A relist: one ``ReplacedAll`` (atomic), else tombstones for what the list lacks and
        one ``Replaced`` per item (see the module doc)."""
        if self._before_replace is not None:
            self._before_replace()
        with self._lock:
            if self.atomic_events:
                objects = list(items) if self._transform is None else [self._transform(o) for o in items]
                self._items.append(Delta(DeltaType.ReplacedAll, ReplacedAllInfo(resource_version, objects)))
                if self._waiters:
                    self._cond.notify()
            else:
                self._reconcile_locked(items)
            if not self._populated:
                self._populated = True
                self._initial_population_count = len(self._items)
                self._check_synced_locked()

    def _reconcile_locked(self, items: list[Any]) -> None:
        """client-go's reconcileReplacement against the queue and the known objects."""
        new_keys = {self.key_of(obj) for obj in items}
        last: dict[str, Delta] = {}  # key -> its newest queued delta, in first-queued order
        for delta in self._items:
            last[self.key_of(delta.object)] = delta
        for key, delta in last.items():
            if key in new_keys or delta.type is _DELETED:
                continue
            # missed while the watch was down: the newest queued state is the last known one
            self._queue_locked(_DELETED, DeletedFinalStateUnknown(key, delta.object))
        known = self._known
        assert known is not None
        for key in known.list_keys():
            if key in new_keys or key in last:
                continue
            obj, exists = known.get_by_key(key)
            self._queue_locked(_DELETED, DeletedFinalStateUnknown(key, obj if exists else None))
        for obj in items:
            self._queue_locked(_REPLACED, obj)

    def resync(self) -> None:
        """One ``SyncAll`` (atomic); else a ``Sync`` for each known key with nothing queued."""
        with self._lock:
            if self.atomic_events:
                self._items.append(Delta(DeltaType.SyncAll, SyncAllInfo()))
                if self._waiters:
                    self._cond.notify()
                return
            known = self._known
            assert known is not None
            queued = {self.key_of(d.object) for d in self._items}
            for key in known.list_keys():
                if key in queued:
                    continue  # its pending delta is newer than what the store holds
                obj, exists = known.get_by_key(key)
                if exists:
                    self._queue_locked(_SYNC, obj, transform=False)

    def bookmark(self, resource_version: str) -> None:
        """A ``Bookmark`` delta when ``emit_bookmarks``; nothing otherwise."""
        if not self.emit_bookmarks:
            return
        with self._lock:
            self._items.append(Delta(DeltaType.Bookmark, BookmarkInfo(resource_version)))
            if self._waiters:
                self._cond.notify()

    # -- consumer -------------------------------------------------------------------------------
    def _process_locked(self, fn: Callable[..., Any], deltas: list[Delta], initial: bool, popped: int) -> Any:
        """Run ``fn(deltas, initial)`` -- outside the lock with ``unlock_while_processing``
        while fewer than two batches wait; timed by ``latency`` -- then count ``popped``
        deltas as processed."""
        latency = self.latency
        try:
            if self.unlock_while_processing and len(self._items) < 2 * self.batch_size:
                self._lock.release()
                try:
                    return fn(deltas, initial) if latency is None else latency.timed(fn, deltas, initial)
                finally:
                    self._lock.acquire()
            return fn(deltas, initial) if latency is None else latency.timed(fn, deltas, initial)
        finally:
            # only now: has_synced must not say yes while the last initial delta is processed
            if self._initial_population_count > 0:
                self._initial_population_count -= popped
                self._check_synced_locked()

    def pop(self, process: Callable[[list[Delta], bool], Any], timeout: float | None = None) -> Any:
        """Wait for a delta, remove it and return ``process([delta], is_in_initial_list)``.
        ``None`` without calling ``process`` if ``timeout`` passes first; ``FIFOClosedError``
        once closed and empty. An exception from ``process`` propagates (not requeued)."""
        with self._lock:
            if not self._items and not self._wait_locked(self._items, timeout):
                return None
            initial = not self._synced
            delta = self._items.popleft()
            return self._process_locked(process, [delta], initial, 1)

    def pop_batch(
        self,
        process_batch: Callable[[list[Delta], bool], Any],
        process_single: Callable[[list[Delta], bool], Any],
        timeout: float | None = None,
    ) -> Any:
        """Wait for deltas and take up to ``batch_size`` from the head whose keys are distinct
        and whose types are per-object ones; stop before a duplicate key, before any other
        type (which, at the head, is taken alone) and at the end of the initial population. A
        delta whose key cannot be read ends the batch (taken with it). One delta goes to
        ``process_single([delta], is_in_initial_list)``, several to ``process_batch(deltas,
        is_in_initial_list)``; returns what it returned. ``None`` / ``FIFOClosedError`` as
        ``pop``."""
        with self._lock:
            items = self._items
            if not items and not self._wait_locked(items, timeout):
                return None
            initial = not self._synced
            limit = self.batch_size
            if self._initial_population_count > 0:
                limit = min(limit, self._initial_population_count)
            head = items[0]
            if head.type not in _BATCHABLE or limit == 1 or len(items) == 1:
                n = 1
            else:
                n = self._batch_length_locked(limit)
            deltas = [items.popleft() for _ in range(n)]
            fn = process_single if n == 1 else process_batch
            return self._process_locked(fn, deltas, initial, n)

    def _batch_length_locked(self, limit: int) -> int:
        """How many deltas from the head make one batch (see ``pop_batch``); at least 1."""
        key_func = self._key_func
        seen: set[str] = set()
        n = 0
        for dtype, obj in islice(self._items, limit):
            if dtype not in _BATCHABLE:
                break
            try:
                key = obj.key if obj.__class__ is DeletedFinalStateUnknown else key_func(obj)
            except Exception:  # noqa: BLE001 - the broken delta goes with the batch and ends it
                n += 1
                break
            if key in seen:
                break
            seen.add(key)
            n += 1
        return max(n, 1)

    # -- reads ----------------------------------------------------------------------------------
    def has_synced(self) -> bool:
        """See the module doc. Lock-free (a latched flag): callable while a pop is processed,
        from the processing itself too."""
        return self._synced

    def __len__(self) -> int:
        """Queued deltas."""
        return len(self._items)

    def deltas(self) -> list[Delta]:
        """A copy of the queued deltas, oldest first."""
        with self._lock:
            return list(self._items)
