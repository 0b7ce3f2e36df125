"""Subresources discovery lists are served: pods/log (text), pods/binding and bindings,
pods/eviction, */scale, serviceaccounts/token; exec without an upgrade is refused."""

from .helpers import get, request

PODS = "/api/v1/namespaces/default/pods"


def _pod(srv, name, node=None, running=False):
    p = {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}
    if node:
        p["spec"]["nodeName"] = node
    if running:
        p["status"] = {"phase": "Running", "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0,
                                                                  "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}
        return srv.store.create("pods", p)
    return request(srv, "POST", PODS, p)[2]


def test_log_is_text(srv):
    _pod(srv, "web", node="n1", running=True)
    status, headers, body = get(srv, PODS + "/web/log?tailLines=3")
    assert status == 200 and headers["content-type"] == "text/plain" and body.count(b"\n") == 3
    _pod(srv, "waiting")
    status, _, body = get(srv, PODS + "/waiting/log")
    assert status == 400 and body["message"] == 'container "c" in pod "waiting" is waiting to start: ContainerCreating'


def test_binding_schedules_and_eviction_deletes(srv):
    _pod(srv, "p")
    status, _, body = request(srv, "POST", PODS + "/p/binding",
                              {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
                               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-9"}})
    assert status == 201 and body["status"] == "Success"
    pod = srv.store.get("pods", "p")
    assert pod["spec"]["nodeName"] == "node-9"
    assert any(c["type"] == "PodScheduled" and c["status"] == "True" for c in pod["status"]["conditions"])
    assert request(srv, "POST", PODS + "/p/binding", {"target": {"name": "node-8"}})[0] == 409
    _pod(srv, "q")
    status, _, _ = request(srv, "POST", "/api/v1/namespaces/default/bindings",
                           {"metadata": {"name": "q"}, "target": {"kind": "Node", "name": "node-1"}})
    assert status == 201 and srv.store.get("pods", "q")["spec"]["nodeName"] == "node-1"
    status, _, body = request(srv, "POST", PODS + "/p/eviction",
                              {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"}})
    assert status == 201 and body["status"] == "Success"
    assert srv.store.get("pods", "p")["metadata"]["deletionTimestamp"]  # bound: Terminating


def test_scale(srv):
    body = {"metadata": {"name": "d"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "d"}}, "template": {
        "metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}
    request(srv, "POST", "/apis/apps/v1/namespaces/default/deployments", body)
    path = "/apis/apps/v1/namespaces/default/deployments/d/scale"
    status, _, scale = get(srv, path)
    assert status == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=d"
    status, _, scale = request(srv, "PATCH", path, {"spec": {"replicas": 5}},
                               headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200 and scale["spec"]["replicas"] == 5
    assert srv.store.get("deployments.apps", "d")["spec"]["replicas"] == 5


def test_streaming_subresources_need_an_upgrade(srv):
    _pod(srv, "x", node="n1", running=True)
    status, _, body = request(srv, "POST", PODS + "/x/exec?command=ls&container=c&stdout=true")
    assert status == 400 and body["message"] == "Upgrade request required"


def test_service_account_token(srv):
    srv.store.create("serviceaccounts", {"metadata": {"name": "default", "namespace": "default"}})
    status, _, body = request(srv, "POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                              {"spec": {"expirationSeconds": 600}})
    assert status == 201 and body["kind"] == "TokenRequest" and body["status"]["token"]
