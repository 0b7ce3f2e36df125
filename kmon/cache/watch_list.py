"""WatchList (streaming lists): the initial state arrives over one watch opened with
``send_initial_events``, ending with a bookmark annotated ``k8s.io/initial-events-end``; the
store is then replaced with what was collected and the same watch stays open (client-go's
``Reflector.watchList``).

``watch_list`` makes one attempt: it opens the watch, collects its events into a temporary
store until that bookmark and returns a ``WatchListResult`` (the items, the bookmark's version
and the still-open watch with the rest of its events). Retrying, bookkeeping and falling back
to a list are the reflector's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Callable, Iterator

from kmon.cache.keys import deletion_handling_key
from kmon.cache.listwatch import ListOptions, Watch, WatchEvent, event_batches
from kmon.cache.store import Indexer
from kmon.cache.watch_handler import WatchEnd, WatchResult, WatchSink, handle_watch
from kmon.cache.watch_sink import ObjectStore


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


def watch_list(
    open_watch: Callable[[ListOptions], Watch],
    options: ListOptions,
    sink_into: Callable[[ObjectStore], WatchSink],
    stopped: Callable[[], bool],
    name: str = "",
) -> WatchListResult:
    """Open a watch with ``open_watch(options)`` (which raises if it cannot) and deliver its
    events (in its own batches when it is a ``BatchedWatch``) to ``sink_into(temporary
    store)`` until the end bookmark, the end of the stream, an error or ``stopped()``."""
    w = open_watch(options)
    events = event_batches(w)
    temporary = Indexer(deletion_handling_key, indexers={})
    # (no GC pause here, unlike a list: a server that never sends the closing bookmark
    # would keep the collector off for as long as the stream lasts)
    result = handle_watch(events, sink_into(temporary), stopped, until_initial_events_end=True, name=name)
    if result.rest:  # what followed the end bookmark in its batch is the watch's, not the list's
        events = chain((result.rest,), events)
    out = WatchListResult(w, events, result)
    if out.complete:
        out.items = temporary.list()
    return out
