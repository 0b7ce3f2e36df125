"""Injected time, so tests step a fake clock instead of sleeping.

``Clock`` is the real one; ``FakeClock`` only moves when a test calls ``step`` (or, with
``auto_advance=True``, when someone sleeps on it, which then returns at once and is recorded).
``sleep(seconds, stop_event)`` returns ``True`` when it ended because the event was set.
``ticking`` runs a periodic callback on a clock (the reflector's resync, the WatchList's
warning).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator


class Clock:
    """Wall and monotonic time from the ``time`` module."""

    __slots__ = ()

    now = staticmethod(time.time)
    monotonic = staticmethod(time.monotonic)
    # a periodic timer can wait on it (an auto-advancing fake clock returns from every sleep
    # at once, so a ticker would spin and race its time ahead)
    ticks = True

    def sleep(self, seconds: float, stop_event: threading.Event | None = None) -> bool:
        """Wait ``seconds`` or until ``stop_event`` is set; True if stopped."""
        if stop_event is None:
            if seconds > 0:
                time.sleep(seconds)
            return False
        if seconds <= 0:
            return stop_event.is_set()
        return stop_event.wait(seconds)


class FakeClock(Clock):
    """A clock tests move by hand with ``step(seconds)``; ``now()`` and ``monotonic()`` move
    together. ``sleeps`` records every requested sleep (seconds)."""

    __slots__ = ("_now", "_mono", "_cond", "_sleepers", "auto_advance", "sleeps")

    def __init__(self, start: float = 1_700_000_000.0, *, auto_advance: bool = False) -> None:
        self._now = float(start)
        self._mono = 1000.0
        self._cond = threading.Condition()
        self._sleepers = 0  # guarded by _cond
        self.auto_advance = auto_advance
        self.sleeps: list[float] = []

    @property
    def ticks(self) -> bool:  # type: ignore[override]
        return not self.auto_advance

    def now(self) -> float:  # type: ignore[override]
        return self._now

    def monotonic(self) -> float:  # type: ignore[override]
        return self._mono

    def step(self, seconds: float) -> None:
        """Move time forward and wake sleepers whose deadline passed."""
        with self._cond:
            self._now += seconds
            self._mono += seconds
            self._cond.notify_all()

    advance = step

    @property
    def sleepers(self) -> int:
        with self._cond:
            return self._sleepers

    def wait_for_sleepers(self, n: int = 1, timeout: float = 5.0) -> bool:
        """Block (really) until at least ``n`` threads sleep on this clock."""
        with self._cond:
            return self._cond.wait_for(lambda: self._sleepers >= n, timeout)

    def sleep(self, seconds: float, stop_event: threading.Event | None = None) -> bool:
        with self._cond:
            self.sleeps.append(seconds)
            if self.auto_advance:
                if seconds > 0:
                    self._now += seconds
                    self._mono += seconds
                    self._cond.notify_all()
                return bool(stop_event and stop_event.is_set())
            deadline = self._mono + seconds
            self._sleepers += 1
            self._cond.notify_all()
            try:
                while self._mono < deadline:
                    if stop_event is not None and stop_event.is_set():
                        return True
                    # stop events cannot notify this condition: poll them briefly
                    self._cond.wait(0.02)
            finally:
                self._sleepers -= 1
            return bool(stop_event and stop_event.is_set())


@contextmanager
def ticking(clock: Clock, period: float, tick: Callable[[], object], name: str) -> Iterator[None]:
    """While inside, a thread named ``name`` calls ``tick()`` every ``period`` seconds of
    ``clock`` until it returns ``False``; the thread is joined on exit. ``period`` 0 or less:
    no thread."""
    if period <= 0:
        yield
        return
    done = threading.Event()

    def loop() -> None:
        while not clock.sleep(period, done):
            if done.is_set() or tick() is False:
                return

    t = threading.Thread(target=loop, name=name, daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join()
