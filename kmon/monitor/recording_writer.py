"""Writing a recording: the header at once, then records, then a footer.

Why this module exists: ``kmon record`` must lose at most a second of what it saw when it
crashes, and must not stall the informers it drains. ``RecordingWriter`` turns feed items into
records (``recording_format``), compresses them a batch at a time (zlib releases the GIL) and
pushes them to the file with a sync flush at least once a second, so the file is decodable up
to there at any moment. No Qt, no network.
"""

from __future__ import annotations

import gzip
import os
import time
import zlib
from typing import Any, Callable, Iterable

from kmon.monitor.feed import FeedItem
from kmon.monitor.recording_format import (FORMAT, VERSION, EndReason, RecordKind, SecretValues, dumps_record,
                                           record_from_item)

__all__ = ["RecordingWriter"]

_BATCH = 1000  # records encoded and compressed per zlib call when writing


class RecordingWriter:
    """Writes a recording: the header at once, then records, then a footer on ``close``.

    The stream is gzip; whatever was written is pushed to the file with a zlib
    ``Z_SYNC_FLUSH`` at least every ``flush_interval`` seconds (checked on each write; call
    ``flush_if_due`` from a timer when writes may pause), so a crash loses at most that much.
    Each ``write_*`` call compresses its batch in one call, during which zlib releases the
    GIL. Not thread-safe: one thread writes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: dict[str, Any],
        *,
        mask: bool | None = None,
        compresslevel: int = 3,
        flush_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = os.fspath(path)
        self.header = {"kind": RecordKind.HEADER, "format": FORMAT, "version": VERSION, **header}
        self.header["kind"], self.header["format"], self.header["version"] = RecordKind.HEADER, FORMAT, VERSION
        if mask is None:
            mask = self.header.get("secret_values", SecretValues.MASKED) != SecretValues.INCLUDED
        self.header["secret_values"] = SecretValues.MASKED if mask else SecretValues.INCLUDED
        self.mask = mask
        self.flush_interval = flush_interval
        self._clock = clock
        self._raw = open(self.path, "wb")
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, compresslevel=compresslevel, mtime=0)
        self.records_written = 0  # records after the header
        self.closed = False
        self._dirty = False
        self._last_flush = clock()
        self._gz.write(dumps_record(self.header) + b"\n")
        self.flush()

    def write_items(self, items: Iterable[FeedItem]) -> int:
        """Write feed items (a drained batch) as records; returns how many. Large batches
        (an initial list) are encoded and compressed a slice at a time, so memory stays
        bounded."""
        mask = self.mask
        items = items if isinstance(items, list) else list(items)
        n = 0
        for i in range(0, len(items), _BATCH):
            n += self._write_lines([dumps_record(record_from_item(it, mask=mask)) for it in items[i:i + _BATCH]])
        self.flush_if_due()
        return n

    def write_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Write ready-made records (dicts following the format); returns how many."""
        records = records if isinstance(records, list) else list(records)
        n = 0
        for i in range(0, len(records), _BATCH):
            n += self._write_lines([dumps_record(r) for r in records[i:i + _BATCH]])
        self.flush_if_due()
        return n

    def _write_lines(self, lines: list[bytes]) -> int:
        if self.closed:
            raise ValueError("recording is closed")
        if lines:
            lines.append(b"")
            self._gz.write(b"\n".join(lines))
            self.records_written += len(lines) - 1
            self._dirty = True
        return len(lines) - 1 if lines else 0

    def flush_if_due(self) -> bool:
        """Flush when there is unflushed data and ``flush_interval`` passed since the last
        flush; True if it flushed."""
        if self._dirty and self._clock() - self._last_flush >= self.flush_interval:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Push everything written so far to the file (decodable up to here)."""
        if self.closed:
            return
        self._gz.flush(zlib.Z_SYNC_FLUSH)  # also flushes the file object
        self._dirty = False
        self._last_flush = self._clock()

    @property
    def bytes_written(self) -> int:
        """Compressed bytes handed to the file so far."""
        return self._raw.tell() if not self._raw.closed else os.path.getsize(self.path)

    def close(self, reason: str = EndReason.STOPPED, **extra: Any) -> None:
        """Write the footer (``reason``: why recording ended) and finish the gzip stream."""
        if self.closed:
            return
        footer = {"kind": RecordKind.FOOTER, "time": time.time(), "records": self.records_written, "reason": reason, **extra}
        self._gz.write(dumps_record(footer) + b"\n")
        self._gz.close()
        self._raw.close()
        self.closed = True

    def abort(self) -> None:
        """Close without a footer (what a crash leaves, minus the last unflushed second)."""
        if self.closed:
            return
        try:
            self._gz.flush(zlib.Z_SYNC_FLUSH)
        finally:
            self._raw.close()
            self.closed = True

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.close(EndReason.STOPPED if exc_type is None else EndReason.ERROR)
