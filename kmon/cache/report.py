"""The reflector's instrumentation: ``ReflectorReport`` bumps the ``Counters`` that
``InformerStats`` snapshots and tells listeners a ``ReflectorEvent`` at each step of a round.

Listeners run synchronously on the reflector thread and must not block (append to a deque
and return); an exception from one is counted and logged, and otherwise ignored. Each event
carries the last synced version at the time it is told.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from kmon.cache.clock import Clock
from kmon.cache.events import ReflectorEvent, ReflectorEventKind as K
from kmon.cache.errors import is_expired
from kmon.cache.reasons import InformerState, ReflectorPhase, WatchEndReason, classify_error, fallback_reason
from kmon.cache.stats import Counters
from kmon.cache.sync_version import SyncVersion

log = logging.getLogger("kmon.cache.reflector")


class ReflectorReport:
    __slots__ = ("name", "counters", "_clock", "_version", "_listeners", "list_pages")

    def __init__(self, name: str, counters: Counters, clock: Clock, version: SyncVersion) -> None:
        self.name = name
        self.counters = counters
        self._clock = clock
        self._version = version
        self._listeners: tuple[Callable[[ReflectorEvent], None], ...] = ()
        self.list_pages = 0  # pages received by the list in progress

    def add_listener(self, fn: Callable[[ReflectorEvent], None]) -> None:
        self._listeners = (*self._listeners, fn)

    @property
    def listening(self) -> bool:
        return bool(self._listeners)

    def emit(self, kind: K, **detail: Any) -> None:
        listeners = self._listeners
        if not listeners:
            return
        event = ReflectorEvent(kind, self._clock.now(), self._version.last, detail)
        for fn in listeners:
            try:
                fn(event)
            except Exception:
                self.counters.listener_errors += 1
                log.exception("%s: reflector listener %r failed", self.name, fn)

    def relist(self, resource_version: str, reason: str) -> None:
        """A round starts listing from ``resource_version`` because of ``reason``: one
        ``Relist`` per round, however many attempts it takes (a WatchList retried, or
        falling back to a LIST); every round after the first list counts as a relist."""
        c = self.counters
        if c.lists > 0:
            c.relists += 1
        c.last_relist_reason = reason
        self.emit(K.Relist, reason=reason, resource_version_requested=resource_version)

    def list_started(self, resource_version: str, reason: str, **detail: Any) -> float:
        """An attempt at the round's list (a LIST or a WatchList) from ``resource_version``
        starts, because of ``reason`` (which becomes the last relist reason: a fallback says
        so). Returns the monotonic time it started (for ``list_finished``)."""
        c = self.counters
        c.last_relist_reason = reason
        c.state = InformerState.LISTING
        self.list_pages = 0
        self.emit(K.ListStarted, resource_version_requested=resource_version, reason=reason, **detail)
        return self._clock.monotonic()

    def page(self, items: int, pages: int) -> None:
        """Page number ``pages`` of the list in progress arrived with ``items`` items."""
        self.counters.pages_total += 1
        self.list_pages = pages
        if self._listeners:
            self.emit(K.Page, items=items, pages=pages)

    def list_finished(self, resource_version: str, start: float, items: int, pages: int, paginated: bool) -> None:
        """A list (or a WatchList: no pages) from ``resource_version`` begun at monotonic
        ``start`` ended well and the store holds its ``items``."""
        c = self.counters
        duration = self._clock.monotonic() - start
        c.lists += 1
        c.list_duration_last = duration
        c.list_duration_total += duration
        c.list_items_last = items
        c.list_items_total += items
        c.pages_last = pages
        self.emit(
            K.ListFinished, items=items, pages=pages, duration=duration, paginated=paginated,
            resource_version_requested=resource_version,
        )

    def watch_started(self, resource_version: str | None, reason: str) -> None:
        self.counters.watches_started += 1
        self.emit(K.WatchStarted, resource_version_requested=resource_version, reason=reason)

    def watch_ended(self, reason: WatchEndReason, start: float, events: int, err: BaseException | None) -> None:
        """A watch begun at monotonic ``start`` ended after ``events`` events."""
        self.counters.count_watch_end(reason)
        if self._listeners:
            detail: dict[str, Any] = {"reason": reason, "duration": self._clock.monotonic() - start, "items": events}
            if err is not None:
                detail["error"] = str(err) or type(err).__name__
            self.emit(K.WatchEnded, **detail)

    def bookmark(self, initial_events_end: bool) -> None:
        self.emit(K.Bookmark, items=int(initial_events_end))

    def round_failed(self, err: BaseException, phase: ReflectorPhase, permanent: bool) -> str:
        """A round failed with ``err`` in ``phase`` (``permanent``: for good). Returns the
        reason the next list will give."""
        c = self.counters
        text = f"{phase} error: {err}" if str(err) else f"{phase} error: {type(err).__name__}"
        c.count_error(classify_error(err), text)
        reason = text
        if is_expired(err):
            c.expired += 1
            self.emit(K.Expired, error=str(err), reason=phase)
            if phase is not ReflectorPhase.LIST:
                reason = "watch expired (410)"
        log.warning("%s: %s%s", self.name, text, " (not retried)" if permanent else "")
        detail = {"permanent": True} if permanent else {}
        self.emit(K.Error, error=str(err) or type(err).__name__, reason=phase, **detail)
        return reason

    def watch_list_fell_back(self, err: BaseException) -> str:
        """A round's WatchList failed with ``err``: the round lists at once instead (as
        client-go, no backoff). Returns why, in a few words (``reasons.fallback_reason``)."""
        fallback = fallback_reason(err)
        log.warning("%s: %s; listing instead: %s", self.name, fallback, err)
        self.counters.count_error(classify_error(err), f"watch-list error: {err}")
        self.emit(K.Error, error=str(err), reason=ReflectorPhase.WATCH_LIST, fallback=fallback)
        return fallback

    def backing_off(self, delay: float, reason: str) -> None:
        c = self.counters
        c.current_backoff = delay
        c.state = InformerState.BACKING_OFF
        self.emit(K.Backoff, delay=delay, reason=reason)
