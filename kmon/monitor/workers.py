"""Blocking calls a session runs in the background (verify), each on its own thread.

Why this module exists: ``ContextSession.verify_async`` must return at once with a
``Future`` while the comparison lists the whole resource, and ``stop`` must not leave such
threads behind. ``Workers`` starts each call on a daemon thread, answers its ``Future`` and
remembers it until it ends, so the session can join whatever still runs.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Callable, TypeVar

__all__ = ["Workers"]

T = TypeVar("T")


class Workers:
    """The session's background calls that have not ended yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _threads
        self._threads: set[threading.Thread] = set()

    def submit(self, name: str, call: Callable[[], T]) -> "Future[T]":
        """Run ``call`` on a daemon thread named ``name``; its outcome answers the Future."""
        fut: Future[T] = Future()

        def work() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                fut.set_result(call())
            except BaseException as e:
                fut.set_exception(e)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        t = threading.Thread(target=work, name=name, daemon=True)
        with self._lock:
            self._threads.add(t)
        t.start()
        return fut

    def join(self, deadline: float) -> None:
        """Wait for the running calls until ``deadline`` (``time.monotonic()``); a call
        joining from inside one of them does not wait for itself."""
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
