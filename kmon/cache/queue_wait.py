"""The blocking part both informer queues share (``DeltaFIFO``, ``RealFIFO``): one lock with
a condition, a consumer that waits for something to be queued (with a timeout), and closing.

Producers notify only when a consumer waits (``_waiters``), so the watch hot path pays no
wake-up while the consumer is busy.
"""

from __future__ import annotations

import threading
import time
from typing import Sized

from kmon.cache.deltas import FIFOClosedError


class BlockingQueue:
    """Base of the queues: ``_lock`` guards the subclass's state; ``_cond`` is on it."""

    _CLOSED_MESSAGE = "manipulating with closed queue"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._closed = False
        self._waiters = 0  # threads blocked in a pop: notify only when someone waits

    def _wait_locked(self, pending: Sized, timeout: float | None) -> bool:
        """Under the lock, wait until ``pending`` is not empty: True once it is, False if
        ``timeout`` passes first; ``FIFOClosedError`` once closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not len(pending):
            if self._closed:
                raise FIFOClosedError(f"{type(self).__name__}: {self._CLOSED_MESSAGE}")
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
            self._waiters += 1
            try:
                self._cond.wait(remaining)
            finally:
                self._waiters -= 1
        return True

    def close(self) -> None:
        """Wake every waiting pop; once empty, pops raise ``FIFOClosedError``."""
        with self._lock:
            self._closed = True
            self._cond.notify_all()

    def is_closed(self) -> bool:
        with self._lock:
            return self._closed
