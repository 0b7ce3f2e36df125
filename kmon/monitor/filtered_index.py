"""Which journal rows the event log shows, kept up to date batch by batch (the filter itself
is ``kmon.monitor.event_filter.EventFilter``).

Why this module exists: the event log holds up to 100,000 rows and receives thousands per
second; re-filtering everything per batch (what a ``QSortFilterProxyModel`` does) would cost
the GUI thread tens of milliseconds per tick. A ``FilteredIndex`` keeps the sequence numbers
of the shown rows in a growable numpy array: a batch costs O(batch) (only the new rows are
evaluated; rows that fell off the journal's front are cut with one ``searchsorted``), and a
change of the filter is one vectorised pass over small integer codes kept for every row
(event type, notification, resource, namespace, context), plus a substring test on the rows
that survive it when the filter has free text.

Groups (an atomic relist or resync: a header row and its member rows, see
``kmon.monitor.journal_rows``) are shown like a tree's branches:

- A member *matches* when it passes the filter, its header's type, resource and context
  being shown; the free text may match the member or its header (searching "ReplacedAll"
  or the relist's version finds the whole relist).
- A group is shown (its header row) while at least one member matches; its members are in
  the index only while it is expanded, right after the header.
- Groups start collapsed (a 50,000-object relist is one row), except when the filter
  narrows to objects (a namespace, or a text the header itself does not contain): a group
  shown because some of its members match opens on those members. ``set_expanded`` is the
  user's choice for one group, kept until the filter changes.
- A group whose header fell off the journal's front is gone from view, members included.

Not thread-safe: owned by the thread that owns the journal (the GUI's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from kmon.monitor.event_filter import EventFilter, haystack
from kmon.monitor.journal import Journal, JournalRow

__all__ = ["FilteredIndex", "GroupState"]


@dataclass(slots=True)
class GroupState:
    """One group's header (``header``: its sequence number) under the current filter:
    ``size`` members announced, ``end`` the sequence after the last member received,
    ``scope`` (its type, resource and context are shown), ``text_hit`` (the header itself
    contains the filter's text), ``matched`` members, ``shown`` (the header is in the
    index), ``expanded``."""

    header: int
    size: int
    end: int
    scope: bool = True
    text_hit: bool = False
    matched: int = 0
    shown: bool = False
    expanded: bool = False


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
    """Sequence numbers (see ``Journal.first_seq``) of the journal rows shown under
    ``self.filter``, oldest first (group members right after their header). Call
    ``drop_front`` then ``add_new`` after every append to the journal (the event log model
    does both around its begin/end calls)."""

    def __init__(self, journal: Journal, flt: EventFilter | None = None) -> None:
        self.journal = journal
        self.filter = flt or EventFilter()
        cap = journal.capacity
        self._type = _Codes(cap)
        self._res = _Codes(cap)
        self._ns = _Codes(cap)
        self._ctx = _Codes(cap)
        self._note = _Codes(cap)
        self._grp = np.full(cap, -1, dtype=np.int64)  # a member's header sequence, else -1
        self._hdr = np.zeros(cap, dtype=bool)  # a group's header
        self.groups: dict[int, GroupState] = {}  # header sequence -> state, oldest first
        self._choices: dict[int, bool] = {}  # header sequence -> expanded, as the user chose
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
        t, r, n, c, o = self._type, self._res, self._ns, self._ctx, self._note
        tc, rc, nc, cc, oc = t.col, r.col, n.col, c.col, o.col
        grp, hdr, groups = self._grp, self._hdr, self.groups
        nsc = self.namespaces
        for seq, row in zip(range(first, j.total), j[first - j.first_seq:]):
            p = seq % cap
            tc[p] = t.code(row.type)
            rc[p] = r.code(row.resource)
            nc[p] = n.code(row.namespace)
            cc[p] = c.code(row.context)
            oc[p] = o.code(row.notification)
            if row.members:
                hdr[p], grp[p] = True, -1
                groups[seq] = GroupState(seq, row.members, seq + 1)
            else:
                hdr[p], grp[p] = False, row.group
                if row.group >= 0:
                    g = groups.get(row.group)
                    if g is not None:
                        g.end = seq + 1
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
    def _mask(self, pos: np.ndarray) -> np.ndarray:
        """Rows (ring positions) passing every criterion but the free text."""
        f = self.filter
        mask = np.ones(len(pos), dtype=bool)
        if f.hidden_types:
            mask &= ~np.isin(self._type.col[pos], self._type.codes_of(f.hidden_types))
        if f.hidden_notifications:
            mask &= ~np.isin(self._note.col[pos], self._note.codes_of(f.hidden_notifications))
        if f.hidden_resources:
            mask &= ~np.isin(self._res.col[pos], self._res.codes_of(f.hidden_resources))
        if f.namespace is not None:
            mask &= self._ns.col[pos] == self._ns.ids.get(f.namespace, -1)
        if f.contexts is not None:
            mask &= np.isin(self._ctx.col[pos], self._ctx.codes_of(f.contexts))
        return mask

    def _text(self, seqs: np.ndarray) -> np.ndarray:
        """The subset of ``seqs`` whose rows contain the filter's text."""
        needle = self.filter.text.lower()
        if not needle or not len(seqs):
            return seqs
        j = self.journal
        first = j.first_seq
        keep = [i for i, s in enumerate(seqs.tolist()) if needle in haystack(j[s - first])]
        return seqs[np.asarray(keep, dtype=np.intp)]

    def _judge(self, g: GroupState) -> None:
        """Set a group's header-level verdicts for the current filter (members: none yet)."""
        f = self.filter
        row = self.journal[g.header - self.journal.first_seq]
        g.scope = (row.type not in f.hidden_types and row.resource not in f.hidden_resources
                   and (f.contexts is None or row.context in f.contexts))
        g.text_hit = bool(f.text) and f.text.lower() in haystack(row)
        g.matched, g.shown = 0, False
        narrowing = f.namespace is not None or (bool(f.text) and not g.text_hit)
        g.expanded = self._choices.get(g.header, narrowing)

    def _members(self, g: GroupState, seqs: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The members among ``seqs`` (all of group ``g``) that match."""
        if not g.scope:
            return seqs[:0]
        out = seqs[self._mask(pos)] if not self.filter.empty else seqs
        return out if g.text_hit else self._text(out)

    def _eval(self, seqs: np.ndarray) -> np.ndarray:
        """The index entries for the kept, coded rows ``seqs`` (ascending): plain rows that
        pass, the headers of groups that get their first match, and the matching members of
        expanded groups; group states are updated."""
        if not len(seqs):
            return seqs
        cap = self.journal.capacity
        pos = seqs % cap
        grp = self._grp[pos]
        hdr = self._hdr[pos]
        member = grp >= 0
        grouped = member | hdr
        if not grouped.any():  # the common case: no group in sight
            return self._text(seqs[self._mask(pos)] if not self.filter.empty else seqs)
        plain = ~grouped
        parts = [self._text(seqs[plain & self._mask(pos)])]
        groups = self.groups
        for h in seqs[hdr].tolist():
            self._judge(groups[h])
        if member.any():
            m_seqs, m_grp, m_pos = seqs[member], grp[member], pos[member]
            first = self.journal.first_seq
            for h in np.unique(m_grp).tolist():
                g = groups.get(h)
                if g is None or h < first:
                    continue  # its header fell off the front: gone from view
                sel = m_grp == h
                sub = self._members(g, m_seqs[sel], m_pos[sel])
                if not len(sub):
                    continue
                g.matched += len(sub)
                if not g.shown:
                    g.shown = True
                    parts.append(np.array([h], dtype=np.int64))
                if g.expanded:
                    parts.append(sub)
        out = np.concatenate(parts)
        out.sort()
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
        """Re-evaluate every kept row (after a filter change); returns the index's length."""
        j = self.journal
        for h in [h for h in self.groups if h < j.first_seq]:
            del self.groups[h]
        self._start = self._end = 0
        if len(self._seqs) < len(j):
            self._seqs = np.zeros(len(j), dtype=np.int64)
        self._put(self._eval(np.arange(j.first_seq, j.total, dtype=np.int64)))
        return len(self)

    def set_filter(self, flt: EventFilter) -> int:
        """Apply another filter (the user's expand/collapse choices are forgotten: the new
        filter decides which groups open)."""
        self.filter = flt
        self._choices.clear()
        return self.rescan()

    # --- incremental ------------------------------------------------------------------------
    def front_dropped(self) -> int:
        """How many entries fell off the journal's front since the last ``drop_front``
        (with the members of a group whose header fell off)."""
        cut = self.journal.first_seq
        for h, g in self.groups.items():
            if h >= self.journal.first_seq:
                break
            cut = max(cut, g.end)
        live = self._seqs[self._start:self._end]
        return int(np.searchsorted(live, cut, side="left"))

    def drop_front(self, n: int) -> None:
        self._start += n
        if self._start == self._end:
            self._start = self._end = 0
        first = self.journal.first_seq
        while self.groups:
            h = next(iter(self.groups))
            if h >= first:
                break
            del self.groups[h]
            self._choices.pop(h, None)

    def add_new(self) -> int:
        """Evaluate the rows appended since the last call; returns how many entries it
        added (they are now at the end of the index)."""
        j = self.journal
        start = max(self._coded, j.first_seq)
        if start >= j.total:
            self._coded = j.total
            return 0
        self._code_rows(start)
        new = self._eval(np.arange(start, j.total, dtype=np.int64))
        self._put(new)
        return len(new)

    # --- groups -----------------------------------------------------------------------------
    def group_at(self, i: int) -> GroupState | None:
        """The group whose header is entry ``i``, else None."""
        return self.groups.get(self.seq(i)) if 0 <= i < len(self) else None

    def header_of(self, i: int) -> int:
        """The entry of the header of the group entry ``i`` is a member of (-1 if none)."""
        row = self.row(i)
        if row is None or row.members or row.group < 0:
            return -1
        live = self._seqs[self._start:self._end]
        k = int(np.searchsorted(live, row.group, side="left"))
        return k if k < len(live) and int(live[k]) == row.group else -1

    def matching_members(self, g: GroupState) -> np.ndarray:
        """The sequence numbers of a group's members that match, oldest first."""
        first = max(g.header + 1, self.journal.first_seq)
        seqs = np.arange(first, g.end, dtype=np.int64)
        return self._members(g, seqs, seqs % self.journal.capacity)

    def shown_members(self, i: int) -> int:
        """How many entries after header entry ``i`` are its members."""
        g = self.group_at(i)
        if g is None:
            return 0
        live = self._seqs[self._start:self._end]
        return int(np.searchsorted(live, g.end, side="left")) - (i + 1)

    def set_expanded(self, i: int, on: bool, members: np.ndarray | None = None) -> int:
        """Open or close the group whose header is entry ``i``: its matching members
        (``members``, when the caller already has ``matching_members``) are put in the
        index right after it, or taken out. Returns how many entries were inserted (> 0) or
        removed (< 0); 0 when nothing changed."""
        g = self.group_at(i)
        if g is None or g.expanded == on:
            return 0
        self._choices[g.header] = on
        g.expanded = on
        live = self._seqs[self._start:self._end]
        if on:
            if members is None:
                members = self.matching_members(g)
            self._seqs = np.concatenate([live[:i + 1], members, live[i + 1:], np.zeros(len(live) // 2 + 1024, np.int64)])
            changed = len(members)
        else:
            n = self.shown_members(i)
            self._seqs = np.concatenate([live[:i + 1], live[i + 1 + n:], np.zeros(len(live) // 2 + 1024, np.int64)])
            changed = -n
        self._start, self._end = 0, len(live) + changed
        return changed

    # --- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._end - self._start

    def seq(self, i: int) -> int:
        return int(self._seqs[self._start + i])

    def row(self, i: int) -> JournalRow | None:
        """The journal row of entry ``i`` (None if it already fell off the journal)."""
        j = self.journal
        k = int(self._seqs[self._start + i]) - j.first_seq
        return j[k] if 0 <= k < len(j) else None

    def rows(self, limit: int | None = None, *, with_members: bool = False) -> list[JournalRow]:
        """Every shown row still kept (the first ``limit`` entries), oldest first;
        ``with_members``: a collapsed group's matching members too, after its header (what
        an export of the shown events writes)."""
        j = self.journal
        first = j.first_seq
        seqs = self._seqs[self._start:self._end]
        if limit is not None:
            seqs = seqs[:limit]
        out = []
        for s in seqs.tolist():
            if s < first:
                continue
            out.append(j[s - first])
            g = self.groups.get(s) if with_members else None
            if g is not None and not g.expanded:
                out.extend(j[m - first] for m in self.matching_members(g).tolist())
        return out
