"""``ResourceStates``: what the status bar, the picker and the tree's progress texts know of
each resource and context, folded from feed items (no Qt)."""

from __future__ import annotations

from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.monitor.feed import ReflectorItem, SessionItem
from kmon.monitor.resource_states import Freshness, ResourcePhase, ResourceStates

from .helpers import delta


def ev(kind, t, ctx="c1", res="pods", **d):
    return ReflectorItem(ctx, res, ReflectorEvent(ReflectorEventKind(kind), t, "1", d))


def test_freshness_turns_amber_then_red():
    now = [1000.0]
    states = ResourceStates(amber=60, red=120, clock=lambda: now[0])
    states.apply([ev("ListStarted", 1000.0), ev("Page", 1000.0, items=500, pages=1)])
    st = states.get("c1", "pods")
    assert st.progress_text() == "listing… 500 items, 1 page"
    states.apply([ev("ListFinished", 1000.0, items=900, pages=2)])
    assert st.state == "synced" and states.freshness(st) == "ok"
    now[0] = 1061.0
    assert states.freshness(st) == "amber"
    states.apply([ev("Bookmark", 1061.0)])
    assert states.freshness(st) == "ok"
    now[0] = 1200.0
    assert states.freshness(st) == "red"


def test_list_progress_is_the_counts_fold():
    states = ResourceStates(clock=lambda: 0.0)
    st = states.get("c1", "pods")
    states.apply([ev("Relist", 1.0, reason="initial"), ev("ListStarted", 1.0), ev("Page", 1.1, items=500, pages=1),
                  ev("Page", 1.2, items=250)])
    assert (st.state, st.items, st.pages, st.progress_text()) == ("listing", 750, 2, "listing… 750 items, 2 pages")
    states.apply([ev("ListFinished", 1.3, items=750, pages=2)])
    assert (st.state, st.listed, st.items, st.pages, st.progress_text()) == ("synced", 750, 750, 2, "")
    assert st.counts.lists == 1 and st.relists == 0
    states.apply([ev("Error", 2.0, error="boom", reason="watch")])
    assert st.state == ResourcePhase.ERROR and st.progress_text() == "⚠ boom"
    states.apply([ev("Relist", 3.0, reason="watch expired (410)"), ev("ListStarted", 3.0)])
    assert (st.state, st.error, st.items, st.relists) == ("listing", "", 0, 1)


def test_sessions_set_resource_and_context_states():
    states = ResourceStates(clock=lambda: 0.0)
    changed, ctx = states.apply([SessionItem("c1", None, "info", "c1: connecting", "connecting", 1.0)])
    assert ctx == {"c1"} and states.contexts["c1"].state == "connecting" and states.contexts["c1"].message == "connecting"
    _, ctx = states.apply([SessionItem("c1", None, "warning", "no such thing", "rejected", 1.0, {"resource": "nope"})])
    assert ctx == set() and states.contexts["c1"].rejected == {"nope": "no such thing"}
    _, ctx = states.apply([SessionItem("c1", None, "error", "c1: 401 Unauthorized", "failed", 2.0)])
    assert (states.contexts["c1"].state, states.contexts["c1"].error) == ("failed", "401 Unauthorized")
    changed, _ = states.apply([SessionItem("c1", "pods", "info", "pods: stopped", "stopped", 3.0)])
    assert changed == {("c1", "pods")} and states.get("c1", "pods").state == ResourcePhase.STOPPED
    states.apply([SessionItem("c1", "pods", "info", "pods: started", "started", 4.0)])
    assert states.get("c1", "pods").state == ResourcePhase.STARTING
    states.clear()
    assert not states.resources and not states.contexts


def test_deltas_are_activity_and_rate():
    now = [100.0]
    states = ResourceStates(window=5.0, clock=lambda: now[0])
    states.apply([ev("ListStarted", 90.0), ev("ListFinished", 90.0, items=0)])
    states.apply([delta("Added", "a", t=95.0, ctx="c1"), delta("Updated", "a", t=96.0, ctx="c1")])
    st = states.get("c1", "pods")
    assert st.last_activity == 96.0 and states.events_per_second() == 2 / 5.0
    f = states.context_freshness("c1")
    assert f.level == Freshness.OK and f.last_event == 4.0 and f.rank == 0
    now[0] = 300.0
    f = states.context_freshness("c1")
    assert (f.level, f.resource, f.silence) == ("red", "pods", 204.0) and states.events_per_second() == 0.0
    assert states.context_freshness("other").level == Freshness.UNKNOWN
