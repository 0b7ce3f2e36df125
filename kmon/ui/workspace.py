"""The open contexts of the window and the models they feed (no widgets here).

Why this module exists: the main window must stay layout and wiring. Opening, switching and
closing contexts, starting and stopping resources, and folding each drained batch into the
tree, the history and the status state is application logic; it lives here, in one QObject
that widgets talk to through methods and a few batched signals.

Threads: each context gets a ``ContextSession`` with its own ``Feed`` registered with the
``FeedBridge``. Closing a context removes its rows and its feed at once (GUI thread, cheap),
then stops the session and joins its threads on the task runner's pool — the GUI never
waits for a join.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from kmon.cache import gcguard
from kmon.monitor.feed import Feed
from kmon.monitor.history import History
from kmon.monitor.tree import ObjectTree

from .bridge import FeedBridge
from .resource_state import ResourceStates
from .tasks import TaskRunner
from .tree_model import ObjectTreeModel
from .tree_rebuild import filtered_copy, filtered_items, objects_from_caches, refill

__all__ = ["Workspace", "SessionOptions"]


class SessionOptions(dict):
    """Keyword options handed to every ``ContextSession`` (kubeconfig, namespace,
    label_selector, metadata_only, resources, informer_options). ``kubeconfig`` is a path
    or a loaded ``KubeConfig`` (the window's, replaced when the kubeconfig is reloaded)."""


class Workspace(QObject):
    sigContextsChanged = Signal(list)  # names of the open contexts
    sigContextState = Signal(str, str, str)  # context, state, error ("" when none)
    sigMessage = Signal(str, str)  # level ("info"|"warning"|"error"), text
    sigResourcesChanged = Signal(str)  # context whose running/available resources changed
    sigApplied = Signal(list)  # the batch just folded into the models (after the tree)
    # the models were reset to another moment (a replay seek): views that keep history drop
    # it and take these items (what happened up to that moment, oldest first) in bulk
    sigReset = Signal(list)

    def __init__(
        self,
        *,
        options: dict[str, Any] | None = None,
        bridge: FeedBridge | None = None,
        runner: TaskRunner | None = None,
        session_factory: Callable[..., Any] | None = None,
        keep_deleted: float = 0.0,
        freshness: tuple[float, float] = (60.0, 120.0),
        wall_clock: Callable[[], float] = time.time,
        resources_for: Callable[[str], list[str] | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.options = dict(options or {})
        # the resources a context starts with (its saved choice); None: options["resources"]
        self.resources_for = resources_for
        self.bridge = bridge or FeedBridge(parent=self)
        self.runner = runner or TaskRunner(self)
        self.runner.sigError.connect(lambda what, why: self.sigMessage.emit("error", f"{what}: {why}"))
        if session_factory is None:
            from kmon.monitor.session import ContextSession

            session_factory = ContextSession
        self._factory = session_factory
        # "now" for ages and freshness: the wall clock, or the position of a replay
        self.wall_clock = wall_clock
        self.tree = ObjectTree(keep_deleted=keep_deleted)
        self.model = ObjectTreeModel(self.tree, self, wall_clock=wall_clock)
        self.history = History()
        self.states = ResourceStates(amber=freshness[0], red=freshness[1], clock=wall_clock)
        # while the filter box holds something: a second tree with only the matching objects
        # (fed the same batches), shown instead of the full one. Filtering in a tree of our
        # own costs O(changes) per batch; a recursive QSortFilterProxyModel re-scans whole
        # kinds of 10,000+ rows for each changed row.
        self.filter: Any = None
        self.filtered: ObjectTree | None = None
        self.filtered_model: ObjectTreeModel | None = None
        self.sessions: dict[str, Any] = {}
        self.closing: dict[str, Any] = {}  # context -> asyncio task stopping its session
        self._stopped_resources: set[tuple[str, str]] = set()
        self._frozen = False
        self.bridge.sigBatch.connect(self.apply_batch)

    # ------------------------------------------------------------------ contexts
    def open_context(self, name: str) -> None:
        """Open ``name`` as another root of the tree (no-op when already open)."""
        if name in self.sessions:
            return
        self._start_session(name)
        self.sigContextsChanged.emit(self.open_contexts())

    def _start_session(self, name: str, resources: list[str] | None = None) -> None:
        feed = Feed()
        opts = {k: v for k, v in self.options.items() if v is not None}
        chosen = resources or (self.resources_for(name) if self.resources_for is not None else None)
        if chosen:
            opts["resources"] = list(chosen)
        session = self._factory(name, feed=feed, **opts)
        self.sessions[name] = session
        self.bridge.add_feed(name, feed)
        for tree in self.trees():
            tree.add_context(name, state="connecting")
        # start() returns at once (discovery runs on the session's thread), but any
        # client construction is kept off the GUI thread all the same.
        self.runner.run(session.start, what=f"opening context {name}")

    def close_context(self, name: str):
        """Remove ``name``'s rows now and stop its threads off the GUI thread; returns the
        asyncio task doing the stop (None when the context was not open)."""
        if name not in self.sessions:
            return None
        task = self._end_session(name)
        self.sigContextsChanged.emit(self.open_contexts())
        return task

    def _end_session(self, name: str):
        session = self.sessions.pop(name)
        self.bridge.remove_feed(name)
        for tree in self.trees():
            tree.remove_context(name)
        self.history.forget_context(name)
        self.states.forget_context(name)
        self._stopped_resources = {k for k in self._stopped_resources if k[0] != name}

        def done(ok: bool) -> None:
            if self.closing.get(name) is task:
                self.closing.pop(name, None)
            if not ok:
                self.sigMessage.emit("warning", f"{name}: some informer threads took more than a second to end")

        task = self.runner.run(session.stop, 1.0, what=f"closing context {name}", on_done=done)
        self.closing[name] = task
        return task

    def reconnect(self, name: str) -> None:
        """Close ``name``'s session and open a new one in its place (a new API client from
        ``options["kubeconfig"]``), watching the resources it watched (its saved choice
        when it never connected). Its rows go and come back with the new list; the other
        contexts are not touched."""
        if name not in self.sessions:
            return
        running = self.running_resources(name)
        order = list(self.sessions)
        self._end_session(name)
        self._start_session(name, running or None)
        self.sessions = {n: self.sessions[n] for n in order}  # keep its place
        self.sigContextsChanged.emit(self.open_contexts())

    def switch_context(self, name: str) -> None:
        """Replace every open context by ``name``."""
        for other in list(self.sessions):
            if other != name:
                self.close_context(other)
        self.open_context(name)

    def open_contexts(self) -> list[str]:
        return list(self.sessions)

    def close_all(self, timeout: float = 2.0) -> bool:
        """Stop everything, blocking (for application exit only, after the window closed)."""
        self.bridge.stop()
        ok = True
        for name, session in list(self.sessions.items()):
            self.bridge.remove_feed(name)
            ok = bool(session.stop(timeout)) and ok
        self.sessions.clear()
        return ok

    # ------------------------------------------------------------------ resources
    def running_resources(self, context: str) -> list[str]:
        s = self.sessions.get(context)
        return sorted(s.resources) if s is not None else []

    def available_resources(self, context: str) -> list[Any]:
        s = self.sessions.get(context)
        return s.available_resources if s is not None else []

    def start_resource(self, context: str, name: str) -> None:
        s = self.sessions.get(context)
        if s is None:
            return
        self._stopped_resources.discard((context, name))

        def done(_h: Any) -> None:
            self.sigResourcesChanged.emit(context)

        self.runner.run(s.start_resource, name, what=f"starting {name} in {context}", on_done=done)

    def stop_resource(self, context: str, name: str) -> None:
        """Drop the resource's rows now; stop and join its informer off the GUI thread."""
        s = self.sessions.get(context)
        if s is None:
            return
        self._stopped_resources.add((context, name))
        for tree in self.trees():
            tree.remove_resource(context, name)
        self.states.forget_resource(context, name)

        def done(_ok: Any) -> None:
            self.sigResourcesChanged.emit(context)

        self.runner.run(s.stop_resource, name, what=f"stopping {name} in {context}", on_done=done)

    # ------------------------------------------------------------------ batches
    def apply_batch(self, items: list) -> None:
        """Fold one drained batch into the tree, history and states (GUI thread)."""
        if self._stopped_resources:
            stopped = self._stopped_resources
            items = [it for it in items if (it.context, getattr(it, "resource", None)) not in stopped]
        self.model.tick()
        self.tree.apply(items)
        if self.filtered is not None:
            self.filtered_model.tick()
            self.filtered.apply(filtered_items(self.filter, items))
        self.history.apply(items)
        changed, ctx_changed = self.states.apply(items)
        for ctx, res in changed:
            st = self.states.resources.get((ctx, res))
            if st is not None:
                for tree in self.trees():
                    tree.set_progress(ctx, st.progress_text(), res)
        if changed:
            self._update_context_progress({c for c, _ in changed})
        for ctx in ctx_changed:
            cs = self.states.contexts.get(ctx)
            if cs is None or ctx not in self.sessions:
                continue
            for tree in self.trees():
                tree.set_context_state(ctx, cs.state, cs.error)
            self.sigContextState.emit(ctx, cs.state, cs.error)
            if cs.state == "ready":
                self.sigResourcesChanged.emit(ctx)
        for it in items:
            level = getattr(it, "level", None)
            # a context's own failure is shown through sigContextState (its tree root); a
            # rejected resource name (state "rejected") is a message of its own
            if level in ("warning", "error") and it.context in self.sessions and (
                it.resource is not None or level == "warning" or it.state == "rejected"
            ):
                self.sigMessage.emit(level, it.message)
            elif level == "info" and it.resource is not None and it.state in ("started", "stopped"):
                self.sigResourcesChanged.emit(it.context)
        self.sigApplied.emit(items)

    def _update_context_progress(self, contexts: set[str]) -> None:
        for ctx in contexts:
            listing = [s for s in self.states.of_context(ctx) if s.state == "listing"]
            if listing:
                items = sum(s.items for s in listing)
                pages = sum(s.pages for s in listing)
                text = f"listing {len(listing)} resource{'s' if len(listing) != 1 else ''}… {items:,} items, {pages} pages"
            else:
                errors = [s for s in self.states.of_context(ctx) if s.state == "error"]
                text = f"{len(errors)} resource(s) failing" if errors else ""
            for tree in self.trees():
                tree.set_progress(ctx, text)

    def reset_to(self, caches: dict[tuple[str, str], dict[str, Any]], items: list) -> None:
        """Show another moment (a replay seek): every tree is rebuilt from ``caches``
        (``{(context, resource): {key: object}}``) as one model reset, the history and the
        states are refilled from ``items`` (what happened before, oldest first), then
        ``sigReset(items)`` lets views with history do the same."""
        objects = objects_from_caches(caches, items, keep=lambda ctx, res: ctx in self.sessions
                                      and (ctx, res) not in self._stopped_resources)
        self.history = History(per_object=self.history.per_object, capacity=self.history.capacity)
        self.history.apply(items)
        self.states.resources.clear()
        self.states.contexts.clear()
        self.states.apply(items)
        for tree, model in ((self.tree, self.model), (self.filtered, self.filtered_model)):
            if tree is None:
                continue
            flt = self.filter if tree is self.filtered else None
            model.beginResetModel()
            try:
                refill(tree, [it for it in objects if flt is None or flt.matches(it.record.key, it.record.object)],
                       self.states)
            finally:
                model.endResetModel()
        self.sigReset.emit(items)

    # ------------------------------------------------------------------ filter
    def trees(self) -> list[ObjectTree]:
        return [self.tree] if self.filtered is None else [self.tree, self.filtered]

    def view_model(self) -> ObjectTreeModel:
        """The model the tree view should show (the filtered one while filtering)."""
        return self.filtered_model if self.filtered_model is not None else self.model

    def set_filter(self, flt: Any) -> ObjectTreeModel:
        """Show only objects for which ``flt.matches(key, obj)`` (None or an empty filter:
        everything). Builds the filtered tree from the full one (O(objects), once per
        change of the filter box). Returns the model to show."""
        if not flt:
            self.filter = None
            self.filtered = None
            if self.filtered_model is not None:
                self.filtered_model.deleteLater()
            self.filtered_model = None
            return self.model
        self.filter = flt
        tree = filtered_copy(self.tree, flt)
        old = self.filtered_model
        self.filtered = tree
        self.filtered_model = ObjectTreeModel(tree, self, wall_clock=self.wall_clock)
        if old is not None:
            old.deleteLater()
        return self.filtered_model

    def all_synced(self) -> bool:
        for s in self.sessions.values():
            handles = s.resources
            if s.state != "ready" or not handles or not all(h.has_synced() for h in handles.values()):
                return False
        return bool(self.sessions)

    @property
    def frozen(self) -> bool:
        """True once ``freeze_after_sync`` froze the caches."""
        return self._frozen

    def freeze_after_sync(self) -> bool:
        """Once every open context synced, move what exists to the GC's permanent generation
        so later collections skip the caches (returns True the first time)."""
        if self._frozen or not self.all_synced():
            return False
        gcguard.collect_young_and_freeze()
        self._frozen = True
        return True

    # ------------------------------------------------------------------ objects
    def session(self, context: str) -> Any:
        return self.sessions.get(context)

    def fetch_full(self, context: str, resource: str, key: str, on_done: Callable[[dict], None]):
        s = self.sessions.get(context)
        if s is None:
            return None
        ns, _, name = key.rpartition("/")
        return self.runner.run(s.get_full, resource, ns or None, name, what=f"fetching {resource} {key}", on_done=on_done)

    def now(self) -> float:
        return self.wall_clock()
