"""The Compare window: opened from the Context menu and a resource's row menu, it runs two
client-go versions on the context's resource off the GUI thread (the window stays responsive
while they start and run), provokes a relist on the demo, and shows the verdict, a card per
side, the differences and both sides' calls; closing it mid-run stops both informers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)

CTX = "kmon-demo"


@pytest.fixture
def app(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "pods"], contexts=[CTX]).open()
    qtbot.waitUntil(lambda: app.ws.all_synced() and any(app.ws.tree.objects(CTX, "pods")), timeout=30000)
    app.win.views.set_demo(demo)
    return app


def test_menus_open_the_window_for_the_context_and_the_rows_object(app, qtbot):
    win, ws = app.win, app.ws
    assert win.menus.act_compare in win.menus.context.actions()
    win.show()
    node = next(iter(ws.tree.objects(CTX, "pods")))
    win.tree.select_node(node)
    pos = win.tree.visualRect(win.tree.model().index_for(node)).center()
    menu = win.menus.tree_menu(pos)
    entry = next(a for a in menu.actions() if a.text().startswith("Compare client-go paths of"))
    assert entry.text() == "Compare client-go paths of pods…"
    entry.trigger()
    menu.close()
    cw = win.menus._compare
    assert cw.isVisible() and cw.context.currentText() == CTX and cw.resource.currentText() == "pods"
    assert cw.filter.text() == node.key
    assert (cw.side_a.currentData(), cw.side_b.currentData()) == ("1.32", "1.36")
    assert cw.relist.isEnabled() and cw.provoke_button.isVisible()  # the demo can be made to relist
    win.menus.act_compare.trigger()
    assert win.menus._compare is cw  # one window, raised again


def test_a_run_with_a_relist_shows_both_sides_and_the_caches_agree(app, qtbot):
    cw = app.win.menus.show_compare(CTX, "pods")
    cw.seconds.setValue(5)
    cw.relist.setChecked(True)
    assert cw.start()
    # the GUI thread did not wait: the informers start on the task runner
    assert cw.run is None and cw.start_button.text() == "Starting…" and not cw.start_button.isEnabled()
    qtbot.waitUntil(lambda: cw._state == "running", timeout=30000)
    assert cw.start_button.text() == "Stop and compare" and not cw.side_a.isEnabled()
    qtbot.waitUntil(lambda: "calls" in cw.status.text(), timeout=5000)
    qtbot.waitUntil(lambda: cw.comparison is not None, timeout=60000)
    c = cw.comparison
    assert c.caches.equal and c.caches.server_checked
    for side in (c.a, c.b):
        assert sum(m.kind == "Relist" for m in side.marks) >= 2  # the initial list and the provoked relist
    assert cw.summary.cards[0].title.text() == "client-go 1.32"
    assert cw.summary.cards[1].values["Queue"].text() == "RealFIFO (atomic, batched, unlocking)"
    assert cw.summary.verdict.text().startswith("1.32 and 1.36 ") and "caches agree" in cw.summary.verdict.text()
    assert cw.start_button.text() == "Start" and cw.side_a.isEnabled()
    cw.only_differences.setChecked(False)
    assert cw.model.rowCount() == len(c.rows) > 0
    assert cw.shown.text() == f"{len(c.rows)} of {len(c.rows)} rows"


def test_stopping_early_compares_what_was_heard_and_closing_mid_run_stops_the_informers(app, qtbot):
    cw = app.win.menus.show_compare(CTX, "pods")
    cw.seconds.setValue(600)
    cw.start()
    qtbot.waitUntil(lambda: cw._state == "running", timeout=30000)
    cw.start_button.click()  # Stop and compare
    qtbot.waitUntil(lambda: cw.comparison is not None, timeout=30000)
    assert cw.comparison.caches.equal
    cw.start()
    qtbot.waitUntil(lambda: cw._state == "running", timeout=30000)
    run = cw.run
    cw.close()
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in run._threads), timeout=20000)
    assert cw.run is None and cw._state == "idle"
