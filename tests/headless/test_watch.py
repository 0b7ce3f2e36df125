"""``kmon watch`` as a user runs it: a subprocess against a churning sim."""

from __future__ import annotations

import signal
import socket

import pytest
import yaml

from kmon.sim.kubeconfig import kubeconfig_dict

from .conftest import KmonProcess, run_kmon

pytestmark = pytest.mark.timeout(60)


def _kinds(records, kind, typ=None):
    return [r for r in records if r["kind"] == kind and (typ is None or r["type"] == typ)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_watch_json_shows_deltas_and_the_relist_after_compaction(sim, workload, kubeconfig, sig):
    workload.start()
    p = KmonProcess("watch", "--kubeconfig", kubeconfig, "-o", "json", "pods", json=True)
    try:
        recs = p.records
        p.wait_until(lambda: _kinds(recs, "reflector", "ListFinished"), 20, "the initial list")
        p.wait_until(lambda: [r for r in _kinds(recs, "delta") if not r["initial"]], 10, "a delta from the watch")
        if sig == signal.SIGINT:
            # the watch cannot resume: it missed writes (stalled) that then fell out of the
            # watch cache (a compaction of storage alone would not stop it: the cache serves)
            sim.faults.stall_watches(1.0)
            sim.faults.jump_revision(5)
            sim.faults.expire_watch_cache()
            sim.faults.compact()
            sim.faults.drop_watches()
            p.wait_until(lambda: _kinds(recs, "reflector", "Expired"), 20, "the 410 (Expired)")
            relists = lambda: [r for r in _kinds(recs, "reflector", "Relist") if r["detail"].get("reason") != "initial"]
            relist = p.wait_until(relists, 20, "the relist")[0]
            n = recs.index(relist)
            p.wait_until(lambda: _kinds(recs[n:], "reflector", "ListFinished"), 20, "the relist's list")
            p.wait_until(lambda: _kinds(recs[n:], "delta"), 20, "deltas after the relist")
        rc = p.stop(sig)
    finally:
        p.kill()
    assert rc == 0, p.stderr
    assert b"Traceback" not in p.stderr, p.stderr
    recs = p.records
    # documented keys
    d = next(r for r in recs if r["kind"] == "delta")
    assert set(d) == {"kind", "time", "context", "resource", "type", "namespace", "name", "key",
                      "resource_version", "initial", "final_state_unknown", "object"}
    assert d["context"] == "sim" and d["resource"] == "pods" and d["object"]["kind"] == "Pod"
    r = next(r for r in recs if r["kind"] == "reflector")
    assert set(r) == {"kind", "time", "context", "resource", "type", "resource_version", "detail"}
    s = next(r for r in recs if r["kind"] == "session")
    assert set(s) == {"kind", "time", "context", "resource", "type", "level", "message", "detail"}
    # a clean stop: the watch ended because we stopped, and the session said so last
    assert any(r["type"] == "WatchEnded" and r["detail"].get("reason") == "stopped" for r in recs)
    assert recs[-1]["kind"] == "session" and recs[-1]["type"] == "stopped"
    if sig == signal.SIGINT:
        relist = next(r for r in recs if r["type"] == "Relist" and r["detail"].get("reason") != "initial")
        assert "410" in relist["detail"]["reason"] or "expired" in relist["detail"]["reason"]


def test_watch_secrets_json_masks_values(sim, workload, kubeconfig):
    p = KmonProcess("watch", "--kubeconfig", kubeconfig, "-o", "json", "secrets", json=True)
    try:
        p.wait_until(lambda: _kinds(p.records, "reflector", "ListFinished"), 20, "the initial list")
        p.wait_until(lambda: len(_kinds(p.records, "delta")) >= sim.store.count("secrets"), 10, "every secret")
        rc = p.stop()
    finally:
        p.kill()
    assert rc == 0, p.stderr
    secrets = [r["object"] for r in _kinds(p.records, "delta")]
    assert secrets and all(set(s["data"].values()) == {"••••••"} for s in secrets if s.get("data"))
    assert any(s.get("data") for s in secrets)


def test_watch_table_is_aligned_and_survives_a_closed_pipe(sim, workload, kubeconfig):
    workload.start()
    p = KmonProcess("watch", "--kubeconfig", kubeconfig, "pods", "configmaps", close_after=40)
    try:
        p.wait_until(lambda: len(p.lines) >= 40, 20, "40 lines")  # then the pipe closes, like `| head -40`
        rc = p.proc.wait(15)
        stderr = p.proc.stderr.read()
    finally:
        p.kill()
    assert rc == 0 and stderr == b"", stderr
    lines = [ln.decode().rstrip("\n") for ln in p.lines[:40]]
    head = lines[0]
    assert head.split() == ["TIME", "RESOURCE", "EVENT", "NAMESPACE/NAME", "RV", "DETAIL"]
    starts = [head.index(t) for t in ("RESOURCE", "EVENT", "NAMESPACE/NAME", "RV", "DETAIL")]
    for ln in lines[1:]:
        assert "\x1b[" not in ln  # not a terminal: no colour
        for s in starts:  # every column starts at the same place, after a two-space gap
            assert ln[s - 2:s] == "  " and ln[s] != " ", (ln, s)


def test_watch_errors_are_one_line(tmp_path, kubeconfig, sim):
    bad = tmp_path / "broken"
    bad.write_text("apiVersion: v1\nclusters: [unclosed\n")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    unreachable = tmp_path / "unreachable"
    unreachable.write_text(yaml.safe_dump(kubeconfig_dict([("far", sim)])).replace(sim.url, f"http://127.0.0.1:{port}"))
    cases = {
        "broken kubeconfig": ["--kubeconfig", str(bad)],
        "missing kubeconfig": ["--kubeconfig", str(tmp_path / "nope")],
        "unknown context": ["--kubeconfig", kubeconfig, "--context", "nosuch"],
        "unknown resource": ["--kubeconfig", kubeconfig, "pods", "nosuchthings"],
        "unreachable server": ["--kubeconfig", str(unreachable)],
    }
    errors = {}
    for what, args in cases.items():
        out = run_kmon("watch", *args, timeout=30)
        err = errors[what] = out.stderr.decode()
        assert out.returncode == 1, (what, out.returncode, err)
        assert err.startswith("kmon watch: ") and err.count("\n") == 1, (what, err)
        assert "Traceback" not in err and out.stdout == b"", (what, err, out.stdout)
    assert "nosuchthings" in errors["unknown resource"] and "nosuch" in errors["unknown context"]
    assert "connection refused" in errors["unreachable server"] and "broken" in errors["broken kubeconfig"]
