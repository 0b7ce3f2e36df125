"""WatchList (streaming lists): the initial state arrives over one watch opened with
``send_initial_events``, ending with a bookmark annotated ``k8s.io/initial-events-end``; the
store is replaced with what was collected and the same watch stays open (client-go's
``Reflector.watchList``). A mixin of ``Reflector``, kept apart to keep files small.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING, Any, Iterator

from kmon.cache.errors import is_connection_refused, is_expired, is_too_large_resource_version, is_too_many_requests
from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.keys import deletion_handling_key
from kmon.cache.listwatch import ListOptions, Watch
from kmon.cache.stats import classify_error
from kmon.cache.store import Indexer
from kmon.cache.watch_handler import handle_watch

if TYPE_CHECKING:
    from kmon.cache.reflector import Reflector

    _Base = Reflector
else:
    _Base = object


def _keep_last(box: list[str]) -> Any:
    def set_rv(rv: str) -> None:
        box[0] = rv

    return set_rv


class WatchListMixin(_Base):
    def _watch_list(self, stop_event: threading.Event) -> tuple[Watch, Iterator[Any]] | None:
        """Stream the initial state over one watch; replace the store at the bookmark that
        ends it and return the still-open watch (None if stopped)."""
        c = self.counters
        while True:
            if stop_event.is_set():
                return None
            rv = self._rewatch_resource_version()
            self._begin_list(rv)
            temporary = Indexer(deletion_handling_key, indexers={})
            options = ListOptions(
                resource_version=rv,
                resource_version_match="NotOlderThan",
                allow_watch_bookmarks=True,
                send_initial_events=True,
                timeout_seconds=int(self.min_watch_timeout * (random.random() + 1.0)),
            )
            start = self._clock.monotonic()
            try:
                w = self._lw.watch(options)
            except Exception as err:
                if stop_event.is_set():
                    return None
                if self._watch_list_retriable(err, stop_event):
                    continue
                raise
            c.watches_started += 1
            self._emit(K.WatchStarted, resource_version_requested=rv, reason="watch-list")
            it = iter(w)
            self._set_current_watch(w)
            final_rv = [""]
            try:
                # (no GC pause here, unlike a list: a server that never sends the closing
                # bookmark would keep the collector off for as long as the stream lasts)
                got_bookmark = handle_watch(self, start, it, temporary, stop_event, True, _keep_last(final_rv))
            except Exception as err:
                self._end_watch(w, start, err, stop_event)
                if stop_event.is_set():
                    return None
                if self._watch_list_retriable(err, stop_event):
                    continue
                raise
            if stop_event.is_set():
                self._end_watch(w, start, None, stop_event)
                return None
            if got_bookmark:
                break
            self._end_watch(w, start, None, stop_event)
        resource_version = final_rv[0]
        self._set_unavailable(False)
        items = temporary.list()
        c.state = "watching"  # before the store can report synced (the watch is open)
        self._store.replace(items, resource_version)
        self._set_last_sync(resource_version)
        duration = self._clock.monotonic() - start
        c.lists += 1
        c.list_duration_last = duration
        c.list_duration_total += duration
        c.list_items_last = len(items)
        c.list_items_total += len(items)
        c.pages_last = 0
        c.count_watch_end("initial-events-end")
        self._emit(
            K.ListFinished, items=len(items), pages=0, duration=duration, paginated=False,
            resource_version_requested=rv,
        )
        return w, it

    def _watch_list_retriable(self, err: BaseException, stop_event: threading.Event) -> bool:
        if is_connection_refused(err) or is_too_many_requests(err):
            self.counters.count_error(classify_error(err), f"watch-list error: {err}")
            self._retry_backoff(err, stop_event)
            return True
        if is_expired(err) or is_too_large_resource_version(err):
            if is_expired(err):
                self.counters.expired += 1
                self._emit(K.Expired, error=str(err), reason="watch")
            self.counters.count_error(classify_error(err), f"watch-list error: {err}")
            self._set_unavailable(True)
            return True
        return False

