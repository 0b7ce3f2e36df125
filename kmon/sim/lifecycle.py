"""The API server's life: serving, down, and starting again after a restart.

Why this module exists: a real kube-apiserver restart is more than a closed port. While it
is down, connections are refused. When it listens again it first answers 503 ("the request
has been made before all known HTTP paths have been installed", Retry-After 5), then, while
its watch cache initializes, 429 "storage is (re)initializing" (Retry-After 1) to watches and
to the lists the cache must serve. Its watch cache starts empty at the current revision, so
a watch from any version before the restart gets 410 -- the relist every real restart causes.
``refuse`` is the network fault alone: the port refuses connections for a while (a load
balancer or tunnel going away), the server and its watch cache carry on.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum
from typing import Callable, Protocol

from kmon.sim.storage import Store
from kmon.sim.watch_cache import WatchCache

class Phase(StrEnum):
    """Where the server is in its life (``srv.phase()``; the values are what it always said)."""

    SERVING = "serving"
    DOWN = "down"  # connections refused
    INSTALLING = "installing"  # started: 503, its paths are not installed yet
    INITIALIZING = "initializing"  # 429 from the watch cache while it initializes


class Listener(Protocol):
    """The listening socket and connections of the server (``HTTPServerCore``)."""

    @property
    def stopping(self) -> bool: ...

    def open_listener(self) -> None: ...

    def close_listener(self) -> None: ...

    def drop_connections(self) -> int: ...


class Lifecycle:
    def __init__(self, listener: Listener, store: Store, cache: WatchCache,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._listener, self._store, self._cache = listener, store, cache
        self.clock = clock  # phases are measured on it (tests substitute a fake one)
        self._mu = threading.Lock()
        self._timer: threading.Timer | None = None
        self._installing_until = self._initializing_until = 0.0
        self._starting: float | None = None  # how long the pending restart's start takes (None: no restart)

    def phase(self) -> Phase:
        """``serving``, ``down``, ``installing`` (503) or ``initializing`` (429 from the cache)."""
        if self._timer is not None:
            return Phase.DOWN
        now = self.clock()
        if now < self._installing_until:
            return Phase.INSTALLING
        if now < self._initializing_until:
            return Phase.INITIALIZING
        return Phase.SERVING

    def refuse(self, seconds: float) -> None:
        """Close the port and every connection now; listen again after ``seconds``."""
        self._go_down(seconds, None)

    def restart(self, seconds: float, starting: float) -> None:
        """Go down for ``seconds``, then start: a third of ``starting`` installing paths (503),
        the rest initializing the watch cache (429); the cache starts empty."""
        self._go_down(seconds, max(0.0, float(starting)))

    def _go_down(self, seconds: float, starting: float | None) -> None:
        with self._mu:
            if self._timer is not None:
                self._timer.cancel()
            self._installing_until = self._initializing_until = 0.0
            self._starting = starting
            self._listener.close_listener()
            self._listener.drop_connections()
            t = threading.Timer(max(0.0, float(seconds)), lambda: self._come_back(t))
            t.daemon = True
            self._timer = t
            t.start()
        self._store.wake()  # open watch streams notice their closed connection

    def _come_back(self, timer: threading.Timer) -> None:
        with self._mu:
            if self._timer is not timer or self._listener.stopping:
                return  # superseded by a later fault, or stopped
            if self._starting is not None:
                # a started server writes before it serves (its Lease, the kubernetes
                # EndpointSlice): the revision moves, and its watch cache starts there
                self._store.jump_revision(1)
                self._cache.reinitialize()
                now = self.clock()
                self._installing_until = now + self._starting / 3
                self._initializing_until = now + self._starting
            for _ in range(50):
                try:
                    self._listener.open_listener()
                    break
                except OSError:
                    time.sleep(0.05)  # port briefly busy: retry
            self._timer = None

    def stop(self) -> None:
        with self._mu:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
