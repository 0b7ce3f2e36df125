"""Recordings: what an informer saw, written to a file and read back later.

Why this module exists: an incident is often investigated after the fact, on another
machine. ``kmon record`` writes every feed item (deltas with their objects, reflector events,
session items) to a compressed JSON Lines file; ``kmon replay`` and the GUI read it back. This
module is the one place that knows the format (``docs/recording-format.md``, version 1): how
a feed item becomes a record, how records are written (gzip, synced at least once a second),
how a damaged file is read up to the damage, how the cache is rebuilt at any moment, and how
records turn back into feed items for a replay. No Qt, no network.

Records are plain dicts (decoded JSON). The same dicts are what ``kmon watch -o json`` prints,
so scripts see one schema for live and recorded events.
"""

from __future__ import annotations

import bisect
import gzip
import os
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import orjson

from kmon.monitor.feed import DeltaItem, FeedItem, ReflectorItem, SessionItem
from kmon.monitor.journal import enum_text, metadata_of
from kmon.monitor.masking import mask_secret, redact_text

__all__ = [
    "FORMAT",
    "VERSION",
    "Recording",
    "RecordingError",
    "RecordingReader",
    "RecordingWriter",
    "Replayer",
    "dumps_record",
    "item_from_record",
    "make_header",
    "read_recording",
    "rebuild_cache",
    "record_from_item",
]

FORMAT = "kmon-recording"
VERSION = "1.0"  # MAJOR.MINOR: readers reject another MAJOR, accept any MINOR
MAJOR = 1
DELTA_TYPES = ("Added", "Updated", "Deleted", "Replaced", "Sync")
_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS
_READ_CHUNK = 64 * 1024
_BATCH = 1000  # records encoded and compressed per zlib call when writing


class RecordingError(Exception):
    """A file that cannot be read as a recording at all (missing, not a recording, unknown
    major version, cut before its header). Damage *after* the header is not an exception:
    ``Recording.error`` says where reading stopped."""


# --- feed item <-> record -----------------------------------------------------------------
def _clean_detail(detail: Any) -> dict[str, Any]:
    """A reflector/session detail with its free texts redacted (they can quote errors)."""
    if not detail:
        return {}
    out: dict[str, Any] = {}
    for k, v in dict(detail).items():
        if isinstance(v, str):
            v = redact_text(v)
        elif not isinstance(v, (int, float, bool, type(None), list, dict)):
            v = redact_text(str(v))
        out[str(k)] = v
    return out


def record_from_item(item: FeedItem, *, mask: bool = True) -> dict[str, Any]:
    """The record (a JSON-ready dict, see docs/recording-format.md) for one feed item.
    ``mask``: Secret values replaced by ``masking.MASK`` (the default everywhere)."""
    if isinstance(item, DeltaItem):
        rec = item.record
        obj = rec.object
        key = rec.key or ""
        unknown = not isinstance(obj, dict) and hasattr(obj, "key") and hasattr(obj, "obj")
        if unknown:  # DeletedFinalStateUnknown: the last state the cache knew (maybe None)
            key = key or obj.key
            obj = obj.obj
        if mask and obj is not None:
            obj = mask_secret(obj, item.resource)
        m = metadata_of(obj)
        if key:
            ns, sep, name = key.partition("/")
            if not sep:
                ns, name = "", key
        else:
            ns, name = m.get("namespace") or "", m.get("name") or ""
            key = f"{ns}/{name}" if ns else name
        return {
            "kind": "delta",
            "time": rec.time,
            "context": item.context,
            "resource": item.resource,
            "type": enum_text(rec.type),
            "namespace": ns,
            "name": name,
            "key": key,
            "resource_version": enum_text(rec.resource_version or m.get("resourceVersion") or ""),
            "initial": bool(rec.is_in_initial_list),
            "final_state_unknown": unknown,
            "object": obj,
        }
    if isinstance(item, ReflectorItem):
        ev = item.event
        return {
            "kind": "reflector",
            "time": ev.time,
            "context": item.context,
            "resource": item.resource,
            "type": enum_text(ev.kind),
            "resource_version": enum_text(ev.resource_version),
            "detail": _clean_detail(ev.detail),
        }
    if isinstance(item, SessionItem):
        return {
            "kind": "session",
            "time": item.time,
            "context": item.context,
            "resource": item.resource,
            "type": item.state,
            "level": item.level,
            "message": redact_text(item.message),
            "detail": _clean_detail(item.detail) if item.detail else None,
        }
    raise TypeError(f"not a feed item: {type(item).__name__}")


def _default(v: Any) -> Any:
    value = getattr(v, "value", None)  # enums
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    return str(v)


def dumps_record(record: dict[str, Any]) -> bytes:
    """One record as a JSON line (no trailing newline)."""
    return orjson.dumps(record, default=_default, option=_ORJSON_OPTS)


def item_from_record(record: dict[str, Any], old_object: Any = None) -> FeedItem | None:
    """The feed item a record came from (objects are the recorded, possibly masked, ones;
    ``old_object`` is supplied by the caller, who knows the cache). None for records that are
    not feed items (header, footer, kinds or types this version does not know)."""
    from kmon.cache.delta_fifo import DeltaType
    from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
    from kmon.cache.keys import DeletedFinalStateUnknown

    kind = record.get("kind")
    try:
        t = float(record.get("time") or 0.0)
        if kind == "delta":
            obj = record.get("object")
            key = record.get("key") or ""
            if record.get("final_state_unknown"):
                obj = DeletedFinalStateUnknown(key, obj)
            rec = DeltaRecord(
                DeltaType(record["type"]), key, obj, old_object, str(record.get("resource_version") or ""), t,
                bool(record.get("initial")),
            )
            return DeltaItem(record["context"], record["resource"], rec)
        if kind == "reflector":
            ev = ReflectorEvent(
                ReflectorEventKind(record["type"]), t, str(record.get("resource_version") or ""),
                dict(record.get("detail") or {}),
            )
            return ReflectorItem(record["context"], record["resource"], ev)
        if kind == "session":
            level = record.get("level") if record.get("level") in ("info", "warning", "error") else "info"
            return SessionItem(
                record["context"], record.get("resource"), level, str(record.get("message") or ""),
                str(record.get("type") or ""), t, record.get("detail"),
            )
    except (KeyError, ValueError, TypeError):
        return None  # an unknown delta type or event kind from a newer minor version
    return None


# --- writing ------------------------------------------------------------------------------
def make_header(
    *,
    contexts: list[dict[str, Any]],
    resources: list[str],
    selection: dict[str, Any] | None = None,
    secret_values: str = "masked",
    started: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A version-1 header. ``contexts``: [{"name", "server", "server_version"}];
    ``secret_values``: "masked" or "included"."""
    from kmon import __version__

    started = time.time() if started is None else started
    return {
        "kind": "header",
        "format": FORMAT,
        "version": VERSION,
        "kmon_version": __version__,
        "started": started,
        "started_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "contexts": contexts,
        "resources": list(resources),
        "selection": dict(selection or {}),
        "secret_values": secret_values,
        **extra,
    }


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
        self.header = {"kind": "header", "format": FORMAT, "version": VERSION, **header}
        self.header["kind"], self.header["format"], self.header["version"] = "header", FORMAT, VERSION
        if mask is None:
            mask = self.header.get("secret_values", "masked") != "included"
        self.header["secret_values"] = "masked" if mask else "included"
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

    def close(self, reason: str = "stopped", **extra: Any) -> None:
        """Write the footer (``reason``: why recording ended) and finish the gzip stream."""
        if self.closed:
            return
        footer = {"kind": "footer", "time": time.time(), "records": self.records_written, "reason": reason, **extra}
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
        self.close("stopped" if exc_type is None else "error")


# --- reading ------------------------------------------------------------------------------
def _check_header(header: Any, path: str) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("kind") != "header" or header.get("format") != FORMAT:
        raise RecordingError(f"{path}: not a kmon recording (its first record is not a {FORMAT} header)")
    version = str(header.get("version", ""))
    major = version.split(".", 1)[0]
    if major != str(MAJOR):
        raise RecordingError(
            f"{path}: recording format version {version or '?'} is not supported "
            f"(this kmon reads version {MAJOR}.x); use a kmon that knows it"
        )
    return header


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
            self.header = _check_header(header, self.path)
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
                if rec.get("kind") == "footer":
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


# --- the cache at a moment ----------------------------------------------------------------
CacheKey = tuple[str, str]


def _apply(caches: dict[CacheKey, dict[str, Any]], rec: dict[str, Any]) -> Any:
    """Apply one record to ``caches``; returns the object it replaced (for deltas)."""
    ctx, res = rec.get("context"), rec.get("resource")
    if ctx is None or res is None:
        return None
    cache = caches.get((ctx, res))
    if cache is None:
        cache = caches[(ctx, res)] = {}
    if rec.get("kind") != "delta":
        return None
    key = rec.get("key")
    typ = rec.get("type")
    if typ == "Deleted":
        return cache.pop(key, None)
    if typ in DELTA_TYPES:
        old = cache.get(key)
        cache[key] = rec.get("object")
        return old
    return None


def rebuild_cache(records: Iterable[dict[str, Any]], until: float | None = None) -> dict[CacheKey, dict[str, Any]]:
    """The informers' caches as they were at time ``until`` (the end when None):
    ``{(context, resource): {key: object}}``. Every (context, resource) that appears in the
    records has an entry, empty if it held nothing. Objects are the recorded ones (Secret
    values masked unless the recording included them); treat them as read-only."""
    caches: dict[CacheKey, dict[str, Any]] = {}
    for rec in records:
        if until is not None and float(rec.get("time") or 0.0) > until:
            continue  # not break: threads interleave, times are only nearly ordered
        _apply(caches, rec)
    return caches


# --- replay -------------------------------------------------------------------------------
class Replayer:
    """Turns a recording back into feed items at their original times, for the GUI replay.

    Time is recording time (epoch seconds, as recorded). ``position`` starts at the
    recording's start. ``items_until(t)`` returns the feed items recorded after ``position``
    up to ``t`` (oldest first, delta items carrying the ``old_object`` from the rebuilt
    cache) and moves ``position`` to ``t``; ``seek(t)`` moves without returning items (the
    caller then resets its views from ``cache()``). For real-time playback call ``play()``
    and then ``tick()`` from a timer: it returns what became due at ``speed`` x wall time.
    No Qt here; the GUI adapts it.

    Record times from different informer threads are only nearly ordered, so positions use
    the running maximum of the times in file order (monotonic, keeps file order); items keep
    their own times.
    """

    def __init__(
        self,
        recording: Recording,
        speed: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recording = recording
        self.speed = float(speed)
        self._clock = clock
        self._records = recording.records
        eff: list[float] = []
        running = float("-inf")
        for r in self._records:
            try:
                t = float(r.get("time") or 0.0)
            except (TypeError, ValueError):
                t = running
            running = max(running, t)
            eff.append(running)
        self._times = eff
        self.start_time = min(recording.start_time, eff[0]) if eff else recording.start_time
        self.end_time = max(recording.end_time, eff[-1]) if eff else recording.end_time
        self._index = 0  # records before it are applied
        self.position = self.start_time
        self._caches: dict[CacheKey, dict[str, Any]] = {}
        self._playing = False
        self._wall0 = 0.0
        self._pos0 = 0.0

    # --- position ----------------------------------------------------------------------
    @property
    def duration(self) -> float:
        return max(0.0, self.end_time - self.start_time)

    @property
    def at_end(self) -> bool:
        return self._index >= len(self._records)

    def cache(self) -> dict[CacheKey, dict[str, Any]]:
        """The caches at ``position`` (live dicts: read-only, they change as replay goes)."""
        return self._caches

    def _advance(self, t: float, collect: bool) -> list[FeedItem]:
        out: list[FeedItem] = []
        end = bisect.bisect_right(self._times, t, lo=self._index)
        records = self._records
        for i in range(self._index, end):
            rec = records[i]
            old = _apply(self._caches, rec)
            if collect:
                item = item_from_record(rec, old)
                if item is not None:
                    out.append(item)
        self._index = end
        self.position = max(self.position, t) if collect else t
        return out

    def items_until(self, t: float) -> list[FeedItem]:
        """Feed items recorded in (position, t], oldest first; position becomes ``t``. A ``t``
        before the position returns nothing (use ``seek`` to go back)."""
        if t < self.position:
            return []
        return self._advance(t, True)

    def seek(self, t: float) -> None:
        """Move to recording time ``t`` (clamped to the recording); ``cache()`` then holds
        the caches at ``t``. Going back rebuilds from the start."""
        t = min(max(t, self.start_time), self.end_time)
        if t < self.position:
            self._caches = {}
            self._index = 0
        self._advance(t, False)
        self.position = t
        if self._playing:
            self._wall0, self._pos0 = self._clock(), t

    # --- real-time playback ------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._playing

    def play(self, speed: float | None = None) -> None:
        if speed is not None:
            self.speed = float(speed)
        self._playing = True
        self._wall0, self._pos0 = self._clock(), self.position

    def pause(self) -> None:
        if self._playing:
            self._pos0 = self._target()
        self._playing = False

    def set_speed(self, speed: float) -> None:
        if self._playing:
            self._pos0, self._wall0 = self._target(), self._clock()
        self.speed = float(speed)

    def _target(self) -> float:
        return min(self.end_time, self._pos0 + (self._clock() - self._wall0) * self.speed)

    def tick(self) -> list[FeedItem]:
        """While playing: the items that became due since the last tick (empty when paused).
        Stops playing at the end of the recording."""
        if not self._playing:
            return []
        target = self._target()
        items = self.items_until(target)
        if target >= self.end_time and self.at_end:
            self._playing = False
        return items
