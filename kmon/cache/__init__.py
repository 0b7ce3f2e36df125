"""kmon.cache: a pure-Python port of client-go's informer machinery (no Qt here).

ListerWatcher -> Reflector -> DeltaFIFO -> SharedIndexInformer -> Indexer + handlers.
Behaviour: /work/shared/docs/informer-semantics.md. Public names are re-exported here once.

Using an informer (what kmon.monitor needs)::

    inf = SharedIndexInformer(lw, name="pods", resync_period=0.0, page_size=0,
                              use_watch_list=False, transform=None)
    inf.add_event_handler(FuncHandler(on_add=..., on_update=..., on_delete=...))
    inf.add_reflector_listener(events.append)   # ReflectorEvent, reflector thread
    inf.add_delta_listener(records.extend)      # list[DeltaRecord] per processed batch
    threading.Thread(target=inf.run, args=(stop,)).start()   # run blocks until stop is set
    inf.stats()      # InformerStats snapshot (as_dict() for plain data)
    inf.indexer      # thread-safe Indexer: get_by_key, list, by_index("namespace", ns)

Listeners run synchronously on cache threads (the delta listener on the processing thread,
after its batch was applied and outside the queue's lock): append to a deque and return. Handlers each get their own thread. ``run`` joins every
thread it started. A ListerWatcher may offer ``cancel()`` to abort a blocked ``list`` on stop.

Threads and the cyclic GC: the reflector pauses collection (``gcguard``, process-wide,
refcounted) while it lists and replaces, the informer keeps it paused until the initial
list is processed and calls ``gc.freeze()`` once synced (``freeze_gc_after_sync``);
``freeze_gc()`` does the same on demand. ``run`` installs ``gcguard.policy`` (once per
process; ``gc_policy=False`` or ``KMON_GC_POLICY=off`` to opt out): young threshold 100,000
and a freeze every 1,000 deltas or 1 s while deltas arrive (and once idle after a burst), so
full collections never walk the caches. Decoded API objects are acyclic, so frozen objects
are still freed by reference counting; what a freeze can catch is cyclic garbage of other
code not yet collected (see ``gcguard``).

Batches: a watch that offers ``batches()`` (``kmon.kube.RestWatch``) is read batch by batch
and each run of object events is queued with ``DeltaFIFO.queue_watch_events`` (one lock
acquisition, one wake-up); the processing thread takes up to 256 keys per
``DeltaFIFO.pop_batch`` and applies them key by key, exactly as one ``pop`` per key would,
then wakes each handler once. Semantics per object, per key and per delta are unchanged.
"""

from kmon.cache.backoff import Backoff
from kmon.cache.clock import Clock, FakeClock
from kmon.cache.delta_fifo import Delta, DeltaFIFO, DeltaType, FIFOClosedError
from kmon.cache.errors import (
    ApiStatusError,
    VeryShortWatchError,
    is_connection_refused,
    is_expired,
    is_internal_error,
    is_too_large_resource_version,
    is_too_many_requests,
)
from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.gcguard import freeze as freeze_gc
from kmon.cache.informer import EventHandler, FuncHandler, HandlerRegistration, SharedIndexInformer
from kmon.cache.keys import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    deletion_handling_key,
    meta_namespace_key,
    namespace_index,
    split_key,
)
from kmon.cache.listwatch import ListerWatcher, ListOptions, ListPage, Watch, WatchEvent
from kmon.cache.reflector import Reflector
from kmon.cache.stats import InformerStats
from kmon.cache.store import Indexer

__all__ = [
    "ApiStatusError", "Backoff", "Clock", "Delta", "DeltaFIFO", "DeltaRecord", "DeltaType",
    "DeletedFinalStateUnknown", "EventHandler", "FIFOClosedError", "FakeClock", "FuncHandler",
    "HandlerRegistration", "Indexer", "InformerStats", "ListOptions", "ListPage", "ListerWatcher",
    "NAMESPACE_INDEX", "Reflector", "ReflectorEvent", "ReflectorEventKind", "SharedIndexInformer",
    "VeryShortWatchError", "Watch", "WatchEvent", "deletion_handling_key", "freeze_gc",
    "is_connection_refused", "is_expired", "is_internal_error", "is_too_large_resource_version",
    "is_too_many_requests", "meta_namespace_key", "namespace_index", "split_key",
]
