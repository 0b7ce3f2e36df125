"""Retrying an error kind for a bounded time (client-go's ``retryWithDeadline``), used by the
reflector to re-watch after internal errors within ``max_internal_error_retry``."""

from __future__ import annotations

from typing import Callable

from kmon.cache.clock import Clock


class RetryWithDeadline:
    """Retry an error kind while the first of a run of such errors is at most ``max_duration``
    old; a gap of ``reset_period`` without one starts a new run (client-go retryWithDeadline)."""

    __slots__ = ("max_duration", "reset_period", "is_retryable", "clock", "first", "last")

    def __init__(self, max_duration: float, reset_period: float, is_retryable: Callable[[BaseException], bool], clock: Clock) -> None:
        self.max_duration = max_duration
        self.reset_period = reset_period
        self.is_retryable = is_retryable
        self.clock = clock
        self.first: float | None = None
        self.last: float | None = None

    def after(self, err: BaseException | None) -> None:
        if err is not None and self.is_retryable(err):
            now = self.clock.monotonic()
            if self.last is not None and now - self.last >= self.reset_period:
                self.first = self.last = None
            if self.first is None:
                self.first = now
            self.last = now

    def should_retry(self) -> bool:
        if self.max_duration <= 0:
            return False
        if self.first is not None and self.clock.monotonic() - self.first <= self.max_duration:
            return True
        self.first = self.last = None
        return False
