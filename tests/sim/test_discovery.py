"""Discovery documents, through the official client and raw."""

import kubernetes

from .helpers import get


def test_version_and_core_discovery(srv, api):
    v = kubernetes.client.VersionApi(api).get_code()
    assert v.major == "1" and v.git_version.startswith("v1.32")
    assert kubernetes.client.CoreApi(api).get_api_versions().versions == ["v1"]
    core = kubernetes.client.CoreV1Api(api).get_api_resources()
    by_name = {r.name: r for r in core.resources}
    for name in ("namespaces", "nodes", "pods", "services", "configmaps", "secrets", "events"):
        assert name in by_name
    assert by_name["pods"].short_names == ["po"] and by_name["pods"].namespaced
    assert by_name["pods"].singular_name == "pod" and by_name["pods"].kind == "Pod"
    assert "watch" in by_name["pods"].verbs and "all" in by_name["pods"].categories
    assert by_name["nodes"].namespaced is False


def test_groups_and_custom_resource(srv, api):
    groups = {g.name: g for g in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert set(groups) >= {"apps", "demo.kmon.io"}
    assert groups["demo.kmon.io"].preferred_version.group_version == "demo.kmon.io/v1"
    apps = {r.name: r for r in kubernetes.client.AppsV1Api(api).get_api_resources().resources}
    assert apps["deployments"].short_names == ["deploy"] and apps["replicasets"].short_names == ["rs"]
    status, _, doc = get(srv, "/apis/demo.kmon.io/v1")
    assert status == 200 and doc["kind"] == "APIResourceList" and doc["groupVersion"] == "demo.kmon.io/v1"
    wd = next(r for r in doc["resources"] if r["name"] == "widgets")
    assert wd == {**wd, "kind": "Widget", "namespaced": True, "shortNames": ["wd"], "singularName": "widget"}
    status, _, g = get(srv, "/apis/demo.kmon.io")
    assert status == 200 and g["kind"] == "APIGroup" and g["name"] == "demo.kmon.io"


def test_unknown_paths_and_openapi(srv):
    assert get(srv, "/apis/nope.io")[0] == 404
    assert get(srv, "/apis/nope.io/v1")[0] == 404
    status, _, body = get(srv, "/openapi/v2")
    assert status == 404 and body["kind"] == "Status" and body["reason"] == "NotFound"
    status, _, body = get(srv, "/openapi/v3")
    assert status == 200 and "api/v1" in body["paths"]
    assert get(srv, "/api/v1/gizmos")[0] == 404
    assert get(srv, "/healthz", token=None)[0] == 200
