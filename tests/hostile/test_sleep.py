"""Laptop sleep: ``kmon watch`` is frozen (SIGSTOP) for longer than its watch inactivity
timeout (KMON_WATCH_INACTIVITY_TIMEOUT, short here) while the cluster churns and compacts and
the connection goes silent; after SIGCONT it must notice the dead connection (the watch ends
with a timeout), relist and converge to the server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import orjson
import pytest

from hostile_helpers import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INACTIVITY = 2.0
PAUSE = 4.0


class Proc:
    def __init__(self, *args, env_extra=None):
        env = dict(os.environ, PYTHONPATH=REPO, **(env_extra or {}))
        self.proc = subprocess.Popen([sys.executable, "-m", "kmon", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=REPO, env=env)
        self.records: list[dict] = []
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.records.append(orjson.loads(line))
            except orjson.JSONDecodeError:  # not ours to judge here: keep reading
                self.records.append({"kind": "unparsed", "line": line.decode(errors="replace")})

    def cache(self, resource):
        """What the process's cache holds, rebuilt from its delta records: {key: rv}."""
        out: dict[str, str] = {}
        for r in list(self.records):
            if r.get("kind") != "delta" or r.get("resource") != resource:
                continue
            if r["type"] == "Deleted":
                out.pop(r["key"], None)
            else:
                out[r["key"]] = r["resource_version"]
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_sigstop_longer_than_inactivity_timeout(env):
    p = Proc("watch", "-o", "json", "--kubeconfig", env.kubeconfig, "pods",
             env_extra={"KMON_WATCH_INACTIVITY_TIMEOUT": str(INACTIVITY)})
    try:
        wait_for(lambda: any(r.get("type") == "WatchStarted" for r in p.records), 20, "kmon watching")
        env.churn()
        wait_for(lambda: len(p.records) > 50, 15, "kmon printing")
        # sleep: the process is frozen and its connection goes silent (as a NAT/VPN drops it)
        env.srv.faults.stall_watches(PAUSE + INACTIVITY + 3)
        p.proc.send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        n = len(p.records)
        wait_for(lambda: time.monotonic() - t0 >= PAUSE, PAUSE + 2, "the pause")  # churn goes on meanwhile
        env.workload.step(30)
        env.srv.faults.expire_watch_cache()  # its last version falls out of the watch cache
        env.srv.faults.compact()
        assert len(p.records) == n, "a stopped process printed"
        p.proc.send_signal(signal.SIGCONT)
        # it notices the dead connection: the watch ends with a timeout error
        wait_for(lambda: any(r.get("kind") == "reflector" and r.get("type") in ("WatchEnded", "Error")
                             and re.search(r"no data from server|timed out", orjson.dumps(r.get("detail")).decode())
                             for r in p.records[n:]), 15, "the watch to end with a timeout")
        # ...relists (its last version is gone from the watch cache) and converges
        wait_for(lambda: any(r.get("kind") == "reflector" and r.get("type") in ("Relist", "ListStarted", "Expired")
                             for r in p.records[n:]), 15, "a relist")
        env.workload.stop()
        env._churning = False
        wait_for(lambda: p.cache("pods") == env.server_state("pods"), 30,
                 "kmon's cache (from its output) == the server")
        assert p.proc.poll() is None
        # the operator was told, in the output, in words: why the watch ended, and the relist
        assert any(r.get("type") == "WatchEnded" and "no data from server" in str(r.get("detail"))
                   for r in p.records[n:])
    finally:
        p.stop()
