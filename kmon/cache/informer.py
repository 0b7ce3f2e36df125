"""SharedIndexInformer: a reflector feeding a queue, drained into an Indexer, with change
notifications fanned out to handlers (client-go's ``sharedIndexInformer``).

Configured by one ``InformerOptions`` (the keywords are the contract's short form); the
reflector gets ``options.reflector()``. Which path it runs is client-go's feature gates'
(``features``, a ``kmon.cache.features.FeatureGates``; ``informer_path``): the classic
``DeltaFIFO``, or the in-order ``RealFIFO`` (atomic or not, popped in batches or not,
unlocking or not), and WatchList or LIST for the initial state. Threads (all started by
``run`` and joined before it returns): the reflector (plus its stopper, and a resync timer
while watching), the processing thread, and one thread per handler
(``handlers.HandlerRegistration``: its own unbounded buffer, so a slow handler never blocks
the reflector, the queue or the others).

The processing thread pops from the queue -- a ``DeltaFIFO``: up to ``process_batch`` keys
at a time, each key's deltas applied oldest first as one ``pop`` per key would
(``delta_apply``); a ``RealFIFO``: one delta, or one batch of distinct keys, at a time
(``in_order_apply``) -- and appends the notifications to the handlers' buffers (each woken
once per pop); then, outside the queue's lock, it tells the delta listeners. It also tells
the informer's ``gcguard.InformerGc`` what happened (initial list, synced, deltas applied).

Listeners (``add_reflector_listener``, ``add_delta_listener``) are called synchronously on
the reflector / processing thread and must not block: append to a deque and return. An
exception from a listener or a handler is logged and counted, never propagated.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import replace
from typing import Any, Callable

from kmon.cache import gcguard
from kmon.cache.clock import Clock
from kmon.cache.delta_apply import ApplyTo, apply_batch
from kmon.cache.delta_fifo import Delta, DeltaFIFO, FIFOClosedError
from kmon.cache.events import DeltaRecord, ReflectorEvent
from kmon.cache.features import FeatureGates
from kmon.cache.handlers import ADD, EventHandler, FuncHandler, HandlerRegistration
from kmon.cache.in_order_apply import apply_in_order
from kmon.cache.informer_metrics import LatencyHistogram
from kmon.cache.keys import NAMESPACE_INDEX, deletion_handling_key, namespace_index
from kmon.cache.listwatch import ListerWatcher
from kmon.cache.options import MIN_WATCH_TIMEOUT, PROCESS_BATCH, InformerOptions
from kmon.cache.informer_path import describe_queue, new_queue, pops_batches, resolve_features
from kmon.cache.real_fifo import RealFIFO
from kmon.cache.reasons import ErrorClass, InformerState
from kmon.cache.reflector import Reflector
from kmon.cache.resync import MINIMUM_RESYNC_PERIOD, determine_resync_period
from kmon.cache.stats import Counters, InformerStats, snapshot
from kmon.cache.store import IndexFunc, Indexer

__all__ = ["EventHandler", "FuncHandler", "HandlerRegistration", "SharedIndexInformer"]

log = logging.getLogger(__name__)

HANDLER_JOIN_TIMEOUT = 10.0


def _weak_should_resync(informer: "SharedIndexInformer") -> Callable[[], bool]:
    # The reflector must not hold the informer strongly: with no reference cycle, dropping
    # a stopped informer frees its cache by reference counting, even after gc.freeze().
    ref = weakref.ref(informer)

    def should_resync() -> bool:
        inf = ref()
        return inf._should_resync() if inf is not None else False

    return should_resync


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
        features: FeatureGates | None = None,
        options: InformerOptions | None = None,
    ) -> None:
        if options is None:
            # the contract's short form: ``SharedIndexInformer(lw, resync_period=..., ...)``
            options = InformerOptions(
                name=name, resync_period=resync_period, indexers=dict(indexers or {}), page_size=page_size,
                use_watch_list=use_watch_list, transform=transform, min_watch_timeout=min_watch_timeout,
                max_internal_error_retry=max_internal_error_retry, freeze_gc_after_sync=freeze_gc_after_sync,
                gc_freeze_every=gc_freeze_every, gc_policy=gc_policy, process_batch=process_batch,
                features=features,
            )
        if not options.name:
            options = replace(options, name="informer")
        # the one source of truth for this informer's settings (the keywords are ignored
        # when ``options`` is given)
        self.options = options
        self.list_watcher = list_watcher  # for the owner's bookkeeping; the reflector has its own reference
        self._clock = clock or Clock()
        # the path it runs (the gates it was given, or the environment's)
        self.features = resolve_features(options.features)
        gates = self.features
        self.indexer = Indexer(deletion_handling_key, {NAMESPACE_INDEX: namespace_index, **options.indexers},
                               track_resource_version=gates.atomic_fifo)
        self._counters = Counters()
        # kmon's GC policy for this informer (gcguard decides; we say what happens)
        self._gc = gcguard.InformerGc(
            freeze_after_sync=options.freeze_gc_after_sync, use_policy=options.gc_policy,
            freeze_every=options.gc_freeze_every,
        )
        # informer_processing_latency_seconds (informer_metrics), observed by the queue
        self._latency = LatencyHistogram(self._clock.monotonic)
        self._fifo = new_queue(gates, self.indexer, transform=options.transform, before_replace=self._gc.initial_list,
                               latency=self._latency)
        self._queue_description = describe_queue(gates)
        # how the processing thread drains the queue (see _process_next)
        self._in_order = isinstance(self._fifo, RealFIFO)
        self._pop_batches = pops_batches(gates)
        # handlers added before start may shorten the resync check period below the default
        self._resync_check_period = options.resync_period
        self._reflector = Reflector(
            list_watcher, self._fifo, options=options.reflector(), features=gates, clock=self._clock,
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
    def fifo(self) -> DeltaFIFO | RealFIFO:
        """The queue between the reflector and the indexer (which one: ``features``)."""
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
                            existing.resync_period = determine_resync_period(existing.requested_resync_period, resync_period)
            reg = HandlerRegistration(
                handler, f"{self.name}-{len(self._listeners)}-{type(handler).__name__}", resync_period,
                determine_resync_period(resync_period, self._resync_check_period), self._clock.now(),
            )
            # a new handler counts as due for resync notifications until the next resync check
            # (client-go's addListener sets it syncing): without a resync period it stays due,
            # so a relist's unchanged objects reach it as on_update(old, new) with equal versions
            if not self._started:
                self._listeners.append(reg)
                self._all_targets = tuple(self._listeners)
                self._sync_targets += (reg,)
                return reg
            with self._block_deltas:
                self._listeners.append(reg)
                self._all_targets = tuple(self._listeners)
                self._sync_targets += (reg,)
                for obj in self.indexer.list():
                    reg.add((ADD, obj, True))
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
        collector = self._gc
        collector.start()
        idle_timeout = collector.idle_timeout
        try:
            while not stopped():
                before = c.deltas_processed
                try:
                    if not self._process_next(idle_timeout):
                        collector.idle()
                        continue
                except FIFOClosedError:
                    return
                except Exception as err:
                    c.count_error(ErrorClass.PROCESS, f"processing deltas failed: {err}")
                    log.exception("%s: processing deltas failed", self.name)
                if not self._synced_once:
                    if self._fifo.has_synced():
                        self._synced_once = True
                        collector.synced()
                    continue
                collector.applied(c.deltas_processed - before, c.deltas_processed)
        except BaseException:
            c.state = InformerState.FAILED
            log.exception("%s: processing crashed", self.name)
            raise
        finally:
            collector.stop()

    def _process_next(self, timeout: float | None) -> bool:
        """One step of the processing thread: pop (a ``DeltaFIFO``: up to ``process_batch``
        keys; a ``RealFIFO``: one delta or one batch), apply to the indexer and queue the
        notifications (under the queue's lock, unless it unlocks while processing, as
        client-go does), then tell the delta listeners (outside it, so the reflector can queue
        meanwhile). False if nothing was queued within ``timeout``; raises
        ``FIFOClosedError`` once the queue is closed and empty."""
        fifo = self._fifo
        if not self._in_order:
            records = fifo.pop_batch(self._apply_batch, max(1, self.options.process_batch), timeout)
        elif self._pop_batches:
            records = fifo.pop_batch(self._apply_in_order, self._apply_in_order, timeout)
        else:
            records = fifo.pop(self._apply_in_order, timeout)
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

    def _apply_batch(self, batch: list[tuple[str, list[Delta], bool]]) -> list[DeltaRecord]:
        """``DeltaFIFO.pop_batch``'s callback (under the queue's lock, as client-go's
        processDeltas): apply the keys' deltas and queue their notifications (``delta_apply``)."""
        return self._apply(lambda to: apply_batch(batch, to))

    def _apply_in_order(self, deltas: list[Delta], is_in_initial_list: bool) -> list[DeltaRecord]:
        """``RealFIFO``'s pop callback (one delta, or a batch of distinct keys): apply and
        queue the notifications (``in_order_apply``)."""
        return self._apply(lambda to: apply_in_order(deltas, is_in_initial_list, to))

    def _apply(self, apply: Callable[[ApplyTo], int]) -> list[DeltaRecord]:
        """Run ``apply`` on the informer's indexer, handlers and records while late handlers
        wait (``_block_deltas``); returns the records for the delta listeners (none when there
        are no listeners)."""
        keep_records = bool(self._delta_listeners)
        records: list[DeltaRecord] = []
        if not self._synced_once:
            # the initial list arrived: apply it with the collector paused (shared,
            # refcounted; the processing loop resumes once synced, after freezing)
            self._gc.initial_list()
        with self._block_deltas:
            n = apply(ApplyTo(self.indexer, self._all_targets, self._sync_targets, records if keep_records else None,
                              self._clock.now() if keep_records else 0.0, self._counters, self.name))
        self._counters.deltas_processed += n
        return records

    # -- reads -----------------------------------------------------------------------------------
    def has_synced(self) -> bool:
        return self._fifo.has_synced()

    @property
    def last_sync_resource_version(self) -> str:
        return self._reflector.last_sync_resource_version

    def stats(self) -> InformerStats:
        r = self._reflector
        regs = self._listeners
        return snapshot(
            self.name, self._counters, last_synced_version=r.last_sync_resource_version,
            unavailable=r.is_last_sync_resource_version_unavailable, paginated=r.paginated_result,
            queue_depth=len(self._fifo), store_size=len(self.indexer), synced=self.has_synced(),
            handler_errors=sum(reg.errors for reg in regs), handler_backlog={reg.name: reg.backlog for reg in regs},
            queue=self._queue_description, initial_sync=r.initial_sync, features=self.features,
            store_resource_version=self.indexer.last_store_sync_resource_version(),
            processing_latency=self._latency.snapshot(),
        )
