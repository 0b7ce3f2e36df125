"""Integration tier for the event log, charts and cache inspector on the demo cluster: an
expired watch cache plus dropped watches, seen in all three views; Verify cache clean, then with an
injected drift."""

from __future__ import annotations


def _relists(views, ctx, res):
    cell = views.inspector.model.cell(ctx, res, "Relists")
    return int(cell.replace(",", "")) if cell else -1


def test_expired_watch_cache_and_dropped_watches_then_verify(make_app, demo, qtbot):
    store = demo.servers["kmon-demo"].store
    store.create("configmaps", {"metadata": {"name": "drift-probe", "namespace": "shop"}, "data": {"a": "1"}})
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps,pods"], contexts=["kmon-demo"]).open()
    try:
        app.wait_synced()
        app.win.show()
        views = app.win.views
        qtbot.waitUntil(lambda: _relists(views, "kmon-demo", "pods") >= 0, timeout=5000)
        before = _relists(views, "kmon-demo", "pods")
        seen_before = views.journal.total
        demo.pause()
        # a write elsewhere moves the revision past what the pods informer last saw; the
        # watch cache's history goes at once, so its watch cannot resume: 410, then a relist
        # (a compaction of storage alone would not do: the watch cache serves the re-watch)
        srv = demo.servers["kmon-demo"]
        store.patch("configmaps", "drift-probe", {"data": {"a": "2"}}, "shop")
        srv.faults.expire_watch_cache()
        srv.faults.drop_watches()

        def new_rows():
            return [r for r in views.journal.since(seen_before)[0] if r.resource == "pods"]

        def saw(kind):
            return [r for r in new_rows() if r.type == kind]

        qtbot.waitUntil(lambda: bool(saw("Expired") and saw("Relist")), timeout=20000)
        relist = saw("Relist")[-1]
        assert "410" in relist.detail or "expired" in relist.detail.lower(), relist.detail
        # the chart's series has a relist marker (and draws it)
        series = views.book.get("kmon-demo", "pods")
        assert any(m.kind == "relist" for m in series.markers)
        assert any(m.kind == "expired" for m in series.markers)
        views.charts.set_shown([("kmon-demo", "pods")])
        assert any(t.startswith("relist") for t in views.charts.marker_spots(("kmon-demo", "pods")))
        # the inspector counts one more relist
        qtbot.waitUntil(lambda: _relists(views, "kmon-demo", "pods") == before + 1, timeout=10000)
        # the event log view shows them when filtered to reflector events
        views.log.set_types({"Relist", "Expired"})
        shown = views.log.model.shown_rows()
        assert any(r.type == "Relist" for r in shown) and any(r.type == "Expired" for r in shown)
        views.log.set_types(None)

        # Verify cache: no difference
        insp = views.inspector
        assert insp.select("kmon-demo", "configmaps")
        insp.verify_btn.click()
        qtbot.waitUntil(lambda: ("kmon-demo", "configmaps") in insp.results, timeout=20000)
        result = insp.results[("kmon-demo", "configmaps")]
        assert not isinstance(result, Exception) and result.ok, result
        assert "matches the server" in insp.result_text()
        qtbot.waitUntil(lambda: insp.model.cell("kmon-demo", "configmaps", "Verify").startswith("ok"), timeout=5000)
        qtbot.waitUntil(lambda: any(r.type == "verified" and r.resource == "configmaps" for r in views.journal), timeout=5000)

        # injected drift: an object removed from the indexer behind the informer's back
        informer = app.ws.sessions["kmon-demo"].resources["configmaps"].informer
        o, exists = informer.indexer.get_by_key("shop/drift-probe")
        assert exists
        informer.indexer.delete(o)
        del insp.results[("kmon-demo", "configmaps")]
        task = insp.verify("kmon-demo", "configmaps")
        assert task is not None  # the GUI thread did not wait
        qtbot.waitUntil(lambda: ("kmon-demo", "configmaps") in insp.results, timeout=30000)
        result = insp.results[("kmon-demo", "configmaps")]
        assert result.missing == ["shop/drift-probe"], result
        assert "1 missing" in insp.result_text() and "shop/drift-probe" in insp.result_text()
        qtbot.waitUntil(lambda: insp.model.cell("kmon-demo", "configmaps", "Verify") == "1 missing", timeout=5000)
        qtbot.waitUntil(lambda: any(r.type == "verified" and "missing" in r.detail for r in views.journal), timeout=5000)
    finally:
        demo.resume()
        store.delete("configmaps", "drift-probe", "shop")


def test_log_row_selects_the_object_in_tree_and_detail(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    app.win.show()
    views = app.win.views
    log = views.log
    # the event log folds its rows on its own timer: wait for the deltas, not just any row
    # (a reflector's rows come first)
    qtbot.waitUntil(lambda: any(log.model.row_at(i).category == "delta" for i in range(log.model.rowCount())),
                    timeout=5000)
    # (client-go 1.36's initial list is one atomic relist row: open it on its objects)
    header = next((i for i in range(log.model.rowCount()) if log.model.row_at(i).members), None)
    if header is not None:
        log.set_expanded(header, True)
    row = next(i for i in range(log.model.rowCount()) if log.model.row_at(i).category == "delta"
               and app.ws.tree.find("kmon-demo", "configmaps", f"{log.model.row_at(i).namespace}/{log.model.row_at(i).name}"))
    r = log.model.row_at(row)
    log.select_row(row)
    node = app.win.tree.selected_node()
    assert node is not None and node.key == f"{r.namespace}/{r.name}" and node.resource == "configmaps"
    assert r.name in app.win.detail.yaml.toPlainText()


def test_fault_panel_only_in_demo_mode(make_app, demo, qtbot):
    from kmon.ui.fault_panel import FAULTS

    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=["kmon-demo"])
    views = app.win.views
    assert views.faults is None
    views.set_demo(demo)
    assert set(views.faults.buttons) == {f for f, *_ in FAULTS}
    app.open()
    app.wait_synced()
    with qtbot.waitSignal(views.faults.sigInjected, timeout=5000) as sig:
        views.faults.buttons["drop"].click()
    assert sig.args == ["kmon-demo", "drop"]
    qtbot.waitUntil(lambda: any(r.type == "WatchEnded" for r in views.journal), timeout=10000)


def test_dock_layout_persists_with_the_window(make_app, demo, qtbot, settings):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=["kmon-demo"]).open()
    app.win.show()
    views = app.win.views
    assert views.dock_log.isVisible() and views.dock_charts.isVisible() and views.dock_inspector.isVisible()
    views.dock_charts.close()
    views.log.set_capacity(5_000)
    app.win.save_layout()
    again = make_app(demo.kubeconfig_path, contexts=[])
    again.win.show()
    assert not again.win.views.dock_charts.isVisible()
    assert again.win.views.dock_log.isVisible() and again.win.views.dock_inspector.isVisible()
    assert again.win.views.journal.capacity == 5_000


def test_two_contexts_every_chart_series_carries_its_context(make_app, demo, qtbot):
    from PySide6.QtCore import Qt

    ctxs = demo.contexts[:2]
    assert len(ctxs) == 2
    app = make_app(demo.kubeconfig_path, argv=["--resources", "pods"], contexts=ctxs).open()
    app.wait_synced()
    app.win.show()
    charts = app.win.views.charts
    keys = [(c, "pods") for c in ctxs]
    qtbot.waitUntil(lambda: all(k in charts.curves for k in keys), timeout=10000)
    labels = sorted(charts.list.item(i).text() for i in range(charts.list.count()))
    assert labels == sorted(f"pods · {c}" for c in ctxs)
    a, b = (charts.curves[k].rv.opts["pen"] for k in keys)
    assert a.color() != b.color() and (a.style(), b.style()) == (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine)
