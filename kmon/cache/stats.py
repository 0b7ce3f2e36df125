"""Instrumentation: live counters the reflector and informer bump, and the frozen snapshot
(``InformerStats``) the GUI reads.

``Counters`` are plain int/float attribute updates: no lock and no allocation on the hot
path. Most fields have one writer: the reflector thread writes the list and watch fields
(watch events are counted there, by ``watch_sink.StoreSink``), the processing thread the
delta fields. A few are also written from another thread on rare paths: ``errors`` and
``last_error`` (``count_error``: a processing error on the processing thread),
``listener_errors`` (a failing delta listener, ditto) and ``state`` (the reflector's, but
failed by whichever thread crashed and stopped by ``run``); two failures at the same instant
may lose one count. A snapshot is not atomic across fields, which is fine for display.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kmon.cache.informer_metrics import (
    PROCESSING_LATENCY, QUEUED_ITEMS, STORE_RESOURCE_VERSION, LatencySnapshot, store_rv_metric,
)
from kmon.cache.reasons import InformerState


class Counters:
    """Mutable counters (see module doc for the threading rule)."""

    __slots__ = (
        "state", "lists", "relists", "list_duration_last", "list_duration_total",
        "list_items_last", "list_items_total", "pages_total", "pages_last", "watches_started",
        "watches_ended", "added", "modified", "deleted", "bookmarks", "error_events",
        "expired", "errors", "current_backoff", "last_event_time", "last_error",
        "last_relist_reason", "deltas_processed", "handler_errors", "listener_errors",
    )

    def __init__(self) -> None:
        self.state = InformerState.STARTING
        self.lists = 0
        self.relists = 0
        self.list_duration_last = 0.0
        self.list_duration_total = 0.0
        self.list_items_last = 0
        self.list_items_total = 0
        self.pages_total = 0
        self.pages_last = 0
        self.watches_started = 0
        self.watches_ended: dict[str, int] = {}
        self.added = 0
        self.modified = 0
        self.deleted = 0
        self.bookmarks = 0
        self.error_events = 0
        self.expired = 0
        self.errors: dict[str, int] = {}
        self.current_backoff = 0.0
        self.last_event_time: float | None = None
        self.last_error = ""
        self.last_relist_reason = ""
        self.deltas_processed = 0
        self.handler_errors = 0
        self.listener_errors = 0

    def count_error(self, kind: str, text: str) -> None:
        """``kind``: ``kmon.cache.reasons.classify_error``'s answer (kept as a plain str)."""
        kind = str(kind)
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.last_error = text

    def count_watch_end(self, reason: str) -> None:
        """``reason``: a ``kmon.cache.reasons.WatchEndReason`` (kept as a plain str)."""
        reason = str(reason)
        self.watches_ended[reason] = self.watches_ended.get(reason, 0) + 1


@dataclass(frozen=True, slots=True)
class InformerStats:
    """A point-in-time snapshot of one informer (all plain values)."""

    name: str
    state: str  # an InformerState value
    lists: int
    relists: int
    last_relist_reason: str
    list_duration_last: float
    list_duration_total: float
    list_items_last: int
    list_items_total: int
    pages_total: int
    pages_last: int
    watches_started: int
    watches_ended: dict[str, int]
    events: dict[str, int]  # ADDED / MODIFIED / DELETED / BOOKMARK / ERROR
    bookmarks: int
    expired: int  # 410s seen (list or watch)
    errors: dict[str, int]
    current_backoff: float
    last_synced_version: str
    unavailable: bool
    paginated: bool
    queue_depth: int
    store_size: int
    synced: bool
    last_event_time: float | None
    last_error: str
    deltas_processed: int
    handler_errors: int
    listener_errors: int = 0  # exceptions raised by reflector/delta listeners (logged)
    handler_backlog: dict[str, int] = field(default_factory=dict)
    # the path it runs (client-go's feature gates decide it; see kmon.cache.features):
    # "DeltaFIFO", or "RealFIFO" with its modes ("RealFIFO (atomic, batched, unlocking)")
    queue: str = "DeltaFIFO"
    # how its last list came: "LIST", "WatchList", or "LIST (WatchList failed: <why>)"
    initial_sync: str = "LIST"
    features: Any = None  # the FeatureGates it runs with
    # the version the cache reflects (client-go 1.36's store: the last list, bookmark or
    # applied object; "" unless the AtomicFIFO gate is on)
    store_resource_version: str = ""
    # informer_processing_latency_seconds: how long processing each pop took (None: not
    # measured, e.g. a replay); queue_depth is informer_queued_items (kmon.cache.informer_metrics)
    processing_latency: LatencySnapshot | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def metrics(self) -> dict[str, Any]:
        """client-go 1.36's informer metrics by their Prometheus names: queued items, the
        processing latency histogram (None when not measured) and the store's resource version
        as a number (None when it has none or it is opaque)."""
        lat = self.processing_latency
        return {
            QUEUED_ITEMS: self.queue_depth,
            PROCESSING_LATENCY: None if lat is None else lat.as_prometheus(),
            STORE_RESOURCE_VERSION: store_rv_metric(self.store_resource_version),
        }


def snapshot(
    name: str,
    c: Counters,
    *,
    last_synced_version: str,
    unavailable: bool,
    paginated: bool,
    queue_depth: int,
    store_size: int,
    synced: bool,
    handler_errors: int,
    handler_backlog: dict[str, int],
    queue: str = "DeltaFIFO",
    initial_sync: str = "LIST",
    features: Any = None,
    store_resource_version: str = "",
    processing_latency: LatencySnapshot | None = None,
) -> InformerStats:
    """An ``InformerStats`` from live counters and the informer's other readings."""
    return InformerStats(
        name=name,
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
        last_synced_version=last_synced_version,
        unavailable=unavailable,
        paginated=paginated,
        queue_depth=queue_depth,
        store_size=store_size,
        synced=synced,
        last_event_time=c.last_event_time,
        last_error=c.last_error,
        deltas_processed=c.deltas_processed,
        handler_errors=handler_errors,
        listener_errors=c.listener_errors,
        handler_backlog=handler_backlog,
        queue=queue,
        initial_sync=initial_sync,
        features=features,
        store_resource_version=store_resource_version,
        processing_latency=processing_latency,
    )
