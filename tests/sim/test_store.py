"""Storage semantics: revisions, metadata, writes over HTTP (POST/PUT/PATCH/DELETE)."""

import kubernetes
import pytest

from kmon.sim import StoreError

from .helpers import get, pod, request


def test_revisions_and_metadata(srv):
    st = srv.store
    r0 = st.revision
    p = st.create("pods", pod("a"))
    m = p["metadata"]
    assert st.revision == r0 + 1 and m["resourceVersion"] == str(r0 + 1)
    assert m["uid"] and m["creationTimestamp"].endswith("Z") and m["generation"] == 1
    assert p["kind"] == "Pod" and p["apiVersion"] == "v1"
    p["metadata"]["labels"] = {"x": "1"}
    p2 = st.update("pods", p)
    assert p2["metadata"]["generation"] == 1 and p2["metadata"]["resourceVersion"] == str(r0 + 2)
    p2["spec"]["nodeName"] = "other"
    p3 = st.update("pods", p2)
    assert p3["metadata"]["generation"] == 2 and p3["metadata"]["uid"] == m["uid"]
    assert st.update("pods", p3)["metadata"]["resourceVersion"] == p3["metadata"]["resourceVersion"]  # no-op
    assert st.revision == r0 + 3


def test_conflicts_and_already_exists(srv):
    st = srv.store
    p = st.create("pods", pod("a"))
    with pytest.raises(StoreError) as ei:
        st.create("pods", pod("a"))
    assert ei.value.code == 409 and ei.value.reason == "AlreadyExists"
    st.patch("pods", "a", {"metadata": {"labels": {"v": "2"}}})
    with pytest.raises(StoreError) as ei:
        st.update("pods", p)  # stale resourceVersion
    assert ei.value.code == 409 and ei.value.reason == "Conflict"
    with pytest.raises(StoreError) as ei:
        st.create("pods", pod("b", "missing-ns"))
    assert ei.value.code == 404


def test_patch_types(srv):
    st = srv.store
    p = pod("a")
    p["spec"]["containers"].append({"name": "side", "image": "busybox", "env": [{"name": "A", "value": "1"}]})
    st.create("pods", p)
    out = st.patch("pods", "a", {"spec": {"containers": [{"name": "side", "image": "busybox:2"}]}}, patch_type="strategic")
    assert [(c["name"], c["image"]) for c in out["spec"]["containers"]] == [("main", "nginx:1.27"), ("side", "busybox:2")]
    assert out["spec"]["containers"][1]["env"] == [{"name": "A", "value": "1"}]
    out = st.patch("pods", "a", {"spec": {"containers": [{"name": "only", "image": "x"}]}}, patch_type="merge")
    assert [c["name"] for c in out["spec"]["containers"]] == ["only"]
    out = st.patch("pods", "a", [{"op": "add", "path": "/metadata/labels/k", "value": "v"},
                                 {"op": "replace", "path": "/status/phase", "value": "Failed"}], patch_type="json")
    assert out["metadata"]["labels"]["k"] == "v" and out["status"]["phase"] == "Failed"
    with pytest.raises(StoreError) as ei:
        st.patch("pods", "a", [{"op": "test", "path": "/status/phase", "value": "Running"}], patch_type="json")
    assert ei.value.code == 422


def test_http_writes_with_typed_client(srv, api):
    core = kubernetes.client.CoreV1Api(api)
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}, "data": {"a": "1"}})
    assert cm.metadata.resource_version and cm.data == {"a": "1"}
    cm.data["b"] = "2"
    cm2 = core.replace_namespaced_config_map("cm", "default", cm)
    assert cm2.data == {"a": "1", "b": "2"}
    with pytest.raises(kubernetes.client.ApiException) as ei:
        core.replace_namespaced_config_map("cm", "default", cm)  # stale
    assert ei.value.status == 409
    cm3 = core.patch_namespaced_config_map("cm", "default", {"data": {"a": None, "c": "3"}})
    assert cm3.data == {"b": "2", "c": "3"}
    core.delete_namespaced_config_map("cm", "default", propagation_policy="Foreground")
    with pytest.raises(kubernetes.client.ApiException) as ei:
        core.read_namespaced_config_map("cm", "default")
    assert ei.value.status == 404
    with pytest.raises(kubernetes.client.ApiException) as ei:
        core.create_namespaced_config_map("default", {"metadata": {"name": "x", "namespace": "other"}})
    assert ei.value.status in (400, 404)


def test_http_patch_content_types_and_status_subresource(srv):
    srv.store.create("pods", pod("a"))
    base = "/api/v1/namespaces/default/pods/a"
    st, _, body = request(srv, "PATCH", base, [{"op": "add", "path": "/metadata/labels/j", "value": "p"}],
                          headers={"Content-Type": "application/json-patch+json"})
    assert st == 200 and body["metadata"]["labels"]["j"] == "p"
    st, _, body = request(srv, "PATCH", base + "/status", {"status": {"phase": "Succeeded"}, "spec": {"nodeName": "zzz"}},
                          headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200 and body["status"]["phase"] == "Succeeded" and body["spec"]["nodeName"] == "node-1"
    st, _, body = request(srv, "PATCH", base, {"a": 1}, headers={"Content-Type": "application/apply-patch+yaml"})
    assert st == 422 and body["message"].startswith('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required')
    st, _, body = request(srv, "PATCH", base, {"a": 1}, headers={"Content-Type": "application/x-unknown+json"})
    assert st == 415 and body["reason"] == "UnsupportedMediaType"
    st, _, _ = request(srv, "POST", "/api/v1/namespaces/default/pods", b"{not json")
    assert st == 400


def test_delete_namespace_and_owner_cascade(srv):
    st = srv.store
    st.create("namespaces", {"metadata": {"name": "gone"}})
    st.create("pods", pod("a", "gone"))
    st.create("configmaps", {"metadata": {"name": "c", "namespace": "gone"}})
    d = st.create("deployments.apps", {"metadata": {"name": "d", "namespace": "default"}, "spec": {"replicas": 1}})
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": d["metadata"]["uid"], "controller": True}
    rs = st.create("replicasets.apps", {"metadata": {"name": "d-1", "namespace": "default", "ownerReferences": [ref]}, "spec": {}})
    p = pod("d-1-x")
    p["metadata"]["ownerReferences"] = [{**ref, "kind": "ReplicaSet", "name": "d-1", "uid": rs["metadata"]["uid"]}]
    st.create("pods", p)
    gone = st.delete("namespaces", "gone")
    assert int(gone["metadata"]["resourceVersion"]) == st.revision
    assert st.list("pods", "gone") == [] and st.list("configmaps", "gone") == []
    st.delete("deployments.apps", "d")
    assert st.list("replicasets.apps") == [] and st.list("pods") == []
    status, _, body = get(srv, "/api/v1/namespaces/gone")
    assert status == 404


def test_watch_sees_deleted_object_at_deletion_revision(srv):
    st = srv.store
    st.create("pods", pod("a"))
    out = st.delete("pods", "a")
    assert out["metadata"]["resourceVersion"] == str(st.revision)


def test_generate_name_and_cluster_scoped(srv):
    st = srv.store
    n = st.create("nodes", {"metadata": {"name": "n1", "namespace": "ignored"}, "spec": {}})
    assert "namespace" not in n["metadata"]
    p = st.create("pods", {"metadata": {"generateName": "web-"}, "spec": {"containers": []}})
    assert p["metadata"]["name"].startswith("web-") and len(p["metadata"]["name"]) == 9
    assert st.count("pods") == 1 and st.count("pods", "default") == 1 and st.count("pods", "x") == 0


def test_ownership_cycle_does_not_recurse_forever(srv):
    st = srv.store
    a = st.create("configmaps", {"metadata": {"name": "a"}})
    b = st.create("configmaps", {"metadata": {"name": "b", "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "a", "uid": a["metadata"]["uid"]}]}})
    st.patch("configmaps", "a", {"metadata": {"ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "b", "uid": b["metadata"]["uid"]}]}})
    st.delete("configmaps", "a")
    assert st.list("configmaps") == []


def test_returned_objects_are_copies(srv):
    st = srv.store
    p = st.create("pods", pod("a", labels={"app": "web"}))
    p["metadata"]["labels"]["app"] = "mutated"
    u = st.patch("pods", "a", {"metadata": {"annotations": {"x": "1"}}})
    u["metadata"]["labels"]["app"] = "mutated-too"
    assert [x["metadata"]["name"] for x in st.list("pods", label_selector="app=web")] == ["a"]
    assert st.get("pods", "a")["metadata"]["labels"] == {"app": "web"}
