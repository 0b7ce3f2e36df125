"""SharedIndexInformer: a reflector feeding a DeltaFIFO, drained into an Indexer, with change
notifications fanned out to handlers (client-go's ``sharedIndexInformer``).

Threads (all started by ``run`` and joined before it returns): the reflector (plus its
stopper, and a resync timer while watching), the processing thread that pops the queue
(``pop_batch``: up to ``process_batch`` keys per lock hold, each key's deltas applied
oldest first as one ``pop`` would), applies deltas to the indexer and distributes
notifications (each handler woken once per batch), and one thread per handler. ``run``
installs kmon's process-wide GC policy (``gcguard.policy``) and reports applied deltas to
it. Each handler has its own unbounded buffer, so a slow handler never blocks the
reflector, the queue or the other handlers.

Listeners (``add_reflector_listener``, ``add_delta_listener``) are called synchronously on
the reflector / processing thread and must not block: append to a deque and return. An
exception from a listener or a handler is logged and counted, never propagated.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from dataclasses import replace
from typing import Any, Callable, Protocol

from kmon.cache import gcguard
from kmon.cache.clock import Clock
from kmon.cache.delta_fifo import DeltaFIFO, DeltaType, FIFOClosedError
from kmon.cache.events import DeltaRecord, ReflectorEvent
from kmon.cache.keys import NAMESPACE_INDEX, deletion_handling_key, namespace_index, resource_version_of
from kmon.cache.listwatch import ListerWatcher
from kmon.cache.options import PROCESS_BATCH, InformerOptions
from kmon.cache.reflector import MIN_WATCH_TIMEOUT, Reflector
from kmon.cache.reasons import ErrorClass, InformerState
from kmon.cache.stats import Counters, InformerStats
from kmon.cache.store import IndexFunc, Indexer

log = logging.getLogger(__name__)

MINIMUM_RESYNC_PERIOD = 1.0
HANDLER_JOIN_TIMEOUT = 10.0

_DELETED = DeltaType.Deleted
_ADD, _UPDATE, _DELETE = 0, 1, 2


def _noop(*args: Any) -> None:
    pass


class EventHandler(Protocol):
    def on_add(self, obj: Any, is_in_initial_list: bool) -> None: ...

    def on_update(self, old: Any, new: Any) -> None: ...

    def on_delete(self, obj: Any) -> None: ...


class FuncHandler:
    """An ``EventHandler`` from plain functions; missing ones do nothing."""

    __slots__ = ("_on_add", "_on_update", "_on_delete")

    def __init__(
        self,
        on_add: Callable[[Any, bool], Any] | None = None,
        on_update: Callable[[Any, Any], Any] | None = None,
        on_delete: Callable[[Any], Any] | None = None,
    ) -> None:
        self._on_add = on_add
        self._on_update = on_update
        self._on_delete = on_delete

    def on_add(self, obj: Any, is_in_initial_list: bool) -> None:
        if self._on_add is not None:
            self._on_add(obj, is_in_initial_list)

    def on_update(self, old: Any, new: Any) -> None:
        if self._on_update is not None:
            self._on_update(old, new)

    def on_delete(self, obj: Any) -> None:
        if self._on_delete is not None:
            self._on_delete(obj)


def _determine_resync_period(desired: float, check: float) -> float:
    if desired == 0:
        return 0.0
    if check == 0:
        log.warning("the informer's resync is disabled: a handler's resync period %s cannot be met", desired)
        return 0.0
    if desired < check:
        log.warning("resync period %s is below the informer's resync check period %s: using %s", desired, check, check)
        return check
    return desired


class HandlerRegistration:
    """One handler: its buffer and thread (client-go's processorListener). Returned by
    ``add_event_handler``; ``backlog`` is how many notifications wait for it."""

    __slots__ = (
        "handler", "name", "_buf", "_cond", "_waiting", "_stopped", "_thread",
        "requested_resync_period", "resync_period", "next_resync", "errors", "delivered",
    )

    def __init__(self, handler: EventHandler, name: str, requested: float, resync: float, now: float) -> None:
        self.handler = handler
        self.name = name
        self._buf: deque[tuple[int, Any, Any]] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._waiting = False  # the thread sleeps (or is about to): producers must notify
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.requested_resync_period = requested
        self.resync_period = resync
        self.next_resync = now + resync
        self.errors = 0
        self.delivered = 0

    @property
    def backlog(self) -> int:
        return len(self._buf)

    def add(self, notification: tuple[int, Any, Any]) -> None:
        self._buf.append(notification)
        if self._waiting:
            with self._cond:
                self._cond.notify()

    def add_many(self, notifications: list[tuple[int, Any, Any]]) -> None:
        """``add`` each, in order, with at most one wake-up of the handler thread."""
        self._buf.extend(notifications)
        if self._waiting:
            with self._cond:
                self._cond.notify()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"handler-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        with self._cond:
            self._cond.notify()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def should_resync(self, now: float) -> bool:
        return self.resync_period != 0 and now >= self.next_resync

    def _run(self) -> None:
        buf = self._buf
        popleft = buf.popleft
        cond = self._cond
        h = self.handler
        on_add, on_update, on_delete = h.on_add, h.on_update, h.on_delete
        if type(h) is FuncHandler:  # call the functions themselves: one frame less per event
            on_add = h._on_add or _noop
            on_update = h._on_update or _noop
            on_delete = h._on_delete or _noop
        delivered = 0
        while not self._stopped:
            try:
                kind, a, b = popleft()
            except IndexError:
                self.delivered = delivered
                with cond:
                    self._waiting = True
                    while not buf and not self._stopped:
                        cond.wait()
                    self._waiting = False
                continue
            try:
                if kind == _UPDATE:
                    on_update(a, b)
                elif kind == _ADD:
                    on_add(a, b)
                else:
                    on_delete(a)
            except Exception:
                self.errors += 1
                log.exception("event handler %s failed", self.name)
            delivered += 1
        self.delivered = delivered


def _weak_should_resync(informer: "SharedIndexInformer") -> Callable[[], bool]:
    # The reflector must not hold the informer strongly: with no reference cycle, dropping
    # a stopped informer frees its cache by reference counting, even after gc.freeze().
    ref = weakref.ref(informer)

    def should_resync() -> bool:
        inf = ref()
        return inf._should_resync() if inf is not None else False

    return should_resync


def _same_resource_version(old: Any, new: Any) -> bool:
    """True when both objects carry the same resourceVersion (a resync, not a change)."""
    try:
        return old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion")
    except (KeyError, TypeError, AttributeError):
        return False

class SharedIndexInformer:
    def __init__(
        self,
        list_watcher: ListerWatcher,
        *,
        name: str = "",
        resync_period: float = 0.0,
        indexers: dict[str, IndexFunc] | None = None,
        clock: Clock | None = None,
        page_size: int = 0,
        use_watch_list: bool = False,
        transform: Callable[[Any], Any] | None = None,
        min_watch_timeout: float = MIN_WATCH_TIMEOUT,
        max_internal_error_retry: float = 0.0,
        freeze_gc_after_sync: bool = True,
        gc_freeze_every: int = 0,
        gc_policy: bool = True,
        process_batch: int = PROCESS_BATCH,
        options: InformerOptions | None = None,
    ) -> None:
        if options is None:
            # the contract's short form: ``SharedIndexInformer(lw, resync_period=..., ...)``
            options = InformerOptions(
                name=name, resync_period=resync_period, indexers=dict(indexers or {}), page_size=page_size,
                use_watch_list=use_watch_list, transform=transform, min_watch_timeout=min_watch_timeout,
                max_internal_error_retry=max_internal_error_retry, freeze_gc_after_sync=freeze_gc_after_sync,
                gc_freeze_every=gc_freeze_every, gc_policy=gc_policy, process_batch=process_batch,
            )
        if not options.name:
            options = replace(options, name="informer")
        # the one source of truth for this informer's settings (the keywords are ignored
        # when ``options`` is given)
        self.options = options
        self.list_watcher = list_watcher  # for the owner's bookkeeping; the reflector has its own reference
        self._clock = clock or Clock()
        self.indexer = Indexer(deletion_handling_key, {NAMESPACE_INDEX: namespace_index, **options.indexers})
        self._counters = Counters()
        # kmon's GC policy for this informer (gcguard decides; we say what happens)
        self._gc = gcguard.InformerGc(
            freeze_after_sync=options.freeze_gc_after_sync, use_policy=options.gc_policy,
            freeze_every=options.gc_freeze_every,
        )
        self._fifo = DeltaFIFO(deletion_handling_key, self.indexer, True, transformer=options.transform,
                               before_replace=self._gc.initial_list)
        # handlers added before start may shorten the resync check period below the default
        self._resync_check_period = options.resync_period
        self._reflector = Reflector(
            list_watcher, self._fifo, options=options.reflector(), clock=self._clock,
            should_resync=_weak_should_resync(self), counters=self._counters,
        )
        # _lifecycle guards _started, _stopped and the listener collections (writes)
        self._lifecycle = threading.Lock()
        self._started = False
        self._stopped = False
        self._listeners: list[HandlerRegistration] = []
        self._retired: list[HandlerRegistration] = []  # removed while running: joined at stop
        # read lock-free by the processing thread (tuples are swapped whole)
        self._all_targets: tuple[HandlerRegistration, ...] = ()
        self._sync_targets: tuple[HandlerRegistration, ...] = ()
        # held while deltas are applied, so a late handler sees a stable indexer to replay
        self._block_deltas = threading.Lock()
        self._delta_listeners: list[Callable[[list[DeltaRecord]], None]] = []
        self._synced_once = False

    # -- configuration --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.options.name

    @property
    def reflector(self) -> Reflector:
        return self._reflector

    @property
    def fifo(self) -> DeltaFIFO:
        return self._fifo

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        with self._lifecycle:
            if self._started:
                raise RuntimeError("informer has already started")
            self.indexer.add_indexers(indexers)

    def add_reflector_listener(self, fn: Callable[[ReflectorEvent], None]) -> None:
        """``fn(event)`` on the reflector thread; must not block."""
        self._reflector.add_listener(fn)

    def add_delta_listener(self, fn: Callable[[list[DeltaRecord]], None]) -> None:
        """``fn(records)`` on the processing thread after the indexer was updated, once per
        processed batch (the deltas of one or more keys, in the order they were applied);
        must not block."""
        self._delta_listeners = [*self._delta_listeners, fn]

    def add_event_handler(self, handler: EventHandler, resync_period: float | None = None) -> HandlerRegistration:
        """Register a handler. Added after start, it first gets ``on_add(obj, True)`` for
        every cached object. ``resync_period`` defaults to the informer's."""
        if resync_period is None:
            resync_period = self.options.resync_period
        with self._lifecycle:
            if self._stopped:
                raise RuntimeError("handler was not added: the informer is stopped")
            if resync_period > 0:
                resync_period = max(resync_period, MINIMUM_RESYNC_PERIOD)
                if resync_period < self._resync_check_period:
                    if self._started:
                        log.warning("resync period %s is below the running informer's %s", resync_period, self._resync_check_period)
                        resync_period = self._resync_check_period
                    else:
                        self._resync_check_period = resync_period
                        for existing in self._listeners:
                            existing.resync_period = _determine_resync_period(existing.requested_resync_period, resync_period)
            reg = HandlerRegistration(
                handler, f"{self.name}-{len(self._listeners)}-{type(handler).__name__}", resync_period,
                _determine_resync_period(resync_period, self._resync_check_period), self._clock.now(),
            )
            if not self._started:
                self._listeners.append(reg)
                self._all_targets = tuple(self._listeners)
                return reg
            with self._block_deltas:
                self._listeners.append(reg)
                self._all_targets = tuple(self._listeners)
                for obj in self.indexer.list():
                    reg.add((_ADD, obj, True))
                reg.start()
            return reg

    def remove_event_handler(self, reg: HandlerRegistration) -> None:
        """Stop delivering to ``reg``; its thread ends after the call in progress (``run``
        still joins it). Removing twice, or after stop, is harmless."""
        with self._lifecycle:
            if reg not in self._listeners:
                return
            with self._block_deltas:
                self._listeners.remove(reg)
                self._all_targets = tuple(self._listeners)
                self._sync_targets = tuple(r for r in self._sync_targets if r is not reg)
                self._retired.append(reg)
        reg.stop()

    # -- resync ---------------------------------------------------------------------------------
    def _should_resync(self) -> bool:
        with self._lifecycle:
            now = self._clock.now()
            due = []
            for reg in self._listeners:
                if reg.should_resync(now):
                    due.append(reg)
                    reg.next_resync = now + reg.resync_period
            self._sync_targets = tuple(due)
            return bool(due)

    # -- running ---------------------------------------------------------------------------------
    def run(self, stop_event: threading.Event) -> None:
        """Start everything, block until ``stop_event`` is set, then stop and join every
        thread started here."""
        with self._lifecycle:
            if self._started:
                raise RuntimeError("informer already started")
            self._started = True
            self._reflector.resync_period = self._resync_check_period
            for reg in self._listeners:
                reg.start()
        processor = threading.Thread(target=self._process_loop, args=(stop_event,), name=f"{self.name}-process", daemon=True)
        reflector = threading.Thread(target=self._run_reflector, args=(stop_event,), name=f"{self.name}-reflector", daemon=True)
        processor.start()
        reflector.start()
        try:
            stop_event.wait()
        finally:
            stop_event.set()
            self._fifo.close()
            self._reflector.interrupt()
            reflector.join()
            processor.join()
            with self._lifecycle:
                self._stopped = True
                listeners = self._listeners + self._retired
            for reg in listeners:
                reg.stop()
            for reg in listeners:
                # a handler thread finishes its current call first; one stuck in user code
                # cannot be interrupted: after a while, say so and leave it (it is a daemon)
                reg.join(HANDLER_JOIN_TIMEOUT)
                if reg.is_alive():
                    log.error("%s: handler %s still busy %s s after stop", self.name, reg.name, HANDLER_JOIN_TIMEOUT)
            if self._counters.state is not InformerState.FAILED:
                self._counters.state = InformerState.STOPPED

    def _run_reflector(self, stop_event: threading.Event) -> None:
        try:
            self._reflector.run(stop_event)
        except BaseException:
            self._counters.state = InformerState.FAILED
            log.exception("%s: reflector crashed", self.name)
            raise

    def _process_loop(self, stop_event: threading.Event) -> None:
        stopped = stop_event.is_set
        c = self._counters
        gc = self._gc
        gc.start()
        idle_timeout = gc.idle_timeout
        try:
            while not stopped():
                before = c.deltas_processed
                try:
                    if not self._process_next(idle_timeout):
                        gc.idle()
                        continue
                except FIFOClosedError:
                    return
                except Exception as err:
                    c.count_error(ErrorClass.PROCESS, f"processing deltas failed: {err}")
                    log.exception("%s: processing deltas failed", self.name)
                if not self._synced_once:
                    if self._fifo.has_synced():
                        self._synced_once = True
                        gc.synced()
                    continue
                gc.applied(c.deltas_processed - before, c.deltas_processed)
        except BaseException:
            c.state = InformerState.FAILED
            log.exception("%s: processing crashed", self.name)
            raise
        finally:
            gc.stop()

    def _process_next(self, timeout: float | None) -> bool:
        """One step of the processing thread: pop up to ``process_batch`` keys, apply them
        to the indexer and queue their notifications (under the queue's lock, as client-go
        does), then tell the delta listeners (outside it, so the reflector can queue
        meanwhile). False if nothing was queued within ``timeout``; raises
        ``FIFOClosedError`` once the queue is closed and empty."""
        records = self._fifo.pop_batch(self._apply_batch, max(1, self.options.process_batch), timeout)
        if records is None:
            return False
        if records:
            # still on the processing thread and before the next pop: listeners are told in
            # order, and the indexer holds exactly what they are told until they return
            for fn in self._delta_listeners:
                try:
                    fn(records)
                except Exception:
                    self._counters.listener_errors += 1
                    log.exception("%s: delta listener %r failed", self.name, fn)
        return True

    def _apply_batch(self, batch: list[tuple[str, list[Any], bool]]) -> list[DeltaRecord]:
        """Apply the deltas of several keys (``DeltaFIFO.pop_batch``, under its lock), each
        key's oldest first, exactly as one ``pop`` per key would; handlers get the batch's
        notifications with one wake-up each. Returns the records for the delta listeners
        (none when there are no listeners). A key whose processing fails is logged and
        counted; the others are applied."""
        indexer = self.indexer
        put_key = indexer.put_key
        delete_key = indexer.delete_key
        records: list[DeltaRecord] = []
        keep_records = bool(self._delta_listeners)
        now = self._clock.now() if keep_records else 0.0
        n = 0
        if not self._synced_once:
            # the initial list arrived: apply it with the collector paused (shared,
            # refcounted; the processing loop resumes once synced, after freezing)
            self._gc.initial_list()
        with self._block_deltas:
            targets = self._all_targets
            single = targets[0] if len(targets) == 1 else None
            outs: list[list[tuple[int, Any, Any]]] = [[] for _ in targets]
            out0 = outs[0] if single is not None else None
            for key, deltas, is_in_initial_list in batch:
                try:
                    for dtype, obj in deltas:
                        if dtype is _DELETED:
                            old = delete_key(key)
                            notification: tuple[int, Any, Any] = (_DELETE, obj, None)
                            same = False
                        else:
                            old = put_key(key, obj)
                            if old is None:
                                notification = (_ADD, obj, is_in_initial_list)
                                same = False
                            else:
                                notification = (_UPDATE, old, obj)
                                # an unchanged resourceVersion is a resync, not a change: only
                                # the handlers whose resync is due hear about it
                                same = _same_resource_version(old, obj)
                        if same:
                            sync = self._sync_targets
                            for i, reg in enumerate(targets):
                                if reg in sync:
                                    outs[i].append(notification)
                        elif out0 is not None:
                            out0.append(notification)
                        else:
                            for out in outs:
                                out.append(notification)
                        if keep_records:
                            records.append(DeltaRecord(
                                dtype, key, obj, old, resource_version_of(obj), now, is_in_initial_list,
                            ))
                    n += len(deltas)
                except Exception as err:
                    self._counters.count_error(ErrorClass.PROCESS, f"processing deltas failed: {err}")
                    log.exception("%s: processing deltas of %s failed", self.name, key)
            for reg, out in zip(targets, outs):
                if out:
                    reg.add_many(out)
        self._counters.deltas_processed += n
        return records

    # -- reads -----------------------------------------------------------------------------------
    def has_synced(self) -> bool:
        return self._fifo.has_synced()

    @property
    def last_sync_resource_version(self) -> str:
        return self._reflector.last_sync_resource_version

    def stats(self) -> InformerStats:
        c = self._counters
        r = self._reflector
        return InformerStats(
            name=self.name,
            state=str(c.state),
            lists=c.lists,
            relists=c.relists,
            last_relist_reason=c.last_relist_reason,
            list_duration_last=c.list_duration_last,
            list_duration_total=c.list_duration_total,
            list_items_last=c.list_items_last,
            list_items_total=c.list_items_total,
            pages_total=c.pages_total,
            pages_last=c.pages_last,
            watches_started=c.watches_started,
            watches_ended=dict(c.watches_ended),
            events={
                "ADDED": c.added, "MODIFIED": c.modified, "DELETED": c.deleted,
                "BOOKMARK": c.bookmarks, "ERROR": c.error_events,
            },
            bookmarks=c.bookmarks,
            expired=c.expired,
            errors=dict(c.errors),
            current_backoff=c.current_backoff,
            last_synced_version=r.last_sync_resource_version,
            unavailable=r.is_last_sync_resource_version_unavailable,
            paginated=r.paginated_result,
            queue_depth=len(self._fifo),
            store_size=len(self.indexer),
            synced=self.has_synced(),
            last_event_time=c.last_event_time,
            last_error=c.last_error,
            deltas_processed=c.deltas_processed,
            handler_errors=sum(reg.errors for reg in self._listeners),
            listener_errors=c.listener_errors,
            handler_backlog={reg.name: reg.backlog for reg in self._listeners},
        )
