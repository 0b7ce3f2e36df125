"""kmon.cache: a pure-Python port of client-go's informer machinery (no Qt here).

ListerWatcher -> Reflector -> queue -> SharedIndexInformer -> Indexer + handlers.
Behaviour: /work/shared/docs/informer-semantics.md. Public names are re-exported here once.

Two paths, chosen per informer by client-go's feature gates (``features.FeatureGates``;
``informer_path``): by default what a client-go 1.36 controller runs (``RealFIFO``, atomic,
popped in batches, unlocking while processing; the initial state from a WatchList stream,
falling back to LIST), honouring ``KUBE_FEATURE_<Gate>``; ``FeatureGates.for_client_go("1.32")``
runs the classic one (``DeltaFIFO``, LIST then WATCH). ``informer.features`` and
``stats().queue`` / ``initial_sync`` say which.

Using an informer (what kmon.monitor needs)::

    inf = SharedIndexInformer(lw, options=InformerOptions(name="pods", page_size=0))
    # (or the contract's short form: SharedIndexInformer(lw, name="pods", resync_period=0.0))
    inf.add_event_handler(FuncHandler(on_add=..., on_update=..., on_delete=...))
    inf.add_reflector_listener(events.append)   # ReflectorEvent, reflector thread
    inf.add_delta_listener(records.extend)      # list[DeltaRecord] per processed batch
    threading.Thread(target=inf.run, args=(stop,)).start()   # run blocks until stop is set
    inf.stats()      # InformerStats snapshot (as_dict() for plain data)
    inf.indexer      # thread-safe Indexer: get_by_key, list, by_index("namespace", ns)

Listeners run synchronously on cache threads (the delta listener on the processing thread,
after its batch was applied and outside the queue's lock): append to a deque and return.
Handlers each get their own thread. ``run`` joins every thread it started; on stop, in-flight
I/O is aborted (a watch's ``stop()``, a ``CancellableListerWatcher``'s ``cancel()``).

One watch event, hop by hop: the watch (``listwatch.BatchedWatch.batches()``, or any
iterable of ``WatchEvent`` read as batches of one) -> ``watch_handler.handle_watch`` (the one
watch loop) -> ``watch_sink.StoreSink`` (counts, moves the reflector's ``SyncVersion``, hands
bookmarks to a queue that takes them, queues each run of events with the queue's
``queue_watch_events``: one lock, one wake-up) -> the queue: ``DeltaFIFO.pop_batch`` (up to
``InformerOptions.process_batch`` keys) -> ``delta_apply.apply_batch``, exactly client-go's
one-``Pop``-per-key path; or ``RealFIFO.pop_batch``/``pop`` (a batch of distinct keys, or one
delta) -> ``in_order_apply.apply_in_order`` (client-go's processDeltas /
processDeltasInBatch / processReplacedAllInfo) -> indexer, then notifications appended to
each ``handlers.HandlerRegistration`` -> the delta listeners.

Modules: ``listwatch`` (the seam to the API), ``reflector`` (rounds, the watch phase),
``relist`` (the LIST half), ``watch_list`` (WatchList), ``watch_requests`` (a watch's
bookkeeping), ``watch_handler``, ``watch_sink``, ``sync_version``, ``report`` (the reflector's
counters and events), ``interrupt``, ``resync``, ``retry``, ``backoff``, ``pager``; ``deltas``
(delta types), ``delta_fifo``, ``real_fifo``, ``queue_wait``, ``store``, ``keys``;
``features``, ``informer_path`` (which path), ``informer``, ``handlers``, ``delta_apply``,
``in_order_apply``; ``options``, ``reasons`` (states, phases, reasons as str enums),
``events``, ``stats``, ``errors``; ``gcguard``; ``clock``.

The cyclic GC (``gcguard``, the only module of kmon that touches ``gc``): a list is decoded
and replaced with collection paused (process-wide, refcounted), the informer keeps it paused
until the initial list is processed and freezes the cache once synced
(``freeze_gc_after_sync``); ``freeze_gc()`` does the same on demand. ``run`` installs
``gcguard.policy`` (once per process; ``gc_policy=False`` or ``KMON_GC_POLICY=off`` to opt
out): young threshold 100,000 and a freeze every 1,000 deltas or 1 s while deltas arrive (and
once idle after a burst), so full collections never walk the caches. Decoded API objects are
acyclic, so frozen objects are still freed by reference counting; what a freeze can catch is
cyclic garbage of other code not yet collected (see ``gcguard``).
"""

from kmon.cache.backoff import Backoff
from kmon.cache.clock import Clock, FakeClock
from kmon.cache.delta_fifo import Delta, DeltaFIFO, DeltaType, FIFOClosedError
from kmon.cache.deltas import BookmarkInfo, ReplacedAllInfo, SyncAllInfo
from kmon.cache.errors import (
    ApiStatusError,
    VeryShortWatchError,
    is_connection_refused,
    is_expired,
    is_internal_error,
    is_too_large_resource_version,
    is_too_many_requests,
)
from kmon.cache.events import DeltaGroup, DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.features import FeatureGates
from kmon.cache.gcguard import freeze as freeze_gc
from kmon.cache.handlers import EventHandler, FuncHandler, HandlerRegistration
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.keys import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    deletion_handling_key,
    meta_namespace_key,
    namespace_index,
    split_key,
)
from kmon.cache.listwatch import ListerWatcher, ListOptions, ListPage, Watch, WatchEvent
from kmon.cache.options import InformerOptions, ReflectorOptions
from kmon.cache.real_fifo import RealFIFO
from kmon.cache.reflector import Reflector
from kmon.cache.stats import InformerStats
from kmon.cache.store import Indexer

__all__ = [
    "ApiStatusError", "Backoff", "BookmarkInfo", "Clock", "Delta", "DeltaFIFO", "DeltaGroup", "DeltaRecord", "DeltaType",
    "DeletedFinalStateUnknown", "EventHandler", "FIFOClosedError", "FakeClock", "FeatureGates", "FuncHandler",
    "HandlerRegistration", "Indexer", "InformerOptions", "InformerStats", "ListOptions", "ListPage", "ListerWatcher",
    "NAMESPACE_INDEX", "RealFIFO", "Reflector", "ReflectorEvent", "ReflectorEventKind", "ReflectorOptions",
    "ReplacedAllInfo", "SharedIndexInformer", "SyncAllInfo",
    "VeryShortWatchError", "Watch", "WatchEvent", "deletion_handling_key", "freeze_gc",
    "is_connection_refused", "is_expired", "is_internal_error", "is_too_large_resource_version",
    "is_too_many_requests", "meta_namespace_key", "namespace_index", "split_key",
]
