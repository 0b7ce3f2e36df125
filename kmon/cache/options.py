"""Options objects for the informer machinery: what a ``Reflector`` and a
``SharedIndexInformer`` are configured with, as frozen values that callers build once and pass
down whole (``dataclasses.replace`` derives a variant).

Every layer above the cache (the informer factory in ``kmon.kube``, the monitor's sessions, the
GUI and headless commands) carries an ``InformerOptions`` instead of keyword dicts, so one
type says what an informer can be told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

# client-go ignores minimum watch timeouts under five minutes
MIN_WATCH_TIMEOUT = 300.0
# keys popped and applied per queue lock hold: one wake-up, one indexer/handler round per batch
PROCESS_BATCH = 256


@dataclass(frozen=True)
class ReflectorOptions:
    """How a reflector lists and watches (client-go's ``ReflectorOptions`` plus the knobs
    client-go keeps on the reflector itself)."""

    name: str = ""
    resync_period: float = 0.0
    page_size: int = 0
    min_watch_timeout: float = MIN_WATCH_TIMEOUT
    max_internal_error_retry: float = 0.0
    # WatchList whatever the gates say (else the WatchListClient gate decides)
    use_watch_list: bool = False
    # client-go's gates (kmon.cache.features.FeatureGates); None: the environment's
    features: Any = None


@dataclass(frozen=True)
class InformerOptions:
    """How a shared informer runs: its reflector's options, its store, and kmon's
    process-level policies (GC, batch size)."""

    name: str = ""
    resync_period: float = 0.0
    # index name -> function(obj) -> list of index values, beside the namespace index
    indexers: Mapping[str, Callable[[Any], list[str]]] = field(default_factory=dict)
    page_size: int = 0
    # WatchList whatever the gates say (else the WatchListClient gate decides)
    use_watch_list: bool = False
    # applied to every object before it is queued (client-go's SetTransform)
    transform: Callable[[Any], Any] | None = None
    min_watch_timeout: float = MIN_WATCH_TIMEOUT
    max_internal_error_retry: float = 0.0
    # freeze the collector's view of the cache once synced (kmon.cache.gcguard)
    freeze_gc_after_sync: bool = True
    # also freeze after every this many applied deltas (0: only the policy's schedule)
    gc_freeze_every: int = 0
    # install gcguard's process-wide collector policy on run
    gc_policy: bool = True
    process_batch: int = PROCESS_BATCH
    # client-go's informer gates (kmon.cache.features.FeatureGates): which queue, which
    # initial sync; None: ``FeatureGates.from_env()``, what a current controller runs
    features: Any = None

    def reflector(self) -> ReflectorOptions:
        """The reflector's share of these options."""
        return ReflectorOptions(
            name=self.name,
            resync_period=self.resync_period,
            page_size=self.page_size,
            min_watch_timeout=self.min_watch_timeout,
            max_internal_error_retry=self.max_internal_error_retry,
            use_watch_list=self.use_watch_list,
            features=self.features,
        )
