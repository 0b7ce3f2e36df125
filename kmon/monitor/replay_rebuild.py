"""The informers' caches at any moment of a recording, rebuilt from its records.

Why this module exists: a replay that jumps, and whoever compares a recording with a server,
need what each informer's cache held at a time: the object of the last delta per key, minus
deletions. ``apply_record`` applies one record to a set of
caches (and says what it replaced, for a delta's ``old_object``); ``rebuild_cache`` folds a
whole recording up to a time. Records of kinds or types this version does not know are
skipped. No Qt.
"""

from __future__ import annotations

from typing import Any, Iterable

from kmon.monitor.recording_format import DELTA_TYPES, RecordKind

__all__ = ["CacheKey", "Caches", "apply_record", "rebuild_cache"]

CacheKey = tuple[str, str]  # (context, resource)
Caches = dict[CacheKey, dict[str, Any]]  # {(context, resource): {key: object}}
_DELTA = RecordKind.DELTA


def apply_record(caches: Caches, rec: dict[str, Any]) -> Any:
    """Apply one record to ``caches``; returns the object it replaced (for deltas)."""
    ctx, res = rec.get("context"), rec.get("resource")
    if ctx is None or res is None:
        return None
    cache = caches.get((ctx, res))
    if cache is None:
        cache = caches[(ctx, res)] = {}
    if rec.get("kind") != _DELTA:
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


def rebuild_cache(records: Iterable[dict[str, Any]], until: float | None = None) -> Caches:
    """The informers' caches as they were at time ``until`` (the end when None):
    ``{(context, resource): {key: object}}``. Every (context, resource) that appears in the
    records has an entry, empty if it held nothing. Objects are the recorded ones (Secret
    values masked unless the recording included them); treat them as read-only."""
    caches: Caches = {}
    for rec in records:
        if until is not None and float(rec.get("time") or 0.0) > until:
            continue  # not break: threads interleave, times are only nearly ordered
        apply_record(caches, rec)
    return caches
