"""The reflector's exponential backoff (client-go's ``NewExponentialBackoffManager(800ms,
30s, 2m, 2.0, 1.0)``).

Each ``next()`` returns a delay: 0.8 s, then doubling up to a 30 s cap, each jittered to
``delay * (1 + random())``. If more than ``reset_after`` passed since the previous ``next()``,
the sequence restarts at 0.8 s.
"""

from __future__ import annotations

import random
from typing import Callable

from kmon.cache.clock import Clock


class Backoff:
    __slots__ = ("initial", "cap", "reset_after", "factor", "jitter", "_clock", "_duration",
                 "_capped", "_last_start", "_random", "current")

    def __init__(
        self,
        initial: float = 0.8,
        cap: float = 30.0,
        reset_after: float = 120.0,
        factor: float = 2.0,
        jitter: float = 1.0,
        *,
        clock: Clock | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.initial = initial
        self.cap = cap
        self.reset_after = reset_after
        self.factor = factor
        self.jitter = jitter
        self._clock = clock or Clock()
        self._random = rand
        self._duration = initial
        self._capped = False
        self._last_start = self._clock.monotonic()
        self.current = 0.0  # the last delay handed out

    def next(self) -> float:
        """The next delay in seconds (advances the sequence)."""
        now = self._clock.monotonic()
        if now - self._last_start > self.reset_after:
            self._duration = self.initial
            self._capped = False
        self._last_start = now
        duration = self._duration
        if not self._capped and self.factor:
            nxt = self._duration * self.factor
            if self.cap > 0 and nxt > self.cap:
                nxt = self.cap
                self._capped = True
            self._duration = nxt
        if self.jitter > 0:
            duration = duration + self._random() * self.jitter * duration
        self.current = duration
        return duration
