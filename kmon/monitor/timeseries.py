"""Numbers over time for the charts: resourceVersions, events/s, cache size, and client-go
1.36's informer metrics (queued items, processing latency, the store's version).

Why this module exists: the charts must show hours of history from feeds that deliver
thousands of items per second, without the GUI aggregating anything. A ``SeriesBook`` turns
drained feed batches into per-(context, resource) ``ResourceSeries`` whose columns are numpy
arrays on one shared time axis, ready for ``setData``.

Time axis: buckets of ``resolution`` seconds (1 s to start with) counted from the book's
``t0`` (the first time it saw, floored to a whole second). Bucket ``i`` covers
``[t0 + i*resolution, t0 + (i+1)*resolution)``; every series of a book uses the same buckets,
so ``series.x()`` of any two series line up.

Columns (one value per bucket, NaN when none):
- ``rv``: the reflector's version, the highest one it synced in the bucket (watch events,
  lists, bookmarks, its sampled last synced version) as a float (exact below 2**53);
  ``rv_numeric`` turns False (for good) once a version did not parse as an integer (opaque
  versions are legal: the chart must then say it cannot plot them).
- ``counts``: deltas per type (``DELTA_TYPES`` order); ``events_per_second`` divides by the
  resolution.
- sampled by ``sample(stats, t)`` (once a second): ``synced_rv`` (the reflector's last
  synced version) and ``store_rv`` (``informer_store_resource_version``) read at the same
  instant, ``size`` (cache size), ``queue`` (``informer_queued_items``), and
  ``latency_p50`` / ``latency_max``: ``informer_processing_latency_seconds`` over the pops
  since the previous sample -- the median (from the buckets, as Prometheus'
  ``histogram_quantile``) and the exact slowest pop -- in every bucket of that interval; an
  interval without a pop stays empty. Not a mean, not a p99: one slow pop (a relist applied
  at once) among hundreds of fast ones is what stalls a controller, and both would hide it.
- ``markers``: (time, kind, text) for relists, watch restarts, 410s and errors; ``points``:
  (time, kind, rv, text) for each list's and bookmark's version.

Memory policy (bounded): buffers grow geometrically up to ``max_points`` buckets per series
(default 86,400: 24 h at 1 s). When a time falls beyond that, the whole book is decimated:
pairs of buckets merge (counts add up, sampled columns keep the pair's maximum) and the
resolution doubles, so history is never dropped, only coarsened (48 h at 2 s, ...). Each
series therefore holds at most ``max_points`` x (5 counts + 7 sampled) numbers, about 8.3 MB
at the default; markers and points are capped at ``max_markers`` each (the oldest go first).

Feeding: ``ingest(items)`` takes drained feed batches; ``ingest_records(records)`` folds
recording records the same way without making feed items of them (a replay seek refills a
``clear()``-ed book from every record before the new position); ``sample_all`` takes the
once-a-second stats samples.

Not thread-safe: one thread owns a book (the GUI's, fed from ``Feed.drain``).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Iterable, NamedTuple

import numpy as np

from kmon.cache.informer_metrics import LatencySnapshot
from kmon.monitor.delta_tally import DeltaTally
from kmon.monitor.feed import DeltaItem, FeedItem, ReflectorItem, SessionItem
from kmon.monitor.journal import enum_text, reflector_detail

__all__ = ["DELTA_TYPES", "MARKER_KINDS", "POINT_KINDS", "SAMPLE_COLUMNS", "Marker", "Point", "ResourceSeries",
           "SeriesBook", "parse_rv"]

DELTA_TYPES: tuple[str, ...] = ("Added", "Updated", "Deleted", "Replaced", "Sync")
_TYPE_INDEX = {t: i for i, t in enumerate(DELTA_TYPES)}
MARKER_KINDS = ("relist", "watch-restart", "expired", "error")
POINT_KINDS = ("list", "bookmark")
# one float per bucket each (see the module doc; decimation keeps a pair's maximum)
SAMPLE_COLUMNS = ("rv", "synced_rv", "size", "queue", "store_rv", "latency_p50", "latency_max")
# reflector event kind -> marker kind
_MARKER_OF = {"Relist": "relist", "WatchEnded": "watch-restart", "Expired": "expired", "Error": "error"}


class Marker(NamedTuple):
    time: float
    kind: str  # one of MARKER_KINDS
    text: str


class Point(NamedTuple):  # the version a list or a bookmark reached, plotted at that version
    time: float
    kind: str  # one of POINT_KINDS
    rv: float
    text: str


def parse_rv(rv: Any) -> int | None:
    """A resourceVersion as an integer, or None when it is empty or opaque."""
    if rv is None or rv == "":
        return None
    try:
        return int(rv)
    except (TypeError, ValueError):
        return None


def _stat(stats: Any, *names: str) -> float:
    for n in names:
        v = stats.get(n) if isinstance(stats, dict) else getattr(stats, n, None)
        if v is not None:
            try:
                return float(v)
            except (TypeError, ValueError):
                continue
    return math.nan


def _point(t: float, kind: str, rv: int, d: dict[str, Any]) -> Point:
    if kind == "ListFinished":
        return Point(t, "list", float(rv), f"list at rv {rv}: {reflector_detail(kind, d)}")
    end = " (end of a WatchList's initial events)" if d.get("items") == 1 else ""
    return Point(t, "bookmark", float(rv), f"bookmark at rv {rv}{end}")


class ResourceSeries:
    """The columns of one (context, resource); created by ``SeriesBook.series``."""

    def __init__(self, book: "SeriesBook", context: str, resource: str) -> None:
        self.book = book
        self.context = context
        self.resource = resource
        self.rv_numeric = True
        self.last_rv = ""  # the newest resourceVersion seen, as the server spelled it
        self.markers: deque[Marker] = deque(maxlen=book.max_markers)
        self.points: deque[Point] = deque(maxlen=book.max_markers)  # list and bookmark versions
        self.total_events = 0
        self._n = 0  # buckets in use (index of the last touched bucket + 1)
        cap = 64
        self._cols = {name: np.full(cap, np.nan) for name in SAMPLE_COLUMNS}
        self._counts = np.zeros((cap, len(DELTA_TYPES)), dtype=np.int64)
        # the latency histogram as last sampled, and when (per-interval quantiles are the
        # difference to it)
        self._latency: tuple[LatencySnapshot, float] | None = None

    # --- storage ---------------------------------------------------------------------------
    def _ensure(self, i: int) -> None:
        """Make bucket ``i`` addressable (geometric growth, capped by the book)."""
        cap = len(self._counts)
        if i >= cap:
            new = min(max(cap * 2, i + 1), max(self.book.max_points, i + 1))
            for name, col in self._cols.items():
                self._cols[name] = np.concatenate([col, np.full(new - cap, np.nan)])
            self._counts = np.concatenate([self._counts, np.zeros((new - cap, len(DELTA_TYPES)), np.int64)])
        if i >= self._n:
            self._n = i + 1

    def _decimate(self) -> None:
        """Merge bucket pairs (2k, 2k+1) into bucket k (called by the book): counts add up,
        every sampled column keeps the pair's maximum."""
        n = self._n
        if n == 0:
            return
        m = (n + 1) // 2
        pad = m * 2 - n

        def pairs(a: np.ndarray, fill: float) -> np.ndarray:
            a = a[:n]
            if pad:
                a = np.concatenate([a, np.full((pad,) + a.shape[1:], fill, dtype=a.dtype)])
            return a.reshape((m, 2) + a.shape[1:])

        cap = len(self._counts)
        for name, col in self._cols.items():
            with np.errstate(invalid="ignore"):
                merged = np.fmax.reduce(pairs(col, np.nan), axis=1)
            self._cols[name] = np.full(cap, np.nan)
            self._cols[name][:m] = merged
        counts = pairs(self._counts, 0).sum(axis=1)
        self._counts = np.zeros((cap, len(DELTA_TYPES)), np.int64)
        self._counts[:m] = counts
        self._n = m

    # --- recording -------------------------------------------------------------------------
    def _note_rv(self, i: int, rv: Any) -> None:
        if rv is None or rv == "":
            return
        rv = enum_text(rv)
        self.last_rv = rv
        v = parse_rv(rv)
        if v is None:
            self.rv_numeric = False
            return
        self._raise_rv(i, v)

    def _raise_rv(self, i: int, v: int) -> None:
        self._ensure(i)
        col = self._cols["rv"]
        if not col[i] >= v:  # NaN-safe
            col[i] = v

    def add_deltas(self, i: int, counts: list[int], n: int, top: int | None, last: str | None, opaque: bool) -> None:
        """``n`` deltas into bucket ``i`` at once (``DeltaTally``): ``counts`` per type, their
        highest numeric version, the last version, whether one did not parse."""
        self._ensure(i)
        self._counts[i] += counts
        self.total_events += n
        if last is not None:
            self.last_rv = last
        if opaque:
            self.rv_numeric = False
        if top is not None:
            self._raise_rv(i, top)

    def sample(self, stats: Any, t: float) -> None:
        """Record, from an ``InformerStats`` (or its ``as_dict()``, or a replay's sample) at time
        ``t``: cache size, queued items, the reflector's last synced version, the store's
        version and the processing latency's p50/p99 since the previous sample. What the
        stats lack (a recording has no queue, latency or store version) stays empty."""
        i = self.book.index(t)
        self._ensure(i)
        cols = self._cols
        cols["size"][i] = _stat(stats, "store_size", "cache_size", "size", "items")
        cols["queue"][i] = _stat(stats, "queue_depth", "queue_length", "queue_size", "queue")
        get = stats.get if isinstance(stats, dict) else lambda n: getattr(stats, n, None)
        rv = get("last_synced_version")
        if rv:
            self._note_rv(i, rv)
        for name, value in (("synced_rv", rv), ("store_rv", get("store_resource_version"))):
            v = parse_rv(value)
            if v is not None:  # the two versions at the same instant: a gap is a real lag
                cols[name][i] = v
        latency = LatencySnapshot.of(get("processing_latency"))
        if latency is not None:
            self._sample_latency(latency, t, i)

    def _sample_latency(self, now: LatencySnapshot, t: float, i: int) -> None:
        """p50 and max of the pops since the previous sample, in every bucket of that
        interval (none: the interval stays empty -- nothing was processed)."""
        prev = self._latency
        self._latency = (now, t)
        interval = now.since(prev[0] if prev else None)
        if not interval.count:
            return
        first = min(i, self.book.index(prev[1]) + 1) if prev and prev[1] < t else i
        self._cols["latency_p50"][first: i + 1] = interval.quantile(0.5)
        # the exact slowest pop (per-second peaks); the buckets' bound if the peaks were lost
        slowest = interval.slowest
        self._cols["latency_max"][first: i + 1] = slowest if slowest >= 0 else interval.quantile(1.0)

    def add_marker(self, t: float, kind: str, text: str) -> None:
        self.markers.append(Marker(t, kind, text))

    # --- reading (arrays are views: copy before keeping them across ingests) ----------------
    def __len__(self) -> int:
        return self._n

    def x(self) -> np.ndarray:
        """Bucket start times (epoch seconds) of this series' buckets."""
        return self.book.t0 + np.arange(self._n) * self.book.resolution

    def column(self, name: str) -> np.ndarray:
        """One of ``SAMPLE_COLUMNS``, one value per bucket (NaN: none)."""
        return self._cols[name][: self._n]

    rv = property(lambda self: self.column("rv"), doc="The reflector's version (see the module doc).")
    synced_rv = property(lambda self: self.column("synced_rv"), doc="The reflector's, as sampled.")
    store_rv = property(lambda self: self.column("store_rv"), doc="informer_store_resource_version")
    size = property(lambda self: self.column("size"), doc="The cache size as sampled.")
    queue = property(lambda self: self.column("queue"), doc="informer_queued_items as sampled.")

    @property
    def counts(self) -> np.ndarray:
        """Shape (buckets, len(DELTA_TYPES))."""
        return self._counts[: self._n]

    def events(self, delta_type: str | None = None) -> np.ndarray:
        """Deltas per bucket, of one type or of all."""
        c = self._counts[: self._n]
        return c.sum(axis=1) if delta_type is None else c[:, _TYPE_INDEX[delta_type]]

    def events_per_second(self, delta_type: str | None = None) -> np.ndarray:
        return self.events(delta_type) / self.book.resolution

    def latency(self, quantile: str = "max") -> np.ndarray:
        """``informer_processing_latency_seconds``' "p50" or "max" over each sample interval."""
        return self.column(f"latency_{quantile}")

    def __repr__(self) -> str:
        return f"<ResourceSeries {self.context}/{self.resource} buckets={self._n} events={self.total_events}>"


class SeriesBook:
    """Every ``ResourceSeries`` of the monitor, on one time axis."""

    def __init__(self, *, max_points: int = 86_400, max_markers: int = 10_000, t0: float | None = None) -> None:
        if max_points < 2:
            raise ValueError("max_points must be at least 2")
        self.max_points = max_points
        self.max_markers = max_markers
        self._tally = DeltaTally(self, _TYPE_INDEX)  # deltas counted, then written at once
        self.t0: float = math.floor(t0) if t0 is not None else math.nan
        self.resolution = 1.0
        self.generation = 0  # bumped by clear()
        self._series: dict[tuple[str, str], ResourceSeries] = {}

    def index(self, t: float) -> int:
        """The bucket of time ``t`` (decimating first if it would lie past ``max_points``)."""
        if math.isnan(self.t0):
            self.t0 = float(math.floor(t))
        i = int((t - self.t0) // self.resolution)
        if i < 0:
            return 0  # before the axis started: count it in the first bucket
        while i >= self.max_points:
            self._decimate()
            i = int((t - self.t0) // self.resolution)
        return i

    def _decimate(self) -> None:
        for s in self._series.values():
            s._decimate()
        self.resolution *= 2

    def series(self, context: str, resource: str) -> ResourceSeries:
        key = (context, resource)
        s = self._series.get(key)
        if s is None:
            s = self._series[key] = ResourceSeries(self, context, resource)
        return s

    def get(self, context: str, resource: str) -> ResourceSeries | None:
        return self._series.get((context, resource))

    def keys(self) -> list[tuple[str, str]]:
        return list(self._series)

    def __iter__(self):
        return iter(self._series.values())

    def __len__(self) -> int:
        return len(self._series)

    def remove(self, context: str, resource: str | None = None) -> None:
        """Forget one series, or every series of a context."""
        for key in [k for k in self._series if k[0] == context and (resource is None or k[1] == resource)]:
            del self._series[key]

    def sample(self, context: str, resource: str, stats: Any, t: float) -> None:
        self.series(context, resource).sample(stats, t)

    def sample_all(self, stats_by_key: dict[tuple[str, str], Any], t: float) -> None:
        for (context, resource), st in stats_by_key.items():
            self.sample(context, resource, st, t)

    def clear(self) -> None:
        """Forget every series (a replay seek refills the book); ``t0`` stays, the
        resolution returns to its start, ``generation`` counts the clears."""
        self._series.clear()
        self.resolution = 1.0
        self.generation += 1

    def ingest(self, items: Iterable[FeedItem]) -> int:
        """Update from a drained feed batch; returns how many items were used."""
        used = 0
        tally = self._tally
        add = tally.add
        for item in items:
            if item.__class__ is DeltaItem:
                rec = item.record
                add(item.context, item.resource, rec.time, enum_text(rec.type), rec.resource_version)
                used += 1
                continue
            tally.flush()  # in order: what the deltas before it did is written first
            if isinstance(item, ReflectorItem):
                ev = item.event
                self._reflector(item.context, item.resource, enum_text(ev.kind), ev.time, ev.resource_version, ev.detail)
            elif isinstance(item, SessionItem):
                if item.level != "error" or item.resource is None:
                    continue
                self.series(item.context, item.resource).add_marker(item.time, "error", item.message)
            else:
                continue
            used += 1
        tally.flush()
        return used

    def ingest_records(self, records: Iterable[dict[str, Any]]) -> int:
        """The same from recording records (``docs/recording-format.md``) without making feed
        items of them: a replay seek refills the book from every record before the new
        position, and must fold them exactly as ``ingest`` folded the items."""
        used = 0
        tally = self._tally
        for r in records:
            ctx, res, kind = r.get("context"), r.get("resource"), r.get("kind")
            if not ctx or not res:
                continue
            t = float(r.get("time") or 0.0)
            if kind == "delta":
                tally.add(ctx, res, t, str(r.get("type") or ""), str(r.get("resource_version") or ""))
                used += 1
                continue
            tally.flush()
            if kind == "reflector":
                self._reflector(ctx, res, str(r.get("type") or ""), t, str(r.get("resource_version") or ""),
                                r.get("detail"))
            elif kind == "session" and r.get("level") == "error":
                self.series(ctx, res).add_marker(t, "error", str(r.get("message") or ""))
            else:
                continue
            used += 1
        tally.flush()
        return used

    def _reflector(self, context: str, resource: str, kind: str, t: float, rv: Any, detail: Any) -> None:
        s = self.series(context, resource)
        i = self.index(t)
        if kind in ("Bookmark", "ListFinished"):
            s._note_rv(i, rv)
            v = parse_rv(enum_text(rv))
            if v is not None:
                s.points.append(_point(t, kind, v, detail or {}))
        mk = _MARKER_OF.get(kind)
        d = detail or {}
        if mk == "relist" and d.get("reason") == "initial":
            mk = None  # the first list is not a relist
        elif mk == "watch-restart" and d.get("reason") in ("stopped", "initial-events-end"):
            mk = None
        if mk is not None:
            s.add_marker(t, mk, reflector_detail(kind, d, enum_text(rv)))

    def __repr__(self) -> str:
        return f"<SeriesBook series={len(self._series)} resolution={self.resolution:g} s>"
