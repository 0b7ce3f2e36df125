"""The reflector's event loop over one watch (client-go's ``handleAnyWatch``).

Kept apart from ``reflector.py`` because it is the hot path: every watch event passes
through ``handle_watch`` once, so it binds what it needs to locals, takes no lock of its own
and allocates nothing per event beyond what the store does.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator

from kmon.cache.errors import ApiStatusError
from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.stats import classify_error

if TYPE_CHECKING:
    from kmon.cache.reflector import Reflector

log = logging.getLogger("kmon.cache.reflector")

INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end"


class VeryShortWatchError(Exception):
    """The watch closed in under a second without delivering anything."""

    very_short_watch = True


def handle_watch(
    r: "Reflector",
    start: float,
    it: Iterator[Any],
    store: Any,
    stop_event: threading.Event,
    exit_on_initial_events_end: bool,
    set_rv: Callable[[str], Any] | None,
) -> bool:
    """Apply events from ``it`` to ``store`` until the stream ends (or, when asked, until
    the bookmark that ends a WatchList's initial events). Returns whether that bookmark
    arrived. Raises the error an ERROR event carries, and "very short watch"."""
    c = r.counters
    now = r._clock.now
    stopped = stop_event.is_set
    add = store.add
    update = store.update
    delete = store.delete
    count = 0
    initial_events_end = False
    try:
        for event in it:
            if stopped():
                return initial_events_end
            etype = event.type
            obj = event.object
            if etype == "ERROR":
                c.error_events += 1
                raise ApiStatusError.from_status(obj)
            try:
                md = obj["metadata"]
                rv = md.get("resourceVersion") or ""
            except Exception:
                log.error("%s: unable to understand watch event %r", r.name, event)
                continue
            try:
                if etype == "MODIFIED":
                    update(obj)
                    c.modified += 1
                elif etype == "ADDED":
                    add(obj)
                    c.added += 1
                elif etype == "DELETED":
                    delete(obj)
                    c.deleted += 1
                elif etype == "BOOKMARK":
                    c.bookmarks += 1
                    annotations = md.get("annotations")
                    if annotations and annotations.get(INITIAL_EVENTS_END_ANNOTATION) == "true":
                        initial_events_end = True
                    if r._listeners:
                        if set_rv is None:
                            r._last_sync_rv = rv  # the event reports the new version
                        r._emit(K.Bookmark, items=int(initial_events_end))
                else:
                    log.error("%s: unable to understand watch event type %r", r.name, etype)
                    continue
            except Exception as err:
                c.count_error(classify_error(err), f"store error: {err}")
                log.error("%s: unable to apply %s event to the store: %s", r.name, etype, err)
            if set_rv is None:
                r._last_sync_rv = rv
            else:
                set_rv(rv)
            count += 1
            c.last_event_time = now()
            if exit_on_initial_events_end and initial_events_end:
                return True
    finally:
        r._watch_events = count
    if r._resync_error is not None:
        raise r._resync_error
    if stopped():
        return initial_events_end
    if count == 0 and r._clock.monotonic() - start < 1.0:
        raise VeryShortWatchError(
            f"very short watch: {r.name}: unexpected watch close - "
            "watch lasted less than a second and no items received"
        )
    return initial_events_end


def handle_watch_batches(
    r: "Reflector",
    start: float,
    batches: Iterator[list[Any]],
    store: Any,
    stop_event: threading.Event,
) -> None:
    """``handle_watch`` for a watch that delivers its events in batches (``batches()``,
    e.g. every complete line of one socket read): the same decisions event by event, but a
    run of object events goes to the store in one call (``queue_watch_events`` when the
    store has it: one lock acquisition and one wake-up of the consumer per run) and the
    clock is read once per batch. The last synced version advances to the version of the
    last event of each run once the run is queued."""
    c = r.counters
    now = r._clock.now
    stopped = stop_event.is_set
    queue_events = getattr(store, "queue_watch_events", None)
    count = 0
    try:
        for batch in batches:
            if stopped():
                return
            run: list[tuple[str, Any]] = []
            run_rv = ""
            for event in batch:
                etype = event.type
                obj = event.object
                if etype == "ERROR":
                    if run:
                        _apply_run(r, store, queue_events, run)
                        r._last_sync_rv = run_rv
                        run = []
                    c.error_events += 1
                    raise ApiStatusError.from_status(obj)
                try:
                    md = obj["metadata"]
                    rv = md.get("resourceVersion") or ""
                except Exception:
                    log.error("%s: unable to understand watch event %r", r.name, event)
                    continue
                if etype == "MODIFIED":
                    c.modified += 1
                elif etype == "ADDED":
                    c.added += 1
                elif etype == "DELETED":
                    c.deleted += 1
                elif etype == "BOOKMARK":
                    if run:
                        _apply_run(r, store, queue_events, run)
                        r._last_sync_rv = run_rv
                        run = []
                    c.bookmarks += 1
                    if r._listeners:
                        annotations = md.get("annotations")
                        end = bool(annotations) and annotations.get(INITIAL_EVENTS_END_ANNOTATION) == "true"
                        r._last_sync_rv = rv  # the event reports the new version
                        r._emit(K.Bookmark, items=int(end))
                    r._last_sync_rv = rv
                    count += 1
                    continue
                else:
                    log.error("%s: unable to understand watch event type %r", r.name, etype)
                    continue
                run.append((etype, obj))
                run_rv = rv
                count += 1
            if run:
                _apply_run(r, store, queue_events, run)
                r._last_sync_rv = run_rv
            if batch:
                c.last_event_time = now()
    finally:
        r._watch_events = count
    if r._resync_error is not None:
        raise r._resync_error
    if stopped():
        return
    if count == 0 and r._clock.monotonic() - start < 1.0:
        raise VeryShortWatchError(
            f"very short watch: {r.name}: unexpected watch close - "
            "watch lasted less than a second and no items received"
        )


def _apply_run(r: "Reflector", store: Any, queue_events: Callable[..., Any] | None, run: list[tuple[str, Any]]) -> None:
    """Hand a run of object events to the store; a failing item is counted and logged, as
    ``handle_watch`` does for a failing ``add``/``update``/``delete``."""
    if queue_events is not None:
        try:
            errors = queue_events(run)
        except Exception as err:  # the whole call failed: nothing per item to report
            errors = [(i, err) for i in range(len(run))]
    else:
        errors = []
        ops = {"ADDED": store.add, "MODIFIED": store.update, "DELETED": store.delete}
        for i, (etype, obj) in enumerate(run):
            try:
                ops[etype](obj)
            except Exception as err:
                errors.append((i, err))
    for i, err in errors:
        etype = run[i][0]
        r.counters.count_error(classify_error(err), f"store error: {err}")
        log.error("%s: unable to apply %s event to the store: %s", r.name, etype, err)
