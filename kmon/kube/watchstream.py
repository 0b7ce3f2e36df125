"""``RestWatch``: one open watch stream, read raw and decoded into ``WatchEvent`` batches.

Why this module exists: it is the hot path between the cluster and the cache. The stream is
read in large pieces (de-chunked by ``dechunk.Dechunker`` when it can be), every complete
line of one read is decoded at once (by default into ``RawObject``s: each object kept as its
bytes with a small decoded header, ``kmon.cache.raw_decode.WatchDecoder``), and the reflector
gets the events of one read as one batch. No generated models, no ``kubernetes.watch.Watch``
(which parses each event three times).

How a stream ends, which the reflector decides from:
- normally: the server closed it (its ``timeoutSeconds`` passed), or it ended abruptly (reset,
  unexpected EOF, even inside an event; the peer failed TCP keepalive), as client-go's
  StreamWatcher treats these: ``abrupt_close`` says why; the reflector re-watches.
- an ``ERROR`` event: delivered as the last event of its batch.
- a line that is not a well-formed event -> ``WatchDecodeError`` after the events before it.
- ``fail(message)`` from another thread (the health check found the server unresponsive),
  or no byte for the read timeout -- the watch's own ``timeoutSeconds`` plus the inactivity
  limit, the last resort -> ``TimeoutError`` (see ``liveness``).
``last_read`` is when the last byte arrived (the health check reads it). ``stop()`` and
``fail()`` may be called from any thread: they shut the socket down so a blocked read returns.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from http.client import HTTPException
from typing import Any, Callable, Generator, Iterator, Protocol

from urllib3 import exceptions as u3e

from kmon.cache.listwatch import WatchEvent
from kmon.cache.raw_decode import WatchDecoder
from kmon.kube import _http
from kmon.kube.dechunk import MAX_LINE, Dechunker, WatchDecodeError
from kmon.kube.dict_decode import partial_object_metadata

__all__ = ["RestWatch", "WatchLineDecoder", "partial_object_metadata"]

log = logging.getLogger("kmon.kube.listwatch")

# Bytes asked of each raw read: what the socket holds comes back at once, so a burst of
# events costs one call (and one wait for the GIL after it). A stream that keeps a read full
# (an initial list of 100,000 pods, a relist) is read four times more at a time, up to 4 MiB:
# 2,500 reads of 256 KiB for such a list became ~550, which took a GIL-bound 150,000-object
# GUI sync from ~9 s to ~7 s. A stream that no longer fills them (following changes) is read
# in smaller reads again: 4 MiB buffers there cost the GUI longer stalls.
_READ_MIN = 1 << 18
_READ_MAX = 1 << 22
_monotonic = time.monotonic


def next_read_size(size: int, got: int) -> int:
    """The size of the next read after one of ``size`` bytes returned ``got``."""
    if got >= size:
        return min(size * 4, _READ_MAX)
    if got < size // 8:
        return max(size // 4, _READ_MIN)
    return size


def _probable_eof(err: BaseException) -> bool:
    """client-go's net.IsProbableEOF: the peer went away mid-stream."""
    return isinstance(err, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or (
        isinstance(err, ConnectionError) and not isinstance(err, (ConnectionRefusedError, _http.TLSError))
        and "closed" in str(err)
    )


def _describe_line(line: Any) -> str:
    return f"{len(line)} bytes starting {bytes(line[:40])!r}"


class WatchLineDecoder(Protocol):
    """What decodes a read's lines (``raw_decode.WatchDecoder``, ``dict_decode.DictWatchDecoder``):
    the events up to the first bad line, and that line's error."""

    def decode(self, lines: list[Any]) -> tuple[list[WatchEvent], WatchDecodeError | None]: ...


class RestWatch:
    """One open watch stream. Iterate for ``WatchEvent``s; ``stop()`` from any thread."""

    def __init__(self, resp: Any, url: str, *, read_timeout: float | None, decoder: WatchLineDecoder | None = None,
                 timeout_seconds: int | None = None,
                 on_close: Callable[["RestWatch"], None] | None = None) -> None:
        """``read_timeout`` becomes the socket's (the last resort); ``decoder``: how lines
        become events (None: ``WatchDecoder()``, full objects as ``RawObject``s);
        ``on_close(self)`` is called once when the stream is closed (the health checker
        forgets it)."""
        self._resp = resp
        self.timeout_seconds = timeout_seconds  # the deadline the server was given
        self.last_read = _monotonic()  # when the server last sent a byte (or the headers)
        self._on_close = on_close
        self._failure: str | None = None  # set by fail(): why the watch was ended
        _http.set_read_timeout(resp, read_timeout)
        self._decode = (decoder if decoder is not None else WatchDecoder()).decode
        self._url = url
        self._read_timeout = read_timeout
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # guards closing the response (stop() vs. the reader)
        self._closed = False
        self.events = 0  # events delivered so far (for stats and tests)
        self.abrupt_close: str | None = None  # why the stream ended early, if it did
        self._dechunker: Dechunker | None = None  # set by _reader when we de-chunk ourselves

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def path(self) -> str:
        return self._url.split("?", 1)[0]

    def fail(self, message: str) -> bool:
        """End the watch with ``TimeoutError(message)`` from any thread (a blocked read
        returns); False when it was already over."""
        if self._stopped.is_set() or self._closed or self._failure is not None:
            return False
        self._failure = message
        _http.shutdown_socket(self._resp)
        return True

    def stop(self) -> None:
        """End the watch: a read blocked on the socket returns promptly and iteration ends."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        _http.shutdown_socket(self._resp)
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._on_close is not None:
            self._on_close(self)
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

    def _reader(self) -> Callable[[int], bytes] | None:
        """A ``read(n)`` returning the next body bytes (b"" at the end of the stream), or
        None when the stream is de-chunked here (``self._dechunker``): a burst of events
        then costs one large raw read (and one release of the GIL) instead of one per chunk."""
        read, raw = _http.body_reader(self._resp)
        if raw is not None:
            self._dechunker = Dechunker(raw)
            return None
        return read

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
        if self._failure is not None:
            raise TimeoutError(self._failure) from None
        mapped = _http.transport_error(e, self._url, read_timeout=self._read_timeout)
        if isinstance(mapped, TimeoutError):
            # the last resort (see liveness): silent well past the deadline the server was given
            deadline = f"its own {self.timeout_seconds} s timeout" if self.timeout_seconds else "any server's timeout"
            mapped = TimeoutError(
                f"no data from server for {self._read_timeout:g} s, well past {deadline}: "
                f"the connection is dead or the server stalled ({self.path})"
            )
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
                size = _READ_MIN
                while not stopped.is_set():
                    try:
                        lines = dechunker.read_lines(size)
                    except (OSError, ValueError, AttributeError, u3e.HTTPError, HTTPException) as e:
                        if isinstance(e, WatchDecodeError):
                            raise
                        self._read_failed(e)
                        return
                    if lines is None:
                        self._ended(dechunker.partial_line())
                        return
                    self.last_read = _monotonic()
                    size = next_read_size(size, dechunker.last_read)
                    if lines and (yield from self._deliver(lines)):
                        return
                return
            buf = b""  # the partial line after the last newline
            parts: list[bytes] = []  # pieces of a line that has not ended yet
            pending = 0  # bytes of the unfinished line
            size = _READ_MIN
            while not stopped.is_set():
                try:
                    data = read(size)
                except (OSError, ValueError, AttributeError, u3e.HTTPError, HTTPException) as e:
                    self._read_failed(e)
                    return
                if not data:
                    self._ended(b"".join(parts) if parts else buf)
                    return
                self.last_read = _monotonic()
                size = next_read_size(size, len(data))
                if b"\n" not in data:
                    # a large event arriving in pieces: gather them, join once
                    if buf:
                        parts.append(buf)
                        buf = b""
                    parts.append(data)
                    pending += len(data)
                    if pending > MAX_LINE:
                        raise WatchDecodeError(f"watch line longer than {MAX_LINE} bytes")
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
                if (yield from self._deliver(lines)):
                    return
        finally:
            self._close()

    def _deliver(self, lines: list[Any]) -> Generator[list[WatchEvent], None, bool]:
        """Decode one read's complete lines and yield them as one batch; raise the decode
        error after the good events. Returns True when the stream is over (an ERROR event,
        or stopped meanwhile)."""
        # no collector pause here: under kmon's GC policy (gcguard) a batch stays far below
        # the young threshold, and with CPython's default threshold a pause would only make
        # the next collection walk (and promote) the whole batch
        events, err = self._decode(lines)
        if events:
            self.events += len(events)
            yield events
            if events[-1].type == "ERROR" or self._stopped.is_set():
                return True
        if err is not None:
            raise err
        return False

    def _ended(self, partial: Any) -> None:
        """The stream ended; ``partial``: what arrived of a line that did not end."""
        if self._failure is not None and not self._stopped.is_set():
            raise TimeoutError(self._failure)
        if bytes(partial).strip() and not self._stopped.is_set():
            # unexpected EOF inside an event: also a normal end in client-go
            log.debug("watch %s ended inside an event (%s)", self._url, _describe_line(partial))
            self.abrupt_close = "stream ended inside an event"
