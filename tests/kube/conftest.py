from __future__ import annotations

import pytest
from kubernetes.client import ApiClient, Configuration

from .fakeapi import FakeApi


@pytest.fixture
def fake():
    api = FakeApi()
    yield api
    api.close()


def client_for_url(url: str, token: str = "t0ken") -> ApiClient:
    conf = Configuration(host=url)
    conf.api_key["BearerToken"] = f"Bearer {token}"
    return ApiClient(conf)


@pytest.fixture
def fake_client(fake):
    c = client_for_url(fake.url)
    yield c
    c.close()


def make_pod(name: str, ns: str = "default", labels: dict | None = None, node: str = "node-1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1.27"}]},
        "status": {"phase": "Running"},
    }


def ensure_namespace(store, ns: str) -> None:
    try:
        store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    except Exception:
        pass


@pytest.fixture
def sim(tmp_path):
    from kmon.sim import SimServer

    srv = SimServer(token="t0ken", bookmark_interval=60.0, seed=1, too_large_wait=0.2)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def sim_kubeconfig(sim, tmp_path):
    from kmon.sim.kubeconfig import write_kubeconfig

    return write_kubeconfig(tmp_path / "kubeconfig", [("kmon-demo", sim)])


@pytest.fixture
def sim_client(sim_kubeconfig):
    from kmon.kube import api_client_for

    c = api_client_for(kubeconfig=sim_kubeconfig)
    yield c
    c.close()
