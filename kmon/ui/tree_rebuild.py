"""Object trees built in one go: the filtered copy of a tree, a tree refilled from caches.

Why this module exists: the workspace keeps trees up to date batch by batch; two things
build one whole instead — the filter box (a tree holding only the matching objects, then
fed the same batches, filtered) and a replay seek (every tree rebuilt from the caches at
that moment, inside one model reset). Both speak ``ObjectTree.apply``'s language: items
with a ``record`` (type, key, object, resourceVersion). No Qt here.
"""

from __future__ import annotations

from typing import Any, Callable

from kmon.monitor.tree import ObjectTree, type_name

__all__ = ["filtered_copy", "filtered_items", "objects_from_caches", "refill"]


class _Rec:
    """A record as ``ObjectTree.apply`` reads it."""

    __slots__ = ("type", "key", "object", "resource_version", "time", "is_in_initial_list")

    def __init__(self, type: str, key: str, object: Any = None, resource_version: str = "") -> None:
        self.type, self.key, self.object, self.resource_version = type, key, object, resource_version
        self.time, self.is_in_initial_list = 0.0, False


class _Item:
    __slots__ = ("context", "resource", "record")

    def __init__(self, context: str, resource: str, record: Any) -> None:
        self.context, self.resource, self.record = context, resource, record


class _Quiet:
    """A tree listener that hears nothing (a rebuild inside one model reset)."""

    def _nothing(self, *args: Any) -> None:
        pass

    begin_insert = end_insert = begin_remove = end_remove = changed = begin_reset = end_reset = _nothing


def filtered_copy(src: ObjectTree, flt: Any) -> ObjectTree:
    """A new tree with ``src``'s contexts and the objects for which ``flt.matches(key,
    obj)``, with ``src``'s columns and no fade (O(objects))."""
    tree = ObjectTree(keep_deleted=src.keep_deleted, clock=src.clock)
    for ctx in src.root.children:
        tree.add_context(ctx.name, state=ctx.state, error=ctx.error)
        tree.set_progress(ctx.name, ctx.progress)
    tree.apply([
        _Item(n.context, n.resource, _Rec(n.last_type or "Added", n.key, n.obj, n.rv))
        for n in src.objects()
        if flt.matches(n.key, n.obj)
    ])
    for n in tree.objects():
        s = src.find(n.context, n.resource, n.key)
        if s is not None:
            n.last_type, n.changed_at = s.last_type, s.changed_at
    return tree


def filtered_items(flt: Any, items: list) -> list:
    """A batch as the filtered tree takes it: the deltas of matching objects, and a delete
    for every other object (it leaves the filtered tree if it was there)."""
    out = []
    for it in items:
        rec = getattr(it, "record", None)
        if rec is None:
            continue
        if type_name(rec.type) != "Deleted" and flt.matches(rec.key, rec.object):
            out.append(it)
        else:
            out.append(_Item(it.context, it.resource, _Rec("Deleted", rec.key)))
    return out


def objects_from_caches(caches: dict[tuple[str, str], dict[str, Any]], items: list,
                        keep: Callable[[str, str], bool]) -> list:
    """One item per cached object of the (context, resource) pairs ``keep`` accepts; the
    last delta type seen in ``items`` becomes its "last delta" column."""
    last_type: dict[tuple[str, str, str], str] = {}
    for it in items:
        rec = getattr(it, "record", None)
        if rec is not None:
            last_type[(it.context, it.resource, rec.key)] = type_name(rec.type)
    return [
        _Item(ctx, res, _Rec(last_type.get((ctx, res, key), "Added"), key, obj))
        for (ctx, res), cache in caches.items()
        if keep(ctx, res)
        for key, obj in cache.items()
    ]


def refill(tree: ObjectTree, objects: list, states: Any) -> None:
    """Empty ``tree`` and fill it with ``objects`` without telling its listener (call it
    between a model's begin/endResetModel); contexts keep their rows and take their state
    and progress from ``states`` (``ResourceStates``)."""
    listener, tree.listener = tree.listener, _Quiet()
    try:
        contexts = [(c.name, c.state, c.error) for c in tree.root.children]
        tree.clear()
        for name, state, error in contexts:
            cs = states.contexts.get(name)
            tree.add_context(name, state=cs.state if cs else state, error=cs.error if cs else error)
        tree.apply(objects)
        for n in tree.objects():
            n.changed_at = 0.0  # no fade: nothing just changed
        for (ctx, res), st in states.resources.items():
            tree.set_progress(ctx, st.progress_text(), res)
    finally:
        tree.listener = listener
