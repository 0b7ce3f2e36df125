"""The write path's answers, as kube-apiserver 1.36 gave them: status sent to the main
endpoint is ignored; resourceVersion on create is a 500; client-set creationTimestamp and
selfLink are dropped; dryRun answers without storing; server-side apply creates (201) and
updates (200), owns fields and reports conflicts."""

import time

from .helpers import get, request

CMS = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
APPLY = {"Content-Type": "application/apply-patch+yaml"}


def _pod(name):
    return {"metadata": {"name": name}, "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx:1"}]}}


def test_status_through_the_main_endpoint_is_ignored(srv):
    body = _pod("p")
    body["status"] = {"phase": "Running", "podIP": "10.0.0.9"}
    status, _, created = request(srv, "POST", PODS, body)
    assert status == 201 and created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    created["status"]["phase"] = "Succeeded"
    created["metadata"].setdefault("labels", {})["x"] = "y"
    status, _, updated = request(srv, "PUT", PODS + "/p", created)
    assert status == 200 and updated["status"]["phase"] == "Pending" and updated["metadata"]["labels"] == {"x": "y"}
    status, _, patched = request(srv, "PATCH", PODS + "/p", {"status": {"phase": "Failed"}},
                                 headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200 and patched["status"]["phase"] == "Pending"
    status, _, via_status = request(srv, "PATCH", PODS + "/p/status", {"status": {"phase": "Running"}},
                                    headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200 and via_status["status"]["phase"] == "Running"


def test_resource_version_on_create_is_an_internal_error(srv):
    status, _, body = request(srv, "POST", CMS, {"metadata": {"name": "c", "resourceVersion": "5"}})
    assert status == 500 and body["reason"] == "InternalError"
    assert body["message"] == "Internal error occurred: resourceVersion should not be set on objects to be created"
    assert srv.store.list("configmaps") == []


def test_client_set_system_metadata_is_dropped(srv):
    status, _, body = request(srv, "POST", CMS, {"metadata": {
        "name": "c", "creationTimestamp": "2001-01-01T00:00:00Z", "selfLink": "/x/y", "uid": "mine",
        "deletionTimestamp": "2001-01-01T00:00:00Z"}})
    assert status == 201
    meta = body["metadata"]
    assert meta["creationTimestamp"] != "2001-01-01T00:00:00Z"
    assert time.time() - time.mktime(time.strptime(meta["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")) < 86400 * 2
    assert "selfLink" not in meta and meta["uid"] != "mine" and "deletionTimestamp" not in meta
    meta["creationTimestamp"] = "2001-01-01T00:00:00Z"
    status, _, body = request(srv, "PUT", CMS + "/c", body)
    assert status == 200 and body["metadata"]["creationTimestamp"] != "2001-01-01T00:00:00Z"


def test_dry_run_create_stores_nothing(srv):
    rev = srv.store.revision
    status, _, body = request(srv, "POST", PODS + "?dryRun=All", _pod("ghost"))
    assert status == 201 and body["metadata"]["uid"] and body["status"]["phase"] == "Pending"
    assert "resourceVersion" not in body["metadata"]
    assert get(srv, PODS + "/ghost")[0] == 404 and srv.store.revision == rev
    request(srv, "POST", CMS, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    status, _, body = request(srv, "PUT", CMS + "/c?dryRun=All", {"metadata": {"name": "c"}, "data": {"a": "2"}})
    assert status == 200 and body["data"] == {"a": "2"}
    assert srv.store.get("configmaps", "c")["data"] == {"a": "1"}
    assert request(srv, "POST", PODS + "?dryRun=Sometimes", _pod("x"))[0] == 400


def test_server_side_apply(srv):
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: one\n  b: two\n"
    status, _, body = request(srv, "PATCH", CMS + "/ssa?fieldManager=kubectl", doc, headers=APPLY)
    assert status == 201 and body["data"] == {"a": "one", "b": "two"}
    [entry] = body["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    # re-applying without b removes b (the manager owned it); a changes
    doc2 = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: uno\n"
    status, _, body = request(srv, "PATCH", CMS + "/ssa?fieldManager=kubectl", doc2, headers=APPLY)
    assert status == 200 and body["data"] == {"a": "uno"}
    # another applier wanting a different value of a field kubectl owns: 409 unless forced
    doc3 = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: mine\n"
    status, _, body = request(srv, "PATCH", CMS + "/ssa?fieldManager=other", doc3, headers=APPLY)
    assert status == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "kubectl" using v1: .data.a'
    assert body["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": 'conflict with "kubectl" using '
                                          "v1", "field": ".data.a"}]
    status, _, body = request(srv, "PATCH", CMS + "/ssa?fieldManager=other&force=true", doc3, headers=APPLY)
    assert status == 200 and body["data"] == {"a": "mine"}
    # dry-run apply: the answer, nothing stored
    status, _, body = request(srv, "PATCH", CMS + "/new?fieldManager=kubectl&dryRun=All",
                              doc.replace(b"name: ssa", b"name: new"), headers=APPLY)
    assert status == 201 and get(srv, CMS + "/new")[0] == 404
