"""Request recording."""

import time

import kubernetes

from .helpers import RawWatch, request


def test_records_every_request(populated, api):
    populated.requests.clear()
    t0 = time.time()
    core = kubernetes.client.CoreV1Api(api)
    core.list_namespaced_pod("team", label_selector="app=web", limit=2)
    request(populated, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "x"}})
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={populated.store.revision}&timeoutSeconds=5") as w:
        assert w.status == 200
        recs = populated.requests.snapshot()  # a watch is recorded as soon as it streams
    assert len(recs) == 3
    r0 = recs[0]
    assert (r0.method, r0.path, r0.status) == ("GET", "/api/v1/namespaces/team/pods", 200)
    assert r0.query["labelSelector"] == "app=web" and r0.query["limit"] == "2" and r0.time >= t0 - 1
    assert (recs[1].method, recs[1].status) == ("POST", 201)
    assert recs[2].query["watch"] == "1"
    assert [r.method for r in populated.requests if r.method != "GET"] == ["POST"]
    populated.requests.clear()
    assert len(populated.requests) == 0
