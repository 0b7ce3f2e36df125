"""Reflector: keeps a store in step with the API by listing, then watching (client-go's
``Reflector``).

One round (``list_and_watch``): list everything (``relist.list_into``: paged; or, with the
``WatchListClient`` gate or ``use_watch_list``, stream the initial state over one watch:
``watch_list``, falling back to a LIST for the round when that fails for any reason),
``store.replace`` it, then watch from the list's version (``watch_handler.handle_watch`` feeding the store
through a ``watch_sink.StoreSink``), re-watching after normal closes, until an error or a 410
ends the round. ``run`` repeats rounds with a backoff after each. What version to ask for is
the reflector's ``SyncVersion``: only this reflector writes it, from its own thread.

Stopping: while ``run`` (or ``list_and_watch``) is inside, a small thread aborts what is in
flight once the stop event is set (``interrupt.InFlight``: the open watch's ``stop()``, the
list-watcher's ``cancel()``), so a read blocked on the network cannot hold the reflector.

Instrumentation: ``counters`` (a ``kmon.cache.stats.Counters``) is bumped on this thread;
listeners added with ``add_listener(fn)`` get a ``ReflectorEvent`` at each step
(``report.ReflectorReport``). Listeners run synchronously on the reflector thread and must not
block (append to a deque and return); an exception from one is logged and otherwise ignored.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Callable, Iterator

from kmon.cache import gcguard
from kmon.cache.backoff import Backoff
from kmon.cache.clock import Clock
from kmon.cache.errors import ApiStatusError, is_bad_request, is_connection_refused, is_expired, is_internal_error
from kmon.cache.errors import is_too_large_resource_version, is_too_many_requests
from kmon.cache.events import ReflectorEvent, ReflectorEventKind as K
from kmon.cache.features import FeatureGates
from kmon.cache.informer_path import resolve_features
from kmon.cache.interrupt import InFlight
from kmon.cache.listwatch import CancellableListerWatcher, ListerWatcher, ListOptions, Watch, WatchEvent, event_batches
from kmon.cache.options import MIN_WATCH_TIMEOUT, ReflectorOptions
from kmon.cache.reasons import ErrorClass, InformerState as S, ReflectorPhase as P, WatchEndReason
from kmon.cache.reasons import classify_error
from kmon.cache.relist import list_into
from kmon.cache.report import ReflectorReport
from kmon.cache.resync import resyncing
from kmon.cache.retry import RetryWithDeadline
from kmon.cache.stats import Counters
from kmon.cache.sync_version import SyncVersion
from kmon.cache.watch_handler import WatchSink, handle_watch
from kmon.cache.watch_list import watch_list, watch_list_options
from kmon.cache.watch_requests import WatchRequests
from kmon.cache.watch_sink import ObjectStore, ReflectorStore, StoreSink

__all__ = ["MIN_WATCH_TIMEOUT", "Reflector", "ReflectorStore"]

log = logging.getLogger(__name__)

INTERNAL_ERROR_RESET_PERIOD = 60.0

OpenWatch = tuple[Watch, Iterator[list[WatchEvent]]]  # a watch and the rest of its events


class Reflector:
    """See the module doc. Configured by ``options`` (a ``ReflectorOptions``); the setting
    keywords (``name``, ``resync_period``, ``page_size``, ``min_watch_timeout``,
    ``max_internal_error_retry``, ``use_watch_list``, ``features``) are the contract's short
    form and are ignored when ``options`` is given, except ``features``, which (given)
    overrides ``options.features``; both None: the environment's gates
    (``informer_path.resolve_features``). ``clock``, ``should_resync`` (asked before each
    resync), ``counters`` and ``backoff`` are collaborators, not settings."""

    def __init__(
        self,
        list_watcher: ListerWatcher,
        store: ReflectorStore,
        *,
        name: str = "",
        resync_period: float = 0.0,
        page_size: int = 0,
        min_watch_timeout: float = MIN_WATCH_TIMEOUT,
        max_internal_error_retry: float = 0.0,
        clock: Clock | None = None,
        use_watch_list: bool = False,
        should_resync: Callable[[], bool] | None = None,
        counters: Counters | None = None,
        backoff: Backoff | None = None,
        features: FeatureGates | None = None,
        options: ReflectorOptions | None = None,
    ) -> None:
        if options is None:
            options = ReflectorOptions(
                name=name, resync_period=resync_period, page_size=page_size, min_watch_timeout=min_watch_timeout,
                max_internal_error_retry=max_internal_error_retry, use_watch_list=use_watch_list, features=features,
            )
        if not options.name:
            options = replace(options, name="reflector")
        self.options = options
        self.features = features if features is not None else resolve_features(options.features)
        self.use_watch_list = options.use_watch_list or self.features.watch_list_client
        self._lw = list_watcher
        self._store = store
        self._clock = clock or Clock()
        self.should_resync = should_resync
        self.counters = counters or Counters()
        self._backoff = backoff or Backoff(clock=self._clock)
        self._version = SyncVersion()
        self._report = ReflectorReport(options.name, self.counters, self._clock, self._version)
        canceller = list_watcher if isinstance(list_watcher, CancellableListerWatcher) else None
        self._in_flight = InFlight(options.name, canceller)
        self._watches = WatchRequests(list_watcher, self._report, self._in_flight, self._clock, options.name,
                                      options.min_watch_timeout)
        self._relist_reason = "initial"
        # how the last list came (before one: how it will): "LIST", "WatchList" or
        # "LIST (WatchList failed: <why>)"
        self.initial_sync = "WatchList" if self.use_watch_list else "LIST"
        self._phase = P.LIST
        self._resync_error: BaseException | None = None

    # -- configuration and public state ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self.options.name

    @property
    def resync_period(self) -> float:
        return self.options.resync_period

    @resync_period.setter
    def resync_period(self, seconds: float) -> None:
        """The informer sets its resync check period here when it starts (handlers added
        before may have shortened it)."""
        self.options = replace(self.options, resync_period=seconds)

    @property
    def last_sync_resource_version(self) -> str:
        return self._version.last

    @property
    def is_last_sync_resource_version_unavailable(self) -> bool:
        return self._version.unavailable

    @property
    def paginated_result(self) -> bool:
        return self._version.paginated

    def relist_resource_version(self) -> str:
        """``""`` if the last version is unavailable, ``"0"`` before any sync, else the last
        synced version."""
        return self._version.for_relist()

    def add_listener(self, fn: Callable[[ReflectorEvent], None]) -> None:
        """``fn(event)`` on the reflector thread for every ReflectorEvent; must not block."""
        self._report.add_listener(fn)

    def interrupt(self) -> None:
        """Abort in-flight I/O: stop the open watch and cancel a running list (if the
        list-watcher is a ``CancellableListerWatcher``). Safe from any thread, more than once."""
        self._in_flight.interrupt()

    # -- run loop -------------------------------------------------------------------------------
    def run(self, stop_event: threading.Event) -> None:
        """List and watch in rounds, with a backoff after each, until ``stop_event`` is set.
        Returns promptly after it is set (in-flight I/O is aborted); leaves no thread."""
        c = self.counters
        try:
            with self._in_flight.stopping_on(stop_event):
                while not stop_event.is_set():
                    try:
                        self.list_and_watch(stop_event)
                    except Exception as err:
                        if stop_event.is_set():
                            break
                        if self._round_failed(err):
                            c.state = S.FAILED  # asking again cannot help: stop here
                            return
                    if stop_event.is_set():
                        break
                    delay = self._backoff.next()
                    self._report.backing_off(delay, "round")
                    if self._clock.sleep(delay, stop_event):
                        break
                    c.current_backoff = 0.0
        finally:
            if c.state is not S.FAILED:
                c.state = S.STOPPED
            c.current_backoff = 0.0

    def _round_failed(self, err: BaseException) -> bool:
        """Count and report a failed round; True if it failed for good: the first page of a
        list answered 400 BadRequest (the request itself is wrong, e.g. a selector the
        server rejects), which no backoff can fix."""
        phase = self._phase
        permanent = phase is P.LIST and self._report.list_pages == 0 and is_bad_request(err)
        self._relist_reason = self._report.round_failed(err, phase, permanent)
        return permanent

    def _retry_backoff(self, err: BaseException, stop_event: threading.Event) -> bool:
        """Back off before watching again; honours a Retry-After as the minimum. True if
        stopped meanwhile."""
        delay = self._backoff.next()
        retry_after = err.retry_after if isinstance(err, ApiStatusError) else None
        if retry_after:
            delay = max(delay, float(retry_after))
        self._report.backing_off(delay, "watch-retry")
        stopped = self._clock.sleep(delay, stop_event)
        self.counters.current_backoff = 0.0
        return stopped

    # -- one round ------------------------------------------------------------------------------
    def list_and_watch(self, stop_event: threading.Event) -> None:
        """One round: (watch-)list then watch. Returns when the round ends without an error
        that needs reporting (stop, 410, a watch error); raises list/watch-start failures."""
        with self._in_flight.stopping_on(stop_event):
            self._list_and_watch(stop_event)

    def _list_and_watch(self, stop_event: threading.Event) -> None:
        stopped = stop_event.is_set
        opened = None
        fallback = ""
        reason = self._relist_reason  # one Relist per round, however many attempts its list takes
        self._report.relist(self._version.for_watch_list() if self.use_watch_list else self._version.for_relist(), reason)
        if self.use_watch_list:
            try:
                self._phase = P.WATCH_LIST
                opened = self._watch_list(stop_event)
                if opened is None:
                    return
            except Exception as err:
                if stopped():
                    return
                fallback = self._report.watch_list_fell_back(err)  # a LIST at once, for this round
                reason = f"{reason}; {fallback}, listing instead"
        if opened is None:
            self._phase = P.LIST
            page_size = self.options.page_size
            if not list_into(self._lw, self._store, self._version, self._report, page_size=page_size,
                             reason=reason, stopped=stopped):
                return
            self.initial_sync = f"LIST ({fallback})" if fallback else "LIST"
        else:
            self.initial_sync = "WatchList"
        self._resync_error = None
        with resyncing(self.resync_period, self._clock, self.should_resync, self._store.resync,
                       self._resync_failed, self.name):
            self._watch(opened, stop_event)

    def _resync_failed(self, err: BaseException) -> None:
        """(resync timer thread) End the watch: the round ends with this error."""
        self._resync_error = err
        self._in_flight.stop_watch()

    # -- WatchList ------------------------------------------------------------------------------
    def _watch_list(self, stop_event: threading.Event) -> OpenWatch | None:
        """Stream the initial state over one watch (``watch_list``), retrying what client-go
        retries; replace the store at the bookmark that ends it and return the still-open
        watch with the rest of its events (None if stopped). As a list is decoded, with the
        collector paused up to the replace, unless an attempt fails or the stream falls silent."""
        stopped = stop_event.is_set

        def open_watch(options: ListOptions) -> Watch:
            return self._watches.open(options, P.WATCH_LIST)

        collected = Counters()  # the initial events are the list's items, not watch events

        def on_bookmark(initial_events_end: bool) -> None:
            self.counters.bookmarks += 1
            self._report.bookmark(initial_events_end)

        def sink_into(store: ObjectStore) -> WatchSink:  # (no version until the store is replaced)
            return StoreSink(store, collected, self._clock.now, self.name, on_version=None, on_bookmark=on_bookmark)

        with gcguard.liftable_pause() as lift:
            while True:
                if stopped():
                    return None
                rv = self._version.for_watch_list()
                start = self._report.list_started(rv, self._relist_reason, watch_list=True)
                try:
                    wl = watch_list(open_watch, watch_list_options(rv, self._watches.timeout()), sink_into, stopped,
                                    self.name, self._clock, on_overdue=lift)
                except Exception as err:  # the watch did not open
                    lift()
                    if stopped():
                        return None
                    if self._watch_list_retriable(err, stop_event):
                        continue
                    raise
                if wl.complete and not stopped():
                    break
                lift()
                err = None if wl.complete else self._watches.error(wl.result, start, stopped)
                self._watches.end(wl.watch, start, err, wl.result.events, stop_event)
                if stopped():
                    return None
                if err is not None and not self._watch_list_retriable(err, stop_event):
                    raise err
                # retriable, or the stream closed before the end bookmark: open another
            self._version.set_unavailable(False)
            # before the store can report synced (the watch is open)
            self.counters.state = S.WATCHING
            try:  # (the stream goes on as the round's watch: counted ended only when it ends)
                self._store.replace(wl.items, wl.resource_version)
            except Exception as err:
                self._watches.end(wl.watch, start, err, wl.result.events, stop_event)
                raise
        self._version.synced(wl.resource_version)
        self._report.list_finished(rv, start, len(wl.items), 0, False)
        return wl.watch, wl.events

    def _watch_list_retriable(self, err: BaseException, stop_event: threading.Event) -> bool:
        if is_connection_refused(err) or is_too_many_requests(err):
            self.counters.count_error(classify_error(err), f"watch-list error: {err}")
            self._retry_backoff(err, stop_event)
            return True
        if is_expired(err) or is_too_large_resource_version(err):
            if is_expired(err):
                self.counters.expired += 1
                self._report.emit(K.Expired, error=str(err), reason=P.WATCH)
            self.counters.count_error(classify_error(err), f"watch-list error: {err}")
            self._version.set_unavailable(True)
            return True
        return False

    # -- watching -------------------------------------------------------------------------------
    def _watch(self, opened: OpenWatch | None, stop_event: threading.Event) -> None:
        """Watch from the last synced version, again and again after normal closes, until
        stopped or an error or 410 ends the round. ``opened``: a WatchList's open watch."""
        c = self.counters
        clock = self._clock
        stopped = stop_event.is_set
        retry = RetryWithDeadline(self.options.max_internal_error_retry, INTERNAL_ERROR_RESET_PERIOD, is_internal_error, clock)
        while True:
            if stopped():
                if opened is not None:
                    self._watches.end(opened[0], clock.monotonic(), None, 0, stop_event)
                return
            start = clock.monotonic()
            # a watch at "" or "0" starts with synthetic ADDED events in no version order (a
            # WatchList's open watch is past them)
            hold = False
            if opened is None:
                options = ListOptions(
                    resource_version=self._version.last, timeout_seconds=self._watches.timeout(), allow_watch_bookmarks=True,
                )
                hold = options.resource_version in ("", "0")
                self._phase = P.WATCH_START
                try:
                    w = self._watches.open(options, P.WATCH)
                except Exception as err:
                    if stopped():
                        return
                    if is_connection_refused(err) or is_too_many_requests(err):
                        # the server is probably restarting: keep our place, no relist
                        c.count_error(classify_error(err), f"watch error: {err}")
                        self._report.emit(K.Error, error=str(err), reason=P.WATCH_START)
                        if self._retry_backoff(err, stop_event):
                            return
                        continue
                    raise
                opened = (w, event_batches(w))
            w, batches = opened
            opened = None
            self._phase = P.WATCH
            self._in_flight.set_watch(w)
            c.state = S.WATCHING
            # each event's version becomes the last synced one (with ``hold``, from the first not ADDED)
            sink = StoreSink(self._store, c, clock.now, self.name, on_version=self._version.synced,
                             on_bookmark=self._report.bookmark, hold_version=hold)
            result = handle_watch(batches, sink, stopped, name=self.name)
            err = self._watches.error(result, start, stopped, self._resync_error)
            reason = self._watches.end(w, start, err, result.events, stop_event)
            retry.after(err)
            if stopped() or err is None:
                continue  # stop is handled at the top; a normal close re-watches
            text = str(err) or type(err).__name__
            if isinstance(err, TimeoutError) and clock.monotonic() - start >= 1.0:
                # the list-watcher gave the watch up as silent: the server did not answer its
                # health check, or the stream outlived its own deadline (kmon.kube.liveness) --
                # an idle watch on a live server is never ended. As client-go does when its
                # HTTP/2 health check closes a dead connection: re-watch from the last
                # version, no relist; a dead server fails the new watch, compaction answers 410.
                c.count_error(ErrorClass.SILENT, f"watch error: {text}")
                self._report.emit(K.Error, error=text, reason=P.WATCH)
                continue
            if reason is WatchEndReason.EXPIRED:
                # relist at the last synced version: a list at a version returns data at
                # least that fresh, so no need to mark it unavailable yet
                c.expired += 1
                self._relist_reason = "watch expired (410)"
                self._report.emit(K.Expired, error=text, reason=P.WATCH)
                return
            c.count_error(classify_error(err), f"watch error: {text}")
            if reason is WatchEndReason.TOO_MANY_REQUESTS:
                self._report.emit(K.Error, error=text, reason=P.WATCH)
                if self._retry_backoff(err, stop_event):
                    return
                continue
            if reason is WatchEndReason.INTERNAL_ERROR and retry.should_retry():
                self._report.emit(K.Error, error=text, reason=P.WATCH)
                continue
            self._relist_reason = f"watch error: {text}"
            log.warning("%s: watch ended with: %s", self.name, text)
            self._report.emit(K.Error, error=text, reason=P.RESYNC if err is self._resync_error else P.WATCH)
            return
