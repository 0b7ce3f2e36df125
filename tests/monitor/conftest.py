"""Fixtures for the monitor tests: sims, kubeconfigs and a small churner."""

from __future__ import annotations

import random
import socket
import threading

import pytest
import yaml

from kmon.sim import SimServer
from kmon.sim.kubeconfig import kubeconfig_dict, write_kubeconfig


class Churner:
    """Creates, updates and deletes pods and configmaps in a few namespaces at ``rate``/s."""

    def __init__(self, srv: SimServer, namespaces=("shop", "payments"), rate: float = 200.0, seed: int = 7) -> None:
        self.store = srv.store
        self.namespaces = namespaces
        self.rate = rate
        self.rnd = random.Random(seed)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-churner", daemon=True)
        self.n = 0
        for ns in namespaces:
            self.store.create("namespaces", {"metadata": {"name": ns}})
            for i in range(10):
                self._create(ns)

    def _create(self, ns: str) -> None:
        self.n += 1
        res = self.rnd.choice(["pods", "configmaps"])
        body = {"metadata": {"name": f"obj-{self.n}", "namespace": ns, "labels": {"app": "x"}}}
        if res == "pods":
            body["spec"] = {"containers": [{"name": "c", "image": "nginx"}]}
        else:
            body["data"] = {"k": str(self.n)}
        self.store.create(res, body, ns)

    def step(self) -> None:
        ns = self.rnd.choice(self.namespaces)
        res = self.rnd.choice(["pods", "configmaps"])
        objs = self.store.list(res, ns)
        op = self.rnd.random()
        try:
            if op < 0.4 or not objs:
                self._create(ns)
            elif op < 0.75:
                o = self.rnd.choice(objs)
                self.store.patch(res, o["metadata"]["name"], {"metadata": {"labels": {"n": str(self.n)}}}, ns)
                self.n += 1
            else:
                o = self.rnd.choice(objs)
                self.store.delete(res, o["metadata"]["name"], ns)
        except Exception:
            pass  # a race with ourselves (not found): fine

    def _run(self) -> None:
        period = 1.0 / self.rate
        while not self.stop_event.wait(period):
            self.step()

    def start(self) -> "Churner":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)


@pytest.fixture
def sim():
    srv = SimServer(token="t0ken", seed=1).start()
    yield srv
    srv.stop()


@pytest.fixture
def sim2():
    srv = SimServer(token="other", seed=2).start()
    yield srv
    srv.stop()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def kubeconfig(tmp_path, sim):
    """A kubeconfig with a good context "good" and broken ones: "badtoken" (401),
    "unreachable" (connection refused), "nouser" (a context naming a missing user),
    "noplugin" (an exec credential plugin that is not installed)."""
    d = kubeconfig_dict([("good", sim), ("badtoken", sim)], current="good")
    for u in d["users"]:
        if u["name"] == "badtoken-user":
            u["user"]["token"] = "wrong-token-value"
    d["clusters"].append({"name": "unreachable", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}})
    d["users"].append({"name": "unreachable-user", "user": {"token": "tok-unreachable"}})
    d["contexts"].append({"name": "unreachable", "context": {"cluster": "unreachable", "user": "unreachable-user"}})
    d["contexts"].append({"name": "nouser", "context": {"cluster": "good", "user": "missing-user"}})
    d["users"].append({"name": "exec-user", "user": {"exec": {
        "command": "kmon-no-such-credential-plugin", "apiVersion": "client.authentication.k8s.io/v1beta1"}}})
    d["contexts"].append({"name": "noplugin", "context": {"cluster": "good", "user": "exec-user"}})
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(d))
    return str(path)


__all__ = ["Churner", "write_kubeconfig"]
