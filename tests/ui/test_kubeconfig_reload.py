"""Kubeconfig reload: a context that failed (a new certificate authority, another server)
connects once the kubeconfig is read again, while healthy contexts keep their sessions and
caches; the window offers the reload when the files change on disk and never reloads on its
own; per-context Reconnect."""

from __future__ import annotations

import base64

import pytest
import yaml

from kmon.sim import SimServer

TOKEN = "reload-test-token"


def _sim(seed: int, names: list[str], *, tls: bool = False) -> SimServer:
    srv = SimServer(token=TOKEN, tls=tls, seed=seed).start()
    srv.store.create("namespaces", {"metadata": {"name": "default"}})
    for n in names:
        srv.store.create("configmaps", {"metadata": {"name": n, "namespace": "default"}, "data": {"k": n}})
    return srv


@pytest.fixture(scope="module")
def sims():
    alpha = _sim(1, ["a1", "a2"])
    tls = _sim(2, ["t1", "t2", "t3"], tls=True)
    other_ca = SimServer(token=TOKEN, tls=True, seed=3).ca_data  # a CA that did not sign ``tls``
    other = _sim(4, ["o1"])
    yield {"alpha": alpha, "tls": tls, "other_ca": other_ca, "other": other}
    for s in (alpha, tls, other):
        s.stop()


def _write(path, clusters: dict[str, dict]) -> None:
    """clusters: context name -> cluster entry."""
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": next(iter(clusters)),
        "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in clusters],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc))
    tmp.replace(path)  # as editors and cloud CLIs do: the watched file is replaced


def _ca(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _names(ws, ctx):
    return sorted(n.name for n in ws.tree.objects(ctx, "configmaps"))


def test_reload_reconnects_the_failed_context_and_keeps_the_healthy_one(make_app, sims, qtbot, tmp_path):
    path = tmp_path / "config"
    alpha = {"server": sims["alpha"].url}
    _write(path, {"alpha": alpha, "secure": {"server": sims["tls"].url, "certificate-authority-data": _ca(sims["other_ca"])}})
    app = make_app(str(path), argv=["--resources", "configmaps"], contexts=["alpha", "secure"]).open()
    ws, win = app.ws, app.win
    qtbot.waitUntil(lambda: _names(ws, "alpha") == ["a1", "a2"], timeout=15000)
    qtbot.waitUntil(lambda: bool(ws.tree.context("secure").error), timeout=15000)
    assert "CERTIFICATE_VERIFY_FAILED" in ws.tree.context("secure").error or "certificate" in ws.tree.context("secure").error.lower()
    alpha_session = ws.sessions["alpha"]
    alpha_node = ws.tree.find("alpha", "configmaps", "default/a1")
    lists = sum(1 for r in sims["alpha"].requests if r.method == "GET" and r.path.endswith("/configmaps") and "watch" not in r.query)
    assert not win.notices.isVisible()

    # the server's CA changed and the kubeconfig says so now: the window offers a reload
    _write(path, {"alpha": alpha, "secure": {"server": sims["tls"].url, "certificate-authority-data": _ca(sims["tls"].ca_data)}})
    qtbot.waitUntil(lambda: win.notices.isVisibleTo(win), timeout=10000)
    assert "changed on disk" in win.notices.text.text() and "config" in win.notices.text.text()
    assert ws.sessions["alpha"] is alpha_session and ws.tree.context("secure").error  # nothing reloaded on its own
    win.notices.buttons["Reload kubeconfig"].click()
    assert not win.notices.isVisible()
    qtbot.waitUntil(lambda: _names(ws, "secure") == ["t1", "t2", "t3"], timeout=15000)
    assert not ws.tree.context("secure").error
    # the healthy context kept its session, its cache and its rows: no new list
    assert ws.sessions["alpha"] is alpha_session
    assert ws.tree.find("alpha", "configmaps", "default/a1") is alpha_node
    assert lists == sum(1 for r in sims["alpha"].requests if r.method == "GET" and r.path.endswith("/configmaps") and "watch" not in r.query)
    assert win.status.currentMessage() == "Kubeconfig reloaded; reconnected secure (changed); kept 1 healthy context as it was"
    assert not any("secure" in t for t in win.errors.texts())


def test_reload_reconnects_a_failed_context_even_when_its_entries_did_not_change(make_app, sims, qtbot, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on yet
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "config"
    _write(path, {"alpha": {"server": sims["alpha"].url}, "late": {"server": f"http://127.0.0.1:{port}"}})
    app = make_app(str(path), argv=["--resources", "configmaps"], contexts=["alpha", "late"]).open()
    ws = app.ws
    qtbot.waitUntil(lambda: bool(ws.tree.context("late").error) and _names(ws, "alpha") == ["a1", "a2"], timeout=15000)
    alpha = ws.sessions["alpha"]
    late = SimServer(token=TOKEN, port=port, seed=5).start()  # the server is up now
    try:
        late.store.create("namespaces", {"metadata": {"name": "default"}})
        late.store.create("configmaps", {"metadata": {"name": "l1", "namespace": "default"}})
        report = app.win.kubeconfigs.reload()
        assert report.reconnected == [("late", "failed")] and report.kept == ["alpha"]
        qtbot.waitUntil(lambda: _names(ws, "late") == ["l1"], timeout=15000)
        assert ws.sessions["alpha"] is alpha
    finally:
        app.close()
        late.stop()


def test_reload_reconnects_a_context_whose_server_changed(make_app, sims, qtbot, tmp_path):
    path = tmp_path / "config"
    _write(path, {"alpha": {"server": sims["alpha"].url}, "beta": {"server": sims["other"].url}})
    app = make_app(str(path), argv=["--resources", "configmaps"], contexts=["alpha", "beta"]).open()
    ws = app.ws
    qtbot.waitUntil(lambda: _names(ws, "alpha") == ["a1", "a2"] and _names(ws, "beta") == ["o1"], timeout=15000)
    beta = ws.sessions["beta"]
    alpha = ws.sessions["alpha"]
    _write(path, {"alpha": {"server": sims["alpha"].url}, "beta": {"server": sims["alpha"].url}})
    report = app.win.kubeconfigs.reload()
    assert report.reconnected == [("beta", "changed")] and report.kept == ["alpha"]
    qtbot.waitUntil(lambda: _names(ws, "beta") == ["a1", "a2"], timeout=15000)
    assert ws.sessions["alpha"] is alpha and ws.sessions["beta"] is not beta
    assert ws.open_contexts() == ["alpha", "beta"]  # its place kept
    # a context removed from the file stays open, and the report says so
    _write(path, {"alpha": {"server": sims["alpha"].url}})
    report = app.win.kubeconfigs.reload()
    assert report.missing == ["beta"] and ws.open_contexts() == ["alpha", "beta"]
    assert any("no longer in the kubeconfig: beta" in t for t in app.win.errors.texts())
    # a kubeconfig broken on disk: the last good one stays, nothing is reconnected
    path.write_text("{broken")
    report = app.win.kubeconfigs.reload()
    assert report.error and ws.sessions["alpha"] is alpha
    assert [e.name for e in app.win.entries] == ["alpha"]


def test_offer_follows_each_change_and_dismiss_waits_for_the_next(make_app, sims, qtbot, tmp_path):
    path = tmp_path / "config"
    _write(path, {"alpha": {"server": sims["alpha"].url}})
    app = make_app(str(path), argv=["--resources", "configmaps"], contexts=["alpha"]).open()
    win, kc = app.win, app.win.kubeconfigs
    _write(path, {"alpha": {"server": sims["alpha"].url}, "beta": {"server": sims["other"].url}})
    qtbot.waitUntil(lambda: win.notices.isVisibleTo(win), timeout=10000)
    win.notices.buttons["Not now"].click()
    assert not win.notices.isVisible()
    assert kc.check_disk() == []  # dismissed: not offered again for the same content
    # the file replaced again (the watch follows the new file): offered again
    _write(path, {"alpha": {"server": sims["alpha"].url}, "gamma": {"server": sims["other"].url}})
    qtbot.waitUntil(lambda: win.notices.isVisibleTo(win), timeout=10000)
    win.menus.act_reload.trigger()  # F5
    assert not win.notices.isVisible()
    assert [e.name for e in win.entries] == ["alpha", "gamma"]
    assert [win.switcher.itemData(i) for i in range(win.switcher.count())] == ["alpha", "gamma"]


def test_reconnect_one_context_from_the_menu_and_the_tree(make_app, sims, qtbot, tmp_path):
    path = tmp_path / "config"
    _write(path, {"alpha": {"server": sims["alpha"].url}, "beta": {"server": sims["other"].url}})
    app = make_app(str(path), argv=["--resources", "configmaps"], contexts=["alpha", "beta"]).open()
    ws, win = app.ws, app.win
    qtbot.waitUntil(lambda: _names(ws, "alpha") == ["a1", "a2"] and _names(ws, "beta") == ["o1"], timeout=15000)
    alpha, beta = ws.sessions["alpha"], ws.sessions["beta"]
    win.tree.select_node(ws.tree.find("beta", "configmaps", "default/o1"))
    win.menus.act_reconnect.trigger()
    assert ws.sessions["beta"] is not beta and ws.sessions["alpha"] is alpha
    qtbot.waitUntil(lambda: _names(ws, "beta") == ["o1"], timeout=15000)
    assert ws.running_resources("beta") == ["configmaps"]
    # the tree's context menu on a context row
    win.show()
    row = win.tree.visualRect(win.tree.model().index(0, 0)).center()
    menu = win.menus.tree_menu(row)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["Reconnect alpha", "Close alpha"]
    menu.close()
    next(a for a in menu.actions() if a.text() == "Reconnect alpha").trigger()
    assert ws.sessions["alpha"] is not alpha
    qtbot.waitUntil(lambda: _names(ws, "alpha") == ["a1", "a2"], timeout=15000)
    for task in list(ws.closing.values()):
        qtbot.waitUntil(task.done, timeout=5000)
    assert not alpha._handles or all(not h.running for h in alpha.resources.values())


def test_a_server_restarted_with_a_new_certificate_authority(make_app, qtbot, tmp_path):
    """The issue's case: connected, then the server comes back on the same address with a
    new CA. Every watch fails verification until the kubeconfig (here: the CA file it
    names) is updated and read again; the reload offer follows the CA file."""
    from urllib.parse import urlparse

    first = _sim(6, ["c1"], tls=True)
    port = urlparse(first.url).port
    ca = tmp_path / "ca.crt"
    ca.write_bytes(first.ca_data)
    path = tmp_path / "config"
    _write(path, {"secure": {"server": first.url, "certificate-authority": str(ca)}})
    app = make_app(str(path), argv=["--resources", "configmaps"], contexts=["secure"]).open()
    ws, win = app.ws, app.win
    second = None
    try:
        qtbot.waitUntil(lambda: _names(ws, "secure") == ["c1"], timeout=15000)
        first.stop()
        second = SimServer(token=TOKEN, tls=True, seed=7, port=port).start()  # same address, new CA
        second.store.create("namespaces", {"metadata": {"name": "default"}})
        for n in ("c1", "c2"):
            second.store.create("configmaps", {"metadata": {"name": n, "namespace": "default"}})
        st = ws.states.resources[("secure", "configmaps")]
        qtbot.waitUntil(lambda: st.state == "error" and "certificate" in st.error.lower(), timeout=30000)
        assert _names(ws, "secure") == ["c1"]  # what was cached stays meanwhile
        ca.write_bytes(second.ca_data)  # the new CA, where the kubeconfig says it is
        qtbot.waitUntil(lambda: win.notices.isVisibleTo(win), timeout=10000)
        assert "ca.crt" in win.notices.text.text() and "a file it names" in win.notices.text.text()
        win.notices.buttons["Reload kubeconfig"].click()
        assert win.status.currentMessage() == "Kubeconfig reloaded; reconnected secure (changed)"
        qtbot.waitUntil(lambda: _names(ws, "secure") == ["c1", "c2"], timeout=15000)
        qtbot.waitUntil(lambda: ws.states.resources[("secure", "configmaps")].state == "synced", timeout=15000)
    finally:
        app.close()
        if second is not None:
            second.stop()
