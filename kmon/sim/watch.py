"""Watch streams: chunked, newline-delimited ``{"type","object"}`` events.

A stream reads its resource's window of the watch cache from its cursor (no per-watcher
queues), filters by namespace/selectors the way the apiserver's cacher does (an object that
stops matching yields DELETED, one that starts matching ADDED) and writes batches of
pre-encoded lines with one ``sendall`` per batch.

Bookmarks follow kube-apiserver's cacheWatcher: one is due ``bookmark_interval`` seconds after
the watch starts (60 s there) and every interval after, and one 2 s before the watch's
timeout; a due bookmark carries the resource's cache version and is sent only when that
version has passed the watch's starting version -- a quiet resource's watch gets none.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

import orjson

from kmon.sim.entries import Entry, Event
from kmon.sim.errors import StoreError
from kmon.sim.table import table as _table

if TYPE_CHECKING:
    from kmon.sim.resources import Resource
    from kmon.sim.storage import Store
    from kmon.sim.watch_cache import WatchCache

_PREFIX = {t: b'{"type":"%s","object":' % t.encode() for t in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")}
_BATCH_BYTES = 512 * 1024
MALFORMED_LINE = b'{"type":"MODIFIED","object":{"kind":"Pod",this is not json\n'
BOOKMARK_LEAD = 2.0  # seconds before the watch's timeout its last bookmark is due (the cacheWatcher's)


class StreamConnection(Protocol):
    """The client connection a stream writes to (``kmon.sim.httpcore.Connection``)."""

    @property
    def closed(self) -> bool: ...

    def send(self, data: bytes) -> None: ...

    def abort(self) -> None: ...

    def peer_closed(self) -> bool: ...


class StreamHost(Protocol):
    """What a watch stream needs of its server."""

    store: "Store"
    cache: "WatchCache"
    bookmark_interval: float

    @property
    def stopping(self) -> bool: ...

    def stalled_until(self) -> float: ...


@dataclass(frozen=True)
class WatchRequest:
    """What one watch asked for."""

    res: "Resource"
    namespace: str | None = None
    lmatch: Callable[..., bool] | None = None
    fmatch: Callable[..., bool] | None = None
    metadata_only: bool = False
    table: bool = False  # kubectl get -w: every object is a one-row Table
    bookmarks: bool = False
    timeout: float = 1800.0


class WatchStream:
    def __init__(self, host: StreamHost, conn: StreamConnection, request: WatchRequest) -> None:
        self.host = host
        self.store = host.store
        self.cache = host.cache
        self.conn = conn
        self.req = request
        self.res = res = request.res
        self.rkey = res.key
        self.namespace = request.namespace if res.namespaced else None
        self.started = time.monotonic()
        self.deadline = self.started + request.timeout
        self.malformed = 0  # pending malformed lines to send
        self.raw: list[tuple[bytes, bool]] = []  # inject_raw: (bytes, close after)
        self.done = False
        if request.metadata_only:
            self._bm_kind, self._bm_api = "PartialObjectMetadata", "meta.k8s.io/v1"
        else:
            self._bm_kind, self._bm_api = res.kind, res.api_version

    # ---------------------------------------------------------------- ending and faults
    def cancel(self) -> None:
        """End the stream at its next check (the server stops)."""
        self.done = True

    def drop(self) -> None:
        """Close the connection abruptly (no terminating chunk)."""
        self.done = True
        self.conn.abort()

    def queue_malformed(self) -> None:
        self.malformed += 1

    def queue_raw(self, data: bytes, close: bool) -> None:
        self.raw.append((bytes(data), bool(close)))

    # ---------------------------------------------------------------- encoding
    def _matches(self, e: Entry) -> bool:
        r = self.req
        return (r.lmatch is None or r.lmatch(e.labels)) and (r.fmatch is None or r.fmatch(e.fields))

    def _raw(self, e: Entry) -> bytes:
        if self.req.table:
            return _table(self.res, [e], {"resourceVersion": str(e.rv)})
        return e.meta_raw() if self.req.metadata_only else e.raw

    def line(self, type_: str, e: Entry) -> bytes:
        return b"".join((_PREFIX[type_], self._raw(e), b"}\n"))

    def convert(self, ev: Event) -> bytes | None:
        if self.namespace is not None and ev.key[0] != self.namespace:
            return None
        if self.req.lmatch is None and self.req.fmatch is None:
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

    def _write_batched(self, lines) -> None:
        batch, size = [], 0
        for ln in lines:
            if ln is None:
                continue
            batch.append(ln)
            size += len(ln)
            if size >= _BATCH_BYTES:
                self._wait_stall()
                self.write(batch)
                batch, size = [], 0
        if batch:
            self._wait_stall()
            self.write(batch)

    def send_error_and_end(self, err: StoreError) -> None:
        self.write([_PREFIX["ERROR"] + orjson.dumps(err.status()) + b"}\n"])
        self.end()

    def end(self) -> None:
        """End the stream cleanly (the terminating chunk)."""
        self.conn.send(b"0\r\n\r\n")

    def start_headers(self) -> None:
        self.conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n")

    # ---------------------------------------------------------------- bookmarks
    def _next_bookmark(self, now: float) -> float | None:
        """When the next bookmark is due (the cacheWatcher's nextBookmarkTime): an interval
        from now, but no later than 2 s before the timeout; None when that is past."""
        due = min(now + self.host.bookmark_interval, self.deadline - BOOKMARK_LEAD)
        return None if due < now else due

    # ---------------------------------------------------------------- the loop
    def run(self, initial: list[Entry] | None, cursor: int, initial_end_bookmark: bool) -> None:
        """Stream from ``cursor`` (initial entries first, as ADDED; then the initial-events
        end bookmark if asked). Returns when the stream ended (timeout, stop, client gone,
        error, or the watch fell out of the cache's window)."""
        host, store, cache, res = self.host, self.store, self.cache, self.res
        if initial:
            self._write_batched(self.line("ADDED", e) for e in initial)
        if initial_end_bookmark:
            self._wait_stall()
            self.write([self.bookmark(cursor, True)])
        start_rv = cursor
        next_bm = self._next_bookmark(self.started) if self.req.bookmarks else None
        last_alive = time.monotonic()
        while True:
            if self.done or host.stopping or self.conn.closed:
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
                        self.drop()
                        return
            seen = store.revision  # the wait below wakes on any write after it
            events, version, missed = cache.events_after(res, cursor)
            if missed:
                # it fell behind the window (the cacher terminates a watcher that cannot keep up)
                self.end()
                return
            if host.stalled_until() > time.monotonic():
                continue  # stalled meanwhile: write nothing, keep the cursor
            if events:
                self._write_batched(self.convert(ev) for ev in events)
            cursor = max(cursor, version)
            now = time.monotonic()
            if now >= self.deadline:
                self.end()
                return
            if next_bm is not None and now >= next_bm:
                cache.version(res)  # (a periodic progress notification may move the cache version)
                pending, version, _ = cache.events_after(res, cursor)
                if pending:
                    continue  # written meanwhile: send those first, a bookmark never runs ahead of them
                cursor = max(cursor, version)
                if cursor > start_rv:
                    self.write([self.bookmark(cursor)])
                next_bm = self._next_bookmark(now)
            if events:
                continue
            if now - last_alive >= 1.0:
                if self.conn.peer_closed():
                    return
                last_alive = now
            wait = min(self.deadline - now, 1.0)
            if next_bm is not None:
                wait = min(wait, max(0.0, next_bm - now))
            with store.cond:
                store.cond.wait_for(
                    lambda: store.revision != seen or self.done or self.malformed or self.raw or host.stopping
                    or self.conn.closed or host.stalled_until() > time.monotonic(),
                    max(wait, 0.001),
                )

    def _wait_stall(self) -> bool:
        """Block while watches are stalled; True if it waited."""
        host = self.host
        waited = False
        while True:
            until = host.stalled_until()
            now = time.monotonic()
            if now >= until or self.done or host.stopping or self.conn.closed:
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
