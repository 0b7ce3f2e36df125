"""Laptop sleep: ``kmon watch`` is frozen (SIGSTOP) while the cluster churns and compacts, and
the network path stays silent past the wake-up (the connection is kept up -- by a NAT or VPN,
here by a relay that forwards nothing -- so neither a reset nor TCP keepalive ends it). After
SIGCONT kmon's health check (client-go's HTTP/2 one, ported; scaled down here through
HTTP2_READ_IDLE_TIMEOUT_SECONDS and HTTP2_PING_TIMEOUT_SECONDS) gets no answer: the watch ends
with that error within read-idle + ping timeout, said once; once the network is back kmon
relists and converges to the server."""

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

from hostile_helpers import SimEnv
from waiting import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READ_IDLE = 1.0  # client-go's 30 s, scaled down
PING_TIMEOUT = 1.0  # client-go's 15 s
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


@pytest.fixture
def env(tmp_path):
    e = SimEnv(tmp_path, stall_proxy=True)
    yield e
    e.close()


def _health_check_ended(r):
    return (r.get("kind") == "reflector" and r.get("type") in ("WatchEnded", "Error")
            and "no answer from the server's health check" in orjson.dumps(r.get("detail")).decode())


@pytest.mark.timeout(150)
def test_sigstop_then_a_silent_network_is_noticed_by_the_health_check(env):
    p = Proc("watch", "-o", "json", "--kubeconfig", env.kubeconfig, "pods",
             env_extra={"HTTP2_READ_IDLE_TIMEOUT_SECONDS": str(READ_IDLE), "HTTP2_PING_TIMEOUT_SECONDS": str(PING_TIMEOUT)})
    try:
        wait_for(lambda: any(r.get("type") == "WatchStarted" for r in p.records), 20, "kmon watching")
        env.churn()
        wait_for(lambda: len(p.records) > 50, 15, "kmon printing")
        # sleep: the process is frozen and the network path falls silent
        env.proxy.stall()
        p.proc.send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        n = len(p.records)
        wait_for(lambda: time.monotonic() - t0 >= PAUSE, PAUSE + 2, "the pause")  # churn goes on meanwhile
        env.workload.step(30)
        env.srv.faults.expire_watch_cache()  # its last version falls out of the watch cache
        env.srv.faults.compact()
        assert len(p.records) == n, "a stopped process printed"
        p.proc.send_signal(signal.SIGCONT)
        woke = time.monotonic()
        # it notices the silent connection: the health check goes unanswered, the watch ends
        wait_for(lambda: any(_health_check_ended(r) for r in p.records[n:]), 15, "the watch to end")
        noticed_after = time.monotonic() - woke
        # the network is back: kmon relists (its last version is gone from the watch cache) and converges
        env.proxy.resume()
        wait_for(lambda: any(r.get("kind") == "reflector" and r.get("type") in ("Relist", "ListStarted", "Expired")
                             for r in p.records[n:]), 15, "a relist")
        env.workload.stop()
        env._churning = False
        wait_for(lambda: p.cache("pods") == env.server_state("pods"), 30,
                 "kmon's cache (from its output) == the server")
        assert p.proc.poll() is None
        assert noticed_after < READ_IDLE + PING_TIMEOUT + 3  # (+ a shared machine's slack)
        # the operator was told, in the output, in words, once: why the watch ended
        ended = [r for r in p.records[n:] if r.get("type") == "WatchEnded" and _health_check_ended(r)]
        assert len(ended) == 1, ended
        assert re.search(r"within 1 s \(watch idle for \d+(\.\d)? s\)", str(ended[0]["detail"]))
    finally:
        p.stop()
