"""Fault injection (``srv.faults``); also reachable over HTTP as
``POST /_kmon/faults/<name>?...`` (bearer token required)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmon.sim.server import SimServer


class Faults:
    def __init__(self, server: "SimServer") -> None:
        self._srv = server
        self._mu = threading.Lock()
        self._fail: list[tuple[int, float | None]] = []
        self._forbidden: set[tuple[str, str]] = set()
        self._html: list[int] = []  # html_next: status codes of the next HTML error pages
        self.stall_until = 0.0  # time.monotonic() until which watches write nothing
        self._reopen_timer: threading.Timer | None = None
        self.refusing_until = 0.0

    def _wake(self) -> None:
        with self._srv.store.cond:
            self._srv.store.cond.notify_all()

    def compact(self, revision: int | None = None) -> int:
        """Compact history at ``revision`` (default: now). Returns the compacted revision."""
        rev = self._srv.store.compact(revision)
        return rev

    def drop_watches(self) -> int:
        """Close every open watch connection abruptly (no terminating chunk). Returns how many."""
        n = 0
        for s in self._srv.watches.all():
            s.done = True
            s.conn.abort()
            n += 1
        self._wake()
        return n

    def refuse_connections(self, seconds: float) -> None:
        """Like an apiserver restart: close the listener and every open connection now;
        connections attempted in the next ``seconds`` get ECONNREFUSED; then listen again
        on the same port. Returns immediately."""
        srv = self._srv
        with self._mu:
            if self._reopen_timer is not None:
                self._reopen_timer.cancel()
            self.refusing_until = time.monotonic() + seconds
            srv._close_listener()
            self.drop_watches()
            srv.drop_connections()
            t = threading.Timer(max(0.0, float(seconds)), self._reopen)
            t.daemon = True
            self._reopen_timer = t
            t.start()

    def _reopen(self) -> None:
        srv = self._srv
        with self._mu:
            self._reopen_timer = None
            if srv._stopping or srv._listener is not None:
                return
            for _ in range(50):
                try:
                    srv._open_listener()
                    return
                except OSError:
                    time.sleep(0.05)  # port briefly busy: retry

    def fail_next(self, n: int, code: int = 500, retry_after: float | None = None) -> None:
        """The next ``n`` API requests (not /healthz, not /_kmon) answer ``code`` with a
        Status body; a 429 carries ``Retry-After`` (``retry_after``, default 1 s)."""
        with self._mu:
            for _ in range(int(n)):
                ra = retry_after if retry_after is not None else (1 if code == 429 else None)
                self._fail.append((int(code), ra))

    def take_failure(self) -> tuple[int, float | None] | None:
        with self._mu:
            return self._fail.pop(0) if self._fail else None

    def stall_watches(self, seconds: float) -> None:
        """Open (and newly opened) watches write nothing -- not even bookmarks -- for
        ``seconds``; events are delivered afterwards."""
        self.stall_until = time.monotonic() + float(seconds)
        self._wake()

    def send_malformed_line(self) -> int:
        """Every open watch writes one line that is not valid JSON (then continues)."""
        streams = self._srv.watches.all()
        for s in streams:
            s.malformed += 1
        self._wake()
        return len(streams)

    def inject_raw(self, data: bytes, close: bool = False) -> int:
        """Every open watch writes ``data`` verbatim as one chunk (any bytes: a partial line,
        non-UTF-8, an HTML page...); with ``close`` the connection is then closed abruptly.
        Returns how many watches got it."""
        streams = self._srv.watches.all()
        for s in streams:
            s.raw.append((bytes(data), bool(close)))
        self._wake()
        return len(streams)

    def html_next(self, n: int = 1, code: int = 502) -> None:
        """The next ``n`` API requests answer an HTML error page with ``code``, as a proxy
        in front of the API server would."""
        with self._mu:
            self._html.extend([int(code)] * int(n))

    def take_html(self) -> int | None:
        with self._mu:
            return self._html.pop(0) if self._html else None

    def jump_revision(self, delta: int) -> int:
        """Move the global revision forward by ``delta`` with no events. Returns it."""
        return self._srv.store.jump_revision(delta)

    def forbid(self, resource_plural: str, group: str = "") -> None:
        """Every request on that resource answers 403 Forbidden (RBAC-style message)."""
        with self._mu:
            self._forbidden.add((resource_plural, group))

    def allow(self, resource_plural: str | None = None, group: str = "") -> None:
        """Undo ``forbid`` for one resource, or for all with no argument."""
        with self._mu:
            if resource_plural is None:
                self._forbidden.clear()
            else:
                self._forbidden.discard((resource_plural, group))

    def is_forbidden(self, resource_plural: str, group: str) -> bool:
        return (resource_plural, group) in self._forbidden

    def reset(self) -> None:
        """Clear pending failures, forbids and stalls."""
        with self._mu:
            self._fail.clear()
            self._html.clear()
            self._forbidden.clear()
        self.stall_until = 0.0
        self._wake()

    def stop(self) -> None:
        with self._mu:
            if self._reopen_timer is not None:
                self._reopen_timer.cancel()
                self._reopen_timer = None
