"""The object tree the GUI shows, as plain Python: context -> namespace -> kind -> object.

Why: the Qt item model must stay a thin adapter (napari's rule) and turning a drained batch
of deltas into structural changes must be testable without Qt. ``apply(items)`` coalesces
the deltas of one key into one change and tells the listener before and after each change,
in runs (``tree_rows``): one ``begin_insert``/``end_insert`` per contiguous run of new rows
under a parent, one ``begin_remove``/``end_remove`` per run of removed rows, one
``changed(nodes)`` per batch with exactly the nodes whose columns changed; a reset only for a
real reset (``clear``, ``set_order``, or whatever is done inside ``resetting()``).

Containers are in name order; objects in name order or by a sort key (``set_order``), so a
row is found by bisection; counts are kept incrementally: a batch costs O(changes x
log(children)). The record's key ("ns/name" or "name") places an object, so deletions
carrying a ``DeletedFinalStateUnknown`` land where the live object was.

A tree can also hold only the objects a predicate accepts (``apply(items, match)``) and be
filled whole from cached objects (``load(entries)``). Rows are ``Node``s (``tree_node``).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from kmon.monitor.feed import DeltaItem
from kmon.monitor.tree_node import (
    CONTEXT,
    KIND,
    NAMESPACE,
    NULL_LISTENER,
    OBJECT,
    ROOT,
    Descending,
    Node,
    TreeListener,
    key_parts,
    rv_of,
    type_name,
)
from kmon.monitor.tree_rows import container, count_up, detach, insert_children, prune, remove_children

__all__ = ["Entry", "Match", "ObjectTree"]

# ``match(key, obj)``: whether an object belongs in a filtered tree
Match = Callable[[str, Any], bool]

_DELETED = ("Deleted", None, "")


class Entry(NamedTuple):
    """One object to ``load``: where it goes, the object, its version ("": the object's own)
    and its "last delta" column."""

    context: str
    resource: str
    key: str
    obj: Any
    rv: str = ""
    last_type: str = "Added"


# (context, resource, key) -> (delta type, object, resourceVersion or "")
_Changes = dict[tuple[str, str, str], tuple[str, Any, str]]


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
        self.listener: TreeListener = listener or NULL_LISTENER
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
            return Descending(node.name) if self.reverse else node.name
        k = (self.order(node), node.name)
        return Descending(k) if self.reverse else k

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

    @contextmanager
    def resetting(self) -> Iterator["ObjectTree"]:
        """Whatever is done to the tree inside is one reset: the listener hears
        ``begin_reset`` first, ``end_reset`` last and nothing in between."""
        listener = self.listener
        listener.begin_reset()
        self.listener = NULL_LISTENER
        try:
            yield self
        finally:
            self.listener = listener
            listener.end_reset()

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
            insert_children(self.listener, self.root, [node])
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
        remove_children(self.listener, self.root, [node])

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
                remove_children(self.listener, ns, [kind])
                changed.add(ns)
        if empty_ns:
            remove_children(self.listener, ctx, empty_ns)
        changed.add(ctx)
        self.listener.changed([n for n in changed if n.attached])

    def clear(self) -> None:
        self.listener.begin_reset()
        for c in self.root.children:
            detach(c)
        self.root.children.clear()
        self.root.names.clear()
        self.root.count = 0
        self._objects.clear()
        self._deleted.clear()
        self.listener.end_reset()

    def apply(self, items: Iterable[Any], match: Match | None = None) -> int:
        """Apply one drained batch of ``DeltaItem``s (other feed items are ignored).

        Returns the number of distinct objects changed. Several deltas of one key coalesce:
        the last one decides whether the object is present, and its type is the row's
        "last delta" column. With ``match``, the tree holds only objects it accepts: a
        delta of any other object takes it out (if it was in).
        """
        last: _Changes = {}
        for item in items:
            if not isinstance(item, DeltaItem):
                continue
            rec = item.record
            k = (item.context, item.resource, rec.key)
            last.pop(k, None)  # keep first-seen order of the newest delta per key
            t = type_name(rec.type)
            if match is not None and (t == "Deleted" or not match(rec.key, rec.object)):
                last[k] = _DELETED
            else:
                last[k] = (t, rec.object, rec.resource_version)
        if not last:
            return 0
        return self._change(last)

    def load(self, entries: Iterable[Entry]) -> int:
        """Put cached objects in (as a batch of their ``last_type`` deltas would); returns
        how many."""
        return self._change({(e.context, e.resource, e.key): (e.last_type, e.obj, e.rv) for e in entries})

    def _change(self, last: _Changes) -> int:
        if not last:
            return 0
        now = self.clock()
        changed: list[Node] = []
        touched: set[Node] = set()  # containers whose count changed
        removals: dict[Node, list[Node]] = {}
        additions: dict[Node, list[Node]] = {}  # kind node -> new object nodes
        new_containers: dict[Node, list[Node]] = {}  # parent -> new container nodes
        moves: dict[Node, list[Node]] = {}  # kind -> updated objects whose key may change
        ordered = self.order is not None or self.reverse
        last_where: tuple[str, str, str] | None = None
        kind: Node | None = None
        for k, (t, obj, rv) in last.items():
            node = self._objects.get(k)
            if t == "Deleted":
                if node is None:
                    continue
                del self._objects[k]
                if node.is_deleted:
                    continue
                count_up(node.parent, -1, touched)
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
            if node is not None and not node.is_deleted:
                node.obj = obj
                node.rv = str(rv or rv_of(obj))
                node.last_type = t
                node.changed_at = now
                node.summary = None
                changed.append(node)
                if ordered:
                    moves.setdefault(node.parent, []).append(node)
                continue
            if node is not None:  # a greyed deleted row comes back
                self._deleted.pop(k, None)
                node.deleted_at = 0.0
                node.count = 1
                node.obj, node.rv, node.last_type = obj, str(rv or rv_of(obj)), t
                node.changed_at, node.summary, node.created = now, None, None
                count_up(node.parent, +1, touched)
                changed.append(node)
                if ordered:
                    moves.setdefault(node.parent, []).append(node)
                continue
            ctx_name, res, key = k
            ns_name, name = key_parts(key)
            where = (ctx_name, ns_name, res)
            if where != last_where:  # a batch comes in runs of one namespace's kind
                last_where, kind = where, container(self.root, ctx_name, ns_name, res, new_containers)
            node = Node(OBJECT, name, kind)
            node.context, node.resource, node.key = ctx_name, res, key
            node.obj = obj
            node.rv = str(rv or rv_of(obj))
            node.last_type = t
            node.changed_at = now
            node.count = 1
            if ordered:
                node.okey = self._okey(node)
            self._objects[k] = node
            additions.setdefault(kind, []).append(node)
        for kind, nodes in additions.items():  # the counts above the new rows, once per kind
            count_up(kind, len(nodes), touched)
        # structural changes: removals first (rows of the old layout), then insertions
        # bottom-up so that a new container is inserted whole, with its children.
        listener = self.listener
        for parent, nodes in removals.items():
            remove_children(listener, parent, nodes)
        for parent, nodes in moves.items():  # rows whose sort key changed move
            moved = [n for n in nodes if n.attached and n.okey != self._okey(n)]
            if moved:
                remove_children(listener, parent, moved)
                for n in moved:
                    n.okey = self._okey(n)
                insert_children(listener, parent, moved)
        for parent, nodes in additions.items():
            insert_children(listener, parent, nodes)
        for level in (NAMESPACE, CONTEXT, ROOT):
            for parent, nodes in list(new_containers.items()):
                if parent.level == level:
                    insert_children(listener, parent, nodes)
        # only now: a kind emptied by this batch may have been refilled by it
        prune(listener, removals.keys(), touched)
        if changed or additions:
            self.last_change = now
        notify = [n for n in changed if n.attached]
        notify.extend(n for n in touched if n.attached and n.level != ROOT)
        if notify:
            listener.changed(notify)
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
            remove_children(self.listener, parent, nodes)
        touched: set[Node] = set()
        prune(self.listener, removals.keys(), touched)
        if touched:
            self.listener.changed([n for n in touched if n.attached and n.level != ROOT])
        return len(due)

    def _forget(self, pred: Callable[[tuple], bool]) -> None:
        for d in (self._objects, self._deleted):
            for k in [k for k in d if pred(k)]:
                del d[k]
