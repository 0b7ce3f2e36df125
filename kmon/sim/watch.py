"""Watch streams: chunked, newline-delimited ``{"type","object"}`` events.

A stream reads the store's history from its cursor (no per-watcher queues), filters by
resource/namespace/selectors the way the apiserver's watch cache does (an object that stops
matching yields DELETED, one that starts matching ADDED) and writes batches of pre-encoded
lines with one ``sendall`` per batch.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING

import orjson

from kmon.sim.storage import Entry, Event, StoreError
from kmon.sim.table import table as _table

if TYPE_CHECKING:
    from kmon.sim.httpcore import Connection
    from kmon.sim.resources import Resource
    from kmon.sim.server import SimServer

_PREFIX = {t: b'{"type":"%s","object":' % t.encode() for t in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")}
_BATCH_BYTES = 512 * 1024
MALFORMED_LINE = b'{"type":"MODIFIED","object":{"kind":"Pod",this is not json\n'


class WatchStream:
    def __init__(self, server: "SimServer", conn: "Connection", res: "Resource", *, namespace: str | None,
                 lmatch, fmatch, metadata_only: bool, bookmarks: bool, timeout: float, table: bool = False) -> None:
        self.server = server
        self.store = server.store
        self.conn = conn
        self.res = res
        self.rkey = res.key
        self.namespace = namespace if res.namespaced else None
        self.lmatch, self.fmatch = lmatch, fmatch
        self.metadata_only = metadata_only
        self.table = table  # kubectl get -w: every object is a one-row Table
        self.bookmarks = bookmarks
        self.deadline = time.monotonic() + timeout
        self.malformed = 0  # pending malformed lines to send
        self.raw: list[tuple[bytes, bool]] = []  # faults.inject_raw: (bytes, close after)
        self.done = False
        if metadata_only:
            self._bm_kind, self._bm_api = "PartialObjectMetadata", "meta.k8s.io/v1"
        else:
            self._bm_kind, self._bm_api = res.kind, res.api_version

    # ---------------------------------------------------------------- encoding
    def _matches(self, e: Entry) -> bool:
        return (self.lmatch is None or self.lmatch(e.labels)) and (self.fmatch is None or self.fmatch(e.fields))

    def _raw(self, e: Entry) -> bytes:
        if self.table:
            return _table(self.res, [e], {"resourceVersion": str(e.rv)})
        return e.meta_raw() if self.metadata_only else e.raw

    def line(self, type_: str, e: Entry) -> bytes:
        return b"".join((_PREFIX[type_], self._raw(e), b"}\n"))

    def convert(self, ev: Event) -> bytes | None:
        if ev.rkey != self.rkey or (self.namespace is not None and ev.key[0] != self.namespace):
            return None
        if self.lmatch is None and self.fmatch is None:
            return b"".join((_PREFIX[ev.type], self._raw(ev.entry), b"}\n"))
        cur = ev.type != "DELETED" and self._matches(ev.entry)
        old = ev.prev is not None and self._matches(ev.prev)
        if cur:
            return self.line("MODIFIED" if old else "ADDED", ev.entry)
        if not old:
            return None
        if ev.type == "DELETED":
            return self.line("DELETED", ev.entry)
        # stopped matching: DELETED with the previous content at the event's revision
        obj = ev.prev.obj()
        obj["metadata"]["resourceVersion"] = str(ev.rev)
        return self.line("DELETED", Entry(orjson.dumps(obj), obj, self.res, ev.rev))

    def bookmark(self, rev: int, initial_end: bool = False) -> bytes:
        meta: dict = {"resourceVersion": str(rev)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return _PREFIX["BOOKMARK"] + orjson.dumps({"kind": self._bm_kind, "apiVersion": self._bm_api, "metadata": meta}) + b"}\n"

    # ---------------------------------------------------------------- I/O
    def write(self, lines: list[bytes]) -> None:
        if not lines:
            return
        data = b"".join(lines)
        self.conn.send(b"%x\r\n%s\r\n" % (len(data), data))

    def _client_gone(self) -> bool:
        sock = self.conn.sock
        if self.conn.closed:
            return True
        try:
            r, _, _ = select.select([sock], [], [], 0)
            if not r:
                return False
            if not isinstance(sock, ssl.SSLSocket):
                return sock.recv(1, socket.MSG_PEEK) == b""
            # TLS cannot peek: a non-blocking read (a watch client sends nothing anyway)
            sock.setblocking(False)
            try:
                return sock.recv(1) == b""
            except (ssl.SSLWantReadError, BlockingIOError):
                return False
            finally:
                sock.setblocking(True)
        except (OSError, ValueError):
            return True

    def send_error_and_end(self, err: StoreError) -> None:
        self.write([_PREFIX["ERROR"] + orjson.dumps(err.status()) + b"}\n"])
        self.conn.send(b"0\r\n\r\n")

    def start_headers(self) -> None:
        self.conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n")

    def run(self, initial: list[Entry] | None, cursor: int, initial_end_bookmark: bool) -> None:
        """Stream from ``cursor`` (initial entries first, as ADDED). Returns when the stream
        ended (timeout, stop, client gone or error)."""
        srv, store = self.server, self.store
        interval = srv.bookmark_interval
        if initial:
            batch, size = [], 0
            for e in initial:
                ln = self.line("ADDED", e)
                batch.append(ln)
                size += len(ln)
                if size >= _BATCH_BYTES:
                    self._wait_stall()
                    self.write(batch)
                    batch, size = [], 0
            self._wait_stall()
            self.write(batch)
        if initial_end_bookmark:
            self._wait_stall()
            self.write([self.bookmark(cursor, True)])
        next_bm = time.monotonic() + interval
        last_alive = time.monotonic()
        while True:
            if self.done or srv._stopping or self.conn.closed:
                return
            if self._wait_stall():
                continue
            if self.malformed:
                self.malformed = 0
                self.write([MALFORMED_LINE])
            if self.raw:
                pending, self.raw = self.raw, []
                for data, close in pending:
                    self.write([data])
                    if close:
                        self.done = True
                        self.conn.abort()
                        return
            try:
                events, cur = store.events_after(cursor)
            except StoreError as err:
                self.send_error_and_end(err)
                return
            if srv.faults.stall_until > time.monotonic():
                continue  # stalled meanwhile: write nothing, keep the cursor
            if events:
                batch, size = [], 0
                for ev in events:
                    ln = self.convert(ev)
                    if ln is not None:
                        batch.append(ln)
                        size += len(ln)
                        if size >= _BATCH_BYTES:
                            self.write(batch)
                            batch, size = [], 0
                self.write(batch)
            cursor = cur
            now = time.monotonic()
            if now >= self.deadline:
                self.conn.send(b"0\r\n\r\n")
                return
            if self.bookmarks and now >= next_bm:
                self.write([self.bookmark(cursor)])
                next_bm = now + interval
            if events:
                continue
            if now - last_alive >= 1.0:
                if self._client_gone():
                    return
                last_alive = now
            wait = min(self.deadline - now, 1.0)
            if self.bookmarks:
                wait = min(wait, max(0.0, next_bm - now))
            with store.cond:
                store.cond.wait_for(
                    lambda: store.revision != cursor or self.done or self.malformed or self.raw or srv._stopping
                    or self.conn.closed or srv.faults.stall_until > time.monotonic(),
                    max(wait, 0.001),
                )

    def _wait_stall(self) -> bool:
        """Block while watches are stalled; True if it waited."""
        srv = self.server
        waited = False
        while True:
            until = srv.faults.stall_until
            now = time.monotonic()
            if now >= until or self.done or srv._stopping or self.conn.closed:
                return waited
            waited = True
            with self.store.cond:
                self.store.cond.wait(min(until - now, 0.5))


class WatchRegistry:
    """Open watch streams, for faults and shutdown."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._streams: set[WatchStream] = set()

    def add(self, s: WatchStream) -> None:
        with self._mu:
            self._streams.add(s)

    def remove(self, s: WatchStream) -> None:
        with self._mu:
            self._streams.discard(s)

    def all(self) -> list[WatchStream]:
        with self._mu:
            return list(self._streams)

    def __len__(self) -> int:
        with self._mu:
            return len(self._streams)
