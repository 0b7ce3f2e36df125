"""What the status bar and the tree's progress texts know about each (context, resource).

Why this module exists: synced state, initial-list progress (items and pages so far), event
rate and freshness (time since the last event or bookmark) are derived from the same drained
batches as the tree; keeping the derivation Qt-free makes it testable with plain items and
keeps the status bar widget a renderer. Freshness turns "amber" after ``amber`` seconds of
silence and "red" after ``red`` seconds.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["ContextFreshness", "ResourceState", "ResourceStates", "freshness_level"]

_RANK = {"ok": 0, "unknown": 1, "amber": 2, "red": 3}


def freshness_level(silence: float | None, amber: float, red: float) -> str:
    if silence is None:
        return "unknown"
    if silence > red:
        return "red"
    if silence > amber:
        return "amber"
    return "ok"


@dataclass
class ResourceState:
    context: str
    resource: str
    state: str = "starting"  # starting, listing, synced, error, stopped
    items: int = 0  # items listed so far in the current list
    pages: int = 0
    listed: int = 0  # items of the last finished list
    last_activity: float | None = None  # wall time of the last delta, bookmark or (re)list
    error: str = ""
    deltas: int = 0
    relists: int = 0

    def progress_text(self) -> str:
        if self.state == "listing":
            pages = f", {self.pages} page{'s' if self.pages != 1 else ''}" if self.pages else ""
            return f"listing… {self.items:,} items{pages}"
        if self.state == "error":
            return f"⚠ {self.error}"
        return ""


@dataclass
class ContextFreshness:
    """How fresh one context's cache is: ``level`` is its worst resource's ("unknown" with no
    resource yet), ``resource``/``silence`` name that resource when it is amber or red, and
    ``last_event`` is the time since the context's freshest event (None: none yet)."""

    context: str
    level: str
    resource: str = ""
    silence: float | None = None
    last_event: float | None = None

    @property
    def rank(self) -> int:
        return _RANK[self.level]


@dataclass
class ContextState:
    name: str
    state: str = "connecting"
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

    def forget_context(self, context: str) -> None:
        for k in [k for k in self.resources if k[0] == context]:
            del self.resources[k]
        self.contexts.pop(context, None)

    def forget_resource(self, context: str, resource: str) -> None:
        self.resources.pop((context, resource), None)

    def apply(self, items: Iterable[Any]) -> tuple[set[tuple[str, str]], set[str]]:
        """Fold one batch in; returns (resources whose progress text may have changed,
        contexts whose state changed)."""
        changed: set[tuple[str, str]] = set()
        ctx_changed: set[str] = set()
        deltas = 0
        last_seen: dict[tuple[str, str], float] = {}
        for it in items:
            rec = getattr(it, "record", None)
            if rec is not None:
                deltas += 1
                last_seen[(it.context, it.resource)] = rec.time
                continue
            ev = getattr(it, "event", None)
            if ev is not None:
                st = self.get(it.context, it.resource)
                kind = str(getattr(ev.kind, "value", ev.kind))
                d = ev.detail or {}
                if kind == "ListStarted":
                    st.state, st.items, st.pages = "listing", 0, 0
                    st.error = ""
                elif kind == "Page":
                    st.state = "listing"
                    st.items += int(d.get("items") or 0)
                    st.pages = int(d.get("pages") or st.pages + 1)
                elif kind == "ListFinished":
                    st.state, st.error = "synced", ""
                    st.listed = int(d.get("items") or st.items)
                    st.items = st.listed
                    st.pages = int(d.get("pages") or st.pages)
                    st.last_activity = ev.time
                elif kind == "Relist":
                    st.relists += 1
                elif kind in ("Bookmark", "WatchStarted"):
                    st.last_activity = ev.time
                    if st.state == "error":
                        st.state, st.error = "synced", ""
                elif kind == "Error":
                    st.state = "error"
                    st.error = str(d.get("error") or d.get("reason") or "error")
                changed.add((it.context, it.resource))
                continue
            level = getattr(it, "level", None)
            if level is not None:  # SessionItem
                if it.resource is None:
                    cs = self.contexts.get(it.context) or ContextState(it.context)
                    self.contexts[it.context] = cs
                    if it.state == "rejected":  # a name, not a resource, and no change of state
                        cs.rejected[str((it.detail or {}).get("resource") or "")] = it.message
                        continue
                    cs.state = it.state or cs.state
                    msg = it.message
                    if msg.startswith(f"{it.context}: "):  # the row already names the context
                        msg = msg[len(it.context) + 2 :]
                    cs.message = msg
                    cs.error = msg if level == "error" else ""
                    ctx_changed.add(it.context)
                else:
                    st = self.get(it.context, it.resource)
                    if level == "error":
                        st.state, st.error = "error", it.message
                    elif it.state == "stopped":
                        st.state = "stopped"
                    elif it.state == "started" and st.state in ("stopped", "error"):
                        st.state = "starting"
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

    def events_per_second(self) -> float:
        now = self.clock()
        while self._rate and now - self._rate[0][0] > self.window:
            self._rate.popleft()
        return sum(n for _, n in self._rate) / self.window

    def silence(self, st: ResourceState, now: float | None = None) -> float | None:
        if st.last_activity is None:
            return None
        return max(0.0, (self.clock() if now is None else now) - st.last_activity)

    def freshness(self, st: ResourceState, now: float | None = None) -> str:
        if st.state != "synced":
            return "unknown" if st.state != "error" else "red"
        return freshness_level(self.silence(st, now), self.amber, self.red)

    def context_freshness(self, context: str, now: float | None = None) -> ContextFreshness:
        """The freshness of ``context`` as a whole (see ``ContextFreshness``)."""
        now = self.clock() if now is None else now
        rs = self.of_context(context)
        out = ContextFreshness(context, "ok" if rs else "unknown")
        for st in rs:
            lvl = self.freshness(st, now)
            sil = self.silence(st, now)
            if _RANK[lvl] > out.rank or (lvl == out.level and lvl in ("amber", "red") and (sil or 0) > (out.silence or 0)):
                out.level, out.resource, out.silence = lvl, st.resource, sil
            if sil is not None and (out.last_event is None or sil < out.last_event):
                out.last_event = sil
        if out.level not in ("amber", "red"):
            out.resource, out.silence = "", None
        return out

    def of_context(self, context: str) -> list[ResourceState]:
        return sorted((s for k, s in self.resources.items() if k[0] == context), key=lambda s: s.resource)
