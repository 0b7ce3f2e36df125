"""Object trees built in one go: the filtered copy of a tree, a tree refilled from caches.

Why this module exists: the workspace keeps trees up to date batch by batch; two things
build one whole instead — the filter box (a tree holding only the matching objects, then
fed the same batches through ``ObjectTree.apply(items, match)``) and a replay seek (every
tree rebuilt from the caches at that moment, as one reset). No Qt here.
"""

from __future__ import annotations

from typing import Any, Callable

from kmon.monitor.feed import DeltaItem
from kmon.monitor.tree import Entry, Match, ObjectTree
from kmon.monitor.tree_node import type_name

__all__ = ["entries_from_caches", "filtered_copy", "refill"]


def filtered_copy(src: ObjectTree, match: Match) -> ObjectTree:
    """A new tree with ``src``'s contexts (state, progress) and the objects ``match(key,
    obj)`` accepts, with their columns and fade (O(objects)); its listener hears nothing."""
    tree = ObjectTree(keep_deleted=src.keep_deleted, clock=src.clock)
    for ctx in src.root.children:
        tree.add_context(ctx.name, state=ctx.state, error=ctx.error)
        tree.set_progress(ctx.name, ctx.progress)
    tree.load(Entry(n.context, n.resource, n.key, n.obj, n.rv, n.last_type or "Added")
              for n in src.objects() if match(n.key, n.obj))
    for n in tree.objects():
        s = src.find(n.context, n.resource, n.key)
        if s is not None:
            n.last_type, n.changed_at = s.last_type, s.changed_at
    return tree


def entries_from_caches(caches: dict[tuple[str, str], dict[str, Any]], items: list,
                        keep: Callable[[str, str], bool]) -> list[Entry]:
    """One entry per cached object of the (context, resource) pairs ``keep`` accepts; the
    last delta type seen in ``items`` becomes its "last delta" column."""
    last_type: dict[tuple[str, str, str], str] = {}
    for it in items:
        if isinstance(it, DeltaItem):
            last_type[(it.context, it.resource, it.record.key)] = type_name(it.record.type)
    return [
        Entry(ctx, res, key, obj, "", last_type.get((ctx, res, key), "Added"))
        for (ctx, res), cache in caches.items()
        if keep(ctx, res)
        for key, obj in cache.items()
    ]


def refill(tree: ObjectTree, entries: list[Entry], states: Any) -> None:
    """Empty ``tree`` and fill it with ``entries`` as one reset; contexts keep their rows
    and take their state and progress from ``states`` (``ResourceStates``)."""
    with tree.resetting():
        contexts = [(c.name, c.state, c.error) for c in tree.root.children]
        tree.clear()
        for name, state, error in contexts:
            cs = states.contexts.get(name)
            tree.add_context(name, state=cs.state if cs else state, error=cs.error if cs else error)
        tree.load(entries)
        for n in tree.objects():
            n.changed_at = 0.0  # no fade: nothing just changed
        for (ctx, res), st in states.resources.items():
            tree.set_progress(ctx, st.progress_text(), res)
