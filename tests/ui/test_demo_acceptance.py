"""Integration tier: the window on the demo cluster (DemoCluster), as ``kmon --demo`` runs."""

from __future__ import annotations

import threading

import yaml
from PySide6.QtCore import Qt

from kmon.monitor.masking import MASK
from kmon.monitor.tree_node import CLUSTER_SCOPED, CONTEXT, KIND, NAMESPACE, OBJECT


def tree_matches_caches(ws) -> bool:
    """Every context/namespace/kind/object row against the informers' indexers."""
    tree = ws.tree
    for ctx, session in ws.sessions.items():
        node = tree.context(ctx)
        if node is None:
            return False
        expected_total = 0
        for full, handle in session.resources.items():
            want = {}
            for obj in handle.informer.indexer.list():
                m = obj["metadata"]
                key = f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]
                want[key] = m.get("resourceVersion", "")
            got = {n.key: n.rv for n in tree.objects(ctx, full)}
            if got != want:
                return False
            for n in tree.objects(ctx, full):
                ns, _, name = n.key.rpartition("/")
                if n.path() != (ctx, ns or CLUSTER_SCOPED, full, name):
                    return False
            expected_total += len(want)
        if node.count != expected_total:
            return False
    # counts at every level equal the objects below
    for n in tree.walk():
        if n.level in (CONTEXT, NAMESPACE, KIND):
            if n.count != sum(1 for c in tree.walk(n) if c.level == OBJECT and not c.is_deleted):
                return False
    return True


def test_tree_equals_informer_caches_after_churn(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    app.wait_synced()
    demo.resume()
    watched = []
    app.ws.sigApplied.connect(lambda items: watched.extend(
        1 for it in items if getattr(it, "record", None) is not None and not it.record.is_in_initial_list))
    qtbot.waitUntil(lambda: len(watched) > 60, timeout=20000)  # real churn through the watch
    demo.pause()
    qtbot.waitUntil(lambda: tree_matches_caches(app.ws), timeout=20000)
    # and what the view shows agrees with the tree: the name column carries the counts
    model = app.ws.model
    ctx = model.index(0, 0)
    assert ctx.data() == f"kmon-demo ({app.ws.tree.context('kmon-demo').count:,})"
    demo.resume()


def test_switching_context_leaves_no_thread_of_the_old_one(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    app.wait_synced()
    old = app.ws.sessions["kmon-demo"]
    threads = [h.thread for h in old.resources.values()]
    assert threads and all(t.is_alive() for t in threads)
    # the old session's stop is held until the test lets it go: a GUI thread that waited for
    # it would hang here (how long the switch takes is measured by benchmarks/bench_gui_ops.py)
    release, stopping_on = threading.Event(), []
    real_stop = old.stop

    def held_stop(*args, **kw):
        stopping_on.append(threading.current_thread())
        assert release.wait(10), "the test never released the old session's stop"
        return real_stop(*args, **kw)

    old.stop = held_stop
    try:
        app.win.switcher.sigSwitch.emit("kmon-demo-2")  # as choosing it in the toolbar does
        assert [c.name for c in app.ws.tree.root.children] == ["kmon-demo-2"]  # rows replaced at once
        qtbot.waitUntil(lambda: bool(stopping_on), timeout=3000)
        assert stopping_on[0] is not threading.main_thread(), "the old informers are stopped off the GUI thread"
        assert all(t.is_alive() for t in threads) and "kmon-demo" in app.ws.closing  # still stopping
    finally:
        release.set()
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in threads), timeout=3000)

    def old_threads():
        return [t for t in threading.enumerate()
                if (t.name.startswith("kmon-informer-kmon-demo-") and not t.name.startswith("kmon-informer-kmon-demo-2"))
                or t.name == "kmon-session-kmon-demo"]

    assert not old_threads()
    qtbot.waitUntil(lambda: "kmon-demo" not in app.ws.closing, timeout=3000)  # the stop task finished
    app.wait_synced()
    assert app.ws.tree.context("kmon-demo") is None
    assert app.ws.tree.context("kmon-demo-2").count > 0
    assert app.win.switcher.current_name() == "kmon-demo-2"


def test_failing_contexts_show_their_error(make_app, demo, qtbot, tmp_path):
    cfg = yaml.safe_load(open(demo.kubeconfig_path))
    good = next(c for c in cfg["contexts"] if c["name"] == "kmon-demo")["context"]
    server = next(c for c in cfg["clusters"] if c["name"] == good["cluster"])["cluster"]["server"]
    cfg["users"].append({"name": "bad-user", "user": {"token": "wrong-token"}})
    cfg["clusters"].append({"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}})
    cfg["contexts"].append({"name": "wrong-token", "context": {"cluster": good["cluster"], "user": "bad-user"}})
    cfg["contexts"].append({"name": "dead-port", "context": {"cluster": "dead", "user": good["user"]}})
    cfg["users"].append({"name": "exec-user", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": "kmon-no-such-auth-plugin", "args": []}}})
    cfg["contexts"].append({"name": "no-plugin", "context": {"cluster": good["cluster"], "user": "exec-user"}})
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    app = make_app(str(path), contexts=["kmon-demo", "wrong-token", "dead-port", "no-plugin"]).open()
    tree = app.ws.tree
    qtbot.waitUntil(lambda: bool(tree.context("wrong-token").error and tree.context("dead-port").error
                                 and tree.context("no-plugin").error), timeout=15000)
    assert "kmon-no-such-auth-plugin" in tree.context("no-plugin").error
    assert "401" in tree.context("wrong-token").error or "unauthorized" in tree.context("wrong-token").error.lower()
    assert "connect" in tree.context("dead-port").error.lower() or "refused" in tree.context("dead-port").error.lower()
    # shown in the window: the context's tree root, the error area and the status bar
    model = app.ws.model
    rows = {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    assert any(k.startswith("wrong-token") and v.startswith("⚠") for k, v in rows.items())
    texts = " ".join(app.win.errors.texts())
    assert "wrong-token" in texts and "dead-port" in texts and app.win.errors.isVisibleTo(app.win)
    app.win.status.refresh()
    assert "3 failing" in app.win.status.context.text()
    assert "wrong-token: " in app.win.status.context.toolTip()
    msg = app.win.status.full_message
    assert msg.startswith("⚠ ") and any(n in msg for n in ("dead-port", "wrong-token", "no-plugin"))
    assert "wrong-token-value" not in texts
    # the good context keeps working
    qtbot.waitUntil(lambda: tree.context("kmon-demo").count > 0, timeout=15000)


def test_secret_values_masked_until_revealed(make_app, demo, qtbot):
    store = demo.servers["kmon-demo"].store
    store.create("secrets", {"metadata": {"name": "db-creds", "namespace": "shop"},
                             "type": "Opaque", "data": {"password": "aHVudGVyMg=="}})
    try:
        app = make_app(demo.kubeconfig_path, argv=["--resources", "secrets,configmaps"], contexts=["kmon-demo"]).open()
        tree = app.ws.tree
        qtbot.waitUntil(lambda: tree.find("kmon-demo", "secrets", "shop/db-creds") is not None, timeout=15000)
        app.win.show()
        assert app.win.tree.select_node(tree.find("kmon-demo", "secrets", "shop/db-creds"))
        yaml_text = app.win.detail.yaml.toPlainText()
        assert "aHVudGVyMg==" not in yaml_text and MASK in yaml_text
        assert app.win.detail.reveal.isVisible()
        qtbot.mouseClick(app.win.detail.reveal, Qt.MouseButton.LeftButton)
        assert "password: hunter2" in app.win.detail.yaml.toPlainText()  # decoded from base64
        # a new selection hides them again
        app.win.tree.select_node(next(tree.objects("kmon-demo", "configmaps")))
        app.win.tree.select_node(tree.find("kmon-demo", "secrets", "shop/db-creds"))
        assert "aHVudGVyMg==" not in app.win.detail.yaml.toPlainText()
        assert "hunter2" not in app.win.detail.yaml.toPlainText()
    finally:
        store.delete("secrets", "db-creds", "shop")


def test_history_of_an_object_updated_three_times(make_app, demo, qtbot):
    store = demo.servers["kmon-demo"].store
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    store.create("configmaps", {"metadata": {"name": "tracked", "namespace": "shop"}, "data": {"step": "0"}})
    try:
        tree = app.ws.tree
        qtbot.waitUntil(lambda: tree.find("kmon-demo", "configmaps", "shop/tracked") is not None, timeout=10000)
        app.win.show()
        app.win.tree.select_node(tree.find("kmon-demo", "configmaps", "shop/tracked"))
        for i in (1, 2, 3):
            store.patch("configmaps", "tracked", {"data": {"step": str(i)}}, "shop")
        hist = app.ws.history
        qtbot.waitUntil(lambda: len(hist.entries("kmon-demo", "configmaps", "shop/tracked")) == 4, timeout=10000)
        es = hist.entries("kmon-demo", "configmaps", "shop/tracked")
        assert [e.type for e in es] == ["Added", "Updated", "Updated", "Updated"]
        assert [e.source for e in es[1:]] == ["watch"] * 3
        detail = app.win.detail
        qtbot.waitUntil(lambda: detail.entries.topLevelItemCount() == 4, timeout=5000)
        assert detail.tabs.tabText(1) == "History (4)"
        types = [detail.entries.topLevelItem(i).text(1) for i in range(4)]
        assert types.count("Updated") == 3
        for i in (1, 2, 3):
            detail.entries.setCurrentItem(detail.entries.topLevelItem(i))
            diff = detail.diff.toPlainText()
            assert f"-  step: '{i - 1}'" in diff and f"+  step: '{i}'" in diff, diff
            assert "managedFields" not in diff
            assert es[i].resource_version in diff
    finally:
        store.delete("configmaps", "tracked", "shop")


def test_metadata_only_fetches_the_full_object_on_demand(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--metadata-only", "--resources", "configmaps"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    node = next(app.ws.tree.objects("kmon-demo", "configmaps"))
    assert "data" not in node.obj  # the cache holds metadata only
    app.win.show()
    app.win.tree.select_node(node)
    detail = app.win.detail
    assert detail.fetch.isVisible()
    assert "\ndata:" not in detail.yaml.toPlainText()
    qtbot.mouseClick(detail.fetch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "\ndata:" in detail.yaml.toPlainText(), timeout=10000)
    assert detail.fetch.isEnabled()
