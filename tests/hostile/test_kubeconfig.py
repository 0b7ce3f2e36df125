"""Broken kubeconfigs: every broken context fails with a clear message naming the file and the
entry (and never a secret), while the good contexts of the same file keep working -- in the
session core (what the GUI opens) and in the headless commands (one line on stderr)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import textwrap

import pytest
import yaml

from hostile_helpers import TOKEN
from waiting import wait_for
from kmon.monitor.feed import Feed
from kmon.monitor.contexts import Monitor
from kmon.sim import SimServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "plugin-secret-Zq81"


def _plugin(path, body):
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture(scope="module")
def tls_sims():
    good = SimServer(token=TOKEN, tls=True, seed=1).start()
    good.store.create("namespaces", {"metadata": {"name": "default"}})
    other = SimServer(token=TOKEN, tls=True, seed=2)  # only for its (different) CA
    yield good, other
    good.stop()


@pytest.fixture(scope="module")
def broken_kubeconfig(tls_sims, tmp_path_factory):
    good, other = tls_sims
    d = tmp_path_factory.mktemp("kc")
    ca = base64.b64encode(good.ca_data).decode()
    wrong_ca = base64.b64encode(other.ca_data).decode()
    failing = _plugin(d / "fail.py", f"""
        import sys
        print("leaked {SECRET}")
        print("error {SECRET}", file=sys.stderr)
        sys.exit(3)
    """)
    exec_user = lambda cmd: {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": cmd,
                                      "interactiveMode": "Never"}}
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": "good",
        "clusters": [
            {"name": "ok", "cluster": {"server": good.url, "certificate-authority-data": ca}},
            {"name": "wrong-ca", "cluster": {"server": good.url, "certificate-authority-data": wrong_ca}},
            {"name": "missing-ca", "cluster": {"server": good.url, "certificate-authority": str(d / "nope-ca.crt")}},
        ],
        "users": [
            {"name": "tok", "user": {"token": TOKEN}},
            {"name": "no-plugin", "user": exec_user("kmon-no-such-credential-plugin")},
            {"name": "failing-plugin", "user": exec_user(failing)},
            {"name": "missing-cert", "user": {"client-certificate": str(d / "nope.crt"),
                                              "client-key": str(d / "nope.key")}},
        ],
        "contexts": [
            {"name": "good", "context": {"cluster": "ok", "user": "tok"}},
            {"name": "ca-mismatch", "context": {"cluster": "wrong-ca", "user": "tok"}},
            {"name": "ca-missing", "context": {"cluster": "missing-ca", "user": "tok"}},
            {"name": "no-cluster-entry", "context": {"cluster": "ghost", "user": "tok"}},
            {"name": "no-user-entry", "context": {"cluster": "ok", "user": "ghost"}},
            {"name": "plugin-missing", "context": {"cluster": "ok", "user": "no-plugin"}},
            {"name": "plugin-fails", "context": {"cluster": "ok", "user": "failing-plugin"}},
            {"name": "cert-missing", "context": {"cluster": "ok", "user": "missing-cert"}},
        ],
    }
    p = d / "kubeconfig"
    p.write_text(yaml.safe_dump(doc))
    return str(p)


BROKEN = [
    ("ca-mismatch", None, r"(?i)certificate|tls|ssl"),
    ("ca-missing", "clusters/missing-ca", r"certificate-authority file does not exist"),
    ("no-cluster-entry", "clusters/ghost", r"not found"),
    ("no-user-entry", "users/ghost", r"not found"),
    ("plugin-missing", "users/no-plugin", r"not installed"),
    ("plugin-fails", "users/failing-plugin", r"failed"),
    ("cert-missing", "users/missing-cert", r"client-certificate file does not exist"),
    ("no-such-context", "contexts/no-such-context", r"not found"),
]


def test_broken_contexts_fail_clearly_and_the_good_one_works(broken_kubeconfig, tls_sims, caplog):
    import re

    caplog.set_level("DEBUG")
    good_srv = tls_sims[0]
    mon = Monitor(Feed(), kubeconfig=broken_kubeconfig)
    try:
        sessions = {name: mon.open_context(name, resources=["namespaces"]) for name, _, _ in BROKEN}
        good = mon.open_context("good", resources=["namespaces"])
        assert good.wait_synced(20), good.error
        for name, entry, words in BROKEN:
            s = sessions[name]
            assert not s.wait_ready(20), f"{name} should fail"
            err = s.error or ""
            assert re.search(words, err), (name, err)
            if entry is not None:
                assert f"entry {entry}" in err and broken_kubeconfig in err, (name, err)
            else:  # a TLS failure names the server it could not trust
                assert good_srv.url.split("//")[1] in err or "127.0.0.1" in err, (name, err)
            assert SECRET not in err and TOKEN not in err
            assert "\n" not in err.strip(), f"one line: {err!r}"
        # the good context keeps following the server although every other one failed
        good_srv.store.create("namespaces", {"metadata": {"name": "after-failures"}})
        wait_for(lambda: "after-failures" in good.resources["namespaces"].informer.indexer.list_keys(), 10,
                 "the good context to follow the server")
        items = mon.feed.drain()
        text = "\n".join(getattr(i, "message", "") for i in items) + caplog.text
        assert SECRET not in text and TOKEN not in text
    finally:
        assert mon.close(3.0)


def _kmon(*args, timeout=60):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "kmon", *args], capture_output=True, timeout=timeout,
                          cwd=REPO, env=env)


@pytest.mark.parametrize("context,entry", [("plugin-missing", "users/no-plugin"),
                                           ("no-user-entry", "users/ghost"),
                                           ("ca-mismatch", None)])
def test_headless_one_line_error(broken_kubeconfig, context, entry):
    r = _kmon("stats", "--once", "--kubeconfig", broken_kubeconfig, "--context", context, "namespaces")
    err = r.stderr.decode()
    assert r.returncode == 1, (r.returncode, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and SECRET not in err and TOKEN not in err
    if entry:
        assert entry in lines[0] and broken_kubeconfig in lines[0], lines[0]


def test_headless_missing_file_and_invalid_yaml(tmp_path, broken_kubeconfig):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nclusters: [\n  - name: x\n  broken: : :\n")
    for path, words in [(str(tmp_path / "absent.yaml"), "does not exist"), (str(bad), "invalid YAML")]:
        r = _kmon("watch", "--kubeconfig", path, "--duration", "1")
        err = r.stderr.decode()
        assert r.returncode == 1 and words in err and path in err, err
        assert len([ln for ln in err.splitlines() if ln.strip()]) == 1 and "Traceback" not in err, err
    # and the good context of the broken file still works headless
    r = _kmon("stats", "--once", "--kubeconfig", broken_kubeconfig, "--context", "good", "namespaces")
    assert r.returncode == 0, r.stderr.decode()
