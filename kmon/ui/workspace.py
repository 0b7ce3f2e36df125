"""The open contexts of the window and the Qt models they feed (no widgets here).

Why this module exists: the main window must stay layout and wiring. Opening, switching and
closing contexts and starting and stopping resources happen here, in one QObject that
widgets talk to through methods and a few batched signals. What the views show is folded
from each drained batch by the Qt-free ``ViewState`` (``kmon.monitor.view_state``: trees,
history, resource states); this class adapts it: one ``ObjectTreeModel`` per tree, and the
fold's reports (``ViewListener``) as signals.

Each context runs the informer path of a client-go version (``client_go_of``: its saved choice,
else ``--client-go``, else the latest kmon knows; ``KUBE_FEATURE_*`` variables apply on top).
The gates are resolved here as a session opens, so a variable client-go would ignore is said
in the window's error area, once per run; ``set_client_go`` restarts one context's informers
under another profile (``reconnect``: off the GUI thread, the other contexts untouched).

Threads: each context gets a ``Session`` (a live ``ContextSession``, or a replay's
``ReplayContext``) with its own ``Feed`` registered with the ``FeedBridge``. Closing a
context removes its rows and its feed at once (GUI thread, cheap), then stops the session
and joins its threads on the task runner's pool — the GUI never waits for a join.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from kmon.cache import gcguard
from kmon.cache.features import LATEST
from kmon.monitor.feed import Feed, FeedItem
from kmon.monitor.history import History
from kmon.monitor.object_filter import ObjectFilter
from kmon.monitor.resource_states import ResourceStates
from kmon.monitor.session_api import Session, SessionFactory
from kmon.monitor.session_options import SessionOptions, informer_features
from kmon.monitor.tree import ObjectTree
from kmon.monitor.view_state import Caches, ViewState

from .bridge import FeedBridge
from .tasks import TaskRunner
from .tree_model import ObjectTreeModel

__all__ = ["Workspace"]


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
        options: SessionOptions | None = None,
        bridge: FeedBridge | None = None,
        runner: TaskRunner | None = None,
        session_factory: SessionFactory | None = None,
        keep_deleted: float = 0.0,
        freshness: tuple[float, float] = (60.0, 120.0),
        wall_clock: Callable[[], float] = time.time,
        resources_for: Callable[[str], list[str] | None] | None = None,
        client_go_for: Callable[[str], str | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # what every session is opened with (``kubeconfig``: the window's, replaced when the
        # kubeconfig files are reloaded)
        self.options = options if options is not None else SessionOptions()
        # the resources a context starts with (its saved choice); None: options.resources
        self.resources_for = resources_for
        # the client-go version a context runs as (its saved choice, else --client-go); None:
        # options.client_go. ``set_client_go`` overrides it for this run.
        self.client_go_for = client_go_for
        self._client_go: dict[str, str | None] = {}
        self._running_as: dict[str, str | None] = {}  # the version each open session was started as
        self._said: set[str] = set()  # feature-gate warnings already shown (once per run)
        self.bridge = bridge or FeedBridge(parent=self)
        self.runner = runner or TaskRunner(self)
        self.runner.sigError.connect(lambda what, why: self.sigMessage.emit("error", f"{what}: {why}"))
        if session_factory is None:
            from kmon.monitor.session import ContextSession

            session_factory = ContextSession
        self._factory = session_factory
        # "now" for ages and freshness: the wall clock, or the position of a replay
        self.wall_clock = wall_clock
        self.view = ViewState(keep_deleted=keep_deleted, freshness=freshness, clock=wall_clock)
        self.model = ObjectTreeModel(self.view.tree, self, wall_clock=wall_clock)
        # while the filter box holds something: the view's second tree, of only the matching
        # objects (fed the same batches), shown instead of the full one. Filtering in a tree
        # of our own costs O(changes) per batch; a recursive QSortFilterProxyModel re-scans
        # whole kinds of 10,000+ rows for each changed row.
        self.filtered_model: ObjectTreeModel | None = None
        self.sessions: dict[str, Session] = {}
        self.closing: dict[str, Any] = {}  # context -> asyncio task stopping its session
        self.read_only = False  # a replay: nothing to close, start or stop
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
        opts = self.options
        chosen = resources or (self.resources_for(name) if self.resources_for is not None else None)
        if chosen:
            opts = replace(opts, resources=tuple(chosen))
        if not self.read_only:  # (a replay runs no informer)
            opts = self._with_features(name, opts)
        session = self._factory(name, options=opts, feed=feed)
        self.sessions[name] = session
        self.bridge.add_feed(name, feed)
        self.view.add_context(name)
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
        self.view.remove_context(name)

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
        ``options.kubeconfig``), watching the resources it watched (its saved choice
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

    # ------------------------------------------------------------------ client-go profile
    def client_go_of(self, name: str) -> str | None:
        """The client-go minor ``name`` runs as ("1.32"); None: the latest kmon knows."""
        if name in self._client_go:
            return self._client_go[name]
        chosen = self.client_go_for(name) if self.client_go_for is not None else None
        return chosen or self.options.client_go

    def _with_features(self, name: str, opts: SessionOptions) -> SessionOptions:
        """``opts`` with the gates ``name``'s informers run: its client-go version's defaults
        and the ``KUBE_FEATURE_*`` variables. What client-go would ignore (a bad value, a
        locked gate) and a version kmon cannot run as go to the error area (``sigMessage``
        "error", each text once per run); the informers then run the default."""
        version = self.client_go_of(name)
        try:
            gates, warnings = informer_features(version)
        except ValueError as e:
            warnings = [f"{name}: client-go {version!r}: {e}; running as the latest instead"]
            version = None
            gates, more = informer_features(None)
            warnings += more
        for text in warnings:
            if text not in self._said:
                self._said.add(text)
                self.sigMessage.emit("error", text)
        self._running_as[name] = version
        return replace(opts, client_go=version, informer=replace(opts.informer, features=gates))

    def set_client_go(self, name: str, version: str | None) -> bool:
        """Run ``name``'s informers as client-go ``version`` (None: the latest) from now on in
        this run; an open context restarts them under it at once (its session is replaced
        off the GUI thread, its rows come back with the new lists; the other contexts are
        untouched). False when it already runs as ``version`` (or nothing runs: a replay)."""
        if self.read_only:
            return False
        self._client_go[name] = version
        if name in self.sessions and self._running_as.get(name) != version:
            self.sigMessage.emit("info", f"{name}: restarting its informers as client-go {version or '%d.%d' % LATEST}")
            self.reconnect(name)
            return True
        return False

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
        self.view.start_resource(context, name)

        def done(_h: Any) -> None:
            self.sigResourcesChanged.emit(context)

        self.runner.run(s.start_resource, name, what=f"starting {name} in {context}", on_done=done)

    def stop_resource(self, context: str, name: str) -> None:
        """Drop the resource's rows now; stop and join its informer off the GUI thread."""
        s = self.sessions.get(context)
        if s is None:
            return
        self.view.stop_resource(context, name)

        def done(_ok: Any) -> None:
            self.sigResourcesChanged.emit(context)

        self.runner.run(s.stop_resource, name, what=f"stopping {name} in {context}", on_done=done)

    # ------------------------------------------------------------------ batches
    def apply_batch(self, items: list[FeedItem]) -> None:
        """Fold one drained batch into the view (GUI thread); its models hear the trees."""
        self.model.tick()
        if self.filtered_model is not None:
            self.filtered_model.tick()
        items = self.view.apply(items, self)
        self.sigApplied.emit(items)

    # what the fold reports (``ViewListener``), as signals
    def on_context_state(self, context: str, state: str, error: str) -> None:
        self.sigContextState.emit(context, state, error)

    def on_resources_changed(self, context: str) -> None:
        self.sigResourcesChanged.emit(context)

    def on_message(self, level: str, text: str) -> None:
        self.sigMessage.emit(level, text)

    def reset_to(self, caches: Caches, items: list[FeedItem]) -> None:
        """Show another moment (a replay seek): ``ViewState.reset_to`` rebuilds the trees,
        each as one model reset, and refills the history and the states from ``items``
        (what happened before, oldest first); then ``sigReset(items)`` lets views with
        history do the same."""
        self.view.reset_to(caches, items)
        self.sigReset.emit(items)

    # ------------------------------------------------------------------ what the views show
    @property
    def tree(self) -> ObjectTree:
        return self.view.tree

    @property
    def history(self) -> History:
        return self.view.history

    @property
    def states(self) -> ResourceStates:
        return self.view.states

    @property
    def filter(self) -> ObjectFilter | None:
        return self.view.filter

    @property
    def filtered(self) -> ObjectTree | None:
        return self.view.filtered

    def trees(self) -> list[ObjectTree]:
        return self.view.trees()

    def view_model(self) -> ObjectTreeModel:
        """The model the tree view should show (the filtered one while filtering)."""
        return self.filtered_model if self.filtered_model is not None else self.model

    def set_filter(self, flt: ObjectFilter | None) -> ObjectTreeModel:
        """Show only objects for which ``flt.matches(key, obj)`` (None or an empty filter:
        everything). Returns the model to show."""
        tree = self.view.set_filter(flt)
        old = self.filtered_model
        self.filtered_model = None if tree is None else ObjectTreeModel(tree, self, wall_clock=self.wall_clock)
        if old is not None:
            old.deleteLater()
        return self.view_model()

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
    def session(self, context: str) -> Session | None:
        return self.sessions.get(context)

    def fetch_full(self, context: str, resource: str, key: str, on_done: Callable[[dict], None]):
        s = self.sessions.get(context)
        if s is None:
            return None
        ns, _, name = key.rpartition("/")
        return self.runner.run(s.get_full, resource, ns or None, name, what=f"fetching {resource} {key}", on_done=on_done)

    def now(self) -> float:
        return self.wall_clock()
