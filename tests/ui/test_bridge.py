"""The bridge emits one signal per drained batch, never one per event."""

from __future__ import annotations

from kmon.monitor.feed import Feed
from kmon.ui.bridge import FeedBridge
from kmon.monitor.resource_states import ResourceStates
from kmon.ui.workspace import Workspace

from helpers import item, obj


def test_one_signal_per_batch(qapp, qtbot):
    bridge = FeedBridge(interval_ms=20)
    a, b = Feed(), Feed()
    bridge.add_feed("a", a)
    bridge.add_feed("b", b)
    got = []
    bridge.sigBatch.connect(got.append)
    a.extend([item("Added", obj(f"p{i}", "ns"), ctx="a") for i in range(1000)])
    b.extend([item("Added", obj(f"q{i}", "ns"), ctx="b") for i in range(500)])
    bridge.start()
    qtbot.waitUntil(lambda: sum(len(x) for x in got) == 1500, timeout=2000)
    assert len(got) == 1
    bridge.remove_feed("b")
    b.put(item("Added", obj("late", "ns"), ctx="b"))  # a closed context's late item
    bridge.drain()
    assert len(got) == 1


def test_workspace_coalesces_and_tracks_progress(qapp, qloop):
    class FakeSession:
        def __init__(self, name, feed, **kw):
            self.feed = feed
            self.resources = {}
            self.state = "ready"
            self.available_resources = []

        def start(self):
            return self

        def stop(self, timeout=1.0):
            return True

    ws = Workspace(session_factory=FakeSession)
    ws.open_context("c1")
    feed = ws.bridge.feeds()["c1"]
    o = obj("x", "ns")
    feed.extend([item("Added", o), item("Updated", o), item("Updated", o)])
    from kmon.cache.events import ReflectorEvent, ReflectorEventKind
    from kmon.monitor.feed import ReflectorItem

    feed.put(ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.ListStarted, 0.0, "", {})))
    feed.put(ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.Page, 0.0, "", {"items": 500, "pages": 1})))
    changed = []
    ws.model.dataChanged.connect(lambda a, b: changed.append(a))
    ws.bridge.drain()
    node = ws.tree.find("c1", "pods", "ns/x")
    assert node.last_type == "Updated"
    assert len(ws.history.entries("c1", "pods", "ns/x")) == 3
    assert ws.tree.context("c1").child("ns").child("pods").progress == "listing… 500 items, 1 page"
    assert "listing" in ws.tree.context("c1").progress
    st = ws.states.get("c1", "pods")
    assert st.state == "listing"
    assert isinstance(ws.states, ResourceStates)


def test_filtered_tree_follows_batches(qapp, qloop):
    from kmon.monitor.object_filter import parse_filter

    class FakeSession:
        def __init__(self, name, feed, **kw):
            self.resources, self.state, self.available_resources = {}, "ready", []

        def start(self):
            return self

        def stop(self, timeout=1.0):
            return True

    ws = Workspace(session_factory=FakeSession)
    ws.open_context("c1")
    feed = ws.bridge.feeds()["c1"]
    a = obj("a", "ns", labels={"app": "web"})
    b = obj("b", "ns", labels={"app": "db"})
    feed.extend([item("Added", a), item("Added", b)])
    ws.bridge.drain()
    model = ws.set_filter(parse_filter("app=web"))
    assert [n.key for n in ws.filtered.objects()] == ["ns/a"]
    assert ws.view_model() is model
    feed.extend([item("Updated", {**b, "metadata": {**b["metadata"], "labels": {"app": "web"}}}),
                 item("Updated", {**a, "metadata": {**a["metadata"], "labels": {"app": "api"}}})])
    ws.bridge.drain()
    assert [n.key for n in ws.filtered.objects()] == ["ns/b"]
    assert ws.filtered.context("c1").count == 1 and ws.tree.context("c1").count == 2
    feed.put(item("Deleted", b))
    ws.bridge.drain()
    assert list(ws.filtered.objects()) == []
    assert ws.set_filter(None) is ws.model and ws.filtered is None


def test_the_status_bar_shows_a_red_context(qapp):
    """(What ``ResourceStates`` folds: tests/monitor/test_resource_states.py.)"""
    from kmon.cache.events import ReflectorEvent, ReflectorEventKind
    from kmon.monitor.feed import ReflectorItem
    from kmon.ui.status_bar import StatusBar

    now = [1000.0]
    states = ResourceStates(amber=60, red=120, clock=lambda: now[0])
    ev = lambda kind, t, **d: ReflectorItem("c1", "pods", ReflectorEvent(kind, t, "1", d))  # noqa: E731
    states.apply([ev(ReflectorEventKind.ListStarted, 1000.0), ev(ReflectorEventKind.ListFinished, 1000.0, items=900, pages=2)])
    now[0] = 1200.0

    from types import SimpleNamespace

    from PySide6.QtCore import QObject, Signal

    class _S(QObject):
        sigApplied = Signal(list)
        sigContextsChanged = Signal(list)
        sigMessage = Signal(str, str)

    class WS:  # what the status bar reads from a workspace
        def __init__(self):
            self._s = _S()
            self.sigApplied, self.sigContextsChanged, self.sigMessage = self._s.sigApplied, self._s.sigContextsChanged, self._s.sigMessage
            self.states = states
            self.sessions = {"c1": SimpleNamespace(tls_insecure=False)}

        def open_contexts(self):
            return ["c1"]

    bar = StatusBar(WS())
    bar.refresh()
    assert bar.worst == "red" and "pods silent" in bar.fresh.text()
    assert "1/1 synced" in bar.synced.text()
