"""The churn thread: a workload's writes paced at a rate, in batches.

Why this module exists: the demo cluster changes all the time, at a rate the user sets
(``kmon sim --churn``, the demo's churn control), and watchers must not wake once per write.
``ChurnThread`` is a token bucket on a thread: every ``TICK`` it asks the workload for the
writes owed since the last wake-up (``rate`` x elapsed, at most ``max_batch``), which the
workload performs under one hold of the store's lock -- watchers then wake once per batch.
Debt beyond half a second is forgiven (a stalled process does not burst afterwards);
``achieved_rate`` is measured over ~1 s. What to write is the workload's business
(``kmon.sim.workload``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Protocol

from kmon.cache import gcguard

log = logging.getLogger(__name__)

__all__ = ["ChurnClock", "ChurnThread", "StopFlag"]


class ChurnClock(Protocol):
    """Where the loop reads the time and yields (the ``time`` module; tests pass a virtual one)."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class StopFlag(Protocol):
    """What the loop asks of its stop event (a ``threading.Event``)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


class ChurnThread:
    """Calls ``churn(n)`` -- about ``n`` writes, returning how many it did -- at ``rate``
    writes/s on a daemon thread (``rate`` may change while it runs). ``writes()``: the
    workload's writes so far, which ``achieved_rate`` is measured on. ``run(clock, stop)``
    is the loop itself, for a caller's thread and clock."""

    TICK = 0.01  # seconds between wake-ups

    def __init__(self, churn: Callable[[int], int], writes: Callable[[], int], rate: float, max_batch: int,
                 name: str = "kmon-sim-workload") -> None:
        self._churn, self._writes = churn, writes
        self.rate = float(rate)
        self.max_batch = max_batch
        self.name = name
        self.achieved_rate = 0.0  # writes/s over the last second of churn
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def stopping(self) -> bool:
        """Set by ``stop()``: a batch in progress ends early."""
        return self._stop.is_set()

    def start(self) -> None:
        """Churn on the thread (not at all while ``rate`` is 0)."""
        if self._thread is None and self.rate > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        t, self._thread = self._thread, None
        if t is not None:
            t.join(10)

    def _run(self) -> None:
        self.run(time, self._stop)

    def run(self, clock: ChurnClock, stop: StopFlag) -> None:
        """Churn until ``stop`` is set, reading the time from ``clock``."""
        tick = self.TICK
        credit = 0.0
        last = clock.monotonic()
        win_t, win_w = last, self._writes()
        while not stop.is_set():
            now = clock.monotonic()
            rate = self.rate
            credit = min(credit + (now - last) * rate, max(1.0, rate * 0.5))
            last = now
            if credit >= 1.0:
                try:
                    done = self._churn(min(int(credit), self.max_batch))
                    credit = credit - done if done else 0.0  # nothing to churn: do not spin
                    # the store's new versions are long-lived and acyclic: with the process-wide
                    # policy installed they are frozen every ~1000 writes / 1 s, so no full
                    # collection walks the store (0.5-0.8 s with 50,000 pods otherwise)
                    gcguard.policy.note_deltas(done)
                except Exception:  # never let the demo die on a generator bug
                    log.exception("workload step failed")
                    credit = 0.0
            now = clock.monotonic()
            if now - win_t >= 1.0:
                self.achieved_rate = (self._writes() - win_w) / (now - win_t)
                win_t, win_w = now, self._writes()
            delay = tick - (now - last) if credit < 1.0 else 0.0
            if delay > 0:
                stop.wait(delay)
            elif credit >= 1.0:
                clock.sleep(0)  # behind: keep going, but let the server threads have the GIL
