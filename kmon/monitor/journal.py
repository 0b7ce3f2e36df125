"""The event log: a bounded, randomly accessible record of everything the feed delivered.

Why this module exists: the GUI's event table asks for row *i* thousands of times per second
and the feed can deliver tens of thousands of items per second for hours. The journal turns
feed items into small ``JournalRow`` tuples (short strings only: a row never keeps the
cached object alive) and keeps the newest ``capacity`` of them in a preallocated ring, so
memory is bounded and ``journal[i]`` is O(1).

Rows are numbered by a sequence that never goes back: the oldest row kept has sequence
``journal.first_seq`` and ``journal.total`` rows were ever appended, so a view can tell how
many rows fell off the front since it last looked (``journal.dropped``).

Not thread-safe: one thread (the GUI's, or a headless command's) owns a journal.
"""

from __future__ import annotations

import csv
import os
from datetime import datetime, timezone
from typing import Any, Collection, Iterable, Iterator, NamedTuple, overload

import orjson

from kmon.monitor.feed import DeltaItem, FeedItem, ReflectorItem, SessionItem
from kmon.monitor.masking import redact_text

__all__ = [
    "FIELDS",
    "Journal",
    "JournalRow",
    "export_csv",
    "export_jsonl",
    "matches",
    "row_from_item",
]


class JournalRow(NamedTuple):
    """One line of the event log. ``category`` is "delta", "reflector" or "session";
    ``type`` the delta type ("Added"...), reflector event kind ("Relist"...) or session
    state ("failed"...); ``detail`` a short human text; ``level`` "info"/"warning"/"error"."""

    time: float
    context: str
    resource: str
    category: str
    type: str
    namespace: str
    name: str
    resource_version: str
    detail: str
    level: str = "info"


FIELDS: tuple[str, ...] = JournalRow._fields


def enum_text(v: Any) -> str:
    """An enum's value or the string itself (DeltaType and ReflectorEventKind are str enums)."""
    v = getattr(v, "value", v)
    return v if isinstance(v, str) else ("" if v is None else str(v))


def metadata_of(obj: Any) -> dict[str, Any]:
    """The object's ``metadata`` dict, or ``{}`` when it has none."""
    if isinstance(obj, dict):
        m = obj.get("metadata")
        if isinstance(m, dict):
            return m
    return {}


def _split_key(key: str) -> tuple[str, str]:
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", ns)


def _seconds(v: Any) -> str:
    try:
        return f"{float(v):.2f} s"
    except (TypeError, ValueError):
        return str(v)


def _delta_row(item: DeltaItem) -> JournalRow:
    rec = item.record
    typ = enum_text(rec.type)
    obj = rec.object
    key = rec.key
    unknown = not isinstance(obj, dict) and hasattr(obj, "key")  # DeletedFinalStateUnknown
    if unknown:
        key = key or obj.key
        obj = getattr(obj, "obj", None)
    if key:
        namespace, name = _split_key(key)
    else:
        m = metadata_of(obj)
        namespace, name = m.get("namespace") or "", m.get("name") or ""
    rv = rec.resource_version or metadata_of(obj).get("resourceVersion") or ""
    if unknown:
        detail = "deleted while not watching (final state unknown)"
    elif rec.is_in_initial_list:
        detail = "initial list"
    elif typ == "Replaced":
        detail = "relist"
    elif typ == "Sync":
        detail = "resync"
    elif typ == "Updated":
        old_rv = metadata_of(rec.old_object).get("resourceVersion") or ""
        detail = f"rv {old_rv} → {rv}" if old_rv else ""
    else:
        detail = ""
    return JournalRow(rec.time, item.context, item.resource, "delta", typ, namespace, name, str(rv), detail)


def reflector_detail(kind: str, d: dict[str, Any], rv: str = "") -> str:
    """Short text for a reflector event, e.g. "relist: watch expired (410)", "backoff 1.6 s"."""
    err = d.get("error")
    err = redact_text(str(err)) if err else ""
    reason = redact_text(str(d.get("reason") or "")) or err
    if kind == "ListStarted":
        req = d.get("resource_version_requested")
        text = f'list from rv "{req if req is not None else rv}"'
        return text + (" (paged)" if d.get("paginated") else "")
    if kind == "ListFinished":
        parts = [f"{d.get('items', '?')} items"]
        if d.get("pages"):
            parts.append(f"{d['pages']} page{'s' if d['pages'] != 1 else ''}")
        if d.get("duration") is not None:
            parts.append(_seconds(d["duration"]))
        return "listed " + ", ".join(parts)
    if kind == "Page":
        return f"page {d.get('pages', '?')}: {d.get('items', '?')} items"
    if kind == "Relist":
        return f"relist: {reason}" if reason else "relist"
    if kind == "WatchStarted":
        return f"watch from rv {rv}" if rv else "watch started"
    if kind == "WatchEnded":
        if err and err != reason:  # why, too: e.g. "no data from server for 90 s" (re-watched)
            return f"watch ended: {d.get('reason') or 'error'}: {err}"
        return f"watch ended: {reason}" if reason else "watch ended"
    if kind == "Bookmark":
        return "bookmark"
    if kind == "Expired":
        return f"expired (410): {err}" if err else "expired (410)"
    if kind == "Error":
        return f"error: {err or reason}" if (err or reason) else "error"
    if kind == "Backoff":
        return f"backoff {float(d['delay']):.1f} s" if d.get("delay") is not None else "backoff"
    extra = ", ".join(f"{k}={redact_text(str(v))}" for k, v in d.items())
    return f"{kind}: {extra}" if extra else kind


_REFLECTOR_LEVEL = {"Error": "error", "Expired": "warning"}


def _reflector_row(item: ReflectorItem) -> JournalRow:
    ev = item.event
    kind = enum_text(ev.kind)
    rv = enum_text(ev.resource_version)
    detail = reflector_detail(kind, ev.detail or {}, rv)
    return JournalRow(
        ev.time, item.context, item.resource, "reflector", kind, "", "", rv, detail, _REFLECTOR_LEVEL.get(kind, "info")
    )


def _session_row(item: SessionItem) -> JournalRow:
    return JournalRow(
        item.time, item.context, item.resource or "", "session", item.state, "", "", "",
        redact_text(item.message), item.level,
    )


def row_from_item(item: FeedItem) -> JournalRow:
    """The journal row for one feed item."""
    if isinstance(item, DeltaItem):
        return _delta_row(item)
    if isinstance(item, ReflectorItem):
        return _reflector_row(item)
    if isinstance(item, SessionItem):
        return _session_row(item)
    raise TypeError(f"not a feed item: {type(item).__name__}")


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

    # --- appending -------------------------------------------------------------------------
    def append_items(self, items: Iterable[FeedItem]) -> tuple[int, int]:
        """Append the rows for a drained batch; returns (rows added, rows dropped from the
        front to make room)."""
        return self.append_rows([row_from_item(it) for it in items])

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

    # --- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> JournalRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[JournalRow]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._len))]
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
    namespace, detail, type, resource, context or resourceVersion. None means "any"."""
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
            (row.name, row.namespace, row.detail, row.type, row.resource, row.context, row.resource_version)
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
    d = row._asdict()
    d["detail"] = redact_text(row.detail)
    d["time_iso"] = _iso(row.time)
    return d


def export_jsonl(rows: Iterable[JournalRow], path: str | os.PathLike[str]) -> int:
    """Write rows as JSON Lines (one object per row, ``time`` in epoch seconds plus
    ``time_iso``), details redacted; returns the number of rows written."""
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
