"""Graceful deletion and namespace termination, with the event sequences kube-apiserver
1.36 produced: an unscheduled pod MODIFIED (deletionTimestamp, grace 0) then DELETED; a
pod bound to a node MODIFIED (grace 30) and Terminating until its kubelet deletes it; a
deleted namespace Terminating with its contents, creates in it 403 NamespaceTerminating."""

import pytest

from .helpers import RawWatch, get, request

PODS = "/api/v1/namespaces/default/pods"


def _pod(name, node=None):
    spec = {"containers": [{"name": "c", "image": "nginx:1"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name}, "spec": spec}


def _events(w, n):
    return [w.next_event() for _ in range(n)]


def test_unscheduled_pod_modified_then_deleted(srv):
    assert request(srv, "POST", PODS, _pod("free"))[0] == 201
    rv = srv.store.revision
    with RawWatch(srv, f"{PODS}?watch=1&resourceVersion={rv}") as w:
        status, _, body = request(srv, "DELETE", PODS + "/free")
        assert status == 200 and body["kind"] == "Pod" and body["metadata"]["deletionGracePeriodSeconds"] == 0
        first, second = _events(w, 2)
    assert first["type"] == "MODIFIED" and first["object"]["metadata"]["deletionTimestamp"]
    assert first["object"]["metadata"]["deletionGracePeriodSeconds"] == 0
    assert second["type"] == "DELETED"
    assert get(srv, PODS + "/free")[0] == 404


def test_bound_pod_stays_terminating_until_its_kubelet_deletes_it(srv):
    assert request(srv, "POST", PODS, _pod("bound", node="node-1"))[0] == 201
    rv = srv.store.revision
    with RawWatch(srv, f"{PODS}?watch=1&resourceVersion={rv}") as w:
        status, _, body = request(srv, "DELETE", PODS + "/bound")
        assert status == 200 and body["metadata"]["deletionGracePeriodSeconds"] == 30
        [ev] = _events(w, 1)
        assert ev["type"] == "MODIFIED" and ev["object"]["metadata"]["deletionGracePeriodSeconds"] == 30
        status, _, still = get(srv, PODS + "/bound")
        assert status == 200 and still["metadata"]["deletionTimestamp"]
        # kubectl shows it Terminating
        _, _, table = get(srv, PODS + "/bound", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
        assert table["rows"][0]["cells"][2] == "Terminating"
        # deleting again does not lengthen nor restart it
        assert request(srv, "DELETE", PODS + "/bound")[2]["metadata"]["deletionTimestamp"] == \
            still["metadata"]["deletionTimestamp"]
        # the kubelet's final delete (grace 0)
        status, _, _ = request(srv, "DELETE", PODS + "/bound", {"gracePeriodSeconds": 0})
        assert status == 200
        assert w.next_event()["type"] == "DELETED"
    assert get(srv, PODS + "/bound")[0] == 404


def test_delete_answers_status_or_object(srv):
    request(srv, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c"}})
    status, _, body = request(srv, "DELETE", "/api/v1/namespaces/default/configmaps/c")
    assert status == 200 and body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"]["name"] == "c" and body["details"]["kind"] == "configmaps" and body["details"]["uid"]


def test_finalizers_hold_deletion_until_removed(srv):
    request(srv, "POST", "/api/v1/namespaces/default/configmaps",
            {"metadata": {"name": "held", "finalizers": ["example.com/keep"]}})
    status, _, body = request(srv, "DELETE", "/api/v1/namespaces/default/configmaps/held")
    assert status == 200 and body["kind"] == "ConfigMap" and body["metadata"]["deletionTimestamp"]
    assert srv.store.get("configmaps", "held")["metadata"]["deletionTimestamp"]
    status, _, _ = request(srv, "PATCH", "/api/v1/namespaces/default/configmaps/held",
                           {"metadata": {"finalizers": None}},
                           headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200
    assert get(srv, "/api/v1/namespaces/default/configmaps/held")[0] == 404


def test_namespace_terminates_and_refuses_new_content(srv):
    request(srv, "POST", "/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    request(srv, "POST", "/api/v1/namespaces/doomed/configmaps", {"metadata": {"name": "c"}})
    status, _, body = request(srv, "DELETE", "/api/v1/namespaces/doomed")
    assert status == 200 and body["kind"] == "Namespace" and body["status"]["phase"] == "Terminating"
    assert body["metadata"]["deletionTimestamp"] and body["spec"]["finalizers"] == ["kubernetes"]
    assert get(srv, "/api/v1/namespaces/doomed/configmaps/c")[0] == 200  # contents stay (no controller)
    status, _, body = request(srv, "POST", "/api/v1/namespaces/doomed/configmaps", {"metadata": {"name": "new"}})
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('configmaps "new" is forbidden: unable to create new content in namespace doomed '
                               "because it is being terminated")
    assert body["details"]["causes"] == [{"reason": "NamespaceTerminating", "message": "namespace doomed is being "
                                          "terminated", "field": "metadata.namespace"}]
    status, _, body = request(srv, "DELETE", "/api/v1/namespaces/doomed")
    assert status == 409 and "ensuring all content is removed" in body["message"]
    # the namespace controller's last step: finalize -> the namespace and its contents are gone
    ns = get(srv, "/api/v1/namespaces/doomed")[2]
    ns["spec"]["finalizers"] = []
    assert request(srv, "PUT", "/api/v1/namespaces/doomed/finalize", ns)[0] == 200
    assert get(srv, "/api/v1/namespaces/doomed")[0] == 404
    assert srv.store.list("configmaps", "doomed") == []


def test_dry_run_delete_keeps_the_object(srv):
    request(srv, "POST", PODS, _pod("keep"))
    status, _, body = request(srv, "DELETE", PODS + "/keep?dryRun=All")
    assert status == 200 and body["metadata"]["name"] == "keep"
    assert get(srv, PODS + "/keep")[0] == 200


@pytest.mark.parametrize("pre,code", [({"uid": "nope"}, 409), ({"resourceVersion": "1"}, 409)])
def test_preconditions(srv, pre, code):
    request(srv, "POST", PODS, _pod("pre"))
    status, _, body = request(srv, "DELETE", PODS + "/pre", {"preconditions": pre})
    assert status == code and "Precondition failed" in body["message"]


def test_system_namespaces_may_not_be_deleted(srv):
    status, _, body = request(srv, "DELETE", "/api/v1/namespaces/default")
    assert status == 403 and body["message"] == 'namespaces "default" is forbidden: this namespace may not be deleted'
    assert get(srv, "/api/v1/namespaces/default")[2]["status"]["phase"] == "Active"
