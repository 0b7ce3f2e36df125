"""HTTP/1.1 chunked transfer decoding for the watch stream, done by kmon from large raw reads.

Why this module exists: http.client de-chunks one chunk per call, and kube-apiserver sends
each watch event as its own chunk, so a burst of 10,000 events would cost 10,000 calls (and
GIL round trips). ``Dechunker.read_lines`` takes one large raw read and cuts every complete
line out of it (memoryviews into the read buffer where a line lies in one chunk), so a burst
costs one read and one hand-over to the decoder.

A line longer than ``MAX_LINE`` is not a watch event: ``WatchDecodeError`` (what every
undecodable watch line raises; the reflector ends the round and relists).
"""

from __future__ import annotations

from http.client import IncompleteRead
from typing import Any

from kmon.cache.raw_decode import WatchDecodeError  # one class for every undecodable line

__all__ = ["MAX_LINE", "ChunkError", "Dechunker", "WatchDecodeError"]

MAX_LINE = 64 << 20  # a "line" larger than this is not a watch event


class ChunkError(IncompleteRead):
    """Chunked framing that is not HTTP/1.1's (a bad chunk-size line): the connection is
    unusable, as when it ends mid-response."""

    def __init__(self, message: str) -> None:
        super().__init__(b"")
        self.message = message

    def __str__(self) -> str:
        return self.message


class Dechunker:
    """Decodes HTTP/1.1 chunked transfer coding from a raw buffered socket reader."""

    __slots__ = ("_raw", "_pending", "_left", "_crlf", "_done", "_parts", "_partial", "last_read")

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._pending = b""
        self._left = 0  # bytes of the current chunk still to come
        self._crlf = False  # the CRLF after a chunk's data is still to come
        self._done = False
        self._parts: list[bytes] = []  # read_lines: pieces of a line not ended yet
        self._partial = 0  # their length
        self.last_read = 0  # bytes the last raw read returned

    def partial_line(self) -> bytes:
        """What ``read_lines`` holds of a line that has not ended yet."""
        return b"".join(self._parts)

    def _chunk_size(self, line: bytes) -> int:
        """The size a chunk-size line other than plain hex gives (with extensions, which
        are ignored); raises ``ChunkError`` for one that gives none."""
        semi = line.find(b";")
        try:
            return int(line if semi < 0 else line[:semi], 16)
        except ValueError:
            raise ChunkError(f"bad chunk size {line[:20]!r}") from None

    def read_lines(self, n: int) -> list[Any] | None:
        """The complete lines (newline excluded) of the body bytes of the next raw read:
        memoryviews into the read buffer where a line lies in one chunk, joined bytes where
        it spans chunks or reads. ``[]`` if no line ended; ``None`` after the last chunk;
        raises ``IncompleteRead`` when the connection ends mid-stream (``ChunkError`` when
        its framing is broken) and ``WatchDecodeError`` for a line longer than the limit."""
        if self._done:
            return None
        data = self._raw.read1(n)
        self.last_read = len(data)
        if not data:
            raise IncompleteRead(b"")
        pending = self._pending + data if self._pending else data
        mv = memoryview(pending)
        find = pending.find
        out: list[Any] = []
        append = out.append
        parts = self._parts
        pos = 0
        end = len(pending)
        left = self._left
        crlf = self._crlf  # the CRLF after a chunk's data is still to come
        while True:
            if crlf:
                if end - pos < 2:
                    break
                pos += 2
                crlf = False
            if left == 0:  # a chunk-size line (one per event: inline, the hot path)
                nl = find(b"\r\n", pos, end)
                if nl < 0:
                    if end - pos > 4096:
                        raise ChunkError("chunk size line too long")
                    break  # incomplete: the rest comes with the next read
                try:
                    left = int(pending[pos:nl], 16)
                except ValueError:
                    left = self._chunk_size(pending[pos:nl])
                if left < 0:  # (int() takes a sign)
                    raise ChunkError(f"bad chunk size {pending[pos:nl][:20]!r}")
                if left == 0:  # the last chunk (trailers, if any, are ignored)
                    self._done = True
                    pos = nl + 2
                    break
                pos = nl + 2
            stop = pos + left if end - pos >= left else end
            start = pos
            while True:
                i = find(b"\n", start, stop)
                if i < 0:
                    break
                if parts:
                    parts.append(pending[start:i])
                    append(b"".join(parts))
                    parts.clear()
                    self._partial = 0
                else:
                    append(mv[start:i])
                start = i + 1
            if start < stop:
                parts.append(pending[start:stop])
                self._partial += stop - start
                if self._partial > MAX_LINE:
                    raise WatchDecodeError(f"watch line longer than {MAX_LINE} bytes")
            left -= stop - pos
            pos = stop
            if left:
                break  # the chunk goes on in the next read
            crlf = True
        self._left = left
        self._crlf = crlf
        self._pending = pending[pos:] if pos < end else b""
        return out
