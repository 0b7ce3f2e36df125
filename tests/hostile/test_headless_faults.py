"""``kmon watch`` through a fault: it keeps printing, says in its output which resource fails
and why, the other resource keeps following churn, and it says when the failing one recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import orjson

from waiting import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_kmon_watch_through_403(env):
    proc = subprocess.Popen([sys.executable, "-m", "kmon", "watch", "-o", "json", "--kubeconfig", env.kubeconfig,
                             "pods", "configmaps"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=REPO))
    records: list[dict] = []
    reader = threading.Thread(target=lambda: [records.append(orjson.loads(ln)) for ln in proc.stdout], daemon=True)
    reader.start()
    try:
        synced = lambda: sum(1 for r in records if r.get("type") == "WatchStarted") >= 2
        wait_for(synced, 30, "kmon watching both resources")
        env.churn()
        n = len(records)
        env.srv.faults.forbid("pods")
        env.srv.faults.drop_watches()
        wait_for(lambda: any(r.get("kind") == "session" and r.get("resource") == "pods" and "forbidden" in r["message"]
                             for r in records[n:]), 15, "a line saying pods are forbidden")
        # configmaps keep following: a new one is printed while pods fail
        env.srv.store.create("configmaps", {"metadata": {"name": "while-forbidden", "namespace": "default"}})
        wait_for(lambda: any(r.get("kind") == "delta" and r.get("name") == "while-forbidden" for r in records[n:]),
                 15, "configmaps printed during the fault")
        t0 = time.time()
        wait_for(lambda: sum(1 for r in records[n:] if r.get("resource") == "pods" and r.get("type") == "Backoff") >= 2,
                 15, "pods retried")
        pods_reqs = env.requests_for("pods", t0, time.time())
        assert len(pods_reqs) / max(1.0, time.time() - t0) <= 3.0, "no tight retry loop"
        env.srv.faults.allow()
        wait_for(lambda: any(r.get("kind") == "session" and r.get("resource") == "pods" and r.get("type") == "ready"
                             for r in records[n:]), 40, "a line saying pods recovered")
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
