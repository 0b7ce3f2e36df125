"""What the status bar, the resource picker and the tree's progress texts know about each
(context, resource) and each context.

Why this module exists: synced state, initial-list progress (items and pages so far), event
rate and freshness (time since the last event or bookmark) are derived from the same drained
batches as the tree; deriving them here, without Qt, keeps the widgets renderers and makes
the rules testable with plain items. The counting is ``InformerCounts``' (each resource's
``counts``: the one fold of an informer's reports); this module adds what a person reads:
a ``ResourcePhase`` (starting, listing, synced, error, stopped), the error, the time of the
last activity, and ``Freshness``, which turns amber after ``amber`` seconds of silence and
red after ``red`` seconds. Contexts keep the session's state and message.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Iterable

from kmon.monitor.feed import DeltaItem, FeedItem, ReflectorItem
from kmon.monitor.informer_counts import InformerCounts
from kmon.monitor.tree_node import type_name

__all__ = [
    "ContextFreshness",
    "ContextState",
    "Freshness",
    "ResourcePhase",
    "ResourceState",
    "ResourceStates",
    "freshness_level",
]


class ResourcePhase(StrEnum):
    """Where one resource's cache is, as the status bar and the picker say it."""

    STARTING = "starting"
    LISTING = "listing"
    SYNCED = "synced"
    ERROR = "error"
    STOPPED = "stopped"


class Freshness(StrEnum):
    """How recently a synced cache heard from the server (worst last)."""

    OK = "ok"
    UNKNOWN = "unknown"
    AMBER = "amber"
    RED = "red"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Freshness.OK: 0, Freshness.UNKNOWN: 1, Freshness.AMBER: 2, Freshness.RED: 3}


def freshness_level(silence: float | None, amber: float, red: float) -> Freshness:
    if silence is None:
        return Freshness.UNKNOWN
    if silence > red:
        return Freshness.RED
    if silence > amber:
        return Freshness.AMBER
    return Freshness.OK


@dataclass
class ResourceState:
    context: str
    resource: str
    state: ResourcePhase = ResourcePhase.STARTING
    last_activity: float | None = None  # wall time of the last delta, bookmark or (re)list
    error: str = ""
    deltas: int = 0  # batches that held a delta of this resource
    counts: InformerCounts = field(default_factory=InformerCounts)

    @property
    def items(self) -> int:
        """Items listed so far in the current list (the last list's, once it ended)."""
        return self.counts.list_items

    @property
    def pages(self) -> int:
        return self.counts.list_pages

    @property
    def listed(self) -> int:
        """Items of the last finished list."""
        return self.counts.list_items_last

    @property
    def relists(self) -> int:
        return self.counts.relists

    def progress_text(self) -> str:
        if self.state == ResourcePhase.LISTING:
            pages = f", {self.pages} page{'s' if self.pages != 1 else ''}" if self.pages else ""
            return f"listing… {self.items:,} items{pages}"
        if self.state == ResourcePhase.ERROR:
            return f"⚠ {self.error}"
        return ""


@dataclass
class ContextFreshness:
    """How fresh one context's cache is: ``level`` is its worst resource's ("unknown" with no
    resource yet), ``resource``/``silence`` name that resource when it is amber or red, and
    ``last_event`` is the time since the context's freshest event (None: none yet)."""

    context: str
    level: Freshness
    resource: str = ""
    silence: float | None = None
    last_event: float | None = None

    @property
    def rank(self) -> int:
        return self.level.rank


@dataclass
class ContextState:
    name: str
    state: str = "connecting"  # the session's ("connecting", "ready", "failed"...)
    error: str = ""
    message: str = ""
    # names the context's discovery does not know: {name: kubectl's message}; never resources
    rejected: dict[str, str] = field(default_factory=dict)


class ResourceStates:
    """Per (context, resource) state folded from feed items."""

    def __init__(self, *, amber: float = 60.0, red: float = 120.0, window: float = 5.0, clock=time.time) -> None:
        self.amber = amber
        self.red = red
        self.window = window
        self.clock = clock
        self.resources: dict[tuple[str, str], ResourceState] = {}
        self.contexts: dict[str, ContextState] = {}
        self._rate: deque[tuple[float, int]] = deque()  # (receipt time, deltas) per batch

    def get(self, context: str, resource: str) -> ResourceState:
        k = (context, resource)
        st = self.resources.get(k)
        if st is None:
            st = self.resources[k] = ResourceState(context, resource)
        return st

    def clear(self) -> None:
        """Forget every resource and context (before folding another moment's items in)."""
        self.resources.clear()
        self.contexts.clear()

    def forget_context(self, context: str) -> None:
        for k in [k for k in self.resources if k[0] == context]:
            del self.resources[k]
        self.contexts.pop(context, None)

    def forget_resource(self, context: str, resource: str) -> None:
        self.resources.pop((context, resource), None)

    def apply(self, items: Iterable[FeedItem]) -> tuple[set[tuple[str, str]], set[str]]:
        """Fold one batch in; returns (resources whose progress text may have changed,
        contexts whose state changed)."""
        changed: set[tuple[str, str]] = set()
        ctx_changed: set[str] = set()
        deltas = 0
        last_seen: dict[tuple[str, str], float] = {}
        for it in items:
            if isinstance(it, DeltaItem):
                deltas += 1
                last_seen[(it.context, it.resource)] = it.record.time
            elif isinstance(it, ReflectorItem):
                self._reflector(it)
                changed.add((it.context, it.resource))
            elif it.resource is None:  # a SessionItem about the whole context
                if self._context(it.context, it.state, it.level, it.message, it.detail):
                    ctx_changed.add(it.context)
            else:
                st = self.get(it.context, it.resource)
                if it.level == "error":
                    st.state, st.error = ResourcePhase.ERROR, it.message
                elif it.state == "stopped":
                    st.state = ResourcePhase.STOPPED
                elif it.state == "started" and st.state in (ResourcePhase.STOPPED, ResourcePhase.ERROR):
                    st.state = ResourcePhase.STARTING
                changed.add((it.context, it.resource))
        for k, t in last_seen.items():
            st = self.get(*k)
            st.deltas += 1
            if st.last_activity is None or t > st.last_activity:
                st.last_activity = t
        now = self.clock()
        if deltas:
            self._rate.append((now, deltas))
        while self._rate and now - self._rate[0][0] > self.window:
            self._rate.popleft()
        return changed, ctx_changed

    def _reflector(self, it: ReflectorItem) -> None:
        st = self.get(it.context, it.resource)
        ev = it.event
        kind = type_name(ev.kind)
        d = ev.detail or {}
        st.counts.reflector(kind, str(ev.resource_version or ""), d, ev.time)
        if kind in ("ListStarted", "Page"):
            st.state = ResourcePhase.LISTING
            if kind == "ListStarted":
                st.error = ""
        elif kind == "ListFinished":
            st.state, st.error = ResourcePhase.SYNCED, ""
            st.last_activity = ev.time
        elif kind in ("Bookmark", "WatchStarted"):
            st.last_activity = ev.time
            if st.state == ResourcePhase.ERROR:
                st.state, st.error = ResourcePhase.SYNCED, ""
        elif kind == "Error":
            st.state = ResourcePhase.ERROR
            st.error = str(d.get("error") or d.get("reason") or "error")

    def _context(self, context: str, state: str, level: str, message: str, detail: dict | None) -> bool:
        """A session item about the whole context; True when the context's state changed."""
        cs = self.contexts.get(context) or ContextState(context)
        self.contexts[context] = cs
        if state == "rejected":  # a name, not a resource, and no change of state
            cs.rejected[str((detail or {}).get("resource") or "")] = message
            return False
        cs.state = state or cs.state
        if message.startswith(f"{context}: "):  # the row already names the context
            message = message[len(context) + 2 :]
        cs.message = message
        cs.error = message if level == "error" else ""
        return True

    def events_per_second(self) -> float:
        now = self.clock()
        while self._rate and now - self._rate[0][0] > self.window:
            self._rate.popleft()
        return sum(n for _, n in self._rate) / self.window

    def silence(self, st: ResourceState, now: float | None = None) -> float | None:
        if st.last_activity is None:
            return None
        return max(0.0, (self.clock() if now is None else now) - st.last_activity)

    def freshness(self, st: ResourceState, now: float | None = None) -> Freshness:
        if st.state != ResourcePhase.SYNCED:
            return Freshness.UNKNOWN if st.state != ResourcePhase.ERROR else Freshness.RED
        return freshness_level(self.silence(st, now), self.amber, self.red)

    def context_freshness(self, context: str, now: float | None = None) -> ContextFreshness:
        """The freshness of ``context`` as a whole (see ``ContextFreshness``)."""
        now = self.clock() if now is None else now
        rs = self.of_context(context)
        out = ContextFreshness(context, Freshness.OK if rs else Freshness.UNKNOWN)
        alarming = (Freshness.AMBER, Freshness.RED)
        for st in rs:
            lvl = self.freshness(st, now)
            sil = self.silence(st, now)
            if lvl.rank > out.rank or (lvl == out.level and lvl in alarming and (sil or 0) > (out.silence or 0)):
                out.level, out.resource, out.silence = lvl, st.resource, sil
            if sil is not None and (out.last_event is None or sil < out.last_event):
                out.last_event = sil
        if out.level not in alarming:
            out.resource, out.silence = "", None
        return out

    def of_context(self, context: str) -> list[ResourceState]:
        return sorted((s for k, s in self.resources.items() if k[0] == context), key=lambda s: s.resource)
