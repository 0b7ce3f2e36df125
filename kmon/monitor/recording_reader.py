"""Reading a recording back, up to the damage when it is damaged.

Why this module exists: a recording is read after the fact, and often the recorder did not
stop cleanly (a crash, a full disk, a file cut in transfer). ``RecordingReader`` streams the
records of a gzip (or gunzipped) recording and stops at the first damage, saying where and
why; ``read_recording`` loads a whole file into a ``Recording``. Only a file without a usable
header raises (``RecordingError``). The record shapes are ``recording_format``'s. No Qt.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterator

import orjson

from kmon.monitor.recording_format import RecordingError, RecordKind, check_header

__all__ = ["Recording", "RecordingReader", "read_recording"]

_READ_CHUNK = 64 * 1024


class RecordingReader:
    """Streams a recording: ``header`` is read by the constructor (``RecordingError`` if
    there is none); iterating yields the records after it, oldest first, and stops at the
    footer or at the first damage. After iteration ``footer`` (dict or None), ``error``
    (None, or what stopped reading and where), ``complete`` and ``records_read`` are set.

    Gzip files (possibly several members) and plain JSON Lines (a recording someone
    gunzipped) are both read. Positions in messages: "byte N" is the offset in the file as
    stored (compressed) at which the problem was found; "record N" is the line number in the
    JSON Lines stream, the header being record 1.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            self._f = open(self.path, "rb")
        except OSError as e:
            raise RecordingError(f"{self.path}: cannot open: {e.strerror or e}") from None
        self.footer: dict[str, Any] | None = None
        self.error: str | None = None
        self.records_read = 0
        self.bytes_read = 0
        self._line_no = 0
        self._finished = False
        head = self._f.read(2)
        self._f.seek(0)
        self._gzip = head == b"\x1f\x8b"
        self._lines = self._raw_lines()
        try:
            first = next(self._lines, None)
            if first is None:
                if self.error:
                    raise RecordingError(
                        f"{self.path}: recording cut or damaged at byte {self.bytes_read}, before its header was complete"
                    )
                raise RecordingError(f"{self.path}: empty file, not a kmon recording")
            try:
                header = orjson.loads(first)
            except orjson.JSONDecodeError:
                raise RecordingError(f"{self.path}: not a kmon recording (its first line is not JSON)") from None
            self.header = check_header(header, self.path)
        except BaseException:
            self._f.close()
            raise

    # the damage, in words
    def _damaged(self, what: str, why: str, *, exact: bool = True) -> None:
        where = (
            f"at byte {self.bytes_read} (record {self._line_no + 1})" if exact
            else f"at record {self._line_no + 1} (found after reading {self.bytes_read} bytes)"
        )
        self.error = f"recording {what} {where}: {why}; {self.records_read} records after the header were loaded"

    @staticmethod
    def _inflate(d: Any, piece: bytes) -> tuple[Any, bytes]:
        """Decompress ``piece``, starting a new decompressor for each further gzip member."""
        data = d.decompress(piece)
        while d.eof and d.unused_data:
            rest = d.unused_data
            d = zlib.decompressobj(47)
            data += d.decompress(rest)
        return d, data

    def _raw_lines(self) -> Iterator[bytes]:
        f = self._f
        d = zlib.decompressobj(47) if self._gzip else None
        pending = b""
        damage: str | None = None
        while damage is None:
            chunk = f.read(_READ_CHUNK)
            if not chunk:
                break
            if d is not None:
                saved = d.copy()
                try:
                    d, data = self._inflate(d, chunk)
                    self.bytes_read += len(chunk)
                except zlib.error:
                    # again in small steps from the saved state: keep what precedes the damage
                    # and find where it is
                    d, data, pos = saved, b"", 0
                    try:
                        while pos < len(chunk):
                            d, more = self._inflate(d, chunk[pos:pos + 256])
                            data += more
                            pos += 256
                    except zlib.error as e:
                        damage = f"the compressed data is damaged ({e})"
                    self.bytes_read += min(pos, len(chunk))
            else:
                data = chunk
                self.bytes_read += len(chunk)
            if not data:
                continue
            parts = (pending + data).split(b"\n") if pending else data.split(b"\n")
            pending = parts.pop()
            for line in parts:
                self._line_no += 1
                yield line
        if damage is not None:
            self._damaged("corrupt", damage)
            return
        if d is not None and not d.eof:
            tail = "the file ends inside a record" if pending else "the file ends between records"
            self._damaged("truncated", f"{tail} (the compressed stream has no end)")
            return
        if pending.strip():
            self._damaged("truncated", "the last record has no end of line")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._finished:
            return
        try:
            for line in self._lines:
                if not line.strip():
                    continue
                try:
                    rec = orjson.loads(line)
                except orjson.JSONDecodeError as e:
                    self._line_no -= 1
                    self._damaged("corrupt", f"invalid JSON ({e})", exact=False)
                    return
                if not isinstance(rec, dict):
                    self._line_no -= 1
                    self._damaged("corrupt", "a record is not a JSON object", exact=False)
                    return
                if rec.get("kind") == RecordKind.FOOTER:
                    self.footer = rec
                    continue
                self.records_read += 1
                yield rec
            if self.error is None and self.footer is None:
                self._damaged("truncated", "it ends without a footer (the recorder did not stop cleanly)")
        finally:
            self._finished = True
            self._f.close()

    @property
    def complete(self) -> bool:
        return self._finished and self.error is None and self.footer is not None

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "RecordingReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class Recording:
    """A recording loaded in memory. ``records``: every record after the header (the footer
    excluded), oldest first; ``error``: None, or where and why reading stopped (everything
    before that point is loaded)."""

    path: str
    header: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    footer: dict[str, Any] | None = None
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None and self.footer is not None

    @property
    def start_time(self) -> float:
        return float(self.header.get("started") or (self.records[0]["time"] if self.records else 0.0))

    @property
    def end_time(self) -> float:
        times = [float(self.footer["time"])] if self.footer and "time" in self.footer else []
        if self.records:
            times.append(max(float(r.get("time") or 0.0) for r in self.records[-64:]))
        return max(times) if times else self.start_time

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Load a whole recording. Raises ``RecordingError`` only when there is no usable header;
    damage later on is reported in ``Recording.error``."""
    reader = RecordingReader(path)
    records = list(reader)
    return Recording(reader.path, reader.header, records, reader.footer, reader.error)
