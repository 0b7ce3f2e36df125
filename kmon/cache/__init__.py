"""kmon.cache: a pure-Python port of client-go's informer machinery (no Qt here).

ListerWatcher -> Reflector -> DeltaFIFO -> SharedIndexInformer -> Indexer + handlers.
Behaviour: /work/shared/docs/informer-semantics.md. Public names are re-exported here once.
"""

from kmon.cache.backoff import Backoff
from kmon.cache.clock import Clock, FakeClock
from kmon.cache.delta_fifo import Delta, DeltaFIFO, DeltaType, FIFOClosedError
from kmon.cache.errors import (
    ApiStatusError,
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
from kmon.cache.reflector import Reflector, VeryShortWatchError
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
