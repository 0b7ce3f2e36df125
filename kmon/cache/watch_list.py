"""WatchList (streaming lists): the initial state arrives over one watch opened with
``send_initial_events``, ending with a bookmark annotated ``k8s.io/initial-events-end``; the
store is then replaced with what was collected and the same watch stays open (client-go's
``Reflector.watchList``).

``watch_list`` makes one attempt: it opens the watch, collects its events into a temporary
store until that bookmark and returns a ``WatchListResult`` (the items, the bookmark's version
and the still-open watch with the rest of its events). Retrying, bookkeeping and falling back
to a list are the reflector's. While the end bookmark has not come, a warning is logged every
``BOOKMARK_WARNING_PERIOD`` seconds in which the stream said nothing (client-go's
initialEventsEndBookmarkTicker).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Callable, Iterator

from kmon.cache.clock import Clock, ticking
from kmon.cache.keys import deletion_handling_key
from kmon.cache.listwatch import ListOptions, Watch, WatchEvent, event_batches
from kmon.cache.store import Indexer
from kmon.cache.watch_handler import WatchEnd, WatchResult, WatchSink, handle_watch
from kmon.cache.watch_sink import ObjectStore

log = logging.getLogger("kmon.cache.reflector")

BOOKMARK_WARNING_PERIOD = 10.0


@dataclass(slots=True)
class WatchListResult:
    watch: Watch  # open; stop it unless ``complete``, and then once done with ``events``
    events: Iterator[list[WatchEvent]]  # the rest of the stream, after the end bookmark
    result: WatchResult  # how collecting ended (``complete``: at the end bookmark)
    items: list[Any] = field(default_factory=list)  # the initial state (when complete)

    @property
    def complete(self) -> bool:
        return self.result.end is WatchEnd.INITIAL_EVENTS_END

    @property
    def resource_version(self) -> str:
        """The version of the end bookmark: the one the collected items are at."""
        return self.result.resource_version


def watch_list_options(resource_version: str, timeout_seconds: int) -> ListOptions:
    return ListOptions(
        resource_version=resource_version,
        resource_version_match="NotOlderThan",
        allow_watch_bookmarks=True,
        send_initial_events=True,
        timeout_seconds=timeout_seconds,
    )


class _Noting:
    """A ``WatchSink`` passing everything on and noting when the stream last said something."""

    __slots__ = ("_sink", "_now", "last")

    def __init__(self, sink: WatchSink, now: Callable[[], float]) -> None:
        self._sink = sink
        self._now = now
        self.last: float | None = None

    def apply(self, run: list[tuple[str, Any]], resource_version: str) -> None:
        self._sink.apply(run, resource_version)
        self.last = self._now()

    def bookmark(self, resource_version: str, initial_events_end: bool) -> None:
        self._sink.bookmark(resource_version, initial_events_end)
        self.last = self._now()


def overdue_warning(name: str, now: float, start: float, last: float | None, period: float) -> str | None:
    """What to warn of at a tick while the end bookmark has not come: nothing yet, or silence
    since the watch began, or for ``period`` or more since its last event."""
    if last is None:
        return f"{name}: awaiting the bookmark that ends the initial events; no events received for {now - start:.0f}s"
    if now - last >= period:
        return (f"{name}: the bookmark that ends the initial events has not come; the last event was "
                f"{now - last:.0f}s ago")
    return None


@contextmanager
def _end_bookmark_watchdog(clock: Clock, name: str, noting: _Noting, period: float,
                           on_overdue: Callable[[], None] | None) -> Iterator[None]:
    """While inside, every ``period`` seconds of ``clock``, log ``overdue_warning``'s warning
    and call ``on_overdue`` (no thread on a clock that cannot tick)."""
    if not clock.ticks:
        yield
        return
    start = clock.now()

    def tick() -> None:
        text = overdue_warning(name, clock.now(), start, noting.last, period)
        if text:
            log.warning("%s", text)
            if on_overdue is not None:
                on_overdue()

    with ticking(clock, period, tick, f"{name}-watch-list-warning"):
        yield


def watch_list(
    open_watch: Callable[[ListOptions], Watch],
    options: ListOptions,
    sink_into: Callable[[ObjectStore], WatchSink],
    stopped: Callable[[], bool],
    name: str = "",
    clock: Clock | None = None,
    warn_every: float = BOOKMARK_WARNING_PERIOD,
    on_overdue: Callable[[], None] | None = None,
) -> WatchListResult:
    """Open a watch with ``open_watch(options)`` (which raises if it cannot) and deliver its
    events (in its own batches when it is a ``BatchedWatch``) to ``sink_into(temporary
    store)`` until the end bookmark, the end of the stream, an error or ``stopped()``;
    meanwhile warn every ``warn_every`` seconds of ``clock`` in which the stream is silent
    (and call ``on_overdue``)."""
    clock = clock or Clock()
    w = open_watch(options)
    events = event_batches(w)
    temporary = Indexer(deletion_handling_key, indexers={}, track_resource_version=False)
    sink = _Noting(sink_into(temporary), clock.now)
    with _end_bookmark_watchdog(clock, name, sink, warn_every, on_overdue):
        result = handle_watch(events, sink, stopped, until_initial_events_end=True, name=name)
    if result.rest:  # what followed the end bookmark in its batch is the watch's, not the list's
        events = chain((result.rest,), events)
    out = WatchListResult(w, events, result)
    if out.complete:
        out.items = temporary.list()
    return out
