"""Which path an informer runs, from its feature gates (client-go's ``newQueueFIFO`` and the
controller's choice between ``Pop`` and ``PopBatch``; the reflector reads ``WatchListClient``).

An informer given no gates runs what a controller built with the newest client-go kmon knows
(1.36) runs, honouring the ``KUBE_FEATURE_<Gate>`` environment variables as client-go does
(``resolve_features``); ``FeatureGates.for_client_go("1.32")`` selects the classic path.

- ``InOrderInformers`` off: the classic ``DeltaFIFO`` (knowing the informer's indexer,
  emitting ``Replaced`` on relists).
- on: a ``RealFIFO``. With ``AtomicFIFO`` it is atomic (no known objects: one ``ReplacedAll``
  per relist, one ``SyncAll`` per resync, bookmarks as ``Bookmark`` deltas) and unlocks while
  processing when ``UnlockWhileProcessingFIFO`` is on too; without it, it knows the indexer and
  never unlocks (the gate alone does nothing, as in client-go).
- ``InOrderInformersBatchProcess`` decides whether a ``RealFIFO`` is drained with
  ``pop_batch`` (the classic path always pops per key).
"""

from __future__ import annotations

from typing import Any, Callable

from kmon.cache.delta_fifo import DeltaFIFO, KeyListerGetter
from kmon.cache.features import FeatureGates
from kmon.cache.informer_metrics import LatencyHistogram
from kmon.cache.keys import deletion_handling_key
from kmon.cache.real_fifo import RealFIFO

__all__ = ["describe_queue", "new_queue", "pops_batches", "resolve_features"]


def resolve_features(features: FeatureGates | None) -> FeatureGates:
    """The gates to run: ``features``, or (None) ``FeatureGates.from_env()``: the newest
    client-go's defaults as the environment overrides them."""
    return features if features is not None else FeatureGates.from_env()


def new_queue(
    features: FeatureGates,
    known_objects: KeyListerGetter,
    *,
    transform: Callable[[Any], Any] | None = None,
    before_replace: Callable[[], Any] | None = None,
    latency: LatencyHistogram | None = None,
) -> DeltaFIFO | RealFIFO:
    """The queue an informer with these gates runs (``known_objects``: its indexer;
    ``latency``: what observes its pops' processing)."""
    if not features.in_order_informers:
        return DeltaFIFO(deletion_handling_key, known_objects, True, transformer=transform,
                         before_replace=before_replace, latency=latency)
    if features.atomic_fifo:
        return RealFIFO(
            deletion_handling_key, None, atomic_events=True,
            unlock_while_processing=features.unlock_while_processing_fifo, emit_bookmarks=True,
            transform=transform, before_replace=before_replace, latency=latency,
        )
    return RealFIFO(deletion_handling_key, known_objects, transform=transform, before_replace=before_replace,
                    latency=latency)


def pops_batches(features: FeatureGates) -> bool:
    """Whether the informer drains a ``RealFIFO`` with ``pop_batch``."""
    return features.in_order_informers and features.in_order_informers_batch_process


def describe_queue(features: FeatureGates) -> str:
    """"DeltaFIFO", or "RealFIFO" with its modes: "RealFIFO (atomic, batched, unlocking)"."""
    if not features.in_order_informers:
        return "DeltaFIFO"
    modes = []
    if features.atomic_fifo:
        modes.append("atomic")
    if features.in_order_informers_batch_process:
        modes.append("batched")
    if features.atomic_fifo and features.unlock_while_processing_fifo:
        modes.append("unlocking")
    return "RealFIFO" + (f" ({', '.join(modes)})" if modes else "")
