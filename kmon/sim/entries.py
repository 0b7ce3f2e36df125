"""Stored object versions, history events, and reading a set of objects in key order.

Both sources a list is served from -- the store (etcd) and the watch cache -- hold a
resource's objects as ``{key: Entry}`` and their history as ``Event``s; ``rewind`` turns the
current objects into those of a past revision by undoing newer events, and ``page`` selects
and pages them in (namespace, name) order, as kube-apiserver returns list items.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import orjson

from kmon.sim.selection import extract_fields

if TYPE_CHECKING:
    from kmon.sim.resources import Resource

Key = tuple[str, str]  # (namespace or "", name)
LAST = "\U0010ffff"  # sorts after every name: (ns, LAST) bounds a namespace's keys


class Entry:
    """One stored object version. Immutable once built."""

    __slots__ = ("raw", "labels", "fields", "rv", "uid", "owners", "_meta")

    def __init__(self, raw: bytes, obj: dict, res: "Resource", rv: int) -> None:
        meta = obj["metadata"]
        self.raw = raw
        self.rv = rv
        self.labels: dict[str, str] = dict(meta.get("labels") or {})  # own copy: callers keep obj
        self.fields = extract_fields(obj, res.fields)
        self.uid: str = meta.get("uid", "")
        self.owners = tuple(o.get("uid", "") for o in meta.get("ownerReferences") or () if isinstance(o, dict))
        self._meta: bytes | None = None

    def obj(self) -> dict:
        return orjson.loads(self.raw)

    def meta_raw(self) -> bytes:
        """The object as a ``PartialObjectMetadata`` (encoded once, on first use)."""
        m = self._meta
        if m is None:
            m = self._meta = orjson.dumps({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                           "metadata": orjson.loads(self.raw)["metadata"]})
        return m


class Event:
    """A history record: ``entry`` is the new state (for DELETED: the last state with the
    deletion revision), ``prev`` the state before (None for ADDED)."""

    __slots__ = ("rev", "rkey", "type", "key", "entry", "prev")

    def __init__(self, rev: int, rkey: str, type_: str, key: Key, entry: Entry, prev: Entry | None) -> None:
        self.rev, self.rkey, self.type, self.key, self.entry, self.prev = rev, rkey, type_, key, entry, prev


def rewind(items: dict[Key, Entry], newer: Iterable[Event]) -> tuple[dict[Key, Entry], list[Key]]:
    """``items`` as they were before ``newer`` (one resource's events after some revision,
    oldest first), and their sorted keys."""
    out = dict(items)
    for ev in reversed(list(newer)):
        if ev.prev is None:
            out.pop(ev.key, None)
        else:
            out[ev.key] = ev.prev
    return out, sorted(out)


Match = Callable[..., bool] | None


def page(items: dict[Key, Entry], keys: Sequence[Key], *, namespace: str | None = None, lmatch: Match = None,
         fmatch: Match = None, after: Key | None = None, limit: int = 0
         ) -> tuple[list[Entry], Key | None, int | None]:
    """The entries matching, in key order: ``(entries, next_after, remaining)``. ``namespace``
    limits to one namespace (None: all); ``after``: start after that key; ``limit``: page size
    (0 = all). ``next_after`` is set when more keys follow; ``remaining`` counts the keys after
    the page (only without selectors, as kube-apiserver's remainingItemCount)."""
    lo, hi = 0, len(keys)
    if namespace is not None:
        lo = bisect.bisect_left(keys, (namespace, ""))
        hi = bisect.bisect_left(keys, (namespace, LAST))
    if after is not None:
        lo = max(lo, bisect.bisect_right(keys, after))
    if lmatch is None and fmatch is None:
        end = hi if not limit else min(hi, lo + limit)
        out = [items[k] for k in keys[lo:end]]
        if end < hi:
            return out, keys[end - 1], hi - end
        return out, None, None
    out = []
    i = lo
    while i < hi:
        e = items[keys[i]]
        i += 1
        if (lmatch is None or lmatch(e.labels)) and (fmatch is None or fmatch(e.fields)):
            out.append(e)
            if limit and len(out) >= limit:
                break
    if i < hi and limit:
        return out, keys[i - 1], None
    return out, None, None
