"""Abort blocked I/O when a stop event is set (the reflector's stopper thread).

Why this module exists: a ``threading.Event`` cannot wake a thread blocked in a socket read.
While inside ``interrupt_on_stop``, a small helper thread polls the stop event and, once it
is set, calls ``interrupt()`` (which shuts sockets down) until the block is left, so a read
blocked on the network cannot hold a stopping reflector.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["interrupt_on_stop"]


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
