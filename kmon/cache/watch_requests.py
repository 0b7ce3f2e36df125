"""A reflector's watch requests: opening one (counted, announced, and made the one an
interrupt stops), the server-side timeout it asks for, the error it ended with and its end
(stopped, reported by reason). The reflector's watch phase and its WatchList both use them.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Callable

from kmon.cache.clock import Clock
from kmon.cache.interrupt import InFlight
from kmon.cache.listwatch import ListerWatcher, ListOptions, Watch
from kmon.cache.options import MIN_WATCH_TIMEOUT
from kmon.cache.reasons import ReflectorPhase, WatchEndReason, watch_end_reason
from kmon.cache.report import ReflectorReport
from kmon.cache.watch_handler import WatchEnd, WatchResult, watch_error

log = logging.getLogger("kmon.cache.reflector")


class WatchRequests:
    """Watches of one reflector on ``list_watcher`` (see the module doc)."""

    __slots__ = ("_lw", "_report", "_in_flight", "_clock", "_name", "min_timeout")

    def __init__(self, list_watcher: ListerWatcher, report: ReflectorReport, in_flight: InFlight, clock: Clock,
                 name: str, min_timeout: float) -> None:
        self._lw = list_watcher
        self._report = report
        self._in_flight = in_flight
        self._clock = clock
        self._name = name
        self.min_timeout = min_timeout

    def open(self, options: ListOptions, reason: ReflectorPhase) -> Watch:
        """Start a watch (raises what ``list_watcher.watch`` raises); count and announce it
        and make it the one an interrupt stops."""
        w = self._lw.watch(options)
        self._report.watch_started(options.resource_version, reason)
        self._in_flight.set_watch(w)
        return w

    def timeout(self) -> int:
        """Server-side timeout of the next watch: random in [min, 2 x min] (client-go)."""
        # client-go ignores minimum watch timeouts under five minutes
        return int(max(self.min_timeout, MIN_WATCH_TIMEOUT) * (random.random() + 1.0))

    def error(
        self, result: WatchResult, start: float, stopped: Callable[[], bool], resync_error: BaseException | None = None,
    ) -> BaseException | None:
        """``watch_handler.watch_error`` for a watch begun at ``start`` (monotonic); counts an
        ERROR event."""
        if result.end is WatchEnd.ERROR_EVENT:
            self._report.counters.error_events += 1
        lived = self._clock.monotonic() - start
        return watch_error(result, lived, stopped, resync_error, self._name)

    def end(self, w: Watch, start: float, err: BaseException | None, events: int,
            stop_event: threading.Event) -> WatchEndReason:
        """Stop ``w`` and report why it ended."""
        self._in_flight.set_watch(None)
        try:
            w.stop()
        except Exception:
            log.debug("%s: watch.stop() failed", self._name, exc_info=True)
        reason = watch_end_reason(err, stop_event.is_set())
        self._report.watch_ended(reason, start, events, err)
        return reason
