from __future__ import annotations

import pytest

from kmon.sim import SimServer
from kmon.sim.kubeconfig import write_kubeconfig

from .helpers import ensure_ns, pod


@pytest.fixture
def srv():
    with SimServer(token="t0ken", bookmark_interval=60.0, seed=1, too_large_wait=0.2) as s:
        ensure_ns(s.store, "default")
        yield s


@pytest.fixture
def populated(srv):
    """default: p-00..p-09 (app=web for even, app=db for odd; node-1/node-2); team: t-0..t-2."""
    ensure_ns(srv.store, "team")
    for i in range(10):
        srv.store.create("pods", pod(f"p-{i:02d}", labels={"app": "web" if i % 2 == 0 else "db", "idx": str(i)},
                                     node=f"node-{1 + i % 2}", phase="Running" if i < 7 else "Pending"))
    for i in range(3):
        srv.store.create("pods", pod(f"t-{i}", "team", labels={"app": "web", "tier": "front" if i else "back"}))
    return srv


@pytest.fixture
def kubeconfig(srv, tmp_path):
    return write_kubeconfig(tmp_path / "kubeconfig", [("kmon-demo", srv)], current="kmon-demo")


@pytest.fixture
def api(kubeconfig):
    import kubernetes

    client = kubernetes.config.new_client_from_config(str(kubeconfig))
    yield client
    client.close()
