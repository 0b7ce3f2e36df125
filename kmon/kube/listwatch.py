"""``RestListerWatcher``: the reflector's list and watch over the Kubernetes REST API.

Why this module exists: it is the hot path between the cluster and the cache. Lists and watch
streams are read raw from the official client's connection pool (its TLS settings, proxy and
auth, including exec-plugin token refresh) and decoded with orjson into plain dicts: no
generated models, no ``kubernetes.watch.Watch`` (which parses each event three times). The
watch reads the chunked stream in large pieces and splits lines itself.

Failure modes are made explicit, because the reflector decides what to do from their type:
- HTTP errors and watch ``ERROR`` events -> ``ApiStatusError`` (``retry_after`` from the
  Retry-After header); a non-Status body (an HTML page from a proxy) -> a short message
  naming the HTTP code and content type.
- a line that is not a well-formed watch event -> ``WatchDecodeError`` (an ApiStatusError with
  code 500, as client-go reports decode failures, and a ValueError): the reflector ends the
  round and relists; nothing cached is lost.
- the stream closing abruptly (reset, unexpected EOF, even inside an event) ends the watch
  normally, as client-go's StreamWatcher does: the reflector re-watches from its last version.
- transport failures -> ``OSError`` subclasses; ``ConnectionRefusedError`` for ECONNREFUSED.
- no byte from the server for ``inactivity_timeout`` seconds -> ``TimeoutError``, so a dead
  connection (laptop sleep, VPN drop, stalled server) is noticed although ``timeoutSeconds`` is
  only enforced by the server.
``Watch.stop()`` and ``RestListerWatcher.cancel()`` may be called from any thread: they shut
the socket down so a blocked read returns at once.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.client import HTTPException, IncompleteRead
from typing import Any, Callable, Iterator

import orjson
from urllib3 import exceptions as u3e

from kmon.cache.errors import ApiStatusError
from kmon.cache.listwatch import ListOptions, ListPage, WatchEvent
from kmon.kube import _http, transforms
from kmon.kube.discovery import ApiResource

try:  # optional: the cache's collector pause around bulk decode
    from kmon.cache import gcguard as _gcguard
except ImportError:  # pragma: no cover - the cache layer may be older
    _gcguard = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_INACTIVITY_TIMEOUT",
    "METADATA_LIST_ACCEPT",
    "METADATA_WATCH_ACCEPT",
    "RestListerWatcher",
    "RestWatch",
    "WatchCancelledError",
    "WatchDecodeError",
]

log = logging.getLogger(__name__)

DEFAULT_INACTIVITY_TIMEOUT = 90.0
METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
METADATA_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
_READ_SIZE = 1 << 18  # bytes asked of each read1: large, so a burst of events costs one call
_MAX_LINE = 64 << 20  # a "line" larger than this is not a watch event
_OBJECT_EVENTS = frozenset(("ADDED", "MODIFIED", "DELETED"))
_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError


class WatchDecodeError(ApiStatusError, ValueError):
    """A watch line that is not a well-formed event (bad JSON, not UTF-8, unknown type, no
    metadata). The reflector treats it like any other watch error: end the round, relist."""

    def __init__(self, message: str) -> None:
        # client-go reports undecodable watch data as an internal error (500), so the
        # reflector ends the round and relists
        super().__init__(500, "InternalError", message)


class WatchCancelledError(ConnectionAbortedError):
    """A list was cancelled from another thread (the reflector is stopping)."""


def _probable_eof(err: BaseException) -> bool:
    """client-go's net.IsProbableEOF: the peer went away mid-stream."""
    return isinstance(err, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or (
        isinstance(err, ConnectionError) and not isinstance(err, (ConnectionRefusedError, _http.TLSError))
        and "closed" in str(err)
    )


def _describe_line(line: Any) -> str:
    return f"{len(line)} bytes starting {bytes(line[:40])!r}"


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    """A full object reduced to PartialObjectMetadata (for servers that ignored the Accept)."""
    return {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": obj.get("metadata") or {}}


class RestWatch:
    """One open watch stream. Iterate for ``WatchEvent``s; ``stop()`` from any thread."""

    def __init__(self, resp: Any, url: str, *, read_timeout: float | None, metadata_only: bool = False,
                 shrink: Callable[[Any], Any] | None = None) -> None:
        self._resp = resp
        self._shrink = shrink
        self._url = url
        self._read_timeout = read_timeout
        self._metadata_only = metadata_only
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # guards closing the response (stop() vs. the reader)
        self._closed = False
        self.events = 0  # events delivered so far (for stats and tests)
        self.abrupt_close: str | None = None  # why the stream ended early, if it did
        self._dechunker: _Dechunker | None = None  # set by _reader when we de-chunk ourselves

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """End the watch: a read blocked on the socket returns promptly and iteration ends."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        _shutdown(self._resp)
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._resp.close()
        except Exception:
            pass
        try:
            self._resp.release_conn()
        except Exception:
            pass

    def __iter__(self) -> Iterator[WatchEvent]:
        return self._events()

    def __enter__(self) -> "RestWatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _reader(self) -> Callable[[int], bytes]:
        """A ``read(n)`` returning the next body bytes (b"" at the end of the stream)."""
        resp = self._resp
        fp = getattr(resp, "_fp", None)
        if fp is None or resp.headers.get("Content-Encoding"):
            return resp.read1  # urllib3 decompresses (we never ask for compression)
        raw = getattr(fp, "fp", None)
        if (getattr(fp, "chunked", False) and getattr(fp, "chunk_left", 0) is None
                and raw is not None and hasattr(raw, "read1")):
            # de-chunk ourselves from large raw reads: a burst of events costs one read (and
            # one release of the GIL) instead of one per HTTP chunk
            self._dechunker = _Dechunker(raw)
            return self._dechunker.read
        if hasattr(fp, "read1"):
            return fp.read1
        return resp.read1

    def _decode(self, lines: list[bytes]) -> tuple[list[WatchEvent], WatchDecodeError | None]:
        """Events of ``lines`` up to the first bad one (returned as the error) or ERROR."""
        loads = _loads
        metadata_only = self._metadata_only
        shrink = self._shrink
        object_events = _OBJECT_EVENTS
        out: list[WatchEvent] = []
        append = out.append
        for line in lines:  # bytes, or memoryviews into the read buffer (no copy)
            if not line:
                continue
            try:
                ev = loads(line)
            except _JSONDecodeError as e:
                if bytes(line).isspace():
                    continue
                return out, WatchDecodeError(f"malformed watch line ({e}): {_describe_line(line)}")
            if type(ev) is not dict:
                return out, WatchDecodeError(f"watch line is not an event object: {_describe_line(line)}")
            etype = ev.get("type")
            obj = ev.get("object")
            if type(obj) is not dict:
                return out, WatchDecodeError(f"watch event {etype!r} has no object: {_describe_line(line)}")
            if etype in object_events:
                md = obj.get("metadata")
                if type(md) is not dict or not md.get("name"):
                    return out, WatchDecodeError(f"watch event {etype} object has no metadata.name: {_describe_line(line)}")
                if metadata_only:
                    if obj.get("kind") != "PartialObjectMetadata":
                        obj = _partial(obj)
                    if shrink is not None:
                        obj = shrink(obj)
            elif etype == "BOOKMARK":
                md = obj.get("metadata")
                if type(md) is not dict or "resourceVersion" not in md:
                    return out, WatchDecodeError(f"BOOKMARK without metadata.resourceVersion: {_describe_line(line)}")
            elif etype == "ERROR":
                append(WatchEvent("ERROR", obj))
                return out, None
            else:
                return out, WatchDecodeError(f"unknown watch event type {etype!r}")
            append(WatchEvent(etype, obj))
        return out, None

    def batches(self) -> Iterator[list[WatchEvent]]:
        """The events in the batches they arrived in (all complete lines of one large socket
        read, decoded at once): what the reflector consumes, so a burst of events costs one
        hand-over to the cache instead of one per event. An ERROR event ends its batch and
        the stream; a malformed line raises after the events before it were delivered."""
        return self._batches()

    def _events(self) -> Iterator[WatchEvent]:
        stopped = self._stopped
        batches = self._batches()
        try:
            for batch in batches:
                for ev in batch:
                    yield ev
                    if ev.type == "ERROR":
                        # the stream is over after an ERROR; the reflector maps it to an
                        # ApiStatusError (errors.ApiStatusError.from_status)
                        return
                    if stopped.is_set():
                        return
        finally:
            batches.close()

    def _read_failed(self, e: BaseException) -> None:
        """A read raised: return if that ends the watch normally (stopped, or the peer went
        away as client-go's StreamWatcher treats it), else raise the mapped error."""
        if self._stopped.is_set():
            return
        mapped = _http.transport_error(e, self._url, read_timeout=self._read_timeout)
        if isinstance(mapped, TimeoutError):
            raise mapped from e
        if _probable_eof(mapped):
            # as client-go's StreamWatcher: an abrupt close (unexpected EOF, reset) ends the
            # watch normally; the reflector re-watches from its last version, no relist
            log.debug("watch %s closed abruptly: %s", self._url, mapped)
            self.abrupt_close = str(mapped)
            return
        raise mapped from e

    def _batches(self) -> Iterator[list[WatchEvent]]:
        stopped = self._stopped
        try:
            read = self._reader()
            dechunker = self._dechunker
            if dechunker is not None:
                # the common case: lines cut straight out of each raw read (memoryviews, no
                # copies), decoded as one batch
                while not stopped.is_set():
                    try:
                        lines = dechunker.read_lines(_READ_SIZE)
                    except (OSError, ValueError, AttributeError, u3e.HTTPError, HTTPException) as e:
                        if isinstance(e, WatchDecodeError):
                            raise
                        self._read_failed(e)
                        return
                    if lines is None:
                        if dechunker.partial_line() and not stopped.is_set():
                            # unexpected EOF inside an event: also a normal end in client-go
                            log.debug("watch %s ended inside an event (%s)", self._url,
                                      _describe_line(dechunker.partial_line()))
                            self.abrupt_close = "stream ended inside an event"
                        return
                    if not lines:
                        continue
                    events, err = self._decode(lines)
                    lines = None
                    if events:
                        self.events += len(events)
                        yield events
                        if events[-1].type == "ERROR":
                            return
                        if stopped.is_set():
                            return
                    if err is not None:
                        raise err
                return
            buf = b""  # the partial line after the last newline
            parts: list[bytes] = []  # pieces of a line that has not ended yet
            pending = 0  # bytes of the unfinished line
            while not stopped.is_set():
                try:
                    data = read(_READ_SIZE)
                except (OSError, ValueError, AttributeError, u3e.HTTPError, HTTPException) as e:
                    if stopped.is_set():
                        return
                    mapped = _http.transport_error(e, self._url, read_timeout=self._read_timeout)
                    if isinstance(mapped, TimeoutError):
                        raise mapped from e
                    if _probable_eof(mapped):
                        # as client-go's StreamWatcher: an abrupt close (unexpected EOF,
                        # reset) ends the watch normally; the reflector re-watches from its
                        # last version, no relist
                        log.debug("watch %s closed abruptly: %s", self._url, mapped)
                        self.abrupt_close = str(mapped)
                        return
                    raise mapped from e
                if not data:
                    if parts:
                        buf = b"".join(parts)
                    if buf.strip() and not stopped.is_set():
                        # unexpected EOF inside an event: also a normal end in client-go
                        log.debug("watch %s ended inside an event (%s)", self._url, _describe_line(buf))
                        self.abrupt_close = "stream ended inside an event"
                    return
                if b"\n" not in data:
                    # a large event arriving in pieces: gather them, join once
                    if buf:
                        parts.append(buf)
                        buf = b""
                    parts.append(data)
                    pending += len(data)
                    if pending > _MAX_LINE:
                        raise WatchDecodeError(f"watch line longer than {_MAX_LINE} bytes")
                    continue
                if parts:
                    parts.append(data)
                    data = b"".join(parts)
                    parts = []
                    pending = 0
                elif buf:
                    data = buf + data
                lines = data.split(b"\n")
                buf = lines.pop()
                pending = len(buf)
                # no collector pause here: under kmon's GC policy (gcguard) a batch stays far
                # below the young threshold, and with CPython's default threshold a pause
                # would only make the next collection walk (and promote) the whole batch
                events, err = self._decode(lines)
                if events:
                    self.events += len(events)
                    yield events
                    if events[-1].type == "ERROR":
                        return
                    if stopped.is_set():
                        return
                if err is not None:
                    raise err
        finally:
            self._close()


class _Dechunker:
    """Decodes HTTP/1.1 chunked transfer coding from a raw buffered socket reader."""

    __slots__ = ("_raw", "_pending", "_left", "_crlf", "_done", "_parts", "_partial")

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._pending = b""
        self._left = 0  # bytes of the current chunk still to come
        self._crlf = False  # the CRLF after a chunk's data is still to come
        self._done = False
        self._parts: list[bytes] = []  # read_lines: pieces of a line not ended yet
        self._partial = 0  # their length

    def partial_line(self) -> bytes:
        """What ``read_lines`` holds of a line that has not ended yet."""
        return b"".join(self._parts)

    def _chunk_size(self, pending: bytes, pos: int, end: int) -> tuple[int, int | None]:
        """Parse the chunk-size line at ``pos``: (position after it, chunk size); the size is
        None (position unchanged) while the line is incomplete, 0 for the last chunk (which
        sets ``_done``; trailers, if any, are ignored)."""
        nl = pending.find(b"\r\n", pos)
        if nl < 0:
            if end - pos > 4096:
                raise IncompleteRead(b"", "chunk size line too long")
            return pos, None
        line = pending[pos:nl]
        semi = line.find(b";")
        try:
            size = int(line if semi < 0 else line[:semi], 16)
        except ValueError:
            raise IncompleteRead(b"", f"bad chunk size {line[:20]!r}") from None
        if size == 0:
            self._done = True
        return nl + 2, size

    def read_lines(self, n: int) -> list[Any] | None:
        """The complete lines (newline excluded) of the body bytes of the next raw read:
        memoryviews into the read buffer where a line lies in one chunk, joined bytes where
        it spans chunks or reads. ``[]`` if no line ended; ``None`` after the last chunk;
        raises ``IncompleteRead`` when the connection ends mid-stream and
        ``WatchDecodeError`` for a line longer than the limit."""
        if self._done:
            return None
        data = self._raw.read1(n)
        if not data:
            raise IncompleteRead(b"")
        pending = self._pending + data if self._pending else data
        mv = memoryview(pending)
        find = pending.find
        out: list[Any] = []
        parts = self._parts
        pos = 0
        end = len(pending)
        left = self._left
        while True:
            if self._crlf:
                if end - pos < 2:
                    break
                pos += 2
                self._crlf = False
            if left == 0:
                pos, size = self._chunk_size(pending, pos, end)
                if not size:  # the size line is incomplete, or this is the last chunk
                    break
                left = size
            stop = pos + left if end - pos >= left else end
            start = pos
            while True:
                i = find(b"\n", start, stop)
                if i < 0:
                    break
                if parts:
                    parts.append(pending[start:i])
                    out.append(b"".join(parts))
                    parts.clear()
                    self._partial = 0
                else:
                    out.append(mv[start:i])
                start = i + 1
            if start < stop:
                parts.append(pending[start:stop])
                self._partial += stop - start
                if self._partial > _MAX_LINE:
                    raise WatchDecodeError(f"watch line longer than {_MAX_LINE} bytes")
            left -= stop - pos
            pos = stop
            if left:
                break  # the chunk goes on in the next read
            self._crlf = True
        self._left = left
        self._pending = pending[pos:] if pos < end else b""
        return out

    def read(self, n: int) -> bytes:
        """Body bytes (possibly several chunks' worth); b"" after the last chunk; raises
        ``IncompleteRead`` when the connection ends mid-stream."""
        out: list[bytes] = []
        while not out:
            if self._done:
                return b""
            data = self._raw.read1(n)
            if not data:
                raise IncompleteRead(b"")
            pending = self._pending + data if self._pending else data
            pos = 0
            end = len(pending)
            left = self._left
            while True:
                if self._crlf:
                    if end - pos < 2:
                        break
                    pos += 2
                    self._crlf = False
                if left == 0:
                    pos, size = self._chunk_size(pending, pos, end)
                    if not size:  # the size line is incomplete, or this is the last chunk
                        break
                    left = size
                take = end - pos
                if take <= 0:
                    break
                if take >= left:
                    out.append(pending[pos:pos + left])
                    pos += left
                    left = 0
                    self._crlf = True
                else:
                    out.append(pending[pos:end])
                    pos = end
                    left -= take
                    break
            self._left = left
            self._pending = pending[pos:] if pos < end else b""
        return out[0] if len(out) == 1 else b"".join(out)


def _shutdown(resp: Any) -> None:
    """Shut the socket under ``resp`` down so a read blocked in another thread returns."""
    sock = None
    conn = getattr(resp, "_connection", None) or getattr(resp, "connection", None)
    if conn is not None:
        sock = getattr(conn, "sock", None)
    if sock is None:
        fp = getattr(resp, "_fp", None)
        raw = getattr(getattr(fp, "fp", None), "raw", None)
        sock = getattr(raw, "_sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class RestListerWatcher:
    """Lists and watches one resource over REST (implements kmon.cache's ``ListerWatcher``).

    ``label_selector``/``field_selector`` are applied to every call (like client-go's filtered
    list-watch). With ``metadata_only`` the server is asked for ``PartialObjectMetadata`` and,
    unless ``metadata_shrink=None``, each object is shrunk by ``transforms.compact`` (no
    managedFields, repeated strings shared: under 2 KiB per cached object);
    ``get_full(namespace, name)`` fetches one whole object on demand. ``inactivity_timeout``
    is the socket read timeout of lists and watches (None disables it).
    """

    def __init__(
        self,
        api_client: Any,
        resource: ApiResource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
        inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
        connect_timeout: float | None = 30.0,
        fill_type_meta: bool = True,
        metadata_shrink: Callable[[Any], Any] | None = transforms.compact,
    ) -> None:
        self.api_client = api_client
        self.resource = resource
        self.namespace = namespace if resource.namespaced else None
        self.label_selector = label_selector or None
        self.field_selector = field_selector or None
        self.metadata_only = metadata_only
        # metadata-only mode exists for huge clusters: by default its objects lose
        # managedFields and share their repeated strings (transforms.compact), ~6 KiB -> <2 KiB
        # per object; the whole object, managedFields included, comes from get_full
        self.metadata_shrink = metadata_shrink if metadata_only else None
        self.inactivity_timeout = inactivity_timeout
        self.connect_timeout = connect_timeout
        self.fill_type_meta = fill_type_meta
        self._path = resource.api_path(self.namespace)
        self._lock = threading.Lock()  # guards _inflight and _watches
        self._inflight: set[Any] = set()  # responses of lists being read
        self._cancelled: set[int] = set()  # ids of responses cancel() shut down
        self._watches: set[RestWatch] = set()

    def __repr__(self) -> str:
        return f"RestListerWatcher({self._path!r}, metadata_only={self.metadata_only})"

    @property
    def path(self) -> str:
        return self._path

    def _query(self, options: ListOptions, *, watch: bool) -> list[tuple[str, Any]]:
        q: list[tuple[str, Any]] = []
        if watch:
            q.append(("watch", "true"))
        if options.resource_version is not None:
            q.append(("resourceVersion", options.resource_version))
        if options.resource_version_match:
            q.append(("resourceVersionMatch", options.resource_version_match))
        if not watch:
            if options.limit:
                q.append(("limit", int(options.limit)))
            if options.continue_:
                q.append(("continue", options.continue_))
        label = self.label_selector or options.label_selector
        field = self.field_selector or options.field_selector
        if label:
            q.append(("labelSelector", label))
        if field:
            q.append(("fieldSelector", field))
        if watch:
            if options.allow_watch_bookmarks:
                q.append(("allowWatchBookmarks", "true"))
            if options.send_initial_events:
                q.append(("sendInitialEvents", "true"))
        if options.timeout_seconds:
            q.append(("timeoutSeconds", int(options.timeout_seconds)))
        return q

    def _track(self, resp: Any) -> None:
        with self._lock:
            self._inflight.add(resp)

    def list(self, options: ListOptions) -> ListPage:
        accept = METADATA_LIST_ACCEPT if self.metadata_only else _http.JSON
        query = self._query(options, watch=False)
        resp = _http.open_get(
            self.api_client,
            self._path,
            query,
            accept=accept,
            connect_timeout=self.connect_timeout,
            read_timeout=self.inactivity_timeout,
            on_response=self._track,
        )
        try:
            try:
                body = resp.read()
            except (OSError, ValueError, AttributeError, u3e.HTTPError, HTTPException) as e:
                if id(resp) in self._cancelled:
                    raise WatchCancelledError(f"list of {self._path} cancelled") from None
                raise _http.transport_error(e, self._path, read_timeout=self.inactivity_timeout) from e
        finally:
            with self._lock:
                self._inflight.discard(resp)
                cancelled = id(resp) in self._cancelled
                self._cancelled.discard(id(resp))
            try:
                resp.release_conn()
            except Exception:
                pass
        if cancelled:
            raise WatchCancelledError(f"list of {self._path} cancelled")
        return self._decode_list(body, resp)

    def _decode_list(self, body: bytes, resp: Any) -> ListPage:
        try:
            if _gcguard is not None:
                with _gcguard.paused():
                    doc = _loads(body)
            else:
                doc = _loads(body)
        except _JSONDecodeError:
            ctype = (resp.headers.get("Content-Type") or "no content type").split(";")[0]
            raise ApiStatusError(
                resp.status, "", f"expected a JSON list from {self._path}, got {ctype} ({len(body)} bytes)"
            ) from None
        if type(doc) is not dict:
            raise ApiStatusError(resp.status, "", f"expected a list object from {self._path}, got {type(doc).__name__}")
        if doc.get("kind") == "Status":
            raise ApiStatusError.from_status(doc, http_code=resp.status)
        items = doc.get("items")
        if items is None:
            items = []
        if type(items) is not list:
            raise ApiStatusError(resp.status, "", f"list from {self._path} has no items array")
        md = doc.get("metadata") or {}
        list_kind = doc.get("kind") or ""
        if self.metadata_only:
            if list_kind != "PartialObjectMetadataList":
                items = [_partial(i) for i in items]
            shrink = self.metadata_shrink
            if shrink is not None:
                items = [shrink(i) for i in items]
        elif self.fill_type_meta and items and "kind" not in items[0]:
            # like client-go's UnstructuredList decoding: items carry the list's type
            kind = list_kind[:-4] if list_kind.endswith("List") else self.resource.kind
            api_version = doc.get("apiVersion") or self.resource.api_version
            for it in items:
                if "kind" not in it:
                    it["kind"] = kind
                    it["apiVersion"] = api_version
        rem = md.get("remainingItemCount")
        return ListPage(
            items=items,
            resource_version=str(md.get("resourceVersion") or ""),
            continue_=str(md.get("continue") or ""),
            remaining_item_count=int(rem) if rem is not None else None,
        )

    def watch(self, options: ListOptions) -> RestWatch:
        accept = METADATA_WATCH_ACCEPT if self.metadata_only else _http.JSON
        query = self._query(options, watch=True)
        resp = _http.open_get(
            self.api_client,
            self._path,
            query,
            accept=accept,
            connect_timeout=self.connect_timeout,
            read_timeout=self.inactivity_timeout,
        )
        w = RestWatch(resp, self._path, read_timeout=self.inactivity_timeout, metadata_only=self.metadata_only,
                      shrink=self.metadata_shrink)
        with self._lock:
            self._watches = {x for x in self._watches if not x.stopped and not x._closed}
            self._watches.add(w)
        return w

    def cancel(self) -> None:
        """Abort in-flight lists and open watches (called by the reflector on stop). Later
        calls work normally."""
        with self._lock:
            inflight = list(self._inflight)
            self._cancelled.update(id(r) for r in inflight)
            watches = list(self._watches)
            self._watches.clear()
        for resp in inflight:
            _shutdown(resp)
        for w in watches:
            w.stop()

    def get_full(self, namespace: str | None, name: str) -> dict[str, Any]:
        """The whole object (for metadata-only informers, on demand)."""
        path = self.resource.object_path(namespace, name)
        obj = _http.get_json(self.api_client, path, read_timeout=self.inactivity_timeout)
        if type(obj) is not dict:
            raise ApiStatusError(500, "", f"expected an object from {path}, got {type(obj).__name__}")
        return obj
