"""A TCP relay in front of a sim that can go silent: a stalled API server, seen from outside
(importable as ``stallproxy``: pytest puts ``tests/`` on ``sys.path``).

While ``stall()``-ed it forwards no byte either way, and holds new connections as they come
(accepted, nothing answered): what a stopped (SIGSTOP) or wedged kube-apiserver looks like to
a client. Connections stay up and the kernel still answers TCP keepalive, so only an
application-level health check can tell. ``resume()`` lets everything held go through. The
sim's own ``stall_watches`` fault is narrower: its watches fall silent while it still
answers every other request.
"""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit


class StallProxy:
    def __init__(self, srv: Any) -> None:
        """A relay to the running sim ``srv`` (plain HTTP or TLS: bytes are relayed as they are)."""
        u = urlsplit(srv.url)
        self._upstream = (u.hostname, u.port)
        self._srv = srv
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"{u.scheme}://127.0.0.1:{self.port}"
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._lock = threading.Lock()  # guards _socks and _timer
        self._socks: set[socket.socket] = set()
        self._timer: threading.Timer | None = None
        self.connections = 0  # connections accepted so far
        threading.Thread(target=self._accept, name="stallproxy-accept", daemon=True).start()

    def server(self) -> SimpleNamespace:
        """The sim as seen through the relay, for ``kmon.sim.kubeconfig.write_kubeconfig``."""
        return SimpleNamespace(url=self.url, ca_data=self._srv.ca_data, token=self._srv.token)

    @property
    def stalled(self) -> bool:
        return not self._flowing.is_set()

    def stall(self, seconds: float | None = None) -> None:
        """Go silent now, for ``seconds`` (None: until ``resume()``)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._flowing.clear()
            if seconds is not None:
                self._timer = threading.Timer(seconds, self.resume)
                self._timer.daemon = True
                self._timer.start()

    def resume(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self._flowing.set()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            socks = list(self._socks)
        for s in [self._listener, *socks]:
            _close(s)

    def _hold(self) -> bool:
        """Wait while stalled; False once the relay is closed."""
        while not self._flowing.wait(0.1):
            if self._closed:
                return False
        return not self._closed

    def _accept(self) -> None:
        while not self._closed:
            try:
                down, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(down,), name="stallproxy-conn", daemon=True).start()

    def _serve(self, down: socket.socket) -> None:
        with self._lock:
            self._socks.add(down)
        if not self._hold():
            _close(down)
            return
        try:
            up = socket.create_connection(self._upstream)
        except OSError:
            _close(down)
            return
        with self._lock:
            self._socks.add(up)
        threading.Thread(target=self._pump, args=(up, down), name="stallproxy-pump", daemon=True).start()
        self._pump(down, up)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data or not self._hold():
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                _close(s)
                with self._lock:
                    self._socks.discard(s)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
