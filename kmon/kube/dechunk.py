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

__all__ = ["MAX_LINE", "Dechunker", "WatchDecodeError"]

MAX_LINE = 64 << 20  # a "line" larger than this is not a watch event


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
        self.last_read = len(data)
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
                if self._partial > MAX_LINE:
                    raise WatchDecodeError(f"watch line longer than {MAX_LINE} bytes")
            left -= stop - pos
            pos = stop
            if left:
                break  # the chunk goes on in the next read
            self._crlf = True
        self._left = left
        self._pending = pending[pos:] if pos < end else b""
        return out
