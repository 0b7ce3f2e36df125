"""How the object tree's rows come and go: children inserted and removed in runs.

Why this module exists: a view pays for every notification (QTreeView re-lays out the rows
below each one), so ``ObjectTree`` (``tree.py``) never moves rows one at a time. These
functions insert a set of new children into their sorted places and remove a set of
children with one ``begin_*``/``end_*`` pair per contiguous run, then prune the kind and
namespace rows left empty. Rows of a parent not yet attached to the tree (a container built
in this batch) are merged silently: the container is inserted whole afterwards
(``container`` builds the missing ones; ``count_up`` keeps the live counts above a row).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Iterable

from kmon.monitor.tree_node import CONTEXT, KIND, NAMESPACE, Node, TreeListener

__all__ = ["attach", "container", "count_up", "detach", "insert_children", "prune", "remove_children"]


def container(root: Node, ctx_name: str, ns_name: str, res: str, new: dict[Node, list[Node]]) -> Node:
    """The kind row ``res`` of namespace ``ns_name`` of context ``ctx_name``; the missing
    containers are built and listed in ``new`` (parent -> new children), not inserted yet:
    each is inserted whole afterwards, with its children."""
    ctx = root.child(ctx_name) or _pending(root, ctx_name, CONTEXT, new)
    ns = ctx.child(ns_name) or _pending(ctx, ns_name, NAMESPACE, new)
    return ns.child(res) or _pending(ns, res, KIND, new)


def _pending(parent: Node, name: str, level: int, new: dict[Node, list[Node]]) -> Node:
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


def count_up(node: Node | None, delta: int, touched: set[Node]) -> None:
    """Add ``delta`` to the live count of ``node`` and every container above it (noted in
    ``touched``)."""
    while node is not None:
        node.count += delta
        touched.add(node)
        node = node.parent


def insert_children(listener: TreeListener, parent: Node, nodes: list[Node]) -> None:
    """Insert ``nodes`` (new names) into ``parent`` in sorted position, one notification
    per contiguous run when ``parent`` is attached."""
    nodes.sort(key=lambda n: n.okey)
    if not parent.attached:
        _merge(parent, nodes)
        return
    if not parent.children:
        listener.begin_insert(parent, 0, len(nodes) - 1)
        parent.children.extend(nodes)
        parent.names.extend(n.okey for n in nodes)
        for n in nodes:
            attach(n)
        listener.end_insert()
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
        listener.begin_insert(parent, pos, pos + len(run) - 1)
        parent.children[pos:pos] = run
        parent.names[pos:pos] = [n.okey for n in run]
        for n in run:
            attach(n)
        listener.end_insert()


def _merge(parent: Node, nodes: list[Node]) -> None:
    if not parent.children:
        parent.children.extend(nodes)
        parent.names.extend(n.okey for n in nodes)
        return
    for n in nodes:
        pos = bisect_left(parent.names, n.okey)
        parent.children.insert(pos, n)
        parent.names.insert(pos, n.okey)


def attach(node: Node) -> None:
    """Mark ``node`` and everything below it as shown."""
    _mark(node, True)


def detach(node: Node) -> None:
    """Mark ``node`` and everything below it as gone from the tree."""
    _mark(node, False)


def _mark(node: Node, attached: bool) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        n.attached = attached
        stack.extend(n.children)


def remove_children(listener: TreeListener, parent: Node, nodes: list[Node]) -> None:
    """Remove ``nodes`` from ``parent``, one notification per contiguous run of rows."""
    rows = sorted(n.row() for n in nodes)
    runs: list[list[int]] = []
    for r in rows:
        if runs and runs[-1][1] == r - 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    for first, last in reversed(runs):
        if parent.attached:
            listener.begin_remove(parent, first, last)
        for n in parent.children[first : last + 1]:
            detach(n)
        del parent.children[first : last + 1]
        del parent.names[first : last + 1]
        if parent.attached:
            listener.end_remove()


def prune(listener: TreeListener, parents: Iterable[Node], touched: set[Node]) -> None:
    """Remove kind and namespace rows left without children (and forget them in
    ``touched``, the containers whose count changed)."""
    level_nodes = {n for n in parents if n.level == KIND and not n.children}
    for lvl in (KIND, NAMESPACE):
        by_parent: dict[Node, list[Node]] = {}
        for n in level_nodes:
            if n.level == lvl and not n.children and n.parent is not None:
                by_parent.setdefault(n.parent, []).append(n)
        for parent, nodes in by_parent.items():
            remove_children(listener, parent, nodes)
            touched.difference_update(nodes)
        level_nodes = {p for p in by_parent if p.level == NAMESPACE and not p.children}
