"""Which delta produced each handler call of one side of a comparison, and what that means to
a controller author ("watch event", "relist (ReplacedAll)", "resync (Sync)", ...).

Why this module exists: a handler is told ``on_update(old, new)`` and nothing else; whether
that came from a watch event, a relist that found the object (changed or not) or a periodic
resync is what explains most differences between two client-go paths. The informer's delta
listener says which delta it applied (``compare_record.Cause``); ``causes_of`` pairs each call
with its delta, per object and in order (a delta that produced no call -- a resync
notification for a handler not due -- is skipped). Pure functions of recorded values.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Iterable

from kmon.monitor.compare_record import ADD, DELETE, Cause, HeardCall

__all__ = ["WATCH", "INITIAL", "RELIST", "RESYNC", "cause_label", "causes_of", "origin"]

# where a call came from (``origin``)
WATCH, INITIAL, RELIST, RESYNC, UNKNOWN = "watch", "initial", "relist", "resync", "unknown"


def _matches(call: HeardCall, cause: Cause) -> bool:
    if call.rv != cause.rv:
        return False
    if call.method == DELETE:
        return cause.deleted
    if cause.deleted:
        return False
    if call.method == ADD:
        return cause.old_rv is None
    return cause.old_rv is not None and cause.old_rv == call.old_rv


def causes_of(calls: Iterable[HeardCall], causes: Iterable[Cause]) -> dict[int, Cause]:
    """{call seq: the delta that produced it}, for the calls whose delta was recorded."""
    pending: dict[str, deque[Cause]] = defaultdict(deque)
    for c in causes:
        pending[c.key].append(c)
    out: dict[int, Cause] = {}
    for call in calls:
        queue = pending.get(call.key)
        if not queue:
            continue
        for i, cause in enumerate(queue):
            if _matches(call, cause):
                out[call.seq] = cause
                for _ in range(i + 1):  # the ones before produced no call (resyncs not due)
                    queue.popleft()
                break
    return out


def origin(call: HeardCall, cause: Cause | None) -> str:
    """``initial``, ``watch``, ``relist``, ``resync`` or ``unknown`` (no delta recorded)."""
    if call.initial:
        return INITIAL
    if call.tombstone:
        return RELIST  # only a relist finds an object gone without its final state
    if cause is None:
        return UNKNOWN
    if cause.group == "SyncAll" or cause.type == "Sync":
        return RESYNC
    if cause.group == "ReplacedAll" or cause.type == "Replaced":
        return RELIST
    return WATCH


def cause_label(call: HeardCall, cause: Cause | None) -> str:
    """A few words: "watch (Updated)", "relist (ReplacedAll)", "resync (SyncAll)",
    "initial list (Replaced)"."""
    where = origin(call, cause)
    if cause is None:
        return {INITIAL: "initial state", RELIST: "relist"}.get(where, "")
    delta = cause.group or cause.type
    word = {INITIAL: "initial state", RELIST: "relist", RESYNC: "resync", WATCH: "watch"}.get(where, "")
    return f"{word} ({delta})" if word else delta
