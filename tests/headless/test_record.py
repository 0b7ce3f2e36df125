"""``kmon record`` / ``kmon replay --to-json`` end to end, and the recorder's cache fidelity."""

from __future__ import annotations

import os

import orjson
import pytest

from kmon.monitor.session_options import SessionOptions
from kmon.headless.record import Recorder
from kmon.monitor.masking import MASK
from kmon.monitor.recording_reader import read_recording
from kmon.monitor.replay_rebuild import rebuild_cache

from waiting import wait_for

from .conftest import REPO, run_kmon

pytestmark = pytest.mark.timeout(90)


def _jsonl(data: bytes) -> list[dict]:
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]


def test_record_then_replay_round_trips(tmp_path, sim, workload, kubeconfig):
    workload.start()
    masked, clear = tmp_path / "masked.kmonrec", tmp_path / "clear.kmonrec"
    for path, extra in ((masked, []), (clear, ["--include-secret-values", "--client-go", "1.32"])):
        out = run_kmon("record", "-o", str(path), "--kubeconfig", kubeconfig, "--duration", "1.5", "pods", "secrets", *extra,
                       env_extra={"KUBE_FEATURE_WatchListClient": "true"})
        assert out.returncode == 0, out.stderr
        assert b"records" in out.stderr and b"Traceback" not in out.stderr
    for path in (masked, clear):
        rec = read_recording(path)
        assert rec.complete, rec.error
        h = rec.header
        assert h["format"] == "kmon-recording" and h["version"].startswith("1.")
        assert h["contexts"][0]["name"] == "sim" and h["contexts"][0]["server"] == sim.url
        assert h["contexts"][0]["server_version"]["gitVersion"]
        assert h["resources"] == ["pods", "secrets"] and h["selection"]["all_namespaces"] is True
        # the client-go path the informers ran (format 1.1): the profile, each gate and its source
        go = h["contexts"][0]["client_go"]
        assert (go["profile"], go["chosen"], h["selection"]["client_go"]) == (
            ("1.36", False, None) if path == masked else ("1.32", True, "1.32"))
        assert go["gates"]["WatchListClient"] == {"enabled": True, "source": "environment"}
        assert go["gates"]["AtomicFIFO"]["source"] == ("default" if path == masked else "profile")
        assert set(h["contexts"][0]["queues"]) == {"pods", "secrets"}
        # replay prints the header, every record as recorded, and the footer
        out = run_kmon("replay", str(path), "--to-json")
        assert out.returncode == 0 and out.stderr == b"", out.stderr
        lines = _jsonl(out.stdout)
        assert lines[0] == h and lines[-1] == rec.footer and lines[1:-1] == rec.records
        assert rec.footer["records"] == len(rec.records) and rec.footer["reason"] == "duration"
        kinds = {r["kind"] for r in rec.records}
        assert kinds == {"delta", "reflector", "session"}
        live = [p for p in sim.store.list("pods") if not p["metadata"].get("deletionTimestamp")]  # not Terminating
        assert sum(1 for r in rec.records if r["kind"] == "delta" and r["initial"]) >= len(live)
    # Secret values: masked by default, the real ones when asked
    def secrets(path):
        return {r["key"]: r["object"] for r in read_recording(path).records if r["resource"] == "secrets" and r["kind"] == "delta"}
    m, c = secrets(masked), secrets(clear)
    assert m and set(m) == set(c)
    assert read_recording(masked).header["secret_values"] == "masked"
    assert read_recording(clear).header["secret_values"] == "included"
    for key, obj in m.items():
        ns, name = key.split("/")
        real = sim.store.get("secrets", name, ns)
        assert obj["data"] == {k: MASK for k in real["data"]}
        assert c[key]["data"] == real["data"]


def test_replay_of_a_damaged_recording(tmp_path, sim, workload, kubeconfig):
    path = tmp_path / "r.kmonrec"
    out = run_kmon("record", "-o", str(path), "--kubeconfig", kubeconfig, "--duration", "1", "pods", "-q")
    assert out.returncode == 0 and out.stderr == b"", out.stderr
    full = read_recording(path)
    data = path.read_bytes()
    cut = tmp_path / "cut.kmonrec"
    cut.write_bytes(data[: len(data) * 2 // 3])
    out = run_kmon("replay", str(cut), "--to-json")
    err = out.stderr.decode()
    assert out.returncode == 3, err
    assert err.startswith(f"kmon replay: {cut}: recording truncated at byte {len(data) * 2 // 3} (record ") and err.count("\n") == 1
    lines = _jsonl(out.stdout)
    assert lines[0] == full.header and lines[1:] == full.records[: len(lines) - 1]
    bad = tmp_path / "bad.kmonrec"
    bad.write_bytes(b"hello\n")
    out = run_kmon("replay", str(bad), "--to-json")
    assert out.returncode == 1 and b"not a kmon recording" in out.stderr and out.stdout == b""
    if not os.path.exists(os.path.join(REPO, "kmon", "ui", "replay.py")):
        out = run_kmon("replay", str(path))
        assert out.returncode == 2
        assert out.stderr.decode().strip() == "replay in the GUI is not available yet; use --to-json"


def _view(cache):
    return {k: o["metadata"]["resourceVersion"] for k, o in cache.items()}


def test_rebuilt_cache_equals_the_live_cache_at_stop(tmp_path, sim, workload, kubeconfig):
    workload.start()
    resources = ["pods", "configmaps", "secrets", "events"]
    rec = Recorder(tmp_path / "r.kmonrec", SessionOptions(resources=resources, kubeconfig=kubeconfig))
    rec.start()
    try:
        assert rec.live.wait_synced(20)
        stats = lambda: rec.session.stats()["pods"]
        first = stats().deltas_processed
        wait_for(lambda: stats().deltas_processed > first + 10, 20, "churn through the watch")
        # a relist that finds deletions it never saw (deleted while the watch was stalled)
        sim.faults.stall_watches(1.0)
        victim = sim.store.list("pods")[0]["metadata"]
        sim.store.delete("pods", victim["name"], victim["namespace"])
        sim.faults.jump_revision(5)
        sim.faults.expire_watch_cache()  # the watch cannot resume: its version left the watch cache
        sim.faults.drop_watches()
        wait_for(lambda: stats().relists >= 1, 20, "the relist")
        after = stats().deltas_processed
        wait_for(lambda: stats().deltas_processed > after + 10, 20, "churn after the relist")
    finally:
        summary = rec.stop()
    assert summary["error"] is None and summary["records"] > 0
    recording = read_recording(rec.path)
    assert recording.complete, recording.error
    rebuilt = rebuild_cache(recording.records)
    for res in resources:
        informer = rec.session.resources[res].informer
        live = {k: informer.indexer.get_by_key(k)[0] for k in informer.indexer.list_keys()}
        assert _view(rebuilt[("sim", res)]) == _view(live), res
    assert any(r["kind"] == "delta" and r["final_state_unknown"] for r in recording.records)
    assert any(r["kind"] == "reflector" and r["type"] == "Expired" for r in recording.records)


def _readable(path):
    try:
        return read_recording(path)
    except Exception:
        return None


def test_record_stops_cleanly_on_sigint_and_a_kill_loses_at_most_about_a_second(tmp_path, sim, workload, kubeconfig):
    import signal
    import subprocess
    import sys
    import time

    from .conftest import kmon_env

    workload.start()
    for sig in (signal.SIGINT, signal.SIGKILL):
        path = tmp_path / f"{int(sig)}.kmonrec"
        p = subprocess.Popen([sys.executable, "-m", "kmon", "record", "-o", str(path), "--kubeconfig", kubeconfig,
                              "pods", "configmaps", "events"], cwd=REPO, env=kmon_env(), stderr=subprocess.PIPE)
        try:
            # the file is readable while being written: flushed at least once a second
            first = wait_for(lambda: (r := _readable(path)) and sum(1 for x in r.records if not x.get("initial", True)) >= 5 and r,
                             30, "records from the watch on disk")
            wait_for(lambda: len(_readable(path).records) > len(first.records) + 5, 20, "more records on disk")
            killed_at = time.time()
            p.send_signal(sig)
            rc = p.wait(20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        err = p.stderr.read()
        rec = read_recording(path)
        if sig == signal.SIGINT:
            assert rc == 0 and b"Traceback" not in err, err
            assert rec.complete and rec.footer["reason"] == "stopped", rec.error
            assert rec.records[-1]["kind"] == "session" and rec.records[-1]["type"] == "stopped"
        else:
            assert rec.error and rec.error.startswith("recording truncated at byte "), rec.error
            last = max(r["time"] for r in rec.records)
            assert last >= killed_at - 2.5, (killed_at - last)  # 1 s flush + 0.2 s drain + slack


def test_record_skips_an_unknown_resource_and_records_the_others(tmp_path, sim, workload, kubeconfig):
    """kmon issue 10, point 16: kubectl's message, then the valid resources are recorded."""
    path = tmp_path / "r.kmonrec"
    out = run_kmon("record", "-o", str(path), "--kubeconfig", kubeconfig, "--duration", "1", "pods", "nosuchthing")
    assert out.returncode == 0, out.stderr
    err = out.stderr.decode().splitlines()
    assert err[:2] == ['error: the server doesn\'t have a resource type "nosuchthing"', "kmon record: continuing with pods"]
    rec = read_recording(path)
    assert rec.header["resources"] == ["pods"] and rec.header["selection"]["requested"] == ["pods", "nosuchthing"]
    assert {r["resource"] for r in rec if r["kind"] == "delta"} == {"pods"}
    out = run_kmon("record", "-o", str(tmp_path / "none.kmonrec"), "--kubeconfig", kubeconfig, "nosuchthing")
    assert out.returncode == 1 and not (tmp_path / "none.kmonrec").exists()
    assert out.stderr.decode() == 'error: the server doesn\'t have a resource type "nosuchthing"\n'
