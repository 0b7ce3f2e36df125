"""One row of the object tree, and what the tree tells the adapter that shows it.

Why this module exists: the Qt item model, the tree view, the detail pane and the cells all
read rows (``Node``) and their levels without caring how ``ObjectTree`` (``tree.py``) keeps
them up to date; the notifications a tree sends its adapter are the ``TreeListener``
protocol. Also here: reading a delta's parts the way the tree files them (``type_name``,
``unwrap``, ``key_parts``, ``rv_of``) and the key of a descending order (``Descending``).
No Qt.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Protocol

from kmon.cache.keys import DeletedFinalStateUnknown

__all__ = [
    "CLUSTER_SCOPED",
    "CONTEXT",
    "Descending",
    "KIND",
    "MORE",
    "NAMESPACE",
    "NULL_LISTENER",
    "OBJECT",
    "ROOT",
    "Node",
    "TreeListener",
    "key_parts",
    "rv_of",
    "type_name",
    "unwrap",
]

CLUSTER_SCOPED = "cluster-scoped"

ROOT, CONTEXT, NAMESPACE, KIND, OBJECT, MORE = range(6)  # MORE: a view's placeholder row

_TYPE_NAMES: dict[Any, str] = {}


def type_name(t: Any) -> str:
    """A delta type (``DeltaType`` member or plain string) as its bare value (cached: enum
    attribute access is slow and this runs for every delta)."""
    try:
        return _TYPE_NAMES[t]
    except KeyError:
        name = _TYPE_NAMES[t] = str(getattr(t, "value", t))
        return name
    except TypeError:
        return str(getattr(t, "value", t))


def unwrap(obj: Any) -> Any:
    """The object inside a ``DeletedFinalStateUnknown`` (or the object itself: a dict, a
    cached ``RawObject``, None)."""
    if obj.__class__ is DeletedFinalStateUnknown:
        inner = obj.obj
        return inner if inner is not None else obj
    return obj


_LEAF: tuple = ()


def key_parts(key: str) -> tuple[str, str]:
    """(namespace row, name) of a cache key: "ns/name", or a cluster-scoped "name"."""
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else (CLUSTER_SCOPED, key)


def rv_of(obj: Any) -> str:
    """The resourceVersion of a (possibly wrapped) object, "" when it has none."""
    try:
        return unwrap(obj)["metadata"].get("resourceVersion", "")
    except (TypeError, KeyError, AttributeError):
        return ""


class Descending:
    """Reverses the order of a row's position key (descending sorts through ascending
    bisection)."""

    __slots__ = ("k",)

    def __init__(self, k: Any) -> None:
        self.k = k

    def __lt__(self, other: "Descending") -> bool:
        return other.k < self.k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and other.k == self.k

    def __hash__(self) -> int:
        return hash(self.k)


class TreeListener(Protocol):
    """What ``ObjectTree`` tells its adapter. ``parent`` is a ``Node``; rows are positions in
    ``parent.children`` (before the change for removals, after it for insertions)."""

    def begin_insert(self, parent: "Node", first: int, last: int) -> None: ...
    def end_insert(self) -> None: ...
    def begin_remove(self, parent: "Node", first: int, last: int) -> None: ...
    def end_remove(self) -> None: ...
    def changed(self, nodes: list["Node"]) -> None: ...
    def begin_reset(self) -> None: ...
    def end_reset(self) -> None: ...


class _NullListener:
    """Hears nothing: a tree nobody shows, or one rebuilt inside a single reset."""

    def _nothing(self, *args: Any) -> None:
        pass

    begin_insert = end_insert = begin_remove = end_remove = changed = begin_reset = end_reset = _nothing


NULL_LISTENER: TreeListener = _NullListener()


class Node:
    """One row. Containers (context, namespace, kind) hold sorted children and a live count;
    objects hold the cached object (a reference: never mutate it), its key and last delta."""

    __slots__ = (
        "level", "name", "okey", "parent", "children", "names", "attached", "count",
        "context", "resource", "key", "obj", "rv", "last_type", "changed_at",
        "deleted_at", "summary", "created", "state", "error", "progress", "shown", "more",
        "__weakref__",
    )

    def __init__(self, level: int, name: str, parent: "Node | None") -> None:
        self.level = level
        self.name = name
        self.parent = parent
        # an object row never has children: it shares one empty tuple (two empty lists per
        # object were 5.6 MB at 50,000 objects)
        self.children: list[Node] = [] if level != OBJECT else _LEAF  # type: ignore[assignment]
        self.okey: Any = name  # position key among siblings: the name, or (sort key, name)
        # children's okeys, ascending, for bisection
        self.names: list[Any] = [] if level != OBJECT else _LEAF  # type: ignore[assignment]
        self.attached = level == ROOT
        self.count = 0  # live objects below (objects: 1 unless shown deleted)
        self.context = ""
        self.resource = ""  # kind and object nodes: the resource's full name
        self.key = ""
        self.obj: Any = None
        self.rv = ""
        self.last_type = ""
        self.changed_at = 0.0  # monotonic time of the last change (for the fading highlight)
        self.deleted_at = 0.0  # monotonic time of deletion when deleted rows are kept greyed
        self.summary: str | None = None  # cached status summary (None: not computed)
        self.created: float | None = None  # cached creationTimestamp in epoch seconds
        self.state = ""  # context nodes: session state ("connecting", "ready", "failed"...)
        self.error = ""  # context nodes: why the context failed
        self.progress = ""  # kind/context nodes: initial list progress text
        # kind nodes, owned by a view adapter that caps the rows it shows: how many children
        # it shows (-1: not tracked yet) and its "... more" placeholder node (or None)
        self.shown = -1
        self.more: Node | None = None

    def row(self) -> int:
        p = self.parent
        if p is None:
            return 0
        i = bisect_left(p.names, self.okey)
        if i < len(p.names) and p.children[i] is self:
            return i
        return p.children.index(self)  # not expected; keeps a stale node from crashing a view

    def child(self, name: str) -> "Node | None":
        """A container child by name (containers are always in name order)."""
        i = bisect_left(self.names, name)
        if i < len(self.names) and self.names[i] == name:
            return self.children[i]
        return None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at > 0.0

    def path(self) -> tuple[str, ...]:
        out = []
        n: Node | None = self
        while n is not None and n.level != ROOT:
            out.append(n.name)
            n = n.parent
        return tuple(reversed(out))

    def __repr__(self) -> str:  # pragma: no cover
        return f"Node({'/'.join(self.path())!r}, {self.count})"
