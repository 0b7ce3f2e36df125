"""The demo fault toolbar, end to end: each button does what its label and tooltip promise,
and the user sees it -- in the status bar, and as relists (or none) in the event log."""

from __future__ import annotations

import re
import time

import pytest

RES = ("configmaps", "pods")


@pytest.fixture
def app(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", ",".join(RES)], contexts=["kmon-demo"])
    app.win.views.set_demo(demo)
    app.open()
    app.wait_synced()
    app.win.show()
    # dropped within a second of starting, a watch that received nothing is a "very short
    # watch" (an error and a relist, as in client-go): let every watch pass that first
    srv = demo.servers["kmon-demo"]
    qtbot.waitUntil(lambda: len(srv.watches) >= len(RES)
                    and all(time.monotonic() - w.started > 1.0 for w in srv.watches.all()), timeout=10000)
    return app


def _click(app, qtbot, fid):
    """Click a fault button; returns the journal position before it."""
    views = app.win.views
    seq = views.journal.total
    with qtbot.waitSignal(views.faults.sigInjected, timeout=5000) as sig:
        views.faults.buttons[fid].click()
    assert sig.args == ["kmon-demo", fid]
    assert app.win.statusBar().full_message == views.faults.last_outcome  # what the user reads (elided to fit)
    return seq


def _rows(app, seq, kind, resource=None):
    rows = app.win.views.journal.since(seq)[0]
    return [r for r in rows if r.type == kind and r.category == "reflector" and (resource is None or r.resource == resource)]


def _watching_again(app, qtbot, demo, seq):
    """Until each informer's new watch is open and has delivered an event (an ERROR 410 would
    have come first)."""
    qtbot.waitUntil(lambda: all(_rows(app, seq, "WatchStarted", r) for r in RES), timeout=20000)
    pos = app.win.views.journal.total
    demo.servers["kmon-demo"].store.create("configmaps", {"metadata": {"generateName": "probe-", "namespace": "shop"}})

    def delivered(r):
        return any(x.category == "delta" and x.resource == r and x.detail not in ("initial list", "relist")
                   for x in app.win.views.journal.since(pos)[0])

    qtbot.waitUntil(lambda: all(delivered(r) for r in RES), timeout=20000)


def test_buttons_say_what_they_do(app):
    faults = app.win.views.faults
    assert [b.text() for b in faults.buttons.values()] == [
        "Compact storage", "Expire watch cache", "Expire + drop watches", "Drop watches", "Restart (3 s)",
        "Stall watches (10 s)", "429 burst", "Malformed line"]
    assert "no 410, no relist" in faults.buttons["compact"].toolTip()
    assert "410" in faults.buttons["expire"].toolTip() and "next watch restart" in faults.buttons["expire"].toolTip()
    assert "relists now" in faults.buttons["expire-drop"].toolTip()
    assert "503" in faults.buttons["restart"].toolTip() and "relists" in faults.buttons["restart"].toolTip()


def test_compact_storage_then_drop_watches_causes_no_relist(app, qtbot, demo):
    seq = _click(app, qtbot, "compact")
    assert "no 410, no relist" in app.win.views.faults.last_outcome
    _click(app, qtbot, "drop")
    assert "no relist" in app.win.views.faults.last_outcome
    _watching_again(app, qtbot, demo, seq)
    assert not _rows(app, seq, "Expired") and not _rows(app, seq, "Relist")


def test_expire_watch_cache_gives_410_and_a_relist_at_the_next_watch_restart(app, qtbot, demo):
    demo.pause()  # no event may move an informer past the expiry before its watch restarts
    try:
        seq = _click(app, qtbot, "expire")
        assert "next watch restart" in app.win.views.faults.last_outcome
        assert not _rows(app, seq, "WatchEnded")  # open watches carry on
        _click(app, qtbot, "drop")  # the next watch restart
        for r in RES:
            qtbot.waitUntil(lambda: bool(_rows(app, seq, "Expired", r) and _rows(app, seq, "Relist", r)), timeout=20000)
        assert "410" in _rows(app, seq, "Relist", "pods")[-1].detail
    finally:
        demo.resume()


def test_expire_and_drop_relists_right_away(app, qtbot):
    seq = _click(app, qtbot, "expire-drop")
    assert re.search(r"\d+ watches dropped: expect 410 and a relist", app.win.views.faults.last_outcome)
    for r in RES:
        qtbot.waitUntil(lambda: bool(_rows(app, seq, "Expired", r) and _rows(app, seq, "Relist", r)), timeout=20000)
    series = app.win.views.book.get("kmon-demo", "pods")
    assert any(m.kind == "expired" for m in series.markers) and any(m.kind == "relist" for m in series.markers)


def test_restart_shows_errors_while_down_then_relists(app, qtbot):
    seq = _click(app, qtbot, "restart")
    assert "refused for 3 s" in app.win.views.faults.last_outcome
    errors = lambda: [r for r in app.win.views.journal.since(seq)[0] if r.level == "error" or r.type == "Error"]
    qtbot.waitUntil(lambda: any(re.search(r"refused|connect", r.detail) for r in errors()), timeout=15000)
    for r in RES:  # the restarted server's watch cache starts empty: every informer relists
        qtbot.waitUntil(lambda: bool(_rows(app, seq, "Relist", r)), timeout=30000)
    app.wait_synced(30000)
