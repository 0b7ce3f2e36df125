"""An unknown resource name (``--resources pods,nosuchthing``) is rejected at start with
kubectl's message, shown once in the error area, and is nowhere a resource of the context:
no failing state, no chart series, no inspector or picker row; the others run (kmon issue 10,
point 16)."""

from __future__ import annotations

from PySide6.QtCore import Qt

MSG = 'error: the server doesn\'t have a resource type "nosuchthing"'


def test_unknown_resource_is_rejected_once_and_the_others_run(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "pods,nosuchthing"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    win, ws = app.win, app.ws
    qtbot.waitUntil(lambda: any(MSG in t for t in win.errors.texts()), timeout=5000)
    assert ws.running_resources("kmon-demo") == ["pods"]
    session = ws.session("kmon-demo")
    assert set(session.unknown_resources) == {"nosuchthing"} and session.failed_resources == {}
    # more batches, a status refresh and a picker refresh later: still said once, no retry
    seen = win.views.journal.total
    qtbot.waitUntil(lambda: win.views.journal.total > seen + 20, timeout=10000)
    win.status.refresh()
    win.picker.refresh()
    assert sum(MSG in t for t in win.errors.texts()) == 1
    assert [r.type for r in win.views.journal if r.type == "rejected"] == ["rejected"]
    # not a resource anywhere
    assert ("kmon-demo", "nosuchthing") not in ws.states.resources
    cs = ws.states.contexts["kmon-demo"]
    assert cs.state == "ready" and cs.error == "" and "nosuchthing" in cs.rejected
    assert "failing" not in ws.tree.root.child("kmon-demo").progress
    assert "failing" not in win.status.synced.text() and "nosuchthing" not in win.status.fresh.text()
    assert win.status.synced.text().startswith("1/1 synced")
    assert win.views.book.get("kmon-demo", "nosuchthing") is None
    # the inspector fills from the once-a-second stats sample
    qtbot.waitUntil(lambda: [r.resource for r in win.views.inspector.model.rows] == ["pods"], timeout=5000)
    names = [win.picker.model.item(r).text() for r in range(win.picker.model.rowCount())]
    assert "nosuchthing" not in names and "pods" in names
    discovered = {r.full_name for r in ws.available_resources("kmon-demo")}
    assert set(names) <= discovered
    checked = [n for r, n in enumerate(names) if win.picker.model.item(r).checkState() == Qt.CheckState.Checked]
    assert checked == ["pods"]
