"""Object keys: how the cache names an object, and the tombstone a missed deletion leaves.

Keys are ``"namespace/name"`` for namespaced objects and ``"name"`` for cluster-scoped ones,
as client-go's ``MetaNamespaceKeyFunc``. ``DeletedFinalStateUnknown`` lives here (and is
re-exported by ``kmon.cache.delta_fifo``) because the deletion-handling key function needs it
and the queue, the store and the informer all share it.
"""

from __future__ import annotations

from typing import Any, Callable

from kmon.cache.raw_object import RawObject

KeyFunc = Callable[[Any], str]

NAMESPACE_INDEX = "namespace"


class KeyFuncError(ValueError):
    """The object has no usable ``metadata.name``; it cannot be keyed."""


class DeletedFinalStateUnknown:
    """Placed in the queue when an object was deleted while the watch was down: a relist no
    longer returned it, so its final state is unknown and ``obj`` (the last state the cache
    knew, possibly ``None``) may be stale."""

    __slots__ = ("key", "obj")

    def __init__(self, key: str, obj: Any) -> None:
        self.key = key
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeletedFinalStateUnknown):
            return NotImplemented
        return self.key == other.key and self.obj == other.obj

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DeletedFinalStateUnknown(key={self.key!r}, obj={self.obj!r})"


def meta_namespace_key(obj: Any) -> str:
    """``"ns/name"``, or ``"name"`` when the object has no namespace. A plain ``str`` is taken
    to be a key already (client-go's ``ExplicitKey``)."""
    cls = obj.__class__
    if cls is str:
        return obj
    if cls is RawObject and obj.header.exact:  # the cache's objects: read from the decoded header
        key = obj.cache_key
        if key:
            return key
    try:
        md = obj["metadata"]
        name = md["name"]
    except (KeyError, TypeError) as err:
        raise KeyFuncError(f"object has no metadata.name: {type(obj).__name__}") from err
    ns = md.get("namespace")
    return f"{ns}/{name}" if ns else name


def deletion_handling_key(obj: Any) -> str:
    """Like ``meta_namespace_key`` but a ``DeletedFinalStateUnknown`` yields its stored key."""
    if obj.__class__ is DeletedFinalStateUnknown:
        return obj.key
    return meta_namespace_key(obj)


def split_key(key: str) -> tuple[str, str]:
    """``"ns/name"`` -> ``("ns", "name")``; ``"name"`` -> ``("", "name")``."""
    parts = key.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2 and parts[1]:
        return parts[0], parts[1]
    raise ValueError(f"unexpected key format: {key!r}")


def namespace_index(obj: Any) -> list[str]:
    """Index function of the default ``"namespace"`` index: ``[namespace]`` (``""`` for
    cluster-scoped objects)."""
    if obj.__class__ is RawObject and obj.header.exact:
        return [obj.namespace]
    md = obj.get("metadata") or {}
    return [md.get("namespace") or ""]


def resource_version_of(obj: Any) -> str:
    """``metadata.resourceVersion`` of a decoded object (``""`` when absent); for a tombstone,
    that of the object it wraps."""
    cls = obj.__class__
    if cls is DeletedFinalStateUnknown:
        obj = obj.obj
        cls = obj.__class__
    if cls is RawObject and obj.header.exact:
        return obj.resource_version
    try:
        return obj["metadata"].get("resourceVersion") or ""
    except (KeyError, TypeError, AttributeError):
        return ""
