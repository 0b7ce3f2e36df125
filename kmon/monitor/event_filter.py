"""Which journal rows pass the event log's filter, kept up to date batch by batch.

Why this module exists: the event log holds up to 100,000 rows and receives thousands per
second; re-filtering everything per batch (what a ``QSortFilterProxyModel`` does) would cost
the GUI thread tens of milliseconds per tick. A ``FilteredIndex`` keeps the sequence numbers
of the matching rows in a growable numpy array: a batch costs O(batch) (only the new rows
are evaluated; rows that fell off the journal's front are cut with one ``searchsorted``),
and a change of the filter is one vectorised pass over small integer codes kept for every
row (event type, resource, namespace, context), plus a substring test on the rows that
survive it when the filter has free text.

Not thread-safe: owned by the thread that owns the journal (the GUI's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from kmon.monitor.journal import Journal, JournalRow

__all__ = ["EventFilter", "FilteredIndex"]


@dataclass(frozen=True)
class EventFilter:
    """What the event log shows. Hidden sets exclude (so types and resources that appear
    later are shown by default); ``namespace`` None means any; ``text`` is a
    case-insensitive substring of name, namespace, detail, type, resource, context or
    resourceVersion."""

    hidden_types: frozenset[str] = field(default_factory=frozenset)
    hidden_resources: frozenset[str] = field(default_factory=frozenset)
    namespace: str | None = None
    text: str = ""
    contexts: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        return not (self.hidden_types or self.hidden_resources or self.namespace is not None
                    or self.text or self.contexts is not None)

    def matches(self, row: JournalRow) -> bool:
        if row.type in self.hidden_types or row.resource in self.hidden_resources:
            return False
        if self.namespace is not None and row.namespace != self.namespace:
            return False
        if self.contexts is not None and row.context not in self.contexts:
            return False
        return not self.text or self.text.lower() in _haystack(row)


def _haystack(row: JournalRow) -> str:
    return "\x00".join(
        (row.name, row.namespace, row.detail, row.type, row.resource, row.context, row.resource_version)
    ).lower()


class _Codes:
    """Small integer codes for one string column, ring-aligned with the journal
    (position ``seq % capacity``)."""

    __slots__ = ("ids", "names", "col")

    def __init__(self, capacity: int) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.col = np.zeros(capacity, dtype=np.int32)

    def code(self, s: str) -> int:
        c = self.ids.get(s)
        if c is None:
            c = self.ids[s] = len(self.names)
            self.names.append(s)
        return c

    def codes_of(self, names: Iterable[str]) -> np.ndarray:
        return np.fromiter((self.ids[n] for n in names if n in self.ids), dtype=np.int32)


class FilteredIndex:
    """Sequence numbers (see ``Journal.first_seq``) of the journal rows that pass
    ``self.filter``, oldest first. Call ``drop_front`` then ``add_new`` after every append
    to the journal (the event log model does both around its begin/end calls)."""

    def __init__(self, journal: Journal, flt: EventFilter | None = None) -> None:
        self.journal = journal
        self.filter = flt or EventFilter()
        cap = journal.capacity
        self._type = _Codes(cap)
        self._res = _Codes(cap)
        self._ns = _Codes(cap)
        self._ctx = _Codes(cap)
        self._coded = journal.first_seq  # rows with seq < _coded have codes
        self._seqs = np.zeros(max(1024, min(cap, 1 << 16)), dtype=np.int64)
        self._start = 0
        self._end = 0
        self.namespaces: dict[str, int] = {}  # namespace -> rows ever seen (for the UI's choices)
        self._code_rows(journal.first_seq)
        self.rescan()

    # --- codes ------------------------------------------------------------------------------
    def _code_rows(self, start_seq: int) -> None:
        """Give codes to every kept row with seq >= ``start_seq``."""
        j = self.journal
        cap = j.capacity
        first = max(start_seq, j.first_seq)
        t, r, n, c = self._type, self._res, self._ns, self._ctx
        tc, rc, nc, cc = t.col, r.col, n.col, c.col
        nsc = self.namespaces
        for seq in range(first, j.total):
            row = j[seq - j.first_seq]
            p = seq % cap
            tc[p] = t.code(row.type)
            rc[p] = r.code(row.resource)
            nc[p] = n.code(row.namespace)
            cc[p] = c.code(row.context)
            if row.namespace:
                nsc[row.namespace] = nsc.get(row.namespace, 0) + 1
        self._coded = j.total

    @property
    def types(self) -> list[str]:
        return list(self._type.names)

    @property
    def resources(self) -> list[str]:
        return list(self._res.names)

    @property
    def contexts(self) -> list[str]:
        return list(self._ctx.names)

    # --- evaluation -------------------------------------------------------------------------
    def _eval(self, seqs: np.ndarray) -> np.ndarray:
        """The subset of ``seqs`` (kept, coded) that passes the filter."""
        f = self.filter
        if f.empty or not len(seqs):
            return seqs
        pos = seqs % self.journal.capacity
        mask = np.ones(len(seqs), dtype=bool)
        if f.hidden_types:
            mask &= ~np.isin(self._type.col[pos], self._type.codes_of(f.hidden_types))
        if f.hidden_resources:
            mask &= ~np.isin(self._res.col[pos], self._res.codes_of(f.hidden_resources))
        if f.namespace is not None:
            code = self._ns.ids.get(f.namespace, -1)
            mask &= self._ns.col[pos] == code
        if f.contexts is not None:
            mask &= np.isin(self._ctx.col[pos], self._ctx.codes_of(f.contexts))
        out = seqs[mask]
        if f.text and len(out):
            needle = f.text.lower()
            j = self.journal
            first = j.first_seq
            keep = [i for i, s in enumerate(out.tolist()) if needle in _haystack(j[s - first])]
            out = out[np.asarray(keep, dtype=np.intp)]
        return out

    def _put(self, seqs: np.ndarray) -> None:
        n = len(seqs)
        if not n:
            return
        if self._end + n > len(self._seqs):  # compact, growing geometrically if needed
            live = self._seqs[self._start:self._end].copy()
            need = len(live) + n
            size = len(self._seqs)
            if need * 2 > size:
                size = max(size * 2, need * 2)
                self._seqs = np.zeros(size, dtype=np.int64)
            self._seqs[: len(live)] = live
            self._start, self._end = 0, len(live)
        self._seqs[self._end:self._end + n] = seqs
        self._end += n

    def rescan(self) -> int:
        """Re-evaluate every kept row (after a filter change); returns the match count."""
        j = self.journal
        self._start = self._end = 0
        if len(self._seqs) < len(j):
            self._seqs = np.zeros(len(j), dtype=np.int64)
        self._put(self._eval(np.arange(j.first_seq, j.total, dtype=np.int64)))
        return len(self)

    def set_filter(self, flt: EventFilter) -> int:
        self.filter = flt
        return self.rescan()

    # --- incremental ------------------------------------------------------------------------
    def front_dropped(self) -> int:
        """How many matches fell off the journal's front since the last ``drop_front``."""
        live = self._seqs[self._start:self._end]
        return int(np.searchsorted(live, self.journal.first_seq, side="left"))

    def drop_front(self, n: int) -> None:
        self._start += n
        if self._start == self._end:
            self._start = self._end = 0

    def add_new(self) -> int:
        """Evaluate the rows appended since the last call; returns how many matched (they
        are now at the end of the index)."""
        j = self.journal
        start = max(self._coded, j.first_seq)
        if start >= j.total:
            self._coded = j.total
            return 0
        self._code_rows(start)
        new = self._eval(np.arange(start, j.total, dtype=np.int64))
        self._put(new)
        return len(new)

    # --- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._end - self._start

    def seq(self, i: int) -> int:
        return int(self._seqs[self._start + i])

    def row(self, i: int) -> JournalRow | None:
        """The journal row of match ``i`` (None if it already fell off the journal)."""
        j = self.journal
        k = int(self._seqs[self._start + i]) - j.first_seq
        return j[k] if 0 <= k < len(j) else None

    def rows(self, limit: int | None = None) -> list[JournalRow]:
        """Every matching row still kept (the first ``limit`` matches), oldest first."""
        j = self.journal
        first = j.first_seq
        seqs = self._seqs[self._start:self._end]
        if limit is not None:
            seqs = seqs[:limit]
        return [j[s - first] for s in seqs.tolist() if s >= first]
