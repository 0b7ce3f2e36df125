"""``kmon watch`` as a user runs it: a subprocess against a churning sim."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import orjson
import pytest
import yaml

from kmon.sim.kubeconfig import kubeconfig_dict

from .conftest import REPO, KmonProcess, kmon_env, run_kmon

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
                      "resource_version", "initial", "final_state_unknown", "notification", "old_resource_version",
                      "group", "object"}
    # (client-go 1.36: the initial list is one atomic ReplacedAll, each object's record says so)
    assert d["notification"] == "on_add (initial list)" and d["old_resource_version"] is None
    assert d["group"]["type"] == "ReplacedAll" and d["group"]["added"] >= 1
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
    assert head.split() == ["TIME", "RESOURCE", "EVENT", "NAMESPACE/NAME", "RV", "NOTIFICATION", "DETAIL"]
    starts = [head.index(t) for t in ("RESOURCE", "EVENT", "NAMESPACE/NAME", "RV", "NOTIFICATION", "DETAIL")]
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
        "unreachable server": ["--kubeconfig", str(unreachable)],
    }
    errors = {}
    for what, args in cases.items():
        out = run_kmon("watch", *args, timeout=30)
        err = errors[what] = out.stderr.decode()
        assert out.returncode == 1, (what, out.returncode, err)
        assert err.startswith("kmon watch: ") and err.count("\n") == 1, (what, err)
        assert "Traceback" not in err and out.stdout == b"", (what, err, out.stdout)
    assert "nosuch" in errors["unknown context"]
    assert "connection refused" in errors["unreachable server"] and "broken" in errors["broken kubeconfig"]


def test_watch_rejects_an_unknown_resource_with_kubectls_words_and_runs_the_others(sim, workload, kubeconfig):
    """kmon issue 10, point 16."""
    out = run_kmon("watch", "--kubeconfig", kubeconfig, "nosuchthing", "--duration", "5", timeout=30)
    assert out.returncode == 1 and out.stdout == b""
    assert out.stderr.decode() == 'error: the server doesn\'t have a resource type "nosuchthing"\n'
    out = run_kmon("watch", "--kubeconfig", kubeconfig, "-o", "json", "pods,nosuchthing", "--duration", "5", timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stderr.decode().splitlines() == [
        'error: the server doesn\'t have a resource type "nosuchthing"',
        "kmon watch: continuing with pods",
    ]
    recs = [orjson.loads(line) for line in out.stdout.splitlines()]
    assert {r["resource"] for r in recs if r["kind"] != "session"} == {"pods"}
    assert any(r["kind"] == "delta" for r in recs)
    rejected = [r for r in recs if r["type"] == "rejected"]
    assert len(rejected) == 1 and rejected[0]["resource"] is None and rejected[0]["detail"]["resource"] == "nosuchthing"
    out = run_kmon("watch", "--kubeconfig", kubeconfig, "podz", "--duration", "5", timeout=30)
    assert out.returncode == 1
    assert out.stderr.decode().splitlines() == [
        'error: the server doesn\'t have a resource type "podz"', "kmon watch: podz: did you mean pods?"]


def test_bad_selectors_and_settings_are_refused_before_connecting(kubeconfig, sim):
    """A selector the server would reject (said in the server's words, as kubectl relays
    them) or an unusable environment variable: one line, exit 1, no request sent."""
    sim.requests.clear()
    cases = {
        ("-l", "app in (web"): "invalid label selector 'app in (web': unable to parse requirement: "
                               "found '', expected: ',' or ')'",
        ("--field-selector", "status.phase"): "invalid field selector 'status.phase': invalid selector: "
                                              "'status.phase'; can't understand 'status.phase'",
    }
    for args, message in cases.items():
        for command in ("watch", "stats", "record"):
            extra = ("-o", "/dev/null") if command == "record" else ()
            out = run_kmon(command, "--kubeconfig", kubeconfig, "pods", *args, *extra, timeout=30)
            assert out.returncode == 1, (command, args, out.stderr)
            assert out.stderr.decode() == f"kmon {command}: {message}\n"
    env = dict(kmon_env(), KMON_WATCH_INACTIVITY_TIMEOUT="abc")
    out = subprocess.run([sys.executable, "-m", "kmon", "watch", "--kubeconfig", kubeconfig, "pods"],
                         capture_output=True, timeout=30, cwd=REPO, env=env)
    assert out.returncode == 1
    assert out.stderr.decode() == ("kmon watch: environment variable KMON_WATCH_INACTIVITY_TIMEOUT='abc' is not "
                                   "a number of seconds >= 1.5\n")
    assert list(sim.requests) == []  # refused before connecting


def test_a_request_the_server_rejects_is_not_retried_and_watch_exits_1(kubeconfig, sim):
    """A field label the resource does not support passes the client-side check but the
    server answers 400: the informer fails for good (said once, not retried) and, with
    nothing left to watch, ``kmon watch`` ends with status 1 instead of retrying forever."""
    out = run_kmon("watch", "--kubeconfig", kubeconfig, "-o", "json", "pods", "--field-selector", "spec.nosuch=x",
                   "--duration", "20", timeout=40)
    assert out.returncode == 1, out.stderr
    last = out.stderr.decode().splitlines()[-1]
    assert last.startswith("kmon watch: nothing left to watch: pods: 400 BadRequest: field label not supported")
    # client-go 1.36 asks a WatchList first, then falls back to a LIST: each refused once
    refused = [r for r in sim.requests if r.path.endswith("/pods") and r.status == 400]
    assert [r.query.get("sendInitialEvents") for r in refused] == ["true", None]
    records = [orjson.loads(ln) for ln in out.stdout.splitlines()]
    failed = [r for r in records if r["kind"] == "session" and r["type"] == "failed"]
    assert failed and "not retried" in failed[0]["message"] and failed[0]["level"] == "error"
    assert not [r for r in records if r["kind"] == "reflector" and r["type"] == "Backoff"]
