"""The reflector's loop over one watch (client-go's ``handleAnyWatch``).

``handle_watch(batches, sink, stopped)`` reads a watch's events batch by batch (a plain
event iterator is read as batches of one: ``kmon.cache.listwatch.event_batches``) and hands
them to a ``WatchSink``: each run of object events (ADDED/MODIFIED/DELETED) in one
``sink.apply`` call, each BOOKMARK to ``sink.bookmark``. It returns a ``WatchResult`` saying how
the watch ended, how many events it delivered and the last resource version it saw; it never
raises for what the stream does (an ERROR event or a failing read is the result's ``error``).
What the reflector makes of the result (re-watch, back off, relist) is the reflector's affair.

It is the hot path: every watch event passes through here once, so the loop binds what it
needs to locals, takes no lock and allocates nothing per event beyond the run it hands over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Protocol

from kmon.cache.errors import ApiStatusError, VeryShortWatchError
from kmon.cache.listwatch import WatchEvent
from kmon.cache.raw_object import RawObject

log = logging.getLogger("kmon.cache.reflector")

INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end"

_OBJECT_EVENTS = frozenset(("ADDED", "MODIFIED", "DELETED"))
# a server asked for tables (kubectl's Accept header) answers with these: never cached
_TABLE_API_VERSIONS = frozenset(("meta.k8s.io/v1", "meta.k8s.io/v1beta1"))


class WatchSink(Protocol):
    """Where the watch loop delivers what it reads, in stream order."""

    def apply(self, run: list[tuple[str, Any]], resource_version: str) -> None:
        """A run of object events ``(type, object)``, oldest first; ``resource_version`` is
        that of the last one. Store failures are the sink's to report: it does not raise."""

    def bookmark(self, resource_version: str, initial_events_end: bool) -> None:
        """A BOOKMARK moved the version (``initial_events_end``: it ends a WatchList's
        initial events)."""


class WatchEnd(str, Enum):
    """How ``handle_watch`` returned."""

    CLOSED = "closed"  # the stream ended (server timeout, end of stream, or stop())
    STOPPED = "stopped"  # ``stopped()`` said so between batches
    ERROR_EVENT = "error-event"  # an ERROR event: ``error`` is its ApiStatusError
    FAILED = "failed"  # reading the stream raised: ``error`` is the exception
    INITIAL_EVENTS_END = "initial-events-end"  # (when asked to) the WatchList's end bookmark

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True, frozen=True)
class WatchResult:
    end: WatchEnd
    events: int  # events delivered to the sink (objects and bookmarks)
    resource_version: str  # the version of the last of them ("" if none)
    error: BaseException | None = None
    # INITIAL_EVENTS_END: the events after the end bookmark in its batch (not delivered)
    rest: list[WatchEvent] = field(default_factory=list)


def handle_watch(
    batches: Iterable[list[WatchEvent]],
    sink: WatchSink,
    stopped: Callable[[], bool],
    *,
    until_initial_events_end: bool = False,
    name: str = "",
) -> WatchResult:
    """Deliver the events of ``batches`` to ``sink`` until the stream ends, ``stopped()``
    holds (checked before each batch), an ERROR event arrives or, with
    ``until_initial_events_end``, the bookmark that ends a WatchList's initial events has
    been delivered (the events after it in its batch are the result's ``rest``).
    Events without metadata, of an unknown type, or carrying a ``Table`` (which no store
    can hold), are logged and skipped."""
    apply = sink.apply
    count = 0
    last_rv = ""
    try:
        for batch in batches:
            if stopped():
                return WatchResult(WatchEnd.STOPPED, count, last_rv)
            run: list[tuple[str, Any]] = []
            run_rv = ""
            for event in batch:
                etype = event.type
                obj = event.object
                if etype == "ERROR":
                    if run:
                        apply(run, run_rv)
                        last_rv = run_rv
                    return WatchResult(WatchEnd.ERROR_EVENT, count, last_rv, ApiStatusError.from_status(obj))
                if obj.__class__ is RawObject and etype in _OBJECT_EVENTS and obj.header.has_metadata \
                        and obj.kind != "Table":
                    # the cache's objects: what is read here comes from the decoded header
                    run.append((etype, obj))
                    run_rv = obj.resource_version
                    count += 1
                    continue
                try:
                    md = obj["metadata"]
                    rv = md.get("resourceVersion") or ""
                    if obj.get("kind") == "Table" and obj.get("apiVersion") in _TABLE_API_VERSIONS:
                        log.error("%s: unsupported watch event object: a %s Table", name, obj.get("apiVersion"))
                        continue
                except Exception:
                    log.error("%s: unable to understand watch event %r", name, event)
                    continue
                if etype in _OBJECT_EVENTS:
                    run.append((etype, obj))
                    run_rv = rv
                    count += 1
                    continue
                if etype != "BOOKMARK":
                    log.error("%s: unable to understand watch event type %r", name, etype)
                    continue
                if run:
                    apply(run, run_rv)
                    run = []
                annotations = md.get("annotations")
                end = bool(annotations) and annotations.get(INITIAL_EVENTS_END_ANNOTATION) == "true"
                sink.bookmark(rv, end)
                last_rv = rv
                count += 1
                if end and until_initial_events_end:
                    at = next(i for i, e in enumerate(batch) if e is event)
                    return WatchResult(WatchEnd.INITIAL_EVENTS_END, count, rv, rest=batch[at + 1:])
            if run:
                apply(run, run_rv)
                last_rv = run_rv
    except Exception as err:
        return WatchResult(WatchEnd.FAILED, count, last_rv, err)
    return WatchResult(WatchEnd.CLOSED, count, last_rv)


def watch_error(
    result: WatchResult,
    lived: float,
    stopped: Callable[[], bool],
    resync_error: BaseException | None = None,
    name: str = "",
) -> BaseException | None:
    """The error a watch that ``lived`` seconds ended with: the stream's (its ERROR event or
    failed read); else, after a close, ``resync_error`` (a failed resync stopped the watch);
    else "very short watch" for a close in under a second without an event (unless
    ``stopped()``); else none."""
    if result.error is not None:
        return result.error
    if result.end is WatchEnd.STOPPED:
        return None
    if resync_error is not None:
        return resync_error
    if stopped() or result.events or lived >= 1.0:
        return None
    return VeryShortWatchError(
        f"very short watch: {name}: unexpected watch close - watch lasted less than a second and no items received"
    )
