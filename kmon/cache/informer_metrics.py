"""client-go 1.36's informer metrics, measured as client-go measures them
(``tools/cache/informer_metrics.go``).

- ``informer_queued_items`` (a gauge): what waits in the informer's queue -- for a
  ``DeltaFIFO`` the keys with pending deltas, for a ``RealFIFO`` the individual deltas; both
  queues' ``len()`` (``InformerStats.queue_depth``).
- ``informer_processing_latency_seconds`` (a histogram): how long the informer took to process
  what one pop handed over (one delta, one batch, one key's deltas; kmon's ``DeltaFIFO`` pops
  up to ``process_batch`` keys at once and observes that pop once), timed around the pop's
  ``process`` callback only (not the wait, not the lock). ``LatencyHistogram`` is what the
  queue feeds; ``LatencySnapshot`` what ``InformerStats.processing_latency`` carries.
- ``informer_store_resource_version`` (a gauge): the store's resource version as a number
  (``store_rv_metric``: client-go keeps the last 15 digits so the float stays exact; empty or
  opaque versions have no value).

The histogram has fixed bucket bounds (``LATENCY_BOUNDS``, Prometheus' 1-2.5-5 ladder reaching
down to 10 microseconds: a Python pop is cheap) so that observing allocates nothing: one
addition, one store and one bisection into a preallocated list, on the processing thread
only (the single writer). A reader copies the bucket counts first and derives the count from
them, so count and buckets always agree (the sum may lag by an observation).
``histogram_quantile`` estimates a quantile from bucket counts the way Prometheus'
``histogram_quantile`` does, so kmon's p50 reads like a Prometheus dashboard's. Beside the
buckets, the histogram keeps the slowest pop of each of the last ``PEAK_SECONDS`` seconds of
its clock (two preallocated lists, written in place): a chart's "max" per interval is then
exact, where a p99 would hide one slow pop among a hundred fast ones.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable, Sequence

__all__ = [
    "LATENCY_BOUNDS", "PEAK_SECONDS", "LatencyHistogram", "LatencySnapshot", "QUEUED_ITEMS", "PROCESSING_LATENCY",
    "STORE_RESOURCE_VERSION", "histogram_quantile", "store_rv_metric",
]

QUEUED_ITEMS = "informer_queued_items"
PROCESSING_LATENCY = "informer_processing_latency_seconds"
STORE_RESOURCE_VERSION = "informer_store_resource_version"

PEAK_SECONDS = 8  # how many whole seconds of per-second maxima a histogram keeps

# upper bounds (seconds) of the finite buckets; a last bucket takes everything above (+Inf)
LATENCY_BOUNDS: tuple[float, ...] = tuple(
    m * 10.0 ** e for e in range(-5, 2) for m in (1.0, 2.5, 5.0) if m * 10.0 ** e <= 10.0
)


@dataclass(frozen=True, slots=True)
class LatencySnapshot:
    """The histogram at one moment: ``buckets[i]`` pops took at most ``LATENCY_BOUNDS[i]``
    seconds (and more than the bound before); the last bucket is +Inf. ``count`` is their
    sum, ``sum`` the seconds in all, ``last`` the latest pop's seconds (0 before any)."""

    count: int = 0
    sum: float = 0.0
    last: float = 0.0
    buckets: tuple[int, ...] = ()
    # the slowest pop of each of the last PEAK_SECONDS whole seconds of the clock:
    # ((second, seconds), ...) -- an exact maximum per interval, which buckets cannot give
    peaks: tuple[tuple[int, float], ...] = ()

    @property
    def slowest(self) -> float:
        """The slowest pop among ``peaks`` (NaN when none)."""
        return max((value for _second, value in self.peaks), default=math.nan)

    def since(self, before: "LatencySnapshot | None") -> "LatencySnapshot":
        """What was observed after ``before`` (all of it when ``before`` is None, from another
        histogram, or from before a reset: the counts went down); ``peaks`` only those new or
        grown since."""
        if before is None or len(before.buckets) != len(self.buckets) or before.count > self.count or any(
            b > a for a, b in zip(self.buckets, before.buckets)
        ):
            return self
        seen = set(before.peaks)  # a second's peak that grew since counts again
        return LatencySnapshot(
            self.count - before.count, max(0.0, self.sum - before.sum), self.last,
            tuple(a - b for a, b in zip(self.buckets, before.buckets)), tuple(p for p in self.peaks if p not in seen),
        )

    def quantile(self, q: float) -> float:
        """``histogram_quantile(q)`` of these counts (NaN when empty)."""
        return histogram_quantile(q, self.buckets)

    def as_prometheus(self) -> dict:
        """``count``, ``sum`` and the cumulative ``buckets`` by upper bound ("+Inf" last), as a
        Prometheus scrape shows a histogram."""
        cumulative: dict[str, int] = {}
        total = 0
        for bound, n in zip((*(f"{b:g}" for b in LATENCY_BOUNDS), "+Inf"), self.buckets):
            total += n
            cumulative[bound] = total
        return {"count": self.count, "sum": self.sum, "last": self.last, "buckets": cumulative}

    @classmethod
    def of(cls, value: object) -> "LatencySnapshot | None":
        """A snapshot from itself or its ``as_dict()`` form (``dataclasses.asdict``); None
        from anything else (not measured)."""
        if isinstance(value, cls) or not isinstance(value, dict):
            return value if isinstance(value, cls) else None
        return cls(int(value.get("count") or 0), float(value.get("sum") or 0.0), float(value.get("last") or 0.0),
                   tuple(value.get("buckets") or ()), tuple(tuple(p) for p in value.get("peaks") or ()))


class LatencyHistogram:
    """``informer_processing_latency_seconds`` of one queue: ``timed(fn, *args)`` runs ``fn``
    and observes its duration on ``monotonic`` (the informer's clock: a fake one in tests).
    One writer (the processing thread); ``snapshot()`` from any thread."""

    __slots__ = ("monotonic", "sum", "last", "_buckets", "_second", "_next", "_peak", "_peak_seconds", "_peak_values")

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.sum = 0.0
        self.last = 0.0
        self._buckets = [0] * (len(LATENCY_BOUNDS) + 1)
        self._second = -1  # the clock's whole second of the latest peak, its end, its slowest pop
        self._next = -math.inf
        self._peak = math.inf
        self._peak_seconds = [-1] * PEAK_SECONDS  # a ring by second (preallocated: no allocation per pop)
        self._peak_values = [0.0] * PEAK_SECONDS

    def observe(self, seconds: float, end: float = 0.0) -> None:
        """One pop took ``seconds``, ending at ``end`` on the clock."""
        self.sum += seconds
        self.last = seconds
        self._buckets[bisect_left(LATENCY_BOUNDS, seconds)] += 1
        if seconds > self._peak or end >= self._next:
            self._new_peak(seconds, end)

    def _new_peak(self, seconds: float, end: float) -> None:
        second = int(end)
        j = second % PEAK_SECONDS
        if second != self._second:
            self._second, self._next = second, second + 1.0
            self._peak_seconds[j] = -1  # not readable while its value is stale
        self._peak = seconds
        self._peak_values[j] = seconds
        self._peak_seconds[j] = second

    def timed(self, fn: Callable, *args):
        """``fn(*args)``, observed (also when it raises)."""
        mono = self.monotonic
        start = mono()
        try:
            return fn(*args)
        finally:
            end = mono()
            seconds = end - start
            self.sum += seconds  # observe(), inlined: this runs once per pop
            self.last = seconds
            self._buckets[bisect_left(LATENCY_BOUNDS, seconds)] += 1
            if seconds > self._peak or end >= self._next:
                self._new_peak(seconds, end)

    def snapshot(self) -> LatencySnapshot:
        buckets = tuple(self._buckets)  # first: count and buckets agree
        peaks = tuple((s, v) for s, v in zip(self._peak_seconds, self._peak_values) if s >= 0)
        return LatencySnapshot(sum(buckets), self.sum, self.last, buckets, peaks)


def histogram_quantile(q: float, buckets: Sequence[int], bounds: Sequence[float] = LATENCY_BOUNDS) -> float:
    """The ``q``-quantile (0..1) of observations counted per bucket (``buckets[i]`` at most
    ``bounds[i]``, the last one +Inf), interpolated linearly inside its bucket as Prometheus'
    ``histogram_quantile`` does (the first bucket starts at 0; a quantile in the +Inf bucket is
    the highest finite bound). NaN when nothing was observed."""
    total = sum(buckets)
    if total <= 0 or not bounds:
        return math.nan
    rank = min(max(q, 0.0), 1.0) * total
    below = 0
    for i, n in enumerate(buckets):
        if n and below + n >= rank:
            if i >= len(bounds):
                return bounds[-1]
            lower = bounds[i - 1] if i else 0.0
            return lower + (bounds[i] - lower) * max(0.0, rank - below) / n
        below += n
    return bounds[-1]


def store_rv_metric(resource_version: str) -> int | None:
    """``informer_store_resource_version``'s value: the version as an integer from its last 15
    digits (client-go's ``parseRVForMetricsWithTruncation``), None when empty or opaque."""
    if not resource_version:
        return None
    digits = resource_version[-15:]
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits)
