"""A thread-safe store of objects by key, with named secondary indexes (client-go's
``threadSafeMap`` + ``storeIndex`` behind ``cache.Indexer``).

Contract: objects handed in are stored as they are and objects handed out are the stored
ones -- callers must not modify them. Every operation takes the single lock once; index
functions run under it, handlers never do.

With ``track_resource_version`` (client-go 1.36's store, with its ``AtomicFIFO`` gate on) the
store also knows the resource version it reflects: that of the last ``replace``, ``bookmark``,
or object added, updated or deleted (a tombstone, or an object without metadata, leaves it
as it was); ``last_store_sync_resource_version()`` reads it (always ``""`` when not tracking).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from kmon.cache.keys import NAMESPACE_INDEX, KeyFunc, meta_namespace_key, namespace_index
from kmon.cache.raw_object import RawObject

IndexFunc = Callable[[Any], list[str]]


class IndexerError(KeyError):
    """Unknown index name, or an indexer that conflicts with an existing one."""


def _version_of(obj: Any) -> str | None:
    """An object's resourceVersion ("" when it has metadata without one); None for what has no
    metadata (a tombstone included): client-go's store keeps its version then."""
    if obj.__class__ is RawObject:
        head = obj.header
        if head.exact:
            return obj.resource_version if head.has_metadata else None
    try:
        return obj["metadata"].get("resourceVersion") or ""
    except (KeyError, TypeError, AttributeError):
        return None


class Indexer:
    """Objects by key, plus ``indexers``: name -> function returning index values of an object.
    With ``indexers=None`` the store has the ``"namespace"`` index. ``track_resource_version``:
    see the module doc."""

    def __init__(
        self,
        key_func: KeyFunc = meta_namespace_key,
        indexers: dict[str, IndexFunc] | None = None,
        track_resource_version: bool = True,
    ) -> None:
        self._key_func = key_func
        self._track = track_resource_version
        self._rv = ""  # guarded by _lock (read without it: a str attribute is read atomically)
        self._lock = threading.Lock()  # guards _items, _indexers, _indices
        self._items: dict[str, Any] = {}
        self._indexers: dict[str, IndexFunc] = (
            {NAMESPACE_INDEX: namespace_index} if indexers is None else dict(indexers)
        )
        # index name -> index value -> set of keys
        self._indices: dict[str, dict[str, set[str]]] = {name: {} for name in self._indexers}
        # per index: key -> the values its stored object was indexed under, so an update need
        # not re-run the index function on the old object (stored objects are immutable)
        self._values: dict[str, dict[str, list[str]]] = {name: {} for name in self._indexers}
        # (name, func, index, values) rebuilt when indexers change: saves lookups per write
        self._plan: tuple[tuple[str, IndexFunc, dict[str, set[str]], dict[str, list[str]]], ...] = ()
        self._rebuild_plan_locked()

    @property
    def key_func(self) -> KeyFunc:
        return self._key_func

    def _rebuild_plan_locked(self) -> None:
        self._plan = tuple((n, f, self._indices[n], self._values[n]) for n, f in self._indexers.items())

    # -- index maintenance (callers hold _lock) --------------------------------------------
    def _update_indices_locked(self, old: Any, new: Any, key: str) -> None:
        for _name, fn, index, cached in self._plan:
            old_values = cached.get(key, ()) if old is not None else ()
            if new is not None:
                new_values = fn(new)
                cached[key] = new_values
            else:
                new_values = ()
                cached.pop(key, None)
            # the common case: unchanged values (e.g. the namespace)
            if old_values == new_values:
                continue
            for value in old_values:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in new_values:
                keys = index.get(value)
                if keys is None:
                    index[value] = {key}
                else:
                    keys.add(key)

    # -- writes -----------------------------------------------------------------------------
    def add(self, obj: Any) -> None:
        self.put(obj)

    def update(self, obj: Any) -> None:
        self.put(obj)

    def put(self, obj: Any) -> Any:
        """Add or update; returns the object previously stored under the key, or ``None``."""
        return self.put_key(self._key_func(obj), obj)

    def put_key(self, key: str, obj: Any) -> Any:
        """``put`` when the caller already knows the key."""
        rv = _version_of(obj) if self._track else None
        with self._lock:
            items = self._items
            old = items.get(key)
            items[key] = obj
            if self._plan:
                self._update_indices_locked(old, obj, key)
            if rv is not None:
                self._rv = rv
        return old

    def delete(self, obj: Any) -> Any:
        """Remove the object's key if present; returns the removed object or ``None``."""
        return self.delete_key(self._key_func(obj), obj)

    def delete_key(self, key: str, obj: Any = None) -> Any:
        """Remove ``key`` if present; returns the removed object or ``None``. ``obj``: the
        deleted object as reported (its version becomes the store's, when tracking)."""
        rv = _version_of(obj) if self._track and obj is not None else None
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None and self._plan:
                self._update_indices_locked(old, None, key)
            if rv is not None:
                self._rv = rv
        return old

    def apply(self, changes: list[tuple[str, Any, bool]]) -> list[Any]:
        """Apply ``(key, obj, deleted)`` changes in order under one lock hold (client-go's
        store ``Transaction``): ``deleted`` removes ``key``, otherwise ``obj`` is stored under
        it. Returns the object each change replaced or removed (``None`` where there was none).
        When tracking, the store's version becomes that of the last change's object."""
        if not changes:
            return []
        rv = _version_of(changes[-1][1]) if self._track else None
        olds: list[Any] = []
        append = olds.append
        with self._lock:
            items = self._items
            plan = self._plan
            for key, obj, deleted in changes:
                if deleted:
                    old = items.pop(key, None)
                    if old is not None and plan:
                        self._update_indices_locked(old, None, key)
                else:
                    old = items.get(key)
                    items[key] = obj
                    if plan:
                        self._update_indices_locked(old, obj, key)
                append(old)
            if rv is not None:
                self._rv = rv
        return olds

    def replace(self, items: Iterable[Any], resource_version: str = "") -> None:
        """Swap the whole content for ``items``; when tracking, the store is then at
        ``resource_version``."""
        key_func = self._key_func
        new_items = {key_func(obj): obj for obj in items}
        with self._lock:
            if self._track:
                self._rv = resource_version
            self._items = new_items
            self._indices = {name: {} for name in self._indexers}
            self._values = {name: {} for name in self._indexers}
            self._rebuild_plan_locked()
            for key, obj in new_items.items():
                self._update_indices_locked(None, obj, key)

    def resync(self) -> None:
        """Nothing to do for a plain store (kept for the Store interface)."""

    def bookmark(self, resource_version: str) -> None:
        """The store has reached ``resource_version`` (a watch bookmark); kept when tracking."""
        if self._track:
            with self._lock:
                self._rv = resource_version

    def last_store_sync_resource_version(self) -> str:
        """The version the content reflects (see the module doc); ``""`` when not tracking."""
        return self._rv if self._track else ""

    # -- reads ------------------------------------------------------------------------------
    def get(self, obj: Any) -> tuple[Any, bool]:
        return self.get_by_key(self._key_func(obj))

    def get_by_key(self, key: str) -> tuple[Any, bool]:
        obj = self._items.get(key)  # a single dict read is atomic
        return obj, obj is not None

    def list(self) -> list[Any]:
        with self._lock:
            return list(self._items.values())

    def list_keys(self) -> list[str]:
        with self._lock:
            return list(self._items)

    def items(self) -> list[tuple[str, Any]]:
        """``(key, object)`` of every stored object, taken at one moment."""
        with self._lock:
            return list(self._items.items())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def _index_locked(self, name: str) -> dict[str, set[str]]:
        try:
            return self._indices[name]
        except KeyError:
            raise IndexerError(f"index with name {name} does not exist") from None

    def index(self, name: str, obj: Any) -> list[Any]:
        """Objects sharing any of ``obj``'s values in index ``name``."""
        with self._lock:
            index = self._index_locked(name)
            values = self._indexers[name](obj)
            if len(values) == 1:
                keys: Iterable[str] = index.get(values[0], ())
            else:
                union: set[str] = set()
                for v in values:
                    union.update(index.get(v, ()))
                keys = union
            return [self._items[k] for k in keys]

    def index_keys(self, name: str, value: str) -> list[str]:
        with self._lock:
            return list(self._index_locked(name).get(value, ()))

    def by_index(self, name: str, value: str) -> list[Any]:
        with self._lock:
            keys = self._index_locked(name).get(value, ())
            return [self._items[k] for k in keys]

    def list_index_values(self, name: str) -> list[str]:
        with self._lock:
            return list(self._index_locked(name))

    def get_indexers(self) -> dict[str, IndexFunc]:
        with self._lock:
            return dict(self._indexers)

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        """Add more indexes; existing objects are indexed at once. A name already in use is an
        error."""
        with self._lock:
            clash = sorted(set(indexers) & set(self._indexers))
            if clash:
                raise IndexerError(f"indexer conflict: {clash}")
            for name, fn in indexers.items():
                self._indexers[name] = fn
                index: dict[str, set[str]] = {}
                cached: dict[str, list[str]] = {}
                self._indices[name] = index
                self._values[name] = cached
                for key, obj in self._items.items():
                    values = cached[key] = fn(obj)
                    for value in values:
                        index.setdefault(value, set()).add(key)
            self._rebuild_plan_locked()
