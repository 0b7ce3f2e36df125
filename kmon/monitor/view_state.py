"""What the GUI shows of the open contexts, folded from the drained batches: the object tree
(and, while the filter box holds something, a tree of only the matching objects), each
object's delta history and the resource states.

Why this module exists: folding a batch into the models is application logic, not Qt. The
workspace (``kmon.ui.workspace``) hands each drained batch to ``ViewState.apply`` once and
turns what the fold reports through a ``ViewListener`` (a context's new state, resources
started or stopped, messages for people) into signals; the trees tell their Qt models
directly (``TreeListener``). So a batch goes monitor -> ui once.

Besides batches: contexts open and close (``add_context``/``remove_context``), resources
stop (their late items are dropped) and start again, the filter changes (``set_filter``
builds the filtered tree from the full one, O(objects), then feeds it the same batches
through ``ObjectTree.apply(items, match)``: O(changes)), and a replay seek shows another
moment (``reset_to``: every tree rebuilt from the caches then, as one reset, history and
states refilled). No Qt.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Protocol

from kmon.monitor.feed import DeltaItem, FeedItem, SessionItem
from kmon.monitor.history import History
from kmon.monitor.object_filter import ObjectFilter
from kmon.monitor.resource_states import ResourcePhase, ResourceStates
from kmon.monitor.tree import Entry, Match, ObjectTree
from kmon.monitor.tree_node import type_name

__all__ = ["ViewListener", "ViewState"]

Caches = dict[tuple[str, str], dict[str, Any]]  # {(context, resource): {key: object}}


class ViewListener(Protocol):
    """What a batch changed besides the models (the workspace makes signals of it)."""

    def on_context_state(self, context: str, state: str, error: str) -> None: ...

    def on_resources_changed(self, context: str) -> None:
        """The running or available resources of ``context`` changed."""
        ...

    def on_message(self, level: str, text: str) -> None:
        """Something for people ("info", "warning", "error")."""
        ...


class ViewState:
    """The trees, history and resource states of the open contexts (see the module doc).

    ``keep_deleted``: seconds deleted objects stay as greyed rows; ``freshness``: the
    (amber, red) silences; ``clock``: "now" for ages and freshness (the wall clock, or a
    replay's position)."""

    def __init__(self, *, keep_deleted: float = 0.0, freshness: tuple[float, float] = (60.0, 120.0),
                 clock: Callable[[], float] = time.time) -> None:
        self.tree = ObjectTree(keep_deleted=keep_deleted)
        self.history = History()
        self.states = ResourceStates(amber=freshness[0], red=freshness[1], clock=clock)
        self.filter: ObjectFilter | None = None
        self.filtered: ObjectTree | None = None  # only the objects ``filter`` matches
        self.contexts: set[str] = set()
        self.stopped: set[tuple[str, str]] = set()  # (context, resource): late items dropped

    def trees(self) -> list[ObjectTree]:
        return [self.tree] if self.filtered is None else [self.tree, self.filtered]

    # --- contexts and resources --------------------------------------------------------------
    def add_context(self, name: str) -> None:
        self.contexts.add(name)
        for tree in self.trees():
            tree.add_context(name, state="connecting")

    def remove_context(self, name: str) -> None:
        """Forget everything of ``name`` (its rows, history and states)."""
        self.contexts.discard(name)
        for tree in self.trees():
            tree.remove_context(name)
        self.history.forget_context(name)
        self.states.forget_context(name)
        self.stopped = {k for k in self.stopped if k[0] != name}

    def stop_resource(self, context: str, resource: str) -> None:
        """Drop the resource's rows and state; its items still queued are dropped too."""
        self.stopped.add((context, resource))
        for tree in self.trees():
            tree.remove_resource(context, resource)
        self.states.forget_resource(context, resource)

    def start_resource(self, context: str, resource: str) -> None:
        self.stopped.discard((context, resource))

    # --- batches -----------------------------------------------------------------------------
    def apply(self, items: list[FeedItem], listener: ViewListener) -> list[FeedItem]:
        """Fold one drained batch into the trees, the history and the states, telling
        ``listener`` what else changed; returns the items folded (those of stopped
        resources left out)."""
        if self.stopped:
            stopped = self.stopped
            items = [it for it in items if (it.context, it.resource) not in stopped]
        self.tree.apply(items)
        if self.filtered is not None and self.filter is not None:
            self.filtered.apply(items, self.filter.matches)
        self.history.apply(items)
        changed, ctx_changed = self.states.apply(items)
        for ctx, res in changed:
            st = self.states.resources.get((ctx, res))
            if st is not None:
                for tree in self.trees():
                    tree.set_progress(ctx, st.progress_text(), res)
        if changed:
            self._context_progress({c for c, _ in changed})
        for ctx in ctx_changed:
            cs = self.states.contexts.get(ctx)
            if cs is None or ctx not in self.contexts:
                continue
            for tree in self.trees():
                tree.set_context_state(ctx, cs.state, cs.error)
            listener.on_context_state(ctx, cs.state, cs.error)
            if cs.state == "ready":
                listener.on_resources_changed(ctx)
        for it in items:
            if not isinstance(it, SessionItem):
                continue
            level = it.level
            # a context's own failure is shown through its state (its tree root); a rejected
            # resource name (state "rejected") is a message of its own
            if level in ("warning", "error") and it.context in self.contexts and (
                it.resource is not None or level == "warning" or it.state == "rejected"
            ):
                listener.on_message(level, it.message)
            elif level == "info" and it.resource is not None and it.state in ("started", "stopped"):
                listener.on_resources_changed(it.context)
        return items

    def _context_progress(self, contexts: set[str]) -> None:
        for ctx in contexts:
            listing = [s for s in self.states.of_context(ctx) if s.state == ResourcePhase.LISTING]
            if listing:
                items = sum(s.items for s in listing)
                pages = sum(s.pages for s in listing)
                text = f"listing {len(listing)} resource{'s' if len(listing) != 1 else ''}… {items:,} items, {pages} pages"
            else:
                errors = [s for s in self.states.of_context(ctx) if s.state == ResourcePhase.ERROR]
                text = f"{len(errors)} resource(s) failing" if errors else ""
            for tree in self.trees():
                tree.set_progress(ctx, text)

    # --- the filter ----------------------------------------------------------------------------
    def set_filter(self, flt: ObjectFilter | None) -> ObjectTree | None:
        """Keep a tree of only the objects ``flt`` matches (None or an empty filter: none);
        returns it. Built from the full tree (O(objects), once per change of the filter)."""
        if not flt:
            self.filter = self.filtered = None
            return None
        self.filter = flt
        self.filtered = filtered_copy(self.tree, flt.matches)
        return self.filtered

    # --- another moment ----------------------------------------------------------------------
    def reset_to(self, caches: Caches, items: list[FeedItem]) -> None:
        """Show another moment (a replay seek): every tree is rebuilt from ``caches`` as one
        reset, the history and the states are refilled from ``items`` (what happened
        before, oldest first)."""
        entries = entries_from_caches(caches, items, keep=lambda ctx, res: ctx in self.contexts
                                      and (ctx, res) not in self.stopped)
        self.history = History(per_object=self.history.per_object, capacity=self.history.capacity,
                               max_bytes=self.history.max_bytes)
        self.history.apply(items)
        self.states.clear()
        self.states.apply(items)
        refill(self.tree, entries, self.states)
        if self.filtered is not None and self.filter is not None:
            refill(self.filtered, [e for e in entries if self.filter.matches(e.key, e.obj)], self.states)


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


def entries_from_caches(caches: Caches, items: Iterable[FeedItem], keep: Callable[[str, str], bool]) -> list[Entry]:
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


def refill(tree: ObjectTree, entries: list[Entry], states: ResourceStates) -> None:
    """Empty ``tree`` and fill it with ``entries`` as one reset; contexts keep their rows
    and take their state and progress from ``states``."""
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
