"""Per-object delta history and the diff between consecutive versions.

Why this module exists: the detail pane answers "how did this object get into the cache?" —
every delta the informer applied to it (time, type, resourceVersion, and whether it came from
the initial list, a relist, a resync or the watch), what the handlers received for it (an
atomic relist's part: "relist at rv X: updated rv a → b (on_update)", see
``notifications.history_text``) and what changed each time. Objects are
held by reference (the cache's own objects: immutable ``RawObject`` versions, each its wire
bytes and a small header, decoded only when a diff or the YAML is asked for; replayed
recordings' plain dicts; never mutated here), and memory is bounded three times:
``per_object`` entries per object, ``capacity`` entries overall and ``max_bytes`` of wire
bytes held only by the history (versions the cache has replaced or deleted: the current
versions cost nothing here), oldest entries dropped first, so a busy cluster cannot grow
the history without limit (16 MiB is ~3,000 replaced versions of a 5 KiB pod).

Qt-free; fed with the same drained batches as the tree.
"""

from __future__ import annotations

import copy
import difflib
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import yaml

from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.cache.raw_object import RawObject
from kmon.monitor.feed import DeltaItem, ReflectorItem
from kmon.monitor.journal_rows import list_version
from kmon.monitor.notifications import history_text, notification_of
from kmon.monitor.tree_node import rv_of, type_name, unwrap

__all__ = ["History", "HistoryEntry", "diff_objects", "object_yaml", "source_of", "where_of"]


@dataclass(slots=True)
class HistoryEntry:
    time: float  # when the delta was applied to the indexer (record.time)
    type: str  # Added, Updated, Deleted, Replaced, Sync
    resource_version: str
    source: str  # "initial list", "relist", "resync" or "watch"
    object: Any  # the object after the delta (for Deleted: the last known state)
    evicted: bool = False
    notification: str = ""  # what the handlers received (a notifications.LABELS label)
    note: str = ""  # the whole story, e.g. "relist at rv 812: updated rv 5 → 9 (on_update)"
    held: int = 0  # bytes only the history holds (a version the cache no longer has), else 0
    owner: tuple[str, str, str] = ("", "", "")  # (context, resource, key) it is history of


def _wire_bytes(obj: Any) -> int:
    """The wire bytes a cached ``RawObject`` version keeps alive (0 for a replay's dicts,
    which ``capacity`` alone bounds)."""
    return len(obj.raw) if obj.__class__ is RawObject else 0


def where_of(record: Any, source: str, list_rv: str = "") -> str:
    """Where a delta came from (``source``: its ``source_of``), with the version of its
    relist when known: "initial list at rv 10", "relist at rv 812", "resync", "watch".
    ``list_rv``: the version of the last list of its informer (a classic relist's records
    do not carry it)."""
    group = record.group
    if group is None:
        rv = list_rv
    else:
        group_type = type_name(group.type)
        if group_type == "SyncAll":
            return "resync"
        rv = group.resource_version if group_type == "ReplacedAll" else list_rv
    return f"{source} at rv {rv}" if rv and source in ("initial list", "relist") else source


def source_of(record: Any) -> str:
    """Where a ``DeltaRecord`` came from: "initial list", "relist", "resync" or "watch"."""
    t = type_name(record.type)
    if record.is_in_initial_list:
        return "initial list"
    if t == "Replaced" or (t == "Deleted" and isinstance(record.object, DeletedFinalStateUnknown)):
        return "relist"  # (a tombstone: the relist that no longer listed it)
    if t == "Sync":
        return "resync"
    return "watch"


def _strip(obj: Any, show_managed_fields: bool) -> Any:
    obj = unwrap(obj)
    if obj.__class__ is RawObject:  # a cached object: decoded now (kept among the recent bodies)
        obj = obj.body()
    if not isinstance(obj, dict) or show_managed_fields:
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return obj


def _default_mask() -> Callable[[Any], Any]:
    try:
        from kmon.monitor.masking import mask_secret
    except ImportError:  # masking lands separately; never show a value we could not mask
        def mask_secret(obj: Any, resource: str | None = None) -> Any:
            if isinstance(obj, dict) and obj.get("kind") == "Secret":
                obj = copy.copy(obj)
                for f in ("data", "stringData"):
                    if isinstance(obj.get(f), dict):
                        obj[f] = {k: "••••••" for k in obj[f]}
            return obj
    return mask_secret


def object_yaml(
    obj: Any,
    *,
    show_managed_fields: bool = False,
    reveal: bool = False,
    mask: Callable[[Any], Any] | None = None,
    resource: str = "",
) -> str:
    """YAML of an object as the views show it: key order kept, managedFields hidden unless
    asked, Secret values masked unless ``reveal``. ``resource`` names the object's resource
    when the object may lack ``kind`` (list items): a "secrets" item is masked all the same."""
    obj = _strip(obj, show_managed_fields)
    if obj is None:
        return ""
    if isinstance(obj, dict) and not obj.get("kind") and resource.partition(".")[0] == "secrets":
        obj = {"kind": "Secret", "apiVersion": "v1", **obj}
    if not reveal:
        # the resource too: a metadata-only Secret (PartialObjectMetadata) still carries the
        # last-applied-configuration annotation, which holds its data
        obj = mask(obj) if mask is not None else _default_mask()(obj, resource or None)
    if not isinstance(obj, dict):
        return repr(obj) + "\n"
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def diff_objects(
    old: Any,
    new: Any,
    *,
    old_label: str = "before",
    new_label: str = "after",
    show_managed_fields: bool = False,
    reveal: bool = False,
    resource: str = "",
) -> str:
    """Unified diff of two versions' YAML (empty string when they render the same)."""
    opts = dict(show_managed_fields=show_managed_fields, reveal=reveal, resource=resource)
    a = object_yaml(old, **opts).splitlines(True)
    b = object_yaml(new, **opts).splitlines(True)
    return "".join(difflib.unified_diff(a, b, old_label, new_label, n=3))


class History:
    """Bounded delta history per (context, resource, key)."""

    def __init__(self, *, per_object: int = 32, capacity: int = 20_000, max_bytes: int = 16 << 20) -> None:
        self.per_object = per_object
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._held = 0  # wire bytes of the versions only the history holds
        # a list per object, oldest first (a deque is 760 bytes empty: 15 MB at 20,000 objects;
        # a list of at most ``per_object`` entries pops its head as cheaply)
        self._by_key: dict[tuple[str, str, str], list[HistoryEntry]] = {}
        self._order: deque[HistoryEntry] = deque()  # every entry, oldest first (and evicted ones)
        self._size = 0  # live (not evicted) entries
        self._list_rv: dict[tuple[str, str], str] = {}  # (context, resource) -> its last list's version
        # Deltas not folded into entries yet, each with its informer's last list version
        # then. Entries are made when somebody reads, and only for the deltas whose entries
        # would outlive the fold (``_survivors``): an initial list of 150,000 objects makes
        # 20,000 entries instead of 150,000, 130,000 of them evicted again; the result is the
        # same as folding every batch at once (tested). A waiting delta keeps its object
        # alive, so the deltas fold at once when the versions they replaced (with those the
        # entries hold) pass ``max_bytes``: a churning cache folds about every batch, as
        # before, and the replaced versions kept stay bounded. Waiting deltas that many newer
        # ones already outlive are dropped as they pile up.
        self._pending: list[tuple[DeltaItem, str]] = []
        self._newest: dict[tuple[str, str, str], Any] = {}  # key -> its newest waiting delta's object
        self._replaced = 0  # wire bytes of versions the waiting deltas replaced or deleted
        self._cut = False  # trimming the waiting deltas cut some: every entry made goes in the next fold

    def __len__(self) -> int:
        self._fold()
        return self._size

    @property
    def held_bytes(self) -> int:
        """Wire bytes of the versions only the history holds (bounded by ``max_bytes``)."""
        self._fold()
        return self._held

    def _hold(self, e: HistoryEntry) -> None:
        """Count ``e``'s object against ``max_bytes``: the cache no longer holds that version.
        Only cached ``RawObject`` versions are counted (their wire bytes); a replay's dicts
        are bounded by ``capacity`` alone."""
        e.held = _wire_bytes(unwrap(e.object))
        self._held += e.held

    def _evict(self, e: HistoryEntry) -> None:
        e.evicted = True
        self._size -= 1
        self._held -= e.held

    def apply(self, items: Iterable[Any]) -> int:
        """Record every ``DeltaItem`` of a drained batch (other items are ignored, but for
        the list versions they say); returns how many."""
        n = 0
        lists = self._list_rv
        pending = self._pending
        newest = self._newest
        by_key = self._by_key
        replaced = 0
        for item in items:
            if item.__class__ is DeltaItem:
                rec = item.record
                pending.append((item, lists.get((item.context, item.resource), "")))
                n += 1
                k = (item.context, item.resource, rec.key)
                obj = unwrap(rec.object)
                prev = newest.get(k)
                if prev is None:
                    made = by_key.get(k)
                    if made and not made[-1].held:
                        prev = unwrap(made[-1].object)
                newest[k] = obj
                if prev is not None and prev is not obj:
                    replaced += _wire_bytes(prev)
                if type_name(rec.type) == "Deleted":
                    replaced += _wire_bytes(obj)
            elif isinstance(item, ReflectorItem):
                rv = list_version(item)
                if rv is not None:
                    lists[(item.context, item.resource)] = rv
        self._replaced += replaced
        if self._held + self._replaced > self.max_bytes:
            self._fold()
        elif len(pending) > 4 * self.capacity + 1024:  # unread for long: drop what cannot last
            # (4x: each trim walks what waits; at 2x an initial list of 150,000 was walked
            # twice over, ~0.7 us a delta; the bytes they keep alive are bounded above)
            self._pending, cut = self._survivors(pending, by_bytes=False)
            self._cut = self._cut or cut
            self._newest = {(it.context, it.resource, it.record.key): unwrap(it.record.object)
                            for it, _ in self._pending}
        return n

    def _survivors(self, pending: list[tuple[DeltaItem, str]],
                   by_bytes: bool = True) -> tuple[list[tuple[DeltaItem, str]], bool]:
        """The pending deltas whose entries a fold would keep past its own evictions, which
        drop the oldest entries first until at most ``capacity`` remain and the versions
        only the history holds fit in ``max_bytes`` (and keep the ``per_object`` newest of
        each object): walking from the newest, a delta's version is held when it is a
        deletion or the object's next delta brings another version. Where the walk stops
        short (the second value: cut), every older entry, pending or made, goes in that fold
        too.

        Without ``by_bytes`` (deltas still to come), only the count bounds cut: newer
        deltas never bring an older one back, while an object's next delta can take a held
        version out (its per-object bound) and so make room in bytes."""
        per_object = self.per_object
        room = self.capacity
        budget = self.max_bytes
        held_total = 0
        newer: dict[tuple[str, str, str], tuple[int, Any]] = {}  # key -> (deltas kept, the nearest one's object)
        keep: list[tuple[DeltaItem, str]] = []
        cut = False
        for i in range(len(pending) - 1, -1, -1):
            if len(keep) >= room:
                cut = True
                break
            p = pending[i]
            item = p[0]
            rec = item.record
            k = (item.context, item.resource, rec.key)
            c, next_obj = newer.get(k, (0, None))
            if c >= per_object:
                continue
            obj = unwrap(rec.object)
            if type_name(rec.type) == "Deleted" or (c and next_obj is not obj):
                held_total += _wire_bytes(obj)
                if by_bytes and held_total > budget:
                    cut = True
                    break
            newer[k] = (c + 1, obj)
            keep.append(p)
        keep.reverse()
        return keep, cut

    def _fold(self) -> None:
        """Make the entries of the pending deltas, then evict down to the bounds."""
        if not self._pending and not self._cut:
            return
        pending, cut = self._survivors(self._pending)
        self._pending = []
        self._newest.clear()
        self._replaced = 0
        if cut or self._cut:  # the deltas cut off were newer than every entry made: those go first
            self._cut = False
            while self._order:
                e = self._order.popleft()
                if not e.evicted:
                    self._evict(e)
            self._by_key.clear()
        by_key = self._by_key
        order = self._order
        for item, list_rv in pending:
            rec = item.record
            k = (item.context, item.resource, rec.key)
            obj = rec.object
            rv = rec.resource_version or rv_of(obj)
            note = notification_of(rec)
            source = source_of(rec)
            e = HistoryEntry(rec.time, type_name(rec.type), str(rv or ""), source, obj, False, note.label,
                             history_text(note, where_of(rec, source, list_rv)))
            dq = by_key.get(k)
            if dq is None:
                dq = by_key[k] = []
            elif not dq[-1].held and unwrap(dq[-1].object) is not unwrap(obj):
                self._hold(dq[-1])  # the version it replaced now lives only here (a resync
                # hands the cached object itself again: nothing replaced, nothing held)
            if e.type == "Deleted":  # so does a deleted object's last state
                self._hold(e)
            dq.append(e)
            e.owner = k
            order.append(e)
            self._size += 1
            if len(dq) > self.per_object:
                self._evict(dq.pop(0))
        while (self._size > self.capacity or self._held > self.max_bytes) and self._order:
            e = self._order.popleft()
            k = e.owner
            if e.evicted:
                continue
            dq = by_key.get(k)
            if dq and dq[0] is e:
                del dq[0]
                if not dq:
                    del by_key[k]
            self._evict(e)
        # the order deque also holds evicted entries: compact it when it doubles
        if len(self._order) > 2 * self.capacity + 1024:
            self._order = deque(e for e in self._order if not e.evicted)

    def entries(self, context: str, resource: str, key: str) -> list[HistoryEntry]:
        self._fold()
        return list(self._by_key.get((context, resource, key), ()))

    def forget_context(self, context: str) -> None:
        self._fold()
        for k in [k for k in self._by_key if k[0] == context]:
            for e in self._by_key.pop(k):
                self._evict(e)  # (its held bytes too: they no longer count against the bound)

    def diff(self, context: str, resource: str, key: str, index: int, **opts: Any) -> str:
        """Diff between entry ``index - 1`` and entry ``index`` of one object (the first
        entry is diffed against nothing)."""
        es = self.entries(context, resource, key)
        if not es or not -len(es) <= index < len(es):
            return ""
        index %= len(es)
        cur = es[index]
        prev = es[index - 1].object if index > 0 else None
        return diff_objects(
            prev,
            cur.object,
            old_label=f"rv {es[index - 1].resource_version}" if index > 0 else "(nothing)",
            new_label=f"rv {cur.resource_version} ({cur.type})",
            resource=resource,
            **opts,
        )
