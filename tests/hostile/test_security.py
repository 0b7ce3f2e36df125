"""Security: kmon is read-only by construction (a whole GUI + headless session against the sim
issues only GET requests), and credentials never leak: bearer tokens, exec-plugin output and
Secret values stay out of Python logging, the event log and its exports, headless output,
recordings and error messages; Secret values show only when revealed explicitly."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import textwrap

import orjson
import pytest
import yaml
from PySide6.QtCore import Qt

from hostile_helpers import TOKEN, SimEnv
from kmon.monitor.masking import MASK
from kmon.sim.kubeconfig import kubeconfig_dict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET_VALUE = "hunter2-Kx9-never-shown"
SECRET_B64 = base64.b64encode(SECRET_VALUE.encode()).decode()
PLUGIN_MARK = "exec-plugin-stdout-marker-77"


def _kmon(*args, timeout=60):
    env = dict(os.environ, PYTHONPATH=REPO)
    env.pop("KMON_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "kmon", *args], capture_output=True, timeout=timeout, cwd=REPO, env=env)


@pytest.fixture
def secure_env(tmp_path):
    """A sim with a Secret, and a kubeconfig whose token comes from an exec plugin (context
    "sim") plus a second context "sim-b" on the same server (static token)."""
    env = SimEnv(tmp_path, churn=10.0)
    env.srv.store.create("secrets", {
        "metadata": {"name": "db-creds", "namespace": "default", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration":
                orjson.dumps({"data": {"password": SECRET_B64}}).decode()}},
        "type": "Opaque", "data": {"password": SECRET_B64}})
    plugin = tmp_path / "cred.py"
    plugin.write_text(f"#!{sys.executable}\n" + textwrap.dedent(f"""
        import json, sys
        print("{PLUGIN_MARK} on stderr", file=sys.stderr)
        print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                          "status": {{"token": "{TOKEN}"}}}}))
    """))
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    doc = kubeconfig_dict([("sim", env.srv), ("sim-b", env.srv)])
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin),
                                        "interactiveMode": "Never"}}
    path = tmp_path / "secure.kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    env.secure_kubeconfig = str(path)
    yield env
    env.close()


def _leaks(text: str) -> list[str]:
    return [s for s in (TOKEN, SECRET_VALUE, SECRET_B64, PLUGIN_MARK) if s in text]


def test_whole_session_is_read_only_and_leaks_nothing(secure_env, make_app, qtbot, caplog, tmp_path):
    env = secure_env
    caplog.set_level("DEBUG")
    env.churn()
    app = make_app(env.secure_kubeconfig, argv=["--metadata-only", "--resources", "pods,configmaps,secrets"],
                   contexts=["sim"]).open()
    app.wait_synced()
    ws, win = app.ws, app.win
    win.show()
    # switch context (the token of "sim-b" is static, that of "sim" came from the plugin)
    win.switcher.sigSwitch.emit("sim-b")
    qtbot.waitUntil(lambda: "sim-b" in ws.sessions and ws.sessions["sim-b"].state == "ready", timeout=15000)
    app.wait_synced()
    # resource picker: start and stop one
    ws.start_resource("sim-b", "services")
    qtbot.waitUntil(lambda: "services" in ws.sessions["sim-b"].resources
                    and ws.sessions["sim-b"].resources["services"].has_synced(), timeout=15000)
    ws.stop_resource("sim-b", "services")
    qtbot.waitUntil(lambda: "services" not in ws.sessions["sim-b"].resources, timeout=15000)
    # detail YAML of the Secret, then the full object fetched in metadata-only mode: masked
    tree = ws.tree
    qtbot.waitUntil(lambda: tree.find("sim-b", "secrets", "default/db-creds") is not None, timeout=10000)
    assert win.tree.select_node(tree.find("sim-b", "secrets", "default/db-creds"))
    detail = win.detail
    assert _leaks(detail.yaml.toPlainText()) == []
    qtbot.mouseClick(detail.fetch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "password" in detail.yaml.toPlainText(), timeout=10000)
    text = detail.yaml.toPlainText()
    assert MASK in text and _leaks(text) == [], text
    # ... until the user reveals it explicitly
    if detail.reveal.isVisible():
        qtbot.mouseClick(detail.reveal, Qt.MouseButton.LeftButton)
        assert SECRET_VALUE in detail.yaml.toPlainText()  # decoded from base64
    # verify the cache against the server
    res = ws.sessions["sim-b"].verify_async("pods").result(20)
    assert res.ok, res.summary()
    # a fault so error messages are produced too: the credentials are refused
    env.srv.token = "rotated"
    env.srv.faults.drop_watches()
    qtbot.waitUntil(lambda: any("401" in (s.error or "") for s in ws.states.resources.values()), timeout=15000)
    env.srv.token = TOKEN
    # event log and its exports
    app.ws.bridge.drain()
    views = win.views
    qtbot.waitUntil(lambda: len(views.journal) > 0, timeout=5000)
    out = tmp_path / "log.jsonl"
    outc = tmp_path / "log.csv"
    assert views.log.export(out, shown=False) > 0 and views.log.export(outc, shown=False) > 0
    journal_text = "\n".join(str(r) for r in views.journal)
    assert _leaks(journal_text) == []
    assert _leaks(out.read_text()) == [] and _leaks(outc.read_text()) == []
    # headless: watch, stats, record (masked), and record --include-secret-values (revealed)
    kc = env.secure_kubeconfig
    w = _kmon("watch", "-o", "json", "--kubeconfig", kc, "--context", "sim", "--duration", "3", "secrets", "pods")
    assert w.returncode == 0, w.stderr.decode()
    assert b"db-creds" in w.stdout and MASK.encode() in w.stdout
    st = _kmon("stats", "--once", "--kubeconfig", kc, "--context", "sim", "secrets")
    assert st.returncode == 0, st.stderr.decode()
    rec = tmp_path / "rec.kmon"
    r = _kmon("record", "-o", str(rec), "--kubeconfig", kc, "--context", "sim", "--duration", "3", "secrets")
    assert r.returncode == 0, r.stderr.decode()
    rec_all = tmp_path / "rec-all.kmon"
    r2 = _kmon("record", "-o", str(rec_all), "--kubeconfig", kc, "--context", "sim", "--duration", "3",
               "--include-secret-values", "secrets")
    assert r2.returncode == 0, r2.stderr.decode()
    replay = _kmon("replay", "--to-json", str(rec_all))
    assert SECRET_B64.encode() in replay.stdout, "explicitly revealed values are kept"
    replay_masked = _kmon("replay", "--to-json", str(rec))
    assert replay_masked.returncode == 0 and b"db-creds" in replay_masked.stdout
    for name, data in [("watch stdout", w.stdout), ("watch stderr", w.stderr), ("stats", st.stdout + st.stderr),
                       ("record stderr", r.stderr), ("recording", rec.read_bytes()),
                       ("recording as JSON", replay_masked.stdout)]:
        assert _leaks(data.decode(errors="replace")) == [], name
    # Python logging at DEBUG, everything the process logged
    assert _leaks(caplog.text) == [], _leaks(caplog.text)
    # read-only by construction: every request of the whole session was a GET
    methods = {(rq.method) for rq in env.srv.requests.snapshot()}
    assert methods == {"GET"}, {m: [rq.path for rq in env.srv.requests.snapshot() if rq.method == m][:5] for m in methods}
    # a busy session (discovery is aggregated: /api and /apis answer it in two requests)
    assert len(env.srv.requests) > 30 and any(rq.query.get("watch") for rq in env.srv.requests.snapshot())


def test_metadata_only_secret_yaml_masks_last_applied():
    """Regression: the detail YAML of a metadata-only Secret (PartialObjectMetadata, whose
    last-applied annotation holds the data) was shown unmasked."""
    from kmon.monitor.history import diff_objects, object_yaml

    meta = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"name": "s", "namespace": "default", "resourceVersion": "1", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": f'{{"data":{{"password":"{SECRET_B64}"}}}}'}}}
    assert SECRET_B64 not in object_yaml(meta, resource="secrets")
    assert SECRET_B64 in object_yaml(meta, resource="secrets", reveal=True)
    newer = {**meta, "metadata": {**meta["metadata"], "resourceVersion": "2"}}
    assert SECRET_B64 not in diff_objects(meta, newer, resource="secrets")
