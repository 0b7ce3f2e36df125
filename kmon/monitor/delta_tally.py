"""Deltas counted for the charts in plain Python, then written to a series' arrays at once.

Why this module exists: the charts count every delta into a bucket of its series (per type)
and keep each bucket's highest resourceVersion. Done per delta on the numpy arrays, that was
~2 us a delta on the GUI thread (an element update of a 2-D array costs more than the rest),
and a large cluster's initial lists bring 150,000 of them at once. Deltas arrive in runs of
one time bucket, so ``DeltaTally`` counts a run in Python ints and writes each series' row
once when the bucket changes (or something else is about to read or reshape the arrays:
``flush``). What it writes equals what counting delta by delta wrote.

Qt-free; one tally per ``SeriesBook``, used from the thread that owns the book.
"""

from __future__ import annotations

from typing import Any, Protocol

from kmon.monitor.journal_rows import enum_text

__all__ = ["DeltaTally"]


class Book(Protocol):
    """What the tally reads of a ``SeriesBook``: its time axis and its series."""

    t0: float
    resolution: float
    max_points: int

    def index(self, t: float) -> int: ...
    def series(self, context: str, resource: str) -> Any: ...  # its add_deltas writes a run


class DeltaTally:
    """The counts of the deltas of one bucket not yet written (see the module doc).
    ``type_index`` maps a delta type to its column of the series' counts."""

    __slots__ = ("book", "type_index", "i", "_runs")

    def __init__(self, book: Book, type_index: dict[str, int]) -> None:
        self.book = book
        self.type_index = type_index
        self.i = -1  # the bucket being counted (-1: none)
        # (context, resource) -> [series, counts per type, deltas, highest numeric rv or
        # None, last rv or None, an opaque rv seen]
        self._runs: dict[tuple[str, str], list[Any]] = {}

    def add(self, context: str, resource: str, t: float, delta_type: str, rv: Any) -> None:
        """Count one delta of ``context``/``resource`` at time ``t``."""
        book = self.book
        t0 = book.t0
        if t0 != t0:  # NaN: the axis starts with this delta
            i = -1
        else:  # book.index(t) without a call, as long as it would not decimate
            i = int((t - t0) // book.resolution)
            if i < 0:
                i = 0  # before the axis started: the first bucket
        if i < 0 or i >= book.max_points:
            self.flush()  # (index() may decimate: the arrays must hold every count first)
            i = book.index(t)
        elif i != self.i:
            self.flush()
        self.i = i
        key = (context, resource)
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = [book.series(context, resource), [0] * len(self.type_index), 0, None, None, False]
        j = self.type_index.get(delta_type)
        if j is not None:
            run[1][j] += 1
        run[2] += 1
        if rv is None or rv == "":
            return
        if rv.__class__ is not str:
            rv = enum_text(rv)
        run[4] = rv
        try:
            v = int(rv)
        except (TypeError, ValueError):
            run[5] = True
            return
        if run[3] is None or v > run[3]:
            run[3] = v

    def flush(self) -> None:
        """Write what was counted into the series' arrays."""
        runs = self._runs
        if not runs:
            return
        i = self.i
        for series, counts, n, top, last, opaque in runs.values():
            series.add_deltas(i, counts, n, top, last, opaque)
        runs.clear()
