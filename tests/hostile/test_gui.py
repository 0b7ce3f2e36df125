"""The window under faults: a 10 ms QTimer keeps ticking, the affected resource shows its
state and reason (resource state, status bar, inspector tooltip), the others keep following
churn, and once the fault clears the tree equals the server. Plus the TLS warning."""

from __future__ import annotations

import base64
import re
import time

import pytest
import yaml

from hostile_helpers import TOKEN, SimEnv
from kmon.sim import SimServer

RES = ["pods", "configmaps", "services"]


def tree_state(ws, ctx, res):
    return {n.key: n.rv for n in ws.tree.objects(ctx, res) if not n.is_deleted}


@pytest.mark.timeout(240)
def test_window_stays_responsive_and_explains_faults(make_app, qtbot, qt_ticker, tmp_path):
    env = SimEnv(tmp_path, churn=20.0)
    try:
        app = make_app(env.kubeconfig, argv=["--resources", ",".join(RES)], contexts=["sim"]).open()
        app.wait_synced()
        env.churn()
        ws, status = app.ws, app.win.status
        messages = []
        journal = app.win.views.journal
        ws.sigMessage.connect(lambda level, text: messages.append(text))

        def gui_equals_server():
            ws.bridge.drain()
            return all(tree_state(ws, "sim", r) == env.server_state(r) for r in RES)

        def settle():
            env.workload.stop()
            env._churning = False
            try:
                # as long as client-go's backoff may take after a fault's failed rounds (30 s
                # cap, jittered up to 60 s): a restart's 429s can leave pods backing off ~25 s
                qtbot.waitUntil(gui_equals_server, timeout=65000)
            except Exception:
                raise AssertionError(f"tree != server: {[(r, len(tree_state(ws, 'sim', r)), len(env.server_state(r))) for r in RES]}"
                                     f" {[(r, st.state, st.error) for (c, r), st in ws.states.resources.items()]}")
            env.churn()

        # (401/429/500 are in test_faults.py: every failed round lengthens the reflector's
        # backoff -- client-go's 0.8 s doubling to 30 s, jittered, reset after 2 quiet
        # minutes -- so a long series of faults here would mostly measure the backoff)
        faults = [
            ("403 on pods", lambda: (env.srv.faults.forbid("pods"), env.srv.faults.drop_watches()),
             lambda: env.srv.faults.allow(), r"403|forbidden", ["pods"]),
            ("malformed line", lambda: env.srv.faults.send_malformed_line(), lambda: None, r"malformed", RES),
            ("restart", lambda: (env.srv.faults.restart(3.0), env.srv.faults.jump_revision(5000)),
             lambda: None, r"refused|connect|unexpected watch close", RES),
        ]
        for name, start, stop, pattern, affected in faults:
            env.wait_watches_settled(ws.sessions["sim"])  # see SimEnv.wait_watches_settled
            qt_ticker.reset()
            messages.clear()
            t_fault = time.time()
            start()
            st = lambda r: ws.states.resources.get(("sim", r))
            # shown: as the resource's state while it lasts, and as a message in the status
            # bar / event log (short faults, such as one bad line, are over in one batch)
            shown = lambda r: (st(r) is not None and re.search(pattern, st(r).error or "")) or any(
                m.startswith(f"{r}: ") and re.search(pattern, m) for m in messages) or any(
                row.resource == r and row.time >= t_fault and re.search(pattern, row.detail)
                for row in list(journal)[-500:])  # (this fault's rows: an earlier one's words may match)
            try:
                qtbot.waitUntil(lambda: all(shown(r) for r in affected), timeout=15000)
            except Exception:
                raise AssertionError(f"{name}: not shown: {messages} {[(r, st(r).state, st(r).error) for r in RES]}")
            status.refresh()
            assert "failing" in status.synced.text() or re.search(pattern, status.full_message), \
                (name, status.synced.text(), status.full_message)
            others = [r for r in RES if r not in affected]
            if others:  # unaffected resources keep following churn meanwhile
                cm = env.srv.store.create("configmaps", {"metadata": {"name": f"during-{time.monotonic_ns()}",
                                                                      "namespace": "default"}})
                key = f"default/{cm['metadata']['name']}"
                qtbot.waitUntil(lambda: key in tree_state(ws, "sim", "configmaps"), timeout=10000)
                assert not any(st(r).error for r in others), [(r, st(r).error) for r in others]
            stop()
            settle()
            assert qt_ticker.max_gap < 0.75, f"{name}: the GUI thread stalled {qt_ticker.max_gap:.2f} s"
            try:  # (a restart's refused, 503 and 429 answers each lengthen the backoff: up to
                # client-go's 30 s cap, jittered to 60 s, may pass before the next attempt)
                qtbot.waitUntil(lambda: not any(st(r).error for r in affected), timeout=65000)
            except Exception:
                raise AssertionError(f"{name}: still in error after recovery: "
                                     f"{[(r, st(r).state, st(r).error) for r in affected]} {ws.sessions['sim'].stats()['pods']}")
        # no error dialog piled up
        from PySide6.QtWidgets import QApplication, QMessageBox

        assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    finally:
        env.close()


@pytest.mark.timeout(120)
def test_a_stalled_server_is_shown_and_recovers(make_app, qtbot, qt_ticker, tmp_path, monkeypatch):
    """The server stops answering (connections stay up): within read-idle + ping timeout the
    health check's unanswered probe ends every watch, and the event log says so for each
    resource; the window keeps ticking; once the server answers, the tree equals it again."""
    monkeypatch.setenv("HTTP2_READ_IDLE_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("HTTP2_PING_TIMEOUT_SECONDS", "1")
    env = SimEnv(tmp_path, churn=20.0, stall_proxy=True)
    try:
        app = make_app(env.kubeconfig, argv=["--resources", ",".join(RES)], contexts=["sim"]).open()
        app.wait_synced()
        env.churn()
        ws, journal = app.ws, app.win.views.journal
        qt_ticker.reset()
        t_fault = time.time()
        env.proxy.stall()
        said = lambda r: any(row.resource == r and row.time >= t_fault and "no answer from the server's health check"
                             in row.detail for row in list(journal)[-500:])
        qtbot.waitUntil(lambda: (ws.bridge.drain(), all(said(r) for r in RES))[1], timeout=15000)
        assert qt_ticker.max_gap < 0.75, f"the GUI thread stalled {qt_ticker.max_gap:.2f} s"
        env.proxy.resume()
        env.workload.stop()
        env._churning = False

        def gui_equals_server():
            ws.bridge.drain()
            return all(tree_state(ws, "sim", r) == env.server_state(r) for r in RES)

        qtbot.waitUntil(gui_equals_server, timeout=30000)
        st = lambda r: ws.states.resources.get(("sim", r))
        qtbot.waitUntil(lambda: not any(st(r).error for r in RES), timeout=15000)
    finally:
        env.close()


def test_tls_verification_disabled_is_shown(make_app, qtbot, tmp_path):
    srv = SimServer(token=TOKEN, tls=True, seed=1).start()
    other = SimServer(token=TOKEN, tls=True, seed=2)
    try:
        srv.store.create("namespaces", {"metadata": {"name": "default"}})
        ca = base64.b64encode(srv.ca_data).decode()
        doc = {"apiVersion": "v1", "kind": "Config", "current-context": "verified",
               "clusters": [{"name": "v", "cluster": {"server": srv.url, "certificate-authority-data": ca}},
                            {"name": "i", "cluster": {"server": srv.url, "insecure-skip-tls-verify": True}},
                            {"name": "w", "cluster": {"server": srv.url, "certificate-authority-data":
                                                      base64.b64encode(other.ca_data).decode()}}],
               "users": [{"name": "u", "user": {"token": TOKEN}}],
               "contexts": [{"name": "verified", "context": {"cluster": "v", "user": "u"}},
                            {"name": "insecure", "context": {"cluster": "i", "user": "u"}},
                            {"name": "ca-mismatch", "context": {"cluster": "w", "user": "u"}}]}
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(doc))
        # verified: no warning
        app = make_app(str(path), argv=["--resources", "namespaces"], contexts=["verified", "ca-mismatch"]).open()
        qtbot.waitUntil(lambda: app.ws.tree.context("ca-mismatch").error != "", timeout=15000)
        assert re.search(r"(?i)certificate|tls|ssl", app.ws.tree.context("ca-mismatch").error)
        qtbot.waitUntil(lambda: app.ws.sessions["verified"].state == "ready", timeout=15000)
        qtbot.waitUntil(lambda: app.ws.tree.context("verified").count > 0, timeout=15000)  # the other opens fine
        app.win.status.refresh()
        assert "TLS verification disabled" not in app.win.status.context.text()
        # insecure-skip-tls-verify: connects, and the window says so for as long as it is open
        app.ws.open_context("insecure")
        qtbot.waitUntil(lambda: app.ws.sessions["insecure"].state == "ready", timeout=15000)
        qtbot.waitUntil(lambda: "TLS verification disabled by kubeconfig" in app.win.status.context.text(),
                        timeout=5000)
        assert "insecure: TLS verification disabled" in app.win.status.context.toolTip()
        assert app.ws.sessions["verified"].tls_insecure is False
    finally:
        srv.stop()
