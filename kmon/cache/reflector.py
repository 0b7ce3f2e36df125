"""Reflector: keeps a store in step with the API by listing, then watching (client-go's
``Reflector``).

One round (``list_and_watch``): list everything (paged; or, with ``use_watch_list``, stream
the initial state over a watch), ``store.replace`` it, then watch from the list's version,
feeding ``store.add/update/delete``, re-watching after normal closes, until an error or a
410 ends the round. ``run`` repeats rounds with a backoff after each. The resource version
is tracked here and nowhere else.

Stopping: ``run`` starts one small thread that, once the stop event is set, calls the open
watch's ``stop()`` and the list-watcher's optional ``cancel()`` (which aborts an in-flight
list) until ``run`` returns, so a read blocked on the network cannot hold the reflector.

Instrumentation: ``counters`` (a ``kmon.cache.stats.Counters``) is bumped on this thread;
listeners added with ``add_listener(fn)`` get a ``ReflectorEvent`` at each step. Listeners
run synchronously on the reflector thread and must not block (append to a deque and return);
an exception from one is logged and otherwise ignored.
"""

from __future__ import annotations

import logging
import random
import threading
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Callable, Iterator, Protocol

from kmon.cache import gcguard
from kmon.cache.backoff import Backoff
from kmon.cache.clock import Clock
from kmon.cache.errors import (
    ApiStatusError,
    VeryShortWatchError,
    is_bad_request,
    is_connection_refused,
    is_expired,
    is_internal_error,
    is_too_large_resource_version,
    is_too_many_requests,
)
from kmon.cache.events import ReflectorEvent, ReflectorEventKind as K
from kmon.cache.interrupt import interrupt_on_stop
from kmon.cache.listwatch import (
    CancellableListerWatcher,
    ListerWatcher,
    ListOptions,
    ListPage,
    Watch,
    WatchEvent,
    event_batches,
)
from kmon.cache.options import MIN_WATCH_TIMEOUT, ReflectorOptions
from kmon.cache.pager import DEFAULT_PAGE_SIZE, _Stopped, list_all
from kmon.cache.retry import RetryWithDeadline
from kmon.cache.reasons import ErrorClass, InformerState as S, ReflectorPhase as P, WatchEndReason, classify_error, watch_end_reason
from kmon.cache.stats import Counters
from kmon.cache.watch_handler import WatchEnd, WatchResult, WatchSink, handle_watch
from kmon.cache.watch_list import watch_list, watch_list_options
from kmon.cache.watch_sink import ObjectStore, StoreSink

log = logging.getLogger(__name__)

INTERNAL_ERROR_RESET_PERIOD = 60.0


class ReflectorStore(ObjectStore, Protocol):
    """The part of a store the reflector uses (the informer passes its DeltaFIFO; one that
    is also a ``WatchEventQueue`` gets each run of watch events in one call)."""

    def replace(self, items: list[Any], resource_version: str) -> Any: ...

    def resync(self) -> Any: ...


class Reflector:
    """See the module doc. Configured by ``options`` (a ``ReflectorOptions``); the setting
    keywords (``name``, ``resync_period``, ``page_size``, ``min_watch_timeout``,
    ``max_internal_error_retry``, ``use_watch_list``) are the contract's short form and are
    ignored when ``options`` is given. ``clock``, ``should_resync`` (asked before each
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
        options: ReflectorOptions | None = None,
    ) -> None:
        if options is None:
            options = ReflectorOptions(
                name=name, resync_period=resync_period, page_size=page_size, min_watch_timeout=min_watch_timeout,
                max_internal_error_retry=max_internal_error_retry, use_watch_list=use_watch_list,
            )
        if not options.name:
            options = replace(options, name="reflector")
        self.options = options
        self._lw = list_watcher
        self._canceller = list_watcher if isinstance(list_watcher, CancellableListerWatcher) else None
        self._store = store
        self._clock = clock or Clock()
        self.should_resync = should_resync
        self.counters = counters or Counters()
        self._backoff = backoff or Backoff(clock=self._clock)
        self._listeners: list[Callable[[ReflectorEvent], None]] = []
        # _rv_lock guards the pair (_last_sync_rv, _unavailable); _last_sync_rv alone is
        # read without it (an atomic attribute load)
        self._rv_lock = threading.Lock()
        self._last_sync_rv = ""
        self._unavailable = False
        self._paginated_result = False
        self._io_lock = threading.Lock()  # guards _current_watch
        self._current_watch: Watch | None = None
        self._stop_event: threading.Event | None = None
        self._relist_reason = "initial"
        self._phase = P.LIST
        self._resync_error: BaseException | None = None
        self._stopper_active = False
        self._list_pages = 0  # pages received by the list in progress

    # -- public state ---------------------------------------------------------------------------
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
        return self._last_sync_rv

    @property
    def is_last_sync_resource_version_unavailable(self) -> bool:
        return self._unavailable

    @property
    def paginated_result(self) -> bool:
        return self._paginated_result

    def relist_resource_version(self) -> str:
        """``""`` if the last version is unavailable, ``"0"`` before any sync, else the last
        synced version."""
        with self._rv_lock:
            if self._unavailable:
                return ""
            if self._last_sync_rv == "":
                return "0"
            return self._last_sync_rv

    def _rewatch_resource_version(self) -> str:
        with self._rv_lock:
            return "" if self._unavailable else self._last_sync_rv

    def _set_unavailable(self, value: bool) -> None:
        with self._rv_lock:
            self._unavailable = value

    def _set_last_sync(self, rv: str) -> None:
        with self._rv_lock:
            self._last_sync_rv = rv

    def add_listener(self, fn: Callable[[ReflectorEvent], None]) -> None:
        """``fn(event)`` on the reflector thread for every ReflectorEvent; must not block."""
        self._listeners = [*self._listeners, fn]

    def _emit(self, kind: K, **detail: Any) -> None:
        listeners = self._listeners
        if not listeners:
            return
        event = ReflectorEvent(kind, self._clock.now(), self._last_sync_rv, detail)
        for fn in listeners:
            try:
                fn(event)
            except Exception:
                self.counters.listener_errors += 1
                log.exception("%s: reflector listener %r failed", self.name, fn)

    # -- run loop -------------------------------------------------------------------------------
    def run(self, stop_event: threading.Event) -> None:
        """List and watch in rounds, with a backoff after each, until ``stop_event`` is set.
        Returns promptly after it is set (in-flight I/O is aborted); leaves no thread."""
        c = self.counters
        try:
            with self._stopper(stop_event):
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
                    c.current_backoff = delay
                    c.state = S.BACKING_OFF
                    self._emit(K.Backoff, delay=delay, reason="round")
                    if self._clock.sleep(delay, stop_event):
                        break
                    c.current_backoff = 0.0
        finally:
            if c.state is not S.FAILED:
                c.state = S.STOPPED
            c.current_backoff = 0.0

    @contextmanager
    def _stopper(self, stop_event: threading.Event) -> Iterator[None]:
        """While inside, a helper thread aborts blocked I/O once ``stop_event`` is set.
        Re-entrant: ``list_and_watch`` called from ``run`` shares run's helper."""
        if self._stopper_active:
            yield
            return
        self._stopper_active = True
        self._stop_event = stop_event
        try:
            with interrupt_on_stop(stop_event, self.interrupt, f"{self.name}-stopper"):
                yield
        finally:
            self._stopper_active = False

    def _round_failed(self, err: BaseException) -> bool:
        """Count and report a failed round; True if it failed for good: the first page of a
        list answered 400 BadRequest (the request itself is wrong, e.g. a selector the
        server rejects), which no backoff can fix."""
        phase = self._phase
        text = f"{phase} error: {err}" if str(err) else f"{phase} error: {type(err).__name__}"
        self.counters.count_error(classify_error(err), text)
        permanent = phase is P.LIST and self._list_pages == 0 and is_bad_request(err)
        if is_expired(err):
            self.counters.expired += 1
            self._emit(K.Expired, error=str(err), reason=phase)
            self._relist_reason = "watch expired (410)" if phase is not P.LIST else text
        else:
            self._relist_reason = text
        log.warning("%s: %s%s", self.name, text, " (not retried)" if permanent else "")
        detail = {"permanent": True} if permanent else {}
        self._emit(K.Error, error=str(err) or type(err).__name__, reason=phase, **detail)
        return permanent

    def interrupt(self) -> None:
        """Abort in-flight I/O: stop the open watch and cancel a running list (if the
        list-watcher has ``cancel()``). Safe to call from any thread, more than once."""
        with self._io_lock:
            w = self._current_watch
        if w is not None:
            try:
                w.stop()
            except Exception:
                log.debug("%s: watch.stop() failed", self.name, exc_info=True)
        if self._canceller is not None:
            try:
                self._canceller.cancel()
            except Exception:
                log.debug("%s: list-watcher cancel() failed", self.name, exc_info=True)

    def _open_watch(self, options: ListOptions, reason: P) -> Watch:
        """Start a watch (raises what ``list_watcher.watch`` raises); count and announce it
        and make it the one ``interrupt`` stops."""
        w = self._lw.watch(options)
        self.counters.watches_started += 1
        self._emit(K.WatchStarted, resource_version_requested=options.resource_version, reason=reason)
        self._set_current_watch(w)
        return w

    def _watch_timeout(self) -> int:
        """Server-side timeout of the next watch: random in [min, 2 x min] (client-go)."""
        # client-go ignores minimum watch timeouts under five minutes
        return int(max(self.options.min_watch_timeout, MIN_WATCH_TIMEOUT) * (random.random() + 1.0))

    def _store_sink(self, store: ObjectStore, *, follow_version: bool) -> WatchSink:
        """The watch loop's sink into ``store``; ``follow_version``: each event's version
        becomes the last synced one (not while a WatchList collects its initial events)."""
        return StoreSink(
            store, self.counters, self._clock.now, self.name,
            on_version=self._set_last_sync if follow_version else None, on_bookmark=self._bookmarked,
        )

    def _bookmarked(self, initial_events_end: bool) -> None:
        self._emit(K.Bookmark, items=int(initial_events_end))

    def _set_current_watch(self, w: Watch | None) -> None:
        with self._io_lock:
            self._current_watch = w
        stop = self._stop_event
        if w is not None and stop is not None and stop.is_set():
            w.stop()

    # -- one round ------------------------------------------------------------------------------
    def list_and_watch(self, stop_event: threading.Event) -> None:
        """One round: (watch-)list then watch. Returns when the round ends without an error
        that needs reporting (stop, 410, a watch error); raises list/watch-start failures."""
        with self._stopper(stop_event):
            self._list_and_watch(stop_event)

    def _list_and_watch(self, stop_event: threading.Event) -> None:
        opened = None
        fallback = not self.options.use_watch_list
        if self.options.use_watch_list:
            try:
                self._phase = P.WATCH_LIST
                opened = self._watch_list(stop_event)
                if opened is None:
                    return
            except Exception as err:
                if stop_event.is_set():
                    return
                log.warning("%s: watch-list failed, falling back to list/watch: %s", self.name, err)
                self.counters.count_error(classify_error(err), f"watch-list error: {err}")
                self._emit(K.Error, error=str(err), reason=P.WATCH_LIST)
                fallback = True
                opened = None
        if fallback:
            self._phase = P.LIST
            if not self._list(stop_event):
                return
        self._watch_with_resync(opened, stop_event)

    def _page_size_for(self, rv: str) -> int:
        if self.options.page_size:
            return self.options.page_size
        if self._paginated_result:
            return DEFAULT_PAGE_SIZE
        if rv not in ("", "0"):
            return 0  # let the server answer from its watch cache
        return DEFAULT_PAGE_SIZE

    def _begin_list(self, rv: str) -> None:
        """Count and announce a list (or a watch-list) from ``rv`` starting."""
        c = self.counters
        reason = self._relist_reason
        if c.lists > 0:
            c.relists += 1
        c.last_relist_reason = reason
        c.state = S.LISTING
        self._list_pages = 0
        self._emit(K.Relist, reason=reason, resource_version_requested=rv)
        self._emit(K.ListStarted, resource_version_requested=rv, reason=reason)

    def _list(self, stop_event: threading.Event) -> bool:
        """List and replace the store; False if abandoned because of stop."""
        c = self.counters
        rv = self.relist_resource_version()
        self._begin_list(rv)
        page_size = self._page_size_for(rv)
        start = self._clock.monotonic()

        def on_page(page: ListPage, n: int) -> None:
            c.pages_total += 1
            self._list_pages = n
            if self._listeners:
                self._emit(K.Page, items=len(page.items), pages=n)

        stopped = stop_event.is_set
        try:
            with gcguard.paused():
                try:
                    result = list_all(self._lw, rv, page_size, on_page=on_page, stopped=stopped)
                except _Stopped:
                    return False
                except Exception as err:
                    if stopped():
                        return False
                    if not (is_expired(err) or is_too_large_resource_version(err)):
                        raise
                    # the version is gone (or not there yet): list again at once from the
                    # newest data, same paging
                    self._set_unavailable(True)
                    if is_expired(err):
                        c.expired += 1
                    c.count_error(classify_error(err), f"list error: {err}")
                    self._emit(K.Expired, error=str(err), reason=P.LIST)
                    rv = self.relist_resource_version()
                    result = list_all(self._lw, rv, page_size, on_page=on_page, stopped=stopped)
                if stopped():
                    return False
                if rv == "0" and result.paginated:
                    self._paginated_result = True
                self._set_unavailable(False)
                # listed: from here on the reflector follows changes. Said before the store
                # can report synced, so no one sees a synced informer still "listing"
                c.state = S.WATCHING
                self._store.replace(result.items, result.resource_version)
                self._set_last_sync(result.resource_version)
        except _Stopped:
            return False
        except Exception:
            if stopped():
                return False
            raise
        self._finish_list(rv, start, len(result.items), result.pages, result.paginated)
        return True

    def _finish_list(self, rv: str, start: float, items: int, pages: int, paginated: bool) -> None:
        """Count and announce a list (or a watch-list: no pages) from ``rv`` that ended well."""
        c = self.counters
        duration = self._clock.monotonic() - start
        c.lists += 1
        c.list_duration_last = duration
        c.list_duration_total += duration
        c.list_items_last = items
        c.list_items_total += items
        c.pages_last = pages
        self._emit(
            K.ListFinished, items=items, pages=pages, duration=duration, paginated=paginated,
            resource_version_requested=rv,
        )

    def _watch_list(self, stop_event: threading.Event) -> tuple[Watch, Iterator[list[WatchEvent]]] | None:
        """Stream the initial state over one watch (``kmon.cache.watch_list``), retrying what
        client-go retries; replace the store at the bookmark that ends it and return the
        still-open watch with the rest of its events (None if stopped)."""
        stopped = stop_event.is_set

        def open_watch(options: ListOptions) -> Watch:
            return self._open_watch(options, P.WATCH_LIST)

        def sink_into(store: ObjectStore) -> WatchSink:
            return self._store_sink(store, follow_version=False)

        while True:
            if stopped():
                return None
            rv = self._rewatch_resource_version()
            self._begin_list(rv)
            start = self._clock.monotonic()
            try:
                wl = watch_list(open_watch, watch_list_options(rv, self._watch_timeout()), sink_into, stopped, self.name)
            except Exception as err:  # the watch did not open
                if stopped():
                    return None
                if self._watch_list_retriable(err, stop_event):
                    continue
                raise
            if wl.complete and not stopped():
                break
            err = None if wl.complete else self._watch_error(wl.result, start, stopped)
            self._end_watch(wl.watch, start, err, wl.result.events, stop_event)
            if stopped():
                return None
            if err is not None and not self._watch_list_retriable(err, stop_event):
                raise err
            # retriable, or the stream closed before the end bookmark: open another
        self._set_unavailable(False)
        # before the store can report synced (the watch is open)
        self.counters.state = S.WATCHING
        self._store.replace(wl.items, wl.resource_version)
        self._set_last_sync(wl.resource_version)
        self.counters.count_watch_end(WatchEndReason.INITIAL_EVENTS_END)
        self._finish_list(rv, start, len(wl.items), 0, False)
        return wl.watch, wl.events

    def _watch_list_retriable(self, err: BaseException, stop_event: threading.Event) -> bool:
        if is_connection_refused(err) or is_too_many_requests(err):
            self.counters.count_error(classify_error(err), f"watch-list error: {err}")
            self._retry_backoff(err, stop_event)
            return True
        if is_expired(err) or is_too_large_resource_version(err):
            if is_expired(err):
                self.counters.expired += 1
                self._emit(K.Expired, error=str(err), reason=P.WATCH)
            self.counters.count_error(classify_error(err), f"watch-list error: {err}")
            self._set_unavailable(True)
            return True
        return False

    def _retry_backoff(self, err: BaseException, stop_event: threading.Event) -> bool:
        """Back off before re-watching; honours a Retry-After as the minimum. True if
        stopped meanwhile."""
        c = self.counters
        delay = self._backoff.next()
        retry_after = err.retry_after if isinstance(err, ApiStatusError) else None
        if retry_after:
            delay = max(delay, float(retry_after))
        c.current_backoff = delay
        c.state = S.BACKING_OFF
        self._emit(K.Backoff, delay=delay, reason="watch-retry")
        stopped = self._clock.sleep(delay, stop_event)
        c.current_backoff = 0.0
        return stopped

    # -- watching -------------------------------------------------------------------------------
    def _watch_with_resync(self, opened: tuple[Watch, Iterator[list[WatchEvent]]] | None, stop_event: threading.Event) -> None:
        cancel = threading.Event()
        self._resync_error = None
        resyncer = None
        if self.resync_period > 0:
            resyncer = threading.Thread(
                target=self._resync_loop, args=(cancel,), name=f"{self.name}-resync", daemon=True
            )
            resyncer.start()
        try:
            self._watch(opened, stop_event)
        finally:
            cancel.set()
            if resyncer is not None:
                resyncer.join()

    def _resync_loop(self, cancel: threading.Event) -> None:
        while not self._clock.sleep(self.resync_period, cancel):
            if cancel.is_set():
                return
            should = self.should_resync
            if should is None or should():
                try:
                    self._store.resync()
                except Exception as err:
                    self._resync_error = err
                    with self._io_lock:
                        w = self._current_watch
                    if w is not None:
                        w.stop()
                    return

    def _watch(self, opened: tuple[Watch, Iterator[list[WatchEvent]]] | None, stop_event: threading.Event) -> None:
        """Watch from the last synced version, again and again after normal closes, until
        stopped or an error or 410 ends the round. ``opened``: a WatchList's open watch."""
        c = self.counters
        clock = self._clock
        stopped = stop_event.is_set
        sink = self._store_sink(self._store, follow_version=True)
        retry = RetryWithDeadline(self.options.max_internal_error_retry, INTERNAL_ERROR_RESET_PERIOD, is_internal_error, clock)
        while True:
            if stopped():
                if opened is not None:
                    self._end_watch(opened[0], clock.monotonic(), None, 0, stop_event)
                return
            start = clock.monotonic()
            if opened is None:
                options = ListOptions(
                    resource_version=self._last_sync_rv, timeout_seconds=self._watch_timeout(), allow_watch_bookmarks=True,
                )
                self._phase = P.WATCH_START
                try:
                    w = self._open_watch(options, P.WATCH)
                except Exception as err:
                    if stopped():
                        return
                    if is_connection_refused(err) or is_too_many_requests(err):
                        # the server is probably restarting: keep our place, no relist
                        c.count_error(classify_error(err), f"watch error: {err}")
                        self._emit(K.Error, error=str(err), reason=P.WATCH_START)
                        if self._retry_backoff(err, stop_event):
                            return
                        continue
                    raise
                opened = (w, event_batches(w))
            w, batches = opened
            opened = None
            self._phase = P.WATCH
            self._set_current_watch(w)
            c.state = S.WATCHING
            result = handle_watch(batches, sink, stopped, name=self.name)
            err = self._watch_error(result, start, stopped, self._resync_error)
            reason = self._end_watch(w, start, err, result.events, stop_event)
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
                self._emit(K.Error, error=text, reason=P.WATCH)
                continue
            if reason is WatchEndReason.EXPIRED:
                # relist at the last synced version: a list at a version returns data at
                # least that fresh, so no need to mark it unavailable yet
                c.expired += 1
                self._relist_reason = "watch expired (410)"
                self._emit(K.Expired, error=text, reason=P.WATCH)
                return
            c.count_error(classify_error(err), f"watch error: {text}")
            if reason is WatchEndReason.TOO_MANY_REQUESTS:
                self._emit(K.Error, error=text, reason=P.WATCH)
                if self._retry_backoff(err, stop_event):
                    return
                continue
            if reason is WatchEndReason.INTERNAL_ERROR and retry.should_retry():
                self._emit(K.Error, error=text, reason=P.WATCH)
                continue
            self._relist_reason = f"watch error: {text}"
            log.warning("%s: watch ended with: %s", self.name, text)
            self._emit(K.Error, error=text, reason=P.RESYNC if err is self._resync_error else P.WATCH)
            return

    def _watch_error(
        self, result: WatchResult, start: float, stopped: Callable[[], bool], resync_error: BaseException | None = None,
    ) -> BaseException | None:
        """The error a watch ended with: the stream's (an ERROR event is counted), else, after
        a close, a failed resync's, else "very short watch" for a close in under a second
        without an event (unless stopped)."""
        if result.end is WatchEnd.ERROR_EVENT:
            self.counters.error_events += 1
        if result.error is not None:
            return result.error
        if result.end is WatchEnd.STOPPED:
            return None
        if resync_error is not None:
            return resync_error
        if stopped() or result.events or self._clock.monotonic() - start >= 1.0:
            return None
        return VeryShortWatchError(
            f"very short watch: {self.name}: unexpected watch close - "
            "watch lasted less than a second and no items received"
        )

    def _end_watch(
        self, w: Watch, start: float, err: BaseException | None, events: int, stop_event: threading.Event,
    ) -> WatchEndReason:
        self._set_current_watch(None)
        try:
            w.stop()
        except Exception:
            log.debug("%s: watch.stop() failed", self.name, exc_info=True)
        reason = watch_end_reason(err, stop_event.is_set())
        self.counters.count_watch_end(reason)
        if self._listeners:
            detail: dict[str, Any] = {"reason": reason, "duration": self._clock.monotonic() - start, "items": events}
            if err is not None:
                detail["error"] = str(err) or type(err).__name__
            self._emit(K.WatchEnded, **detail)
        return reason
