"""Fixtures for the headless tests: a churning sim, its kubeconfig, and a ``kmon`` command
run as a subprocess whose output lines are collected by a reader thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Callable

import orjson
import pytest

from kmon.sim import SimServer
from kmon.sim.kubeconfig import write_kubeconfig
from kmon.sim.workload import Workload
from waiting import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kmon_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("NO_COLOR", None)
    env.pop("KMON_DEBUG", None)
    env.pop("COLUMNS", None)  # a pipe's width is the program's choice, not the test runner's
    return env


def run_kmon(*args: str, timeout: float = 60.0, env_extra: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """``python -m kmon ARGS`` to completion (``env_extra`` added to its environment)."""
    return subprocess.run(
        [sys.executable, "-m", "kmon", *args], capture_output=True, timeout=timeout, cwd=REPO,
        env={**kmon_env(), **(env_extra or {})}, **kw,
    )


class KmonProcess:
    """A running ``python -m kmon ARGS``; a thread collects stdout lines (``lines``, and
    ``records`` for JSON output) and wakes ``wait_until`` callers."""

    def __init__(self, *args: str, json: bool = False, close_after: int | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kmon", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
            env=kmon_env(),
        )
        self.json = json
        self.close_after = close_after  # lines; then close our end of the pipe, like `| head`
        self.lines: list[bytes] = []
        self.records: list[dict] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="test-kmon-reader", daemon=True)
        self._reader.start()
        self.stderr = b""

    def _read(self) -> None:
        for line in self.proc.stdout:
            rec = orjson.loads(line) if self.json else None
            with self._cond:
                self.lines.append(line)
                if rec is not None:
                    self.records.append(rec)
                self._cond.notify_all()
            if self.close_after is not None and len(self.lines) >= self.close_after:
                self.proc.stdout.close()
                break
        with self._cond:
            self._cond.notify_all()

    def wait_until(self, cond: Callable[[], object], timeout: float, what: str) -> object:
        """``cond()``'s first truthy value, re-checked on every line read; fails the test after
        ``timeout`` seconds or as soon as kmon has exited and its output is all read."""
        def ready() -> object:
            v = cond()
            if not v and self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"kmon exited before {what}; {self._exit_detail()}")
            return v

        return wait_for(ready, timeout, lambda: f"{what}; {self._exit_detail()}", step=0.5, notified_by=self._cond)

    def _exit_detail(self) -> str:
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
        return f"exit={self.proc.poll()} stderr={err}"

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        self.stderr = self.proc.stderr.read()
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def sim():
    srv = SimServer(token="t0ken-headless", seed=1).start()
    yield srv
    srv.stop()


@pytest.fixture
def workload(sim):
    wl = Workload(sim.store, seed=3, rate=40.0, namespaces=2, pods=30, secrets=2, configmaps=2, max_events=50)
    wl.populate()
    yield wl
    wl.stop()


@pytest.fixture
def kubeconfig(tmp_path, sim):
    return write_kubeconfig(tmp_path / "kubeconfig", [("sim", sim)])
