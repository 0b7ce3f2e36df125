"""Abort blocked I/O when a stop event is set (the reflector's stopper thread).

Why this module exists: a ``threading.Event`` cannot wake a thread blocked in a socket read.
While inside ``interrupt_on_stop``, a small helper thread polls the stop event and, once it
is set, calls ``interrupt()`` (which shuts sockets down) until the block is left, so a read
blocked on the network cannot hold a stopping reflector. ``InFlight`` is what a reflector
has in flight (its open watch, its list-watcher's ``cancel()``) and interrupts it.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from kmon.cache.listwatch import CancellableListerWatcher, Watch

__all__ = ["InFlight", "interrupt_on_stop"]

log = logging.getLogger("kmon.cache.reflector")


@contextmanager
def interrupt_on_stop(stop_event: threading.Event, interrupt: Callable[[], None], name: str) -> Iterator[None]:
    """While inside, a daemon thread ``name`` calls ``interrupt()`` every 50 ms once
    ``stop_event`` is set; it is joined on exit."""
    done = threading.Event()
    waiter = threading.Thread(target=_wait, args=(stop_event, done, interrupt), name=name, daemon=True)
    waiter.start()
    try:
        yield
    finally:
        done.set()
        waiter.join()


def _wait(stop_event: threading.Event, done: threading.Event, interrupt: Callable[[], None]) -> None:
    # wake on ``done`` at once; notice the stop event (which cannot notify us) by polling
    while not done.wait(0.1):
        if stop_event.is_set():
            break
    else:
        return
    while not done.is_set():
        interrupt()
        done.wait(0.05)


class InFlight:
    """What a reflector has in flight, so another thread can abort it: the open watch (its
    ``stop()``) and a list in progress (the list-watcher's ``cancel()``, when it is a
    ``CancellableListerWatcher``)."""

    __slots__ = ("_name", "_canceller", "_lock", "_watch", "_stop_event", "_active")

    def __init__(self, name: str, canceller: CancellableListerWatcher | None) -> None:
        self._name = name
        self._canceller = canceller
        self._lock = threading.Lock()  # guards _watch
        self._watch: Watch | None = None
        self._stop_event: threading.Event | None = None
        self._active = False  # inside ``stopping_on``

    def set_watch(self, w: Watch | None) -> None:
        """``w`` is the open watch now (None: none is). Stopped at once if stop was asked."""
        with self._lock:
            self._watch = w
        stop = self._stop_event
        if w is not None and stop is not None and stop.is_set():
            w.stop()

    def stop_watch(self) -> None:
        """Stop the open watch, if any (its reader sees the stream end)."""
        with self._lock:
            w = self._watch
        if w is not None:
            try:
                w.stop()
            except Exception:
                log.debug("%s: watch.stop() failed", self._name, exc_info=True)

    def interrupt(self) -> None:
        """Abort in-flight I/O: stop the open watch and cancel a running list. Safe to call
        from any thread, more than once."""
        self.stop_watch()
        if self._canceller is not None:
            try:
                self._canceller.cancel()
            except Exception:
                log.debug("%s: list-watcher cancel() failed", self._name, exc_info=True)

    @contextmanager
    def stopping_on(self, stop_event: threading.Event) -> Iterator[None]:
        """While inside, ``interrupt()`` once ``stop_event`` is set (``interrupt_on_stop``).
        Re-entrant: an inner use shares the outer one's helper thread."""
        if self._active:
            yield
            return
        self._active = True
        self._stop_event = stop_event
        try:
            with interrupt_on_stop(stop_event, self.interrupt, f"{self._name}-stopper"):
                yield
        finally:
            self._active = False
