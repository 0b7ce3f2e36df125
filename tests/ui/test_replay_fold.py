"""Replay shows the numbers live showed: a session recorded against the sim with churn and
a relist, the live informers' stats captured at quiet moments (everything the server
wrote had reached the cache), then replayed with the sim gone and compared at those
moments: the inspector's state, Synced rv and store size, the resourceVersion chart, and at
the end the stopped informers. Also the transport slider (a click jumps) and what a seek
leaves in the charts, and the status bar at 1280x720."""

from __future__ import annotations

import math

import numpy as np
import pytest
from waiting import wait_for
from PySide6.QtCore import QPoint, Qt
from test_replay import RESOURCES, replay, sim_recorder  # noqa: F401  (replay: a fixture)

from kmon.monitor.recording_reader import read_recording
from kmon.ui.inspector_model import state_of

pytestmark = pytest.mark.timeout(120)


def _caught_up(session, store) -> bool:
    """Every informer holds exactly what the server holds, with nothing queued."""
    stats = session.stats()
    for res in RESOURCES:
        idx = session.resources[res].informer.indexer
        mine = {k: idx.get_by_key(k)[0]["metadata"]["resourceVersion"] for k in idx.list_keys()}
        theirs = {}
        for o in store.list(res):
            m = o["metadata"]
            theirs[f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]] = m["resourceVersion"]
        if mine != theirs or stats[res].queue_depth:
            return False
    return True


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """(path, snapshots): the live stats at quiet moments, [(time, {resource: (state,
    synced rv, store size)})], the last one after the stop."""
    import time

    srv, wl, rec, path = sim_recorder(tmp_path_factory.mktemp("fold"), "fold", seed=3, workload_seed=7, rate=0.0)
    snapshots = []

    def snapshot():
        wait_for(lambda: _caught_up(rec.session, srv.store), timeout=20, what="the informers to catch up")
        stats = rec.session.stats()
        now = time.time()
        snapshots.append((now, {r: (state_of(stats[r]), stats[r].last_synced_version, stats[r].store_size)
                                for r in RESOURCES}))
        # the next writes in the next second: each snapshot ends its second of the charts
        wait_for(lambda: time.time() >= math.floor(now) + 1.05, what="the next second")

    try:
        rec.start()
        assert rec.live.wait_synced(20)
        for rnd in range(6):
            wl.step(40)
            snapshot()
            if rnd == 2:  # the watches fall behind the watch cache's window: 410, then relists
                relists = {r: st.relists for r, st in rec.session.stats().items()}
                srv.faults.jump_revision(5)
                srv.faults.expire_watch_cache()
                srv.faults.drop_watches()
                wait_for(lambda: all(st.relists > relists[r] and st.state == "watching"
                                     for r, st in rec.session.stats().items()), timeout=20, what="the relists")
                snapshot()
        last = snapshots[-1][0]
        wait_for(lambda: time.time() >= math.floor(last) + 1.5, what="the last snapshot's second to be over")
    finally:
        summary = rec.stop()
    stats = rec.session.stats()
    snapshots.append((time.time(), {r: (state_of(stats[r]), stats[r].last_synced_version, stats[r].store_size)
                                    for r in RESOURCES}))
    srv.stop()
    assert summary["error"] is None
    assert read_recording(path).complete
    return path, snapshots


def _inspector(win, res):
    model = win.views.inspector.model
    return (model.cell("sim", res, "State"), model.cell("sim", res, "Synced rv"),
            int(model.cell("sim", res, "Store").replace(",", "")))


def _chart_rv(win, res, t):
    """The resourceVersion curve's value in the second of ``t``."""
    c = win.views.charts.curves[("sim", res)]
    i = int(np.searchsorted(c.rv.xData, math.floor(t), side="right")) - 1
    assert c.rv.xData[i] == math.floor(t)
    return c.rv.yData, i


def test_the_replayed_inspector_and_charts_show_what_live_showed(recorded, replay, qtbot):
    path, snapshots = recorded
    ws, win, ctl = replay(path)
    win.show()
    charts = win.views.charts
    for t, live in snapshots[:-1]:
        ctl.seek(t)
        win.views.sample_replay()
        assert {r: _inspector(win, r) for r in RESOURCES} == live, t
    # the resourceVersion chart: the same values (each snapshot ends its second), never
    # going back (no saw-tooth)
    ctl.seek(ctl.source.end_time)
    charts.set_shown(None)
    for t, live in snapshots[:-1]:
        for res in RESOURCES:
            y, i = _chart_rv(win, res, t)
            assert y[i] == int(live[res][1]), (res, t)
    for res in RESOURCES:
        y = charts.curves[("sim", res)].rv.yData
        y = y[np.isfinite(y)]
        assert len(y) and (np.diff(y) >= 0).all(), res
    # the end: the session stopped, and the tree and the inspector say so alike (played
    # again from the start, at max speed)
    ctl.start()
    ctl.play()
    qtbot.waitUntil(lambda: ctl.source.at_end and not ctl.playing and ws.bridge.pending() == 0, timeout=30000)
    win.views.sample_replay()
    assert {r: _inspector(win, r) for r in RESOURCES} == snapshots[-1][1]
    assert {r: _inspector(win, r)[0] for r in RESOURCES} == {r: "stopped" for r in RESOURCES}
    assert ws.tree.context("sim").state == "stopped"


def test_after_a_seek_every_plot_shows_the_data_up_to_then(recorded, replay, qtbot):
    path, snapshots = recorded
    ws, win, ctl = replay(path)
    win.show()
    charts = win.views.charts
    t = math.floor(snapshots[3][0]) + 1.1  # early in a second: the one before is complete all the same
    ctl.seek(t)
    charts.set_shown(None)
    records = [r for r in ctl.source.recording.records if r["time"] < math.floor(t)]
    first_list = min(r["time"] for r in records if r["kind"] == "reflector" and r["type"] == "ListFinished")
    # no queue plot for a recording (it has no queue depths); the others drawn up to the seek
    assert not charts.glw.queue_shown and charts.p_queue.scene() is None
    for res in RESOURCES:
        c = charts.curves[("sim", res)]
        for curve in (c.rv, c.size):
            x, y = curve.xData, curve.yData
            assert x[-1] == math.floor(t) - 1  # the last complete second
            drawn = x[np.isfinite(y)]
            assert drawn[0] <= math.floor(first_list) + 1, (res, curve)  # from the first list on
            assert len(drawn) == len(x[x >= drawn[0]]), (res, curve)  # and every second after it
    deltas = sum(1 for r in records if r["kind"] == "delta")
    total = sum(float(c.yData.sum()) for c in charts.type_curves.values())
    assert total == deltas  # events/s: every delta before the last complete second
    # the size plot's last second ends with the store live had then (the snapshot; the
    # next writes came only after that second, and may fall between it and ``t``)
    for res in RESOURCES:
        assert charts.curves[("sim", res)].size.yData[-1] == snapshots[3][1][res][2]


def test_a_click_on_the_slider_jumps_there_and_keys_step_sensibly(recorded, replay, qtbot):
    path, _snapshots = recorded
    ws, win, ctl = replay(path)
    win.show()
    bar = win.transport
    slider = bar.slider
    qtbot.waitExposed(win)
    x = int(slider.width() * 0.75)
    want = slider.value_at_x(x)
    assert abs(want - slider.maximum() * 0.75) <= slider.maximum() * 0.05
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(x, slider.height() // 2))
    assert ctl.seeks == 1 and slider.value() == want
    assert ctl.source.position == pytest.approx(bar.time_at(want), abs=1e-6)
    # a click near the start: there, not one page on from where the handle was
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(int(slider.width() * 0.1), slider.height() // 2))
    assert ctl.seeks == 2 and slider.value() < want / 2
    # keys: one second per arrow, a tenth of the recording (1 s .. 60 s) per page
    slider.setFocus()
    before = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert slider.value() == before + 10 and ctl.seeks == 3
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    assert slider.value() - (before + 10) == slider.pageStep()
    span = ctl.source.end_time - ctl.source.start_time
    assert slider.pageStep() == 10 * min(60, max(1, round(span / 10)))
    assert "Click" in slider.toolTip()


def test_a_status_message_never_covers_the_recording_header_at_1280x720(recorded, replay, qtbot, tmp_path):
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QSizeGrip, QWidget

    path, _snapshots = recorded
    cut = tmp_path / "cut.kmonrec"  # a damaged recording: the replay has something to say
    data = open(path, "rb").read()
    cut.write_bytes(data[: len(data) // 2])
    ws, win, ctl = replay(str(cut), size=(1280, 720))
    win.show()
    qtbot.waitExposed(win)
    status, header = win.status, win.replay_header
    assert win.errors.isVisible() and "stops at" in " ".join(win.errors.texts())
    assert status.minimumSizeHint().width() <= 1280

    def first_permanent_x():  # QStatusBar draws a message from x=6 up to its first permanent widget
        others = [w for w in status.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                  if w.isVisible() and w is not header and not isinstance(w, QSizeGrip)]
        return min(w.x() for w in others)

    assert header.isVisible() and header.geometry().right() < first_permanent_x()
    msg = "⚠ sim: watch error: the server closed the connection (a message as long as real ones get)"
    status.showMessage(msg)
    qtbot.waitUntil(lambda: not header.isVisible())  # the message takes the header's place
    rect = QRect(6, 0, first_permanent_x() - 2 - 6, status.height())
    assert rect.width() >= status.fontMetrics().horizontalAdvance(msg)
    assert not (header.isVisible() and header.geometry().intersects(rect))
    status.clearMessage()
    qtbot.waitUntil(header.isVisible)
    assert "Recording: sim" in header.text()
