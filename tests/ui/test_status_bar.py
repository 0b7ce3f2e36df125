"""The status bar's freshness indicator names the context it describes (kmon issue 10,
point 18): one context, several (the worst named, every one in the tooltip), none."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import QObject, Signal

from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.monitor.feed import ReflectorItem, SessionItem
from kmon.monitor.resource_states import ResourceStates
from kmon.ui.status_bar import StatusBar


class _Signals(QObject):
    sigApplied = Signal(list)
    sigContextsChanged = Signal(list)
    sigMessage = Signal(str, str)


class FakeWorkspace:
    """What the status bar reads from a workspace, on a fake clock."""

    def __init__(self, contexts: list[str]):
        self._s = _Signals()
        self.sigApplied, self.sigContextsChanged, self.sigMessage = (
            self._s.sigApplied, self._s.sigContextsChanged, self._s.sigMessage)
        self.now = [1000.0]
        self.states = ResourceStates(amber=60, red=120, clock=lambda: self.now[0])
        self.paths: dict[str, dict] = {c: {} for c in contexts}  # context -> {resource: its stats}
        self.sessions = {c: SimpleNamespace(tls_insecure=False, stats=lambda c=c: self.paths[c]) for c in contexts}

    def open_contexts(self):
        return list(self.sessions)

    def synced(self, ctx: str, res: str, t: float) -> None:
        ev = lambda kind, **d: ReflectorItem(ctx, res, ReflectorEvent(kind, t, "1", d))  # noqa: E731
        self.states.apply([ev(ReflectorEventKind.ListStarted), ev(ReflectorEventKind.ListFinished, items=3)])


def test_one_context_is_named(qapp):
    ws = FakeWorkspace(["kmon-demo"])
    ws.synced("kmon-demo", "pods", 1000.0)
    bar = StatusBar(ws)
    bar.refresh()
    assert bar.fresh.text() == "kmon-demo: fresh · last event <1s ago"
    ws.now[0] = 1075.0
    bar.refresh()
    assert bar.worst == "amber" and bar.fresh.text() == "kmon-demo: pods silent 75s"
    assert "kmon-demo</b>: pods silent 75s" in bar.fresh.toolTip()


def test_several_contexts_name_the_worst_and_list_all_in_the_tooltip(qapp):
    ws = FakeWorkspace(["kmon-demo", "kmon-demo-2", "prod"])
    ws.synced("kmon-demo", "pods", 1000.0)
    ws.synced("kmon-demo-2", "pods", 1000.0)
    ws.synced("prod", "pods", 1000.0)
    bar = StatusBar(ws)
    ws.now[0] = 1003.0
    bar.refresh()
    assert bar.worst == "ok" and bar.fresh.text() == "prod: fresh · last event 3s ago"  # the last opened
    ws.synced("kmon-demo", "pods", 1070.0)
    ws.synced("prod", "pods", 1070.0)
    ws.now[0] = 1071.0
    bar.refresh()  # kmon-demo-2 has been silent for 71 s: amber, named although others are fresh
    assert bar.worst == "amber" and bar.fresh.text() == "kmon-demo-2: pods silent 71s"
    tip = bar.fresh.toolTip()
    for line in ("<b>kmon-demo</b>: fresh · last event 1s ago", "<b>kmon-demo-2</b>: pods silent 71s",
                 "<b>prod</b>: fresh · last event 1s ago"):
        assert line in tip, tip
    ws.states.apply([SessionItem("prod", "pods", "error", "pods: 403 Forbidden", "failed", 1071.0)])
    bar.refresh()  # failing is worse than silent
    assert bar.worst == "red" and bar.fresh.text() == "prod: pods failing"


def _path(queue, features, initial_sync="LIST"):
    return SimpleNamespace(queue=queue, initial_sync=initial_sync, features=features)


def test_the_client_go_path_is_said_once_when_every_informer_runs_the_same(qapp):
    from kmon.cache.features import FeatureGates

    ws = FakeWorkspace(["kmon-demo", "prod"])
    for ctx in ws.sessions:
        ws.synced(ctx, "pods", 1000.0)
        ws.synced(ctx, "nodes", 1000.0)
    bar = StatusBar(ws)
    assert bar.context.text() == "Context: kmon-demo, prod"  # nothing known yet: nothing said
    latest = _path("RealFIFO (atomic, batched, unlocking)", FeatureGates(), "WatchList")
    for ctx in ws.sessions:
        ws.paths[ctx] = {"pods": latest, "nodes": latest}
    bar.timer.timeout.emit()  # (read once a second, not per batch)
    assert bar.context.text() == "Context: kmon-demo, prod · client-go 1.36"
    table = bar.table_html()
    assert "<p>every informer runs client-go 1.36</p>" in table and "<th>gates</th>" not in table
    assert ("<td>kmon-demo</td><td>pods</td><td>synced</td><td>&lt;1s</td><td>ok</td>"
            "<td>RealFIFO (atomic, batched, unlocking)</td><td>WatchList</td></tr>") in table
    # one context on the classic path: each context says its own, each row its gates
    classic = _path("DeltaFIFO", FeatureGates.for_client_go("1.32"))
    ws.paths["prod"] = {"pods": classic, "nodes": classic}
    bar.timer.timeout.emit()
    assert bar.context.text() == "Context: kmon-demo, prod"
    assert bar.context.toolTip() == "kmon-demo: client-go 1.36\nprod: client-go 1.32"
    table = bar.table_html()
    assert "<th>gates</th>" in table and "every informer runs" not in table
    assert "<td>prod</td><td>pods</td><td>synced</td><td>&lt;1s</td><td>ok</td><td>DeltaFIFO</td><td>LIST</td><td>1.32</td>" in table


def test_a_context_without_events_yet_and_no_context(qapp):
    ws = FakeWorkspace(["kmon-demo"])
    bar = StatusBar(ws)
    bar.refresh()
    assert bar.fresh.text() == "kmon-demo: waiting for events" and not bar.fresh.isHidden()
    ws.sessions.clear()
    bar.refresh()
    assert bar.fresh.isHidden()


def test_a_message_too_long_for_the_bar_ends_in_an_ellipsis_with_the_whole_in_the_tooltip(qapp):
    bar = StatusBar(FakeWorkspace(["kmon-demo"]))
    bar.resize(700, 24)
    bar.show()
    text = ("demo fault on kmon-demo: Expire + drop watches — watch cache expired and 8 watches "
            "dropped: expect 410 and a relist on each")
    bar.showMessage(text, 5000)
    shown = bar.currentMessage()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) < bar.width()
    assert bar.toolTip() == text and bar.full_message == text
    bar.showMessage("short", 5000)
    assert bar.currentMessage() == "short" and bar.toolTip() == ""
    bar.clearMessage()
    assert bar.full_message == ""
