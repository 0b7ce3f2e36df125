"""Aligning what two client-go paths told their handlers, and classifying where they differ.

Why this module exists: two informers on the same resource hear the same server, but not the
same notifications: a relist delivers only the latest version of each object (intermediate
ones never reach the handlers), finds deleted objects as ``DeletedFinalStateUnknown``, and
delivers the objects it found unchanged as resync-like ``on_update(old, new)`` with equal
versions; resyncs come at each side's own times; ``DeltaFIFO`` pops per object while
``RealFIFO`` delivers in arrival order. Wall time says little (the sides run side by side, not
in lockstep), so calls are aligned **per object by resourceVersion**: for each key, the
longest common sequence of (method, version, old version, tombstone); what is left is paired
where the two sides heard the same version differently (``on_add`` vs ``on_update``, a
tombstone vs a watch delete) and otherwise classified by why only one side heard it. Calls
heard by both but in a different order across objects are counted (``reordered``).

``analyse(a, b, server=None)`` returns a ``Comparison``: the aligned rows (in time order, for
two columns), the differences by kind, the counts per handler method per side, the first
divergence, and the final check of the caches (each side's informer cache, its handler view,
and the server's objects when given). Pure: values in, values out. Wording: ``compare_text``.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from kmon.monitor.compare_causes import INITIAL, RELIST, causes_of, origin
from kmon.monitor.compare_record import ADD, DELETE, UPDATE, Cause, HeardCall, Side

__all__ = ["KINDS", "CacheCheck", "Comparison", "Row", "analyse", "counts_of"]

SAME = "same"
REORDERED = "reordered"
# difference kinds, in the order a report lists them (titles and sentences: compare_text)
KINDS = (
    "resync",            # a periodic resync delivery one side made and the other did not
    "relist_unchanged",  # a relist's resync-like on_update for an unchanged object, one side only
    "collapsed",         # a version one side heard and the other skipped (its relist delivered a later one)
    "initial_state",     # a version before the other side's initial state
    "tombstone",         # a delete heard as DeletedFinalStateUnknown on one side, a watch delete on the other
    "recreated",         # deleted and created again: delete + add on one side, one on_update on the other
    "shape",             # the same version as on_add on one side, on_update on the other (or another old version)
    "unknown_delete",    # on_delete for an object the cache never held (RealFIFO delivers it, DeltaFIFO drops it)
    "lifetime",          # an object one side heard of and the other never did
    "tail",              # heard on one side after the other's last call (the cut came in between)
    "other",
)


@dataclass(frozen=True)
class Row:
    """One line of the two columns: the call each side made (None: none), how they relate
    (``same``, ``reordered`` or a difference kind of ``KINDS``), and each call's origin
    label (``compare_causes.cause_label``) for the reader."""

    key: str
    a: HeardCall | None
    b: HeardCall | None
    kind: str
    cause_a: Cause | None = None
    cause_b: Cause | None = None

    @property
    def time(self) -> float:
        return min(c.time for c in (self.a, self.b) if c is not None)

    @property
    def differs(self) -> bool:
        return self.kind not in (SAME, REORDERED)


@dataclass(frozen=True)
class CacheCheck:
    """Whether the caches agree at the cut: each side's informer cache and handler view
    (key -> resourceVersion), with each other and with the server's objects when known.
    ``problems``: one sentence per disagreement (empty: all equal)."""

    equal: bool
    objects: int
    problems: tuple[str, ...] = ()
    server_checked: bool = False


@dataclass(frozen=True)
class Comparison:
    a: Side
    b: Side
    rows: tuple[Row, ...]
    kinds: dict[str, int]
    counts: tuple[dict[str, int], dict[str, int]]
    reordered: int
    first_divergence: Row | None
    caches: CacheCheck
    notes: tuple[str, ...] = field(default=())

    @property
    def differences(self) -> list[Row]:
        return [r for r in self.rows if r.differs]

    @property
    def same(self) -> bool:
        return not self.kinds and not self.reordered


def counts_of(calls: tuple[HeardCall, ...], causes: dict[int, Cause]) -> dict[str, int]:
    """Calls per handler method and flavour: ``on_add`` (``initial``/``later``), ``on_update``
    (``change``/``resync``/``relist_unchanged``), ``on_delete`` (``watch``/``tombstone``)."""
    out: Counter[str] = Counter()
    for c in calls:
        out[c.method] += 1
        if c.method == ADD:
            out["on_add initial" if c.initial else "on_add later"] += 1
        elif c.method == DELETE:
            out["on_delete tombstone" if c.tombstone else "on_delete watch"] += 1
        elif not c.resync:
            out["on_update change"] += 1
        elif origin(c, causes.get(c.seq)) == RELIST:
            out["on_update relist unchanged"] += 1
        else:
            out["on_update resync"] += 1
    return dict(out)


def _token(c: HeardCall) -> tuple[Any, ...]:
    return (c.method, c.rv, c.old_rv if c.method == UPDATE else "", c.tombstone)


class _Aligner:
    """Per-key alignment of two sides' calls (see the module doc)."""

    def __init__(self, a: Side, b: Side) -> None:
        self.a, self.b = a, b
        self.cause_a = causes_of(a.calls, a.causes)
        self.cause_b = causes_of(b.calls, b.causes)
        self.by_key_a = _by_key(a.calls)
        self.by_key_b = _by_key(b.calls)
        self.last_a = a.calls[-1].time if a.calls else 0.0
        self.last_b = b.calls[-1].time if b.calls else 0.0
        self.rows: list[Row] = []

    def row(self, key: str, ca: HeardCall | None, cb: HeardCall | None, kind: str) -> None:
        self.rows.append(Row(key, ca, cb, kind, self.cause_a.get(ca.seq) if ca else None,
                             self.cause_b.get(cb.seq) if cb else None))

    def run(self) -> list[Row]:
        for key in sorted(set(self.by_key_a) | set(self.by_key_b)):
            sa, sb = self.by_key_a.get(key, []), self.by_key_b.get(key, [])
            ops = SequenceMatcher(None, [_token(c) for c in sa], [_token(c) for c in sb], autojunk=False).get_opcodes()
            for tag, i1, i2, j1, j2 in ops:
                if tag == "equal":
                    for ca, cb in zip(sa[i1:i2], sb[j1:j2]):
                        self.row(key, ca, cb, SAME)
                else:
                    self.gap(key, sa[i1:i2], sb[j1:j2], sa[i2:], sb[j2:], bool(sa), bool(sb))
        return self.rows

    def gap(self, key: str, ga: list[HeardCall], gb: list[HeardCall], after_a: list[HeardCall],
            after_b: list[HeardCall], a_knows: bool, b_knows: bool) -> None:
        """Calls between two aligned anchors: pair what both heard differently, classify
        the rest (``after_*``: each side's calls for the key after the gap)."""
        window_a, window_b = ga + after_a[:1], gb + after_b[:1]
        left_a, left_b = list(ga), list(gb)
        for ca in ga:
            cb = next((c for c in left_b if _same_event(ca, c)), None)
            if cb is not None:
                left_a.remove(ca)
                left_b.remove(cb)
                relisted = RELIST in (origin(ca, self.cause_a.get(ca.seq)), origin(cb, self.cause_b.get(cb.seq)))
                self.row(key, ca, cb, _paired_kind(ca, cb, relisted))
        for ca in left_a:
            self.row(key, ca, None, self.single_kind(ca, self.cause_a, window_b, self.cause_b, b_knows, self.last_b))
        for cb in left_b:
            self.row(key, None, cb, self.single_kind(cb, self.cause_b, window_a, self.cause_a, a_knows, self.last_a))

    @staticmethod
    def single_kind(c: HeardCall, causes: dict[int, Cause], window: list[HeardCall], other_causes: dict[int, Cause],
                    other_knows: bool, other_last: float) -> str:
        """Why only this side made call ``c``: ``window`` is what the other side heard of the
        object in the same stretch (and its next call after it); ``other_knows``: whether it
        heard of the object at all; ``other_last``: the time of its last call."""
        cause = causes.get(c.seq)
        never_cached = c.method == DELETE and not c.tombstone and cause is not None and cause.old_rv is None
        if c.resync:
            return "relist_unchanged" if origin(c, cause) == RELIST else "resync"
        if never_cached:
            return "unknown_delete"
        if not other_knows:
            return "lifetime"
        origins = {origin(o, other_causes.get(o.seq)) for o in window}
        if c.method == DELETE and any(o.recreated for o in window):
            return "recreated"
        if INITIAL in origins:
            return "initial_state"
        if RELIST in origins:
            return "collapsed"
        if c.time > other_last or not window:
            return "tail"
        return "other"


def _paired_kind(ca: HeardCall, cb: HeardCall, relisted: bool) -> str:
    """Why two calls about the same change differ (``relisted``: one came from a relist,
    which skips the versions in between: an ``on_update`` from an older version, or an
    ``on_add`` of a version the other side heard created earlier)."""
    if ca.method == DELETE and cb.method == DELETE:
        return "tombstone" if ca.tombstone != cb.tombstone else "other"
    if ca.recreated or cb.recreated:
        return "recreated"
    if ca.initial or cb.initial:
        return "initial_state"
    return "collapsed" if relisted else "shape"


def _same_event(ca: HeardCall, cb: HeardCall) -> bool:
    """Two calls about the same change heard differently: both deletes, or the same new
    version (as add vs update, or from another old version)."""
    if ca.method == DELETE or cb.method == DELETE:
        return ca.method == cb.method == DELETE
    return ca.rv == cb.rv and not (ca.resync or cb.resync)


def _by_key(calls: tuple[HeardCall, ...]) -> dict[str, list[HeardCall]]:
    out: dict[str, list[HeardCall]] = defaultdict(list)
    for c in calls:
        out[c.key].append(c)
    return out


def _mark_reordered(rows: list[Row]) -> tuple[list[Row], int]:
    """Rows heard by both sides whose relative order across objects differs: the fewest that
    must move (those outside the longest run kept in order) become ``reordered``."""
    same = [i for i, r in enumerate(rows) if r.kind == SAME]
    same.sort(key=lambda i: rows[i].a.seq)  # type: ignore[union-attr]
    seqs = [rows[i].b.seq for i in same]  # type: ignore[union-attr]
    keep = _longest_increasing(seqs)
    out = list(rows)
    moved = 0
    for pos, i in enumerate(same):
        if pos not in keep:
            r = rows[i]
            out[i] = Row(r.key, r.a, r.b, REORDERED, r.cause_a, r.cause_b)
            moved += 1
    return out, moved


def _longest_increasing(seq: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence of ``seq``."""
    tails: list[int] = []
    tail_pos: list[int] = []
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        j = bisect.bisect_left(tails, v)
        if j == len(tails):
            tails.append(v)
            tail_pos.append(i)
        else:
            tails[j] = v
            tail_pos[j] = i
        prev[i] = tail_pos[j - 1] if j > 0 else -1
    keep: set[int] = set()
    i = tail_pos[-1] if tail_pos else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def check_caches(a: Side, b: Side, server: dict[str, str] | None = None) -> CacheCheck:
    """Each side's cache and handler view against each other, and against ``server`` (key ->
    resourceVersion at the version of the cut) when given."""
    problems: list[str] = []
    maps = [(f"{a.label} cache", a.cache), (f"{a.label} handler view", a.view),
            (f"{b.label} cache", b.cache), (f"{b.label} handler view", b.view)]
    reference_name, reference = ("the server", server) if server is not None else maps[0]
    for name, m in maps:
        if m is reference:
            continue
        diff = _diff(m, reference)
        if diff:
            problems.append(f"{name} differs from {reference_name}: {diff}")
    return CacheCheck(not problems, len(reference), tuple(problems), server is not None)


def _diff(got: dict[str, str], want: dict[str, str], limit: int = 3) -> str:
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    stale = sorted(k for k in set(got) & set(want) if got[k] != want[k])
    parts = []
    for words, keys in (("lacks", missing), ("has extra", extra), ("has other versions of", stale)):
        if keys:
            shown = ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")
            parts.append(f"{words} {shown}")
    return "; ".join(parts)


def analyse(a: Side, b: Side, server: dict[str, str] | None = None, notes: tuple[str, ...] = ()) -> Comparison:
    """Align ``a`` and ``b`` and classify their differences (see the module doc)."""
    aligner = _Aligner(a, b)
    rows = aligner.run()
    rows.sort(key=lambda r: (r.time, r.a.seq if r.a else -1, r.b.seq if r.b else -1))
    rows, moved = _mark_reordered(rows)
    kinds = Counter(r.kind for r in rows if r.differs)
    first = next((r for r in rows if r.kind != SAME), None)
    counts = (counts_of(a.calls, aligner.cause_a), counts_of(b.calls, aligner.cause_b))
    return Comparison(a, b, tuple(rows), {k: kinds[k] for k in KINDS if kinds.get(k)}, counts, moved, first,
                      check_caches(a, b, server), tuple(notes))
