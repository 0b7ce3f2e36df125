"""The event log: a bounded, randomly accessible record of everything the feed delivered.

Why this module exists: the GUI's event table asks for row *i* thousands of times per second
and the feed can deliver tens of thousands of items per second for hours. The journal turns
feed items into small ``JournalRow`` tuples (short strings only: a row never keeps the
cached object alive) and keeps the newest ``capacity`` of them in a preallocated ring, so
memory is bounded and ``journal[i]`` is O(1).

Rows are numbered by a sequence that never goes back: the oldest row kept has sequence
``journal.first_seq`` and ``journal.total`` rows were ever appended, so a view can tell how
many rows fell off the front since it last looked (``journal.dropped``).

Rows come from ``kmon.monitor.journal_rows`` (which also groups an atomic relist under one
header row); a journal numbers them with its sequence.

Not thread-safe: one thread (the GUI's, or a headless command's) owns a journal.
"""

from __future__ import annotations

import csv
import os
from datetime import datetime, timezone
from typing import Any, Collection, Iterable, Iterator, overload

import orjson

from kmon.monitor.feed import FeedItem
from kmon.monitor.journal_rows import (FIELDS, JournalRow, RowBuilder, enum_text, metadata_of, reflector_detail,
                                       row_from_item)
from kmon.monitor.masking import redact_text

__all__ = [
    "FIELDS",
    "Journal",
    "JournalRow",
    "export_csv",
    "export_jsonl",
    "enum_text",
    "matches",
    "metadata_of",
    "reflector_detail",
    "row_from_item",
]


class Journal:
    """A ring of at most ``capacity`` rows, oldest first: ``journal[0]`` is the oldest kept
    row, ``journal[-1]`` the newest."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._buf: list[JournalRow | None] = [None] * capacity
        self._head = 0  # index in _buf of the oldest row
        self._len = 0
        self.total = 0  # rows ever appended
        self._builder = RowBuilder()

    # --- appending -------------------------------------------------------------------------
    def append_items(self, items: Iterable[FeedItem]) -> tuple[int, int]:
        """Append the rows for a drained batch; returns (rows added, rows dropped from the
        front to make room)."""
        return self.append_rows(self._builder.rows(items, self.total))

    def append_rows(self, rows: Iterable[JournalRow]) -> tuple[int, int]:
        rows = rows if isinstance(rows, list) else list(rows)
        added = len(rows)
        if not added:
            return 0, 0
        cap = self.capacity
        before = self._len
        self.total += added
        if added >= cap:
            rows = rows[-cap:]
            self._buf[:] = rows
            self._head = 0
            self._len = cap
            return added, before + added - cap
        buf = self._buf
        start = (self._head + self._len) % cap
        first = min(added, cap - start)
        buf[start:start + first] = rows[:first]
        if first < added:
            buf[0:added - first] = rows[first:]
        new_len = before + added
        if new_len > cap:
            dropped = new_len - cap
            self._head = (self._head + dropped) % cap
            self._len = cap
            return added, dropped
        self._len = new_len
        return added, 0

    def clear(self) -> None:
        """Forget every row (``total`` keeps counting, so sequences stay unique)."""
        self._buf = [None] * self.capacity
        self._head = 0
        self._len = 0
        self._builder.interrupt()

    def resized(self, capacity: int) -> "Journal":
        """A journal of ``capacity`` holding the newest rows of this one, with the same
        sequence numbers (a group being filled goes on in it)."""
        new = Journal(capacity)
        rows = self[max(0, self._len - capacity):]
        new.total = self.total - len(rows)
        new.append_rows(rows)
        new._builder = self._builder
        return new

    # --- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> JournalRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[JournalRow]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(self._len)
            if step != 1:
                return [self[j] for j in range(start, stop, step)]
            if stop <= start:
                return []
            # at most two slices of the ring
            a, b = (self._head + start) % self.capacity, (self._head + stop) % self.capacity
            return self._buf[a:b] if a < b else self._buf[a:] + self._buf[:b]  # type: ignore[return-value]
        n = self._len
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("journal index out of range")
        return self._buf[(self._head + i) % self.capacity]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[JournalRow]:
        buf, cap, head = self._buf, self.capacity, self._head
        for i in range(self._len):
            yield buf[(head + i) % cap]  # type: ignore[misc]

    @property
    def first_seq(self) -> int:
        """Sequence number of ``journal[0]`` (row ``i`` has sequence ``first_seq + i``)."""
        return self.total - self._len

    @property
    def dropped(self) -> int:
        """Rows that fell off the front since the journal was created (or cleared)."""
        return self.first_seq

    def since(self, seq: int) -> tuple[list[JournalRow], int]:
        """Rows with sequence >= ``seq`` still kept, and how many of the wanted rows were
        already dropped (so a view that last saw ``seq - 1`` knows what it missed)."""
        first = self.first_seq
        missed = max(0, first - seq)
        start = max(0, seq - first)
        return self[start:], missed

    def filtered(self, **criteria: Any) -> list[JournalRow]:
        """The kept rows for which ``matches(row, **criteria)`` holds, oldest first."""
        return [r for r in self if matches(r, **criteria)]

    def __repr__(self) -> str:
        return f"<Journal {self._len}/{self.capacity} rows, total={self.total}>"


def matches(
    row: JournalRow,
    types: Collection[str] | None = None,
    resources: Collection[str] | None = None,
    namespace: str | None = None,
    text: str | None = None,
    *,
    contexts: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    levels: Collection[str] | None = None,
) -> bool:
    """Whether ``row`` passes a filter. ``types``: row types ("Added", "Relist", "failed"...);
    ``resources``: full resource names; ``namespace``: exact namespace ("" for
    cluster-scoped and non-object rows); ``text``: case-insensitive substring of the name,
    namespace, detail, type, resource, context, resourceVersion or notification. None means
    "any"."""
    if types is not None and row.type not in types:
        return False
    if resources is not None and row.resource not in resources:
        return False
    if namespace is not None and row.namespace != namespace:
        return False
    if contexts is not None and row.context not in contexts:
        return False
    if categories is not None and row.category not in categories:
        return False
    if levels is not None and row.level not in levels:
        return False
    if text:
        needle = text.lower()
        hay = "\x00".join(
            (row.name, row.namespace, row.detail, row.type, row.resource, row.context, row.resource_version,
             row.notification)
        ).lower()
        if needle not in hay:
            return False
    return True


def _iso(t: float) -> str:
    try:
        return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return ""


def _export_record(row: JournalRow) -> dict[str, Any]:
    d = {f: getattr(row, f) for f in FIELDS}
    d["detail"] = redact_text(row.detail)
    d["time_iso"] = _iso(row.time)
    return d


def export_jsonl(rows: Iterable[JournalRow], path: str | os.PathLike[str]) -> int:
    """Write rows as JSON Lines (one object per row, ``time`` in epoch seconds plus
    ``time_iso``), details redacted; returns the number of rows written. ``notification``
    says what the handlers received; ``group`` ties an atomic relist's rows to its header
    (the row whose ``members`` counts them), -1 outside a group."""
    n = 0
    with open(path, "wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(_export_record(row)))
            fh.write(b"\n")
            n += 1
    return n


def export_csv(rows: Iterable[JournalRow], path: str | os.PathLike[str]) -> int:
    """Write rows as CSV with a header (the ``JournalRow`` fields plus ``time_iso``),
    details redacted; returns the number of rows written."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=[*FIELDS, "time_iso"])
        w.writeheader()
        for row in rows:
            w.writerow(_export_record(row))
            n += 1
    return n
