"""Revisioned object store, like etcd behind kube-apiserver.

One global revision; every write bumps it. Each stored object is kept as its encoded JSON
bytes (orjson, produced once at write time) plus the few things selectors need (labels,
field labels), so lists and watch events are byte concatenations. Each write's event (with
the previous state of the object) goes to a bounded ``kmon.sim.history.History``, which
serves lists at an exact past revision and ``events_after``; compaction discards it (the
watch cache keeps its own window, fed by ``listeners``).
Deleting cascades as the apiserver's does: a namespace takes its objects along, an owner its
dependents (unless orphaned).
"""

from __future__ import annotations

import bisect
import random
import threading
import time
import uuid
from typing import Any, Callable, Iterable

import orjson

from kmon.sim import defaulting
from kmon.sim import resources as R
from kmon.sim.entries import LAST, Entry, Event, Key, page
from kmon.sim.errors import StoreError, not_found  # StoreError: also kmon.sim.StoreError
from kmon.sim.history import History
from kmon.sim.patch import PatchError, apply_patch
from kmon.sim.selection import matchers

class _Table:
    """One resource's current objects, and their keys sorted on demand."""

    __slots__ = ("res", "items", "_sorted")

    def __init__(self, res: R.Resource) -> None:
        self.res = res
        self.items: dict[Key, Entry] = {}
        self._sorted: list[Key] | None = None

    def sorted_keys(self) -> list[Key]:
        if self._sorted is None:
            self._sorted = sorted(self.items)
        return self._sorted

    def put(self, key: Key, entry: Entry) -> None:
        if key not in self.items:
            self._sorted = None
        self.items[key] = entry

    def remove(self, key: Key) -> None:
        self.items.pop(key, None)
        self._sorted = None


def now_rfc3339(t: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def _key_of(res: R.Resource, obj_ns: str, name: str) -> Key:
    return (obj_ns if res.namespaced else "", name)


class Store:
    """Thread-safe revisioned store. See the package docstring for the public contract."""

    def __init__(self, *, seed: int | None = None, history_limit: int = 100_000) -> None:
        self._lock = threading.RLock()
        self.cond = threading.Condition(self._lock)  # notified on every write / jump / compaction
        self._rev = 1
        self._history = History(history_limit)
        self._tables = {r.key: _Table(r) for r in R.STORED}
        self._owned: dict[str, set[tuple[str, Key]]] = {}
        self._rng = random.Random(seed)
        self.listeners: list[Callable[[Event], None]] = []

    # ---------------------------------------------------------------- revisions
    @property
    def revision(self) -> int:
        return self._rev

    @property
    def compacted_revision(self) -> int:
        return self._history.compacted

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def compact(self, revision: int | None = None) -> int:
        """Discard history up to ``revision`` (default: the current one). Watches from, and
        Exact lists at, a revision below it then fail with 410 Expired. Returns it."""
        with self._lock:
            rev = self._rev if revision is None else min(int(revision), self._rev)
            compacted = self._history.compact(rev)
            self.cond.notify_all()
            return compacted

    def jump_revision(self, delta: int) -> int:
        """Move the revision forward by ``delta`` without any event (like an etcd restore)."""
        with self._lock:
            self._rev += max(0, int(delta))
            self.cond.notify_all()
            return self._rev

    def wake(self) -> None:
        """Wake every thread waiting on ``cond`` (watch streams re-check their state)."""
        with self._lock:
            self.cond.notify_all()

    def wait_for_revision(self, rev: int, timeout: float) -> bool:
        with self._lock:
            return self.cond.wait_for(lambda: self._rev >= rev, timeout)

    # ---------------------------------------------------------------- internals
    def _table(self, resource: str | R.Resource) -> _Table:
        try:
            return self._tables[R.lookup(resource).key]
        except KeyError:
            raise StoreError(404, "NotFound", f"the server could not find the requested resource ({resource})") from None

    def _new_uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _check_namespace(self, res: R.Resource, ns: str) -> None:
        if res.namespaced and ("", ns) not in self._tables["namespaces"].items:
            raise StoreError(404, "NotFound", f'namespaces "{ns}" not found',
                             details={"name": ns, "kind": "namespaces"})

    def _record(self, t: _Table, key: Key, entry: Entry | None, type_: str, prev: Entry | None,
                ev_entry: Entry) -> Event:
        """Apply one write at the current revision (already bumped) and log it."""
        if entry is None:
            t.remove(key)
        else:
            t.put(key, entry)
        if prev is not None:
            for o in prev.owners:
                s = self._owned.get(o)
                if s is not None:
                    s.discard((t.res.key, key))
                    if not s:
                        del self._owned[o]
        if entry is not None:
            for o in entry.owners:
                self._owned.setdefault(o, set()).add((t.res.key, key))
        ev = Event(self._rev, t.res.key, type_, key, ev_entry, prev)
        self._history.append(ev)
        for fn in self.listeners:
            fn(ev)
        return ev

    def _encode(self, res: R.Resource, obj: dict, rv: int) -> Entry:
        obj["metadata"]["resourceVersion"] = str(rv)
        return Entry(orjson.dumps(obj), obj, res, rv)

    def _prepare_create(self, res: R.Resource, obj: dict, namespace: str | None) -> tuple[Key, dict]:
        if not isinstance(obj, dict):
            raise StoreError(400, "BadRequest", "the object must be a JSON object")
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = meta["generateName"] + "".join(self._rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        if not name:
            raise StoreError(422, "Invalid", f"{res.kind} is invalid: metadata.name: Required value: name or generateName is required")
        meta["name"] = name
        if res.namespaced:
            ns = namespace or meta.get("namespace") or "default"
            if meta.get("namespace") and meta["namespace"] != ns:
                raise StoreError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = ns
            self._check_namespace(res, ns)
        else:
            meta.pop("namespace", None)
            ns = ""
        key = (ns, name)
        if key in self._tables[res.key].items:
            g = res.plural if not res.group else f"{res.plural}.{res.group}"
            raise StoreError(409, "AlreadyExists", f'{g} "{name}" already exists',
                             details={"name": name, "group": res.group, "kind": res.plural})
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        meta["uid"] = self._new_uid()
        meta.setdefault("creationTimestamp", now_rfc3339())
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(k, None)
        if "spec" in obj:
            meta["generation"] = 1
        if res.key == "namespaces":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            meta["generation"] = meta.get("generation", 1)
            obj["status"] = {"phase": "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        defaulting.on_create(res, obj)
        return key, obj

    # ---------------------------------------------------------------- public API
    def create(self, resource: str | R.Resource, obj: dict, namespace: str | None = None, *,
               copy: bool = True) -> dict:
        """Create ``obj``; returns the stored object (a copy). ``copy=False``: ``obj`` may be
        modified in place and is returned (the store keeps only its encoding)."""
        if copy:
            obj = orjson.loads(orjson.dumps(obj))
        res = self._table(resource).res
        with self._lock:
            key, obj = self._prepare_create(res, obj, namespace)
            self._rev += 1
            e = self._encode(res, obj, self._rev)
            self._record(self._tables[res.key], key, e, "ADDED", None, e)
            self.cond.notify_all()
            return obj  # our private copy, encoded as e.raw

    def bulk_load(self, resource: str | R.Resource, objs: Iterable[dict]) -> int:
        """Create many objects fast (takes ownership of the dicts: no copy). Each gets its
        own revision and ADDED event. Returns the revision after the last one."""
        t = self._table(resource)
        with self._lock:
            for obj in objs:
                key, obj = self._prepare_create(t.res, obj, None)
                self._rev += 1
                e = self._encode(t.res, obj, self._rev)
                self._record(t, key, e, "ADDED", None, e)
            self.cond.notify_all()
            return self._rev

    def get(self, resource: str | R.Resource, name: str, namespace: str | None = None) -> dict:
        """The object (a copy); ``namespace`` defaults to "default" for namespaced kinds."""
        t = self._table(resource)
        with self._lock:
            e = t.items.get(_key_of(t.res, namespace or "default", name))
        if e is None:
            raise not_found(t.res, name)
        return e.obj()

    def list(self, resource: str | R.Resource, namespace: str | None = None,
             label_selector: str | None = None, field_selector: str | None = None) -> list[dict]:
        """Current objects (copies) sorted by (namespace, name); selectors in API syntax."""
        t = self._table(resource)
        lm, fm = matchers(t.res, label_selector, field_selector)
        entries, _, _, _ = self.list_entries(t.res, namespace=namespace, lmatch=lm, fmatch=fm)
        return [e.obj() for e in entries]

    def count(self, resource: str | R.Resource, namespace: str | None = None) -> int:
        t = self._table(resource)
        with self._lock:
            if namespace is None:
                return len(t.items)
            keys = t.sorted_keys()
            return bisect.bisect_left(keys, (namespace, LAST)) - bisect.bisect_left(keys, (namespace, ""))

    def update(self, resource: str | R.Resource, obj: dict, namespace: str | None = None, *,
               subresource: str | None = None, copy: bool = True) -> dict:
        """Replace an object. If ``obj.metadata.resourceVersion`` is set it must equal the
        stored one (409 Conflict otherwise). ``subresource="status"`` replaces only status.
        ``copy=False``: ``obj`` may be modified in place (the store keeps only its encoding)."""
        if copy:
            obj = orjson.loads(orjson.dumps(obj))
        t = self._table(resource)
        with self._lock:
            return self._update(t, obj, namespace, subresource)

    def _update(self, t: _Table, obj: dict, namespace: str | None, subresource: str | None) -> dict:
        res = t.res
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise StoreError(422, "Invalid", f"{res.kind} is invalid: metadata.name: Required value")
        name = meta["name"]
        ns = (namespace or meta.get("namespace") or "default") if res.namespaced else ""
        if res.namespaced and meta.get("namespace") and meta["namespace"] != ns:
            raise StoreError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
        key = (ns, name)
        cur = t.items.get(key)
        if cur is None:
            raise not_found(res, name)
        want = meta.get("resourceVersion")
        if want and want != str(cur.rv):
            g = res.plural if not res.group else f"{res.plural}.{res.group}"
            raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on {g} "{name}": the object has been '
                             "modified; please apply your changes to the latest version and try again",
                             details={"name": name, "group": res.group, "kind": res.plural})
        old = cur.obj()
        if subresource == "status":
            new = old
            new["status"] = obj.get("status", {})
        else:
            new = obj
            if "status" in old and "status" not in obj:
                new["status"] = old["status"]
        nm = new["metadata"]
        om = old["metadata"]
        for k in ("uid", "creationTimestamp", "deletionTimestamp"):
            if k in om:
                nm[k] = om[k]
        if res.namespaced:
            nm["namespace"] = ns
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        defaulting.apply_defaults(res, new)
        if "generation" in om or "spec" in new:
            gen = om.get("generation", 1)
            nm["generation"] = gen + 1 if new.get("spec") != old.get("spec") else gen
        nm["resourceVersion"] = str(cur.rv)
        if orjson.dumps(new) == cur.raw:
            return new  # no-op: no new revision, like the apiserver
        self._rev += 1
        e = self._encode(res, new, self._rev)
        self._record(t, key, e, "MODIFIED", cur, e)
        self.cond.notify_all()
        return new  # private (a copy of the caller's object, or decoded from storage)

    def patch(self, resource: str | R.Resource, name: str, patch: Any, namespace: str | None = None, *,
              patch_type: str = "merge", subresource: str | None = None) -> dict:
        """Patch an object; ``patch_type``: ``merge``, ``strategic`` or ``json`` (or the
        content types). A resourceVersion in the patched result is a precondition."""
        t = self._table(resource)
        with self._lock:
            ns = (namespace or "default") if t.res.namespaced else ""
            cur = t.items.get((ns, name))
            if cur is None:
                raise not_found(t.res, name)
            try:
                new = apply_patch(cur.obj(), patch, patch_type)
            except PatchError as exc:
                raise StoreError(422 if "test" in str(exc) else 400, "BadRequest" if "test" not in str(exc) else "Invalid", str(exc)) from None
            new.setdefault("metadata", {})
            if not isinstance(new["metadata"], dict):
                raise StoreError(400, "BadRequest", "metadata must be an object")
            new["metadata"]["name"] = name
            if t.res.namespaced:
                new["metadata"]["namespace"] = ns
            return self._update(t, new, ns, subresource)

    def delete(self, resource: str | R.Resource, name: str, namespace: str | None = None, *,
               propagation: str = "Background", preconditions: dict | None = None) -> dict:
        """Delete an object; returns its last state (with the deletion revision). Deleting a
        namespace deletes everything in it; unless ``propagation == "Orphan"`` objects whose
        ownerReferences point at the deleted object are deleted too."""
        t = self._table(resource)
        with self._lock:
            ns = (namespace or "default") if t.res.namespaced else ""
            cur = t.items.get((ns, name))
            if cur is None:
                raise not_found(t.res, name)
            pre = preconditions or {}
            if (pre.get("uid") and pre["uid"] != cur.uid) or (pre.get("resourceVersion") and pre["resourceVersion"] != str(cur.rv)):
                raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on {t.res.plural} "{name}": '
                                 "Precondition failed")
            out = self._delete(t, (ns, name), propagation)
            self.cond.notify_all()
            return out

    def _delete(self, t: _Table, key: Key, propagation: str, _seen: set | None = None) -> dict:
        cur = t.items.get(key)
        seen = set() if _seen is None else _seen
        if cur is None or cur.uid in seen:  # gone already, or an ownership cycle
            return {}
        seen.add(cur.uid)
        if t.res.key == "namespaces":
            for other in self._tables.values():
                if other.res.namespaced:
                    keys = other.sorted_keys()
                    lo = bisect.bisect_left(keys, (key[1], ""))
                    hi = bisect.bisect_left(keys, (key[1], LAST))
                    for k in list(keys[lo:hi]):
                        self._delete(other, k, "Orphan", seen)
        if propagation != "Orphan":
            for rkey, k in list(self._owned.get(cur.uid, ())):
                self._delete(self._tables[rkey], k, propagation, seen)
        cur = t.items.get(key)
        if cur is None:
            return {}
        obj = cur.obj()
        self._rev += 1
        e = self._encode(t.res, obj, self._rev)
        self._record(t, key, None, "DELETED", cur, e)
        return obj

    # ---------------------------------------------------------------- list / watch support
    def current(self, res: R.Resource) -> tuple[dict[Key, Entry], list[Key]]:
        """The resource's objects now and their sorted keys (caller holds the lock; read only)."""
        t = self._tables[res.key]
        return t.items, t.sorted_keys()

    def state_at(self, res: R.Resource, at: int) -> tuple[dict[Key, Entry], list[Key]]:
        """The resource's objects at revision ``at`` and their sorted keys (caller holds the
        lock). 410 Expired below the compacted revision."""
        t = self._tables[res.key]
        if at >= self._rev:
            return t.items, t.sorted_keys()
        return self._history.state_at(t.res.key, t.items, at)

    def list_entries(self, res: R.Resource, *, namespace: str | None = None, lmatch=None, fmatch=None,
                     at: int | None = None, after: Key | None = None, limit: int = 0
                     ) -> tuple[list[Entry], int, Key | None, int | None]:
        """Entries matching, in key order: ``(entries, revision, next_after, remaining)``.
        ``at``: state at that revision (None = now); ``after``: start after that key;
        ``limit``: page size (0 = all); see ``entries.page``."""
        with self._lock:
            rev = self._rev if at is None else at
            items, keys = self.state_at(res, rev)
            out, nxt, remaining = page(items, keys, namespace=namespace if res.namespaced else None,
                                       lmatch=lmatch, fmatch=fmatch, after=after, limit=limit)
            return out, rev, nxt, remaining

    def events_after(self, rev: int) -> tuple[list[Event], int]:
        """History events with revision > ``rev`` and the current revision. Raises 410 if
        ``rev`` is older than the compacted revision."""
        with self._lock:
            return self._history.after(rev), self._rev
