"""The object tree the GUI shows, as plain Python: context -> namespace -> kind -> object.

Why: the Qt item model must stay a thin adapter (napari's rule) and turning a drained batch
of deltas into structural changes must be testable without Qt. ``apply(items)`` coalesces
the deltas of one key into one change and tells the listener before and after each change,
in runs: one ``begin_insert``/``end_insert`` per contiguous run of new rows under a parent,
one ``begin_remove``/``end_remove`` per run of removed rows, one ``changed(nodes)`` per
batch with exactly the nodes whose columns changed; a reset only for a real reset.

Containers are in name order; objects in name order or by a sort key (``set_order``), so a
row is found by bisection; counts are kept incrementally: a batch costs O(changes x
log(children)). The record's key ("ns/name" or "name") places an object, so deletions
carrying a ``DeletedFinalStateUnknown`` land where the live object was.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from typing import Any, Callable, Iterable, Protocol

from kmon.monitor.summary import display_resource  # noqa: F401  (re-exported)

__all__ = [
    "CLUSTER_SCOPED",
    "Node",
    "ObjectTree",
    "TreeListener",
    "display_resource",
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
    """The object inside a ``DeletedFinalStateUnknown`` (or the object itself)."""
    if obj is None or isinstance(obj, dict):
        return obj
    inner = getattr(obj, "obj", None)
    return inner if inner is not None else obj


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
    def _nothing(self, *args): pass
    begin_insert = end_insert = begin_remove = end_remove = changed = begin_reset = end_reset = _nothing


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
        self.children: list[Node] = []
        self.okey: Any = name  # position key among siblings: the name, or (sort key, name)
        self.names: list[Any] = []  # children's okeys, ascending, for bisection
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


def _key_parts(key: str) -> tuple[str, str]:
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else (CLUSTER_SCOPED, key)


class ObjectTree:
    """Context -> namespace -> kind -> object, updated one drained batch at a time.

    ``keep_deleted`` (seconds): when > 0, deleted objects stay as greyed rows that long
    (``expire()`` removes them); 0 removes them at once. ``clock`` returns monotonic seconds.
    """

    def __init__(
        self,
        listener: TreeListener | None = None,
        *,
        keep_deleted: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Node(ROOT, "", None)
        self.listener: TreeListener = listener or _NullListener()
        self.keep_deleted = keep_deleted
        self.clock = clock
        # (context, resource, key) -> object node
        self._objects: dict[tuple[str, str, str], Node] = {}
        self._deleted: dict[tuple[str, str, str], Node] = {}  # greyed rows awaiting expiry
        self.last_change = 0.0  # monotonic time of the last changed/inserted object
        # objects under a kind are ordered by name, or by ``order(node)`` (then name)
        self.order: Callable[[Node], Any] | None = None
        self.reverse = False

    def _okey(self, node: Node) -> Any:
        if self.order is None:
            return _Rev(node.name) if self.reverse else node.name
        k = (self.order(node), node.name)
        return _Rev(k) if self.reverse else k

    def set_order(self, order: Callable[[Node], Any] | None, reverse: bool = False) -> None:
        """Order objects by ``order(node)`` (None: by name), descending when ``reverse``.
        A reset: every kind re-sorted once; afterwards a change of an object's key moves
        its row (a removal and an insertion in the same batch)."""
        self.listener.begin_reset()
        self.order, self.reverse = order, reverse
        stack = list(self.root.children)
        while stack:
            n = stack.pop()
            if n.level == KIND:
                for c in n.children:
                    c.okey = self._okey(c)
                n.children.sort(key=lambda c: c.okey)
                n.names = [c.okey for c in n.children]
            elif n.level < KIND:
                stack.extend(n.children)
        self.listener.end_reset()

    def context(self, name: str) -> Node | None:
        return self.root.child(name)

    def find(self, context: str, resource: str, key: str) -> Node | None:
        return self._objects.get((context, resource, key))

    def objects(self, context: str | None = None, resource: str | None = None) -> Iterable[Node]:
        """Live object nodes (not the greyed deleted ones), optionally of one context/resource."""
        for (ctx, res, _), node in self._objects.items():
            if (context is None or ctx == context) and (resource is None or res == resource):
                if not node.is_deleted:
                    yield node

    def __len__(self) -> int:
        return self.root.count

    def walk(self, node: Node | None = None) -> Iterable[Node]:
        """Every attached node below ``node`` (default: the root), depth first."""
        stack = list(reversed((node or self.root).children))
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    def add_context(self, name: str, *, state: str = "", error: str = "") -> Node:
        node = self.root.child(name)
        if node is None:
            node = Node(CONTEXT, name, self.root)
            node.context = name
            node.state, node.error = state, error
            self._insert_children(self.root, [node])
        elif state or error:
            self.set_context_state(name, state, error)
        return node

    def set_context_state(self, name: str, state: str, error: str = "") -> None:
        node = self.root.child(name) or self.add_context(name)
        if node.state != state or node.error != error:
            node.state, node.error = state, error
            self.listener.changed([node])

    def set_progress(self, context: str, text: str, resource: str | None = None) -> None:
        """Initial-list progress text on the context row (and on the kind rows of
        ``resource`` when given)."""
        node = self.root.child(context)
        if node is None:
            return
        changed = []
        if resource is None:
            if node.progress != text:
                node.progress = text
                changed.append(node)
        else:
            for ns in node.children:
                kind = ns.child(resource)
                if kind is not None and kind.progress != text:
                    kind.progress = text
                    changed.append(kind)
        if changed:
            self.listener.changed(changed)

    def remove_context(self, name: str) -> None:
        node = self.root.child(name)
        if node is None:
            return
        self._forget(lambda k: k[0] == name)
        self.root.count -= node.count
        self._remove_children(self.root, [node])

    def remove_resource(self, context: str, resource: str) -> None:
        """Drop every row of one resource of one context (its informer was stopped)."""
        ctx = self.root.child(context)
        if ctx is None:
            return
        self._forget(lambda k: k[0] == context and k[1] == resource)
        changed: set[Node] = set()
        empty_ns = []
        for ns in list(ctx.children):
            kind = ns.child(resource)
            if kind is None:
                continue
            n = kind.count
            ns.count -= n
            ctx.count -= n
            self.root.count -= n
            if len(ns.children) == 1:
                empty_ns.append(ns)
            else:
                self._remove_children(ns, [kind])
                changed.add(ns)
        if empty_ns:
            self._remove_children(ctx, empty_ns)
        changed.add(ctx)
        self.listener.changed([n for n in changed if n.attached])

    def clear(self) -> None:
        self.listener.begin_reset()
        for c in self.root.children:
            self._detach(c)
        self.root.children.clear()
        self.root.names.clear()
        self.root.count = 0
        self._objects.clear()
        self._deleted.clear()
        self.listener.end_reset()

    def apply(self, items: Iterable[Any]) -> int:
        """Apply one drained batch of ``DeltaItem``s (other feed items are ignored).

        Returns the number of distinct objects changed. Several deltas of one key coalesce:
        the last one decides whether the object is present, and its type is the row's
        "last delta" column.
        """
        last: dict[tuple[str, str, str], Any] = {}
        for item in items:
            rec = getattr(item, "record", None)
            if rec is None:
                continue
            k = (item.context, item.resource, rec.key)
            last.pop(k, None)  # keep first-seen order of the newest delta per key
            last[k] = rec
        if not last:
            return 0
        now = self.clock()
        changed: list[Node] = []
        touched: set[Node] = set()  # containers whose count changed
        removals: dict[Node, list[Node]] = {}
        additions: dict[Node, list[Node]] = {}  # kind node -> new object nodes
        new_containers: dict[Node, list[Node]] = {}  # parent -> new container nodes
        moves: dict[Node, list[Node]] = {}  # kind -> updated objects whose key may change
        for k, rec in last.items():
            t = type_name(rec.type)
            node = self._objects.get(k)
            if t == "Deleted":
                if node is None:
                    continue
                del self._objects[k]
                if node.is_deleted:
                    continue
                self._count(node.parent, -1, touched)
                if self.keep_deleted > 0:
                    node.deleted_at = now
                    node.last_type = t
                    node.changed_at = now
                    node.count = 0
                    self._deleted[k] = node
                    self._objects[k] = node  # still findable until it expires
                    changed.append(node)
                else:
                    removals.setdefault(node.parent, []).append(node)
                continue
            obj = rec.object
            if node is not None and not node.is_deleted:
                node.obj = obj
                node.rv = str(rec.resource_version or _rv_of(obj))
                node.last_type = t
                node.changed_at = now
                node.summary = None
                changed.append(node)
                if self.order is not None or self.reverse:
                    moves.setdefault(node.parent, []).append(node)
                continue
            if node is not None:  # a greyed deleted row comes back
                self._deleted.pop(k, None)
                node.deleted_at = 0.0
                node.count = 1
                node.obj, node.rv, node.last_type = obj, str(rec.resource_version or _rv_of(obj)), t
                node.changed_at, node.summary, node.created = now, None, None
                self._count(node.parent, +1, touched)
                changed.append(node)
                if self.order is not None or self.reverse:
                    moves.setdefault(node.parent, []).append(node)
                continue
            ctx_name, res, key = k
            ns_name, name = _key_parts(key)
            kind = self._container(ctx_name, ns_name, res, new_containers)
            node = Node(OBJECT, name, kind)
            node.context, node.resource, node.key = ctx_name, res, key
            node.obj = obj
            node.rv = str(rec.resource_version or _rv_of(obj))
            node.last_type = t
            node.changed_at = now
            node.count = 1
            if self.order is not None or self.reverse:
                node.okey = self._okey(node)
            self._objects[k] = node
            additions.setdefault(kind, []).append(node)
            self._count(kind, +1, touched)
        # structural changes: removals first (rows of the old layout), then insertions
        # bottom-up so that a new container is inserted whole, with its children.
        for parent, nodes in removals.items():
            self._remove_children(parent, nodes)
        for parent, nodes in moves.items():  # rows whose sort key changed move
            moved = [n for n in nodes if n.attached and n.okey != self._okey(n)]
            if moved:
                self._remove_children(parent, moved)
                for n in moved:
                    n.okey = self._okey(n)
                self._insert_children(parent, moved)
        for parent, nodes in additions.items():
            self._insert_children(parent, nodes)
        for level in (NAMESPACE, CONTEXT, ROOT):
            for parent, nodes in list(new_containers.items()):
                if parent.level == level:
                    self._insert_children(parent, nodes)
        # only now: a kind emptied by this batch may have been refilled by it
        self._prune(removals.keys(), touched)
        if changed or additions:
            self.last_change = now
        notify = [n for n in changed if n.attached]
        notify.extend(n for n in touched if n.attached and n.level != ROOT)
        if notify:
            self.listener.changed(notify)
        return len(last)

    def expire(self, now: float | None = None) -> int:
        """Remove greyed deleted rows older than ``keep_deleted``; returns how many."""
        if not self._deleted:
            return 0
        now = self.clock() if now is None else now
        due = [k for k, n in self._deleted.items() if now - n.deleted_at >= self.keep_deleted]
        if not due:
            return 0
        removals: dict[Node, list[Node]] = {}
        for k in due:
            node = self._deleted.pop(k)
            if self._objects.get(k) is node:
                del self._objects[k]
            removals.setdefault(node.parent, []).append(node)
        for parent, nodes in removals.items():
            self._remove_children(parent, nodes)
        touched: set[Node] = set()
        self._prune(removals.keys(), touched)
        if touched:
            self.listener.changed([n for n in touched if n.attached and n.level != ROOT])
        return len(due)

    def _forget(self, pred: Callable[[tuple], bool]) -> None:
        for d in (self._objects, self._deleted):
            for k in [k for k in d if pred(k)]:
                del d[k]

    def _count(self, node: Node | None, delta: int, touched: set[Node]) -> None:
        while node is not None:
            node.count += delta
            touched.add(node)
            node = node.parent

    def _container(self, ctx_name: str, ns_name: str, res: str, new: dict[Node, list[Node]]) -> Node:
        ctx = self.root.child(ctx_name) or self._pending(self.root, ctx_name, CONTEXT, new)
        ns = ctx.child(ns_name) or self._pending(ctx, ns_name, NAMESPACE, new)
        kind = ns.child(res) or self._pending(ns, res, KIND, new)
        return kind

    def _pending(self, parent: Node, name: str, level: int, new: dict[Node, list[Node]]) -> Node:
        """A new container not yet inserted: built first, inserted whole afterwards."""
        pending = new.setdefault(parent, [])
        for n in pending:
            if n.name == name:
                return n
        node = Node(level, name, parent)
        node.context = parent.context if level != CONTEXT else name
        if level == KIND:
            node.resource = name
        pending.append(node)
        return node

    def _insert_children(self, parent: Node, nodes: list[Node]) -> None:
        """Insert ``nodes`` (new names) into ``parent`` in sorted position, one notification
        per contiguous run when ``parent`` is attached."""
        nodes.sort(key=lambda n: n.okey)
        if not parent.attached:
            self._merge(parent, nodes)
            return
        if not parent.children:
            self.listener.begin_insert(parent, 0, len(nodes) - 1)
            parent.children.extend(nodes)
            parent.names.extend(n.okey for n in nodes)
            for n in nodes:
                self._attach(n)
            self.listener.end_insert()
            return
        # runs: consecutive new names falling into the same gap of the old list
        runs: list[tuple[int, list[Node]]] = []
        for n in nodes:
            pos = bisect_left(parent.names, n.okey)
            if runs and runs[-1][0] == pos:
                runs[-1][1].append(n)
            else:
                runs.append((pos, [n]))
        for pos, run in reversed(runs):  # from the end: earlier positions stay valid
            self.listener.begin_insert(parent, pos, pos + len(run) - 1)
            parent.children[pos:pos] = run
            parent.names[pos:pos] = [n.okey for n in run]
            for n in run:
                self._attach(n)
            self.listener.end_insert()

    def _merge(self, parent: Node, nodes: list[Node]) -> None:
        if not parent.children:
            parent.children.extend(nodes)
            parent.names.extend(n.okey for n in nodes)
            return
        for n in nodes:
            pos = bisect_left(parent.names, n.okey)
            parent.children.insert(pos, n)
            parent.names.insert(pos, n.okey)

    def _attach(self, node: Node) -> None:
        node.attached = True
        stack = list(node.children)
        while stack:
            n = stack.pop()
            n.attached = True
            stack.extend(n.children)

    def _detach(self, node: Node) -> None:
        node.attached = False
        stack = list(node.children)
        while stack:
            n = stack.pop()
            n.attached = False
            stack.extend(n.children)

    def _remove_children(self, parent: Node, nodes: list[Node]) -> None:
        rows = sorted(n.row() for n in nodes)
        runs: list[list[int]] = []
        for r in rows:
            if runs and runs[-1][1] == r - 1:
                runs[-1][1] = r
            else:
                runs.append([r, r])
        for first, last in reversed(runs):
            if parent.attached:
                self.listener.begin_remove(parent, first, last)
            for n in parent.children[first : last + 1]:
                self._detach(n)
            del parent.children[first : last + 1]
            del parent.names[first : last + 1]
            if parent.attached:
                self.listener.end_remove()

    def _prune(self, parents: Iterable[Node], touched: set[Node]) -> None:
        """Remove kind and namespace rows left without children."""
        level_nodes = {n for n in parents if n.level == KIND and not n.children}
        for lvl in (KIND, NAMESPACE):
            by_parent: dict[Node, list[Node]] = {}
            for n in level_nodes:
                if n.level == lvl and not n.children and n.parent is not None:
                    by_parent.setdefault(n.parent, []).append(n)
            for parent, nodes in by_parent.items():
                self._remove_children(parent, nodes)
                touched.difference_update(nodes)
            level_nodes = {p for p in by_parent if p.level == NAMESPACE and not p.children}


class _Rev:
    """Reverses the order of a key (descending sorts through ascending bisection)."""

    __slots__ = ("k",)

    def __init__(self, k: Any) -> None:
        self.k = k

    def __lt__(self, other: "_Rev") -> bool:
        return other.k < self.k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and other.k == self.k

    def __hash__(self) -> int:
        return hash(self.k)


def _rv_of(obj: Any) -> str:
    try:
        return unwrap(obj)["metadata"].get("resourceVersion", "")
    except (TypeError, KeyError, AttributeError):
        return ""
