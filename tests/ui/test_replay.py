"""Replay in the GUI: a recording made against a churning sim, played back with the sim gone.

One recording per module (a few seconds of churn with an expired watch cache and dropped
watches in the middle, so the informers relist); every test replays it in a fresh window.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys

import pytest

from kmon.monitor.recording_reader import read_recording
from kmon.monitor.replay_rebuild import rebuild_cache
from kmon.monitor.replay_source import ReplaySource
from kmon.monitor.tree_node import OBJECT
from waiting import wait_for

pytestmark = pytest.mark.timeout(120)

RESOURCES = ["pods", "configmaps", "secrets"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# worker-thread conditions outside Qt: no event loop to wait on
_wait = functools.partial(wait_for, timeout=20.0)


def sim_recorder(d, name, *, seed, workload_seed, rate):
    """A sim with a small workload (populated, not churning yet) and a ``Recorder`` of
    ``RESOURCES`` on it (not started): (srv, wl, rec, path)."""
    from kmon.monitor.session_options import SessionOptions
    from kmon.headless.record import Recorder
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import write_kubeconfig
    from kmon.sim.workload import Workload

    srv = SimServer(token=f"t0ken-{name}", seed=seed).start()
    wl = Workload(srv.store, seed=workload_seed, rate=rate, namespaces=2, pods=30, secrets=2, configmaps=2,
                  max_events=40)
    wl.populate()
    kc = write_kubeconfig(d / "kubeconfig", [("sim", srv)])
    path = str(d / f"{name}.kmonrec")
    return srv, wl, Recorder(path, SessionOptions(resources=RESOURCES, kubeconfig=str(kc))), path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """(path, live caches at the stop as {(ctx, res): {key: rv}}, the Recording)."""
    srv, wl, rec, path = sim_recorder(tmp_path_factory.mktemp("replay"), "churn", seed=2, workload_seed=5, rate=60.0)
    try:
        wl.start()
        rec.start()
        assert rec.live.wait_synced(20)
        stats = lambda: rec.session.stats()["pods"]
        first = stats().deltas_processed
        _wait(lambda: stats().deltas_processed > first + 40, what="churn through the watch")
        # the watch falls behind the watch cache's window: 410 Expired, then a relist
        srv.faults.stall_watches(1.0)
        srv.faults.jump_revision(5)
        srv.faults.expire_watch_cache()
        srv.faults.drop_watches()
        _wait(lambda: stats().relists >= 1, what="the relist after the watch cache expired")
        after = stats().deltas_processed
        _wait(lambda: stats().deltas_processed > after + 40, what="churn after the relist")
    finally:
        summary = rec.stop()
        wl.stop()
    live = {}
    for res in RESOURCES:
        idx = rec.session.resources[res].informer.indexer
        live[("sim", res)] = {k: idx.get_by_key(k)[0]["metadata"]["resourceVersion"] for k in idx.list_keys()}
    srv.stop()  # replay must not need it
    assert summary["error"] is None
    recording = read_recording(path)
    assert recording.complete, recording.error
    assert any(r["kind"] == "reflector" and r["type"] == "Relist" for r in recording.records)
    return path, live, recording


@pytest.fixture
def no_network(monkeypatch):
    """Fail on any TCP connection attempt (replay must not make one)."""
    attempts = []
    real = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError("replay made a network request")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture
def replay(qtbot, qloop, settings):
    from kmon.ui.replay import build_replay

    made = []

    def make(path, speed=float("inf"), size=(1500, 900)):
        source = ReplaySource.open(path, speed)
        ws, win, ctl = build_replay(source, settings=settings)
        qtbot.addWidget(win)
        win.resize(*size)
        made.append((ws, win, ctl))
        return ws, win, ctl

    yield make
    for ws, win, ctl in made:
        ctl.stop()
        win.close()
        assert ws.close_all(timeout=1.0)
        ws.runner.shutdown(wait=True)
    qloop.close()  # now, while its Qt objects live (not from a garbage collection later)


def tree_view(ws):
    """{(context, resource): {key: rv}} of what the tree shows (live rows only)."""
    out = {}
    for n in ws.tree.objects():
        out.setdefault((n.context, n.resource), {})[n.key] = n.rv
    return out


def cache_view(caches):
    return {k: {key: o["metadata"]["resourceVersion"] for key, o in c.items()} for k, c in caches.items() if c}


def play_to_end(qtbot, ws, ctl, timeout=30000):
    ctl.start()
    ctl.play()
    qtbot.waitUntil(lambda: ctl.source.at_end and not ctl.playing and ws.bridge.pending() == 0, timeout=timeout)
    ctl.parent().views.flush()  # the docked views take the last batch in the next loop pass


def test_replay_at_max_speed_ends_with_the_recorded_cache(recorded, replay, qtbot, no_network):
    path, live, recording = recorded
    ws, win, ctl = replay(path)
    win.show()
    assert win.windowTitle() == f"kmon — replay — {os.path.basename(path)}"
    assert "sim" in win.replay_header.text() and "started" in win.replay_header.text()
    assert not win.switcher.isEnabled() and not win.act_open.isEnabled()
    assert win.replay_message is None and not win.errors.isVisible()
    play_to_end(qtbot, ws, ctl)
    rebuilt = cache_view(rebuild_cache(recording.records))
    assert tree_view(ws) == rebuilt
    assert rebuilt == {k: v for k, v in live.items() if v}
    # counts at every level agree with the rows below
    assert ws.tree.context("sim").count == sum(len(v) for v in rebuilt.values())
    # the status bar's states came from the recorded reflector events
    assert all(ws.states.resources[("sim", r)].state == "synced" for r in RESOURCES)
    stats = ws.sessions["sim"].stats()
    assert stats["pods"].relists >= 1 and stats["pods"].lists >= 2 and stats["pods"].synced
    assert stats["pods"].store_size == len(rebuilt[("sim", "pods")])
    assert "end" in win.replay_position.text()
    # the docked views took the same batches: every record is a row of the event log, and
    # the inspector's figures come from the recorded reflector events
    views = win.views
    # (plus one header row per atomic relist or resync, as live)
    assert sum(1 for r in views.journal if not r.members) == len(recording.records)
    assert {r.type for r in views.journal if r.members} >= {"ReplacedAll"}
    views.sample_replay()
    assert int(views.inspector.model.cell("sim", "pods", "Relists")) >= 1
    assert views.inspector.model.cell("sim", "pods", "Store") == f"{len(rebuilt[('sim', 'pods')]):,}"
    assert not views.inspector.verify_btn.isEnabled() and "live cluster" in views.inspector.verify_btn.toolTip()
    assert views.faults is None
    assert no_network == []


def _gap_time(records):
    """A time in the middle of the recording that splits the records cleanly (every record
    before it is older, every one after it newer), so the rebuilt cache is unambiguous."""
    times = [float(r["time"]) for r in records]
    n = len(times)
    suffix_min = [0.0] * (n + 1)
    suffix_min[n] = float("inf")
    for i in range(n - 1, -1, -1):
        suffix_min[i] = min(times[i], suffix_min[i + 1])
    running = float("-inf")
    best = None
    for i in range(n - 1):
        running = max(running, times[i])
        if running < suffix_min[i + 1] and (best is None or abs(i - n // 2) < abs(best[0] - n // 2)):
            best = (i, running)
    assert best is not None
    return best[1]


def test_seeking_shows_the_cache_as_it_was_then_and_playback_continues(recorded, replay, qtbot, no_network):
    path, _live, recording = recorded
    ws, win, ctl = replay(path)
    win.show()
    play_to_end(qtbot, ws, ctl)
    end_view = tree_view(ws)
    t = _gap_time(recording.records)
    resets = []
    ws.model.modelReset.connect(lambda: resets.append(1))
    inserted = []
    ws.model.rowsInserted.connect(lambda *a: inserted.append(a))
    ctl.seek(t)
    assert len(resets) == 1 and inserted == []  # one reset, not an insertion per object
    want = cache_view(rebuild_cache(recording.records, until=t))
    assert tree_view(ws) == want and want != end_view
    assert t - 0.001 <= ctl.source.position <= t + 0.001
    assert win.transport.slider.value() == win.transport.value_at(t)
    # the event log was refilled with what happened up to t, in one go
    rows = list(win.views.journal)
    assert rows and sum(1 for r in rows if not r.members) == sum(1 for r in recording.records if r["time"] <= t)
    assert max(r.time for r in rows) <= t
    # the slider seeks too (a click on its groove: no drag)
    slider = win.transport.slider
    slider.setValue(slider.maximum() // 4)
    assert ctl.seeks == 2
    applied = ctl.source.replayer._index
    assert tree_view(ws) == cache_view(rebuild_cache(recording.records[:applied]))
    # and playback goes on from there to the same end
    ctl.play()
    qtbot.waitUntil(lambda: ctl.source.at_end and not ctl.playing and ws.bridge.pending() == 0, timeout=30000)
    assert tree_view(ws) == end_view
    assert no_network == []


def _busy_key(records):
    counts = {}
    for r in records:
        if r["kind"] == "delta" and r["resource"] == "pods" and not r["initial"]:
            counts[r["key"]] = counts.get(r["key"], 0) + 1
    key = max((k for k, n in counts.items() if n <= 30), key=lambda k: counts[k])
    assert counts[key] >= 2
    return key


def test_history_of_an_object_shows_its_recorded_deltas(recorded, replay, qtbot, no_network):
    path, _live, recording = recorded
    key = _busy_key(recording.records)
    deltas = [(r["type"], r["resource_version"]) for r in recording.records
              if r["kind"] == "delta" and r["resource"] == "pods" and r["key"] == key]
    ws, win, ctl = replay(path)
    win.show()
    play_to_end(qtbot, ws, ctl)
    got = [(e.type, e.resource_version) for e in ws.history.entries("sim", "pods", key)]
    assert got == deltas
    node = ws.tree.find("sim", "pods", key)
    if node is not None:  # still there at the end: the detail pane shows the same history
        assert win.tree.select_node(node)
        qtbot.waitUntil(lambda: win.detail.entries.topLevelItemCount() == len(deltas), timeout=5000)
        assert win.detail.tabs.tabText(1) == f"History ({len(deltas)})"
    # after a jump back, the history holds what had happened by then
    t = _gap_time(recording.records)
    ctl.seek(t)
    before = [(r["type"], r["resource_version"]) for r in recording.records
              if r["kind"] == "delta" and r["resource"] == "pods" and r["key"] == key and r["time"] <= t]
    assert [(e.type, e.resource_version) for e in ws.history.entries("sim", "pods", key)] == before


def test_a_recording_cut_mid_line_loads_up_to_the_cut_and_says_where(recorded, replay, qtbot, tmp_path, no_network):
    path, _live, _recording = recorded
    data = open(path, "rb").read()
    cut = tmp_path / "cut.kmonrec"
    cut.write_bytes(data[: len(data) * 2 // 3])
    damaged = read_recording(cut)
    assert damaged.error and damaged.records
    ws, win, ctl = replay(str(cut))
    win.show()
    qtbot.waitUntil(win.errors.isVisible, timeout=2000)
    text = " ".join(win.errors.texts())
    assert f"recording truncated at byte {len(data) * 2 // 3}" in text
    assert "stops at" in text and f"{len(damaged.records)} records after the header were loaded" in text
    play_to_end(qtbot, ws, ctl)
    assert tree_view(ws) == cache_view(rebuild_cache(damaged.records))
    assert no_network == []


def test_screenshot_of_the_replay_window(recorded, replay, qtbot):
    """What a person sees, saved for a look: mid-recording, a pod selected."""
    from kmon.ui.app import expand_for_screenshot

    path, _live, recording = recorded
    ws, win, ctl = replay(path)
    win.show()
    play_to_end(qtbot, ws, ctl)
    ctl.seek(_gap_time(recording.records))
    expand_for_screenshot(win)
    qtbot.waitUntil(lambda: win.tree.selected_node() is not None and win.tree.selected_node().level == OBJECT, timeout=5000)
    out = os.environ.get("KMON_REPLAY_SHOT", "/tmp/kmon-replay-test.png")
    assert win.grab().save(out, "PNG")


def test_kmon_replay_command_renders_a_screenshot(recorded, tmp_path):
    path, _live, _recording = recorded
    shot = tmp_path / "replay.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=REPO)
    out = subprocess.run(
        [sys.executable, "-m", "kmon", "replay", path, "--speed", "60", "--screenshot", str(shot), "--after", "1"],
        capture_output=True, timeout=90, cwd=REPO, env=env,
    )
    assert out.returncode == 0, out.stderr.decode()
    assert shot.stat().st_size > 10_000


def test_transport_controls_drag_speed_and_play_again(recorded, replay, qtbot):
    path, _live, recording = recorded
    ws, win, ctl = replay(path, speed=1.0)
    bar = win.transport
    # speed box: "max" plays the rest at once
    bar.speed.setCurrentIndex(bar.speed.findText("max"))
    bar.speed.activated.emit(bar.speed.currentIndex())
    assert ctl.source.speed == float("inf")
    play_to_end(qtbot, ws, ctl)
    assert bar.act_play.text() == "Play"
    end_view = tree_view(ws)
    # dragging shows the time under the handle and seeks once, on release
    bar.slider.setSliderDown(True)
    bar.slider.setValue(bar.slider.maximum() // 2)
    assert ctl.seeks == 0 and "+" in bar.time_label.text()
    bar.slider.setSliderDown(False)
    assert ctl.seeks == 1
    assert abs(ctl.source.position - bar.time_at(bar.slider.maximum() // 2)) < 0.001
    # Play at the end starts again from the start, views included
    play_to_end(qtbot, ws, ctl)
    ctl.play()
    assert ctl.seeks == 2 and ctl.playing
    qtbot.waitUntil(lambda: ctl.source.at_end and not ctl.playing and ws.bridge.pending() == 0, timeout=30000)
    assert tree_view(ws) == end_view
