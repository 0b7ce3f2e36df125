"""``kmon sim``'s command line: naming its contexts so that two sims merge with
``KUBECONFIG=a:b``, and a --help that documents the fault endpoint from the code."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kmon.cache.listwatch import ListOptions
from kmon.kube.clients import ClientCache
from kmon.kube.config import validate_context
from kmon.sim.cli import fault_catalog
from kmon.sim.faults import ANSWER_FIRST, Faults

from waiting import wait_for

from .helpers import RawWatch, request

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = {"n": "1", "resource": "pods", "delta": "5", "seconds": "0.05", "starting": "0.05"}  # (optional ones too)


def start_sim(kubeconfig: Path, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "kmon", "sim", "--kubeconfig", str(kubeconfig), "--pods", "10",
                             "--churn", "0", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3):  # two server lines, then the kubeconfig line: both are serving
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            pytest.fail(f"kmon sim exited: {proc.communicate(timeout=10)[1]}")
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def test_two_sims_with_context_prefixes_merge_with_KUBECONFIG(tmp_path, monkeypatch):
    a, b = tmp_path / "a.kubeconfig", tmp_path / "b.kubeconfig"
    procs = [start_sim(a, "--context-prefix", "alpha")]
    try:
        procs.append(start_sim(b, "--context-prefix", "beta"))
        monkeypatch.setenv("KUBECONFIG", f"{a}{os.pathsep}{b}")
        with ClientCache() as cache:  # kmon's own loader, merging as kubectl does
            cfg = cache.config
            assert cfg.context_names() == ["alpha", "alpha-2", "beta", "beta-2"]
            assert cfg.current_context == "alpha"
            servers = set()
            for name in cfg.context_names():
                info = validate_context(cfg, name)
                assert (info.cluster, info.user) == (name, f"{name}-user")
                servers.add(info.server)
                pods = cache.list_watcher(name, "pods").list(ListOptions()).items
                assert len(pods) >= 5, name
            assert len(servers) == 4
    finally:
        for p in procs:
            stop(p)


def test_the_default_names_are_unchanged(tmp_path):
    import yaml

    kc = tmp_path / "kc"
    proc = start_sim(kc)
    try:
        doc = yaml.safe_load(kc.read_text())
        assert [c["name"] for c in doc["contexts"]] == ["kmon-demo", "kmon-demo-2"]
        assert [u["name"] for u in doc["users"]] == ["kmon-demo-user", "kmon-demo-2-user"]
    finally:
        stop(proc)


def test_a_context_prefix_that_is_no_name_is_refused(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kmon", "sim", "--kubeconfig", str(tmp_path / "kc"), "--context-prefix",
                        "my demo"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not a usable context name" in r.stderr


def test_help_documents_the_fault_endpoint_and_every_fault():
    r = subprocess.run([sys.executable, "-m", "kmon", "sim", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "POST /_kmon/faults/NAME?PARAM=VALUE" in r.stdout and "Authorization: Bearer" in r.stdout
    assert "--context-prefix PREFIX" in r.stdout
    public = [n for n, f in inspect.getmembers(Faults, inspect.isfunction) if not n.startswith("_") and f.__doc__]
    assert {"compact", "drop_watches", "fail_next", "refuse_connections", "stall_watches"} <= set(public)
    for name in public:
        assert f"\n  {name}" in r.stdout, name
    assert "fail_next n=N [code=500]" in r.stdout and "forbid resource=RESOURCE" in r.stdout


def _serving(srv) -> bool:
    try:
        return request(srv, "GET", "/readyz")[0] == 200
    except OSError:
        return False


def test_every_fault_the_help_lists_is_accepted_over_http(populated):
    """So the help cannot promise a fault the endpoint does not take."""
    w = RawWatch(populated, "/api/v1/pods?watch=1")  # an open watch for the stream faults
    try:
        wait_for(lambda: len(populated.watches.all()) == 1)
        catalog = sorted(fault_catalog(), key=lambda f: f[0] in ANSWER_FIRST)  # those close the listener for a while
        for name, params, _summary in catalog:
            names = [p.strip("[]").split("=")[0] for p in params.split() if "=" in p]
            query = "&".join(f"{k}={SAMPLE.get(k, '1')}" for k in names if not params.count(f"[{k}=") or k in SAMPLE)
            body = b"{}\n" if "<request body" in params else None
            status, _h, doc = request(populated, "POST", f"/_kmon/faults/{name}?{query}", body=body)
            assert status == 200 and doc["status"] == "Success", (
                f"fault {name!r} is listed by `kmon sim --help` (a public, documented method of Faults) but "
                f"POST /_kmon/faults/{name}?{query} answered {status} {doc}: wire it in SimServer._admin")
            if name in ANSWER_FIRST:  # wait until it serves again before the next fault
                wait_for(lambda: _serving(populated), timeout=10, what=f"{name} serving")
    finally:
        w.close()
        populated.faults.reset()
