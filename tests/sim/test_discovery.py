"""Discovery documents, through the official client and raw: the built-in resource set of
kube-apiserver 1.36 (21 groups with core, 60 listable types, subresources) plus the demo's
Widget CRD, plain and aggregated (apidiscovery.k8s.io/v2)."""

import kubernetes

from .helpers import get

AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
BUILTIN_GROUPS = {"apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
                  "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy",
                  "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
                  "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
                  "discovery.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io"}


def test_version_and_core_discovery(srv, api):
    v = kubernetes.client.VersionApi(api).get_code()
    assert v.major == "1" and v.minor == "36" and v.git_version.startswith("v1.36.")
    assert kubernetes.client.CoreApi(api).get_api_versions().versions == ["v1"]
    core = kubernetes.client.CoreV1Api(api).get_api_resources()
    by_name = {r.name: r for r in core.resources}
    for name in ("namespaces", "nodes", "pods", "services", "configmaps", "secrets", "events", "serviceaccounts",
                 "persistentvolumeclaims", "persistentvolumes", "endpoints", "limitranges", "resourcequotas",
                 "replicationcontrollers", "podtemplates", "componentstatuses", "bindings"):
        assert name in by_name
    assert by_name["pods"].short_names == ["po"] and by_name["pods"].namespaced
    assert by_name["pods"].singular_name == "pod" and by_name["pods"].kind == "Pod"
    assert "watch" in by_name["pods"].verbs and "all" in by_name["pods"].categories
    assert by_name["nodes"].namespaced is False
    for sub in ("log", "exec", "eviction", "binding", "status", "attach", "portforward", "proxy",
                "ephemeralcontainers", "resize"):
        assert f"pods/{sub}" in by_name
    assert by_name["pods/eviction"].kind == "Eviction" and by_name["pods/eviction"].group == "policy"
    assert by_name["bindings"].verbs == ["create"]
    assert by_name["namespaces/finalize"].verbs == ["update"]


def test_groups_and_custom_resource(srv, api):
    groups = {g.name: g for g in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert set(groups) == BUILTIN_GROUPS | {"demo.kmon.io"}  # 20 + core = 21 built-in groups
    assert groups["demo.kmon.io"].preferred_version.group_version == "demo.kmon.io/v1"
    assert groups["autoscaling"].preferred_version.version == "v2"
    apps = {r.name: r for r in kubernetes.client.AppsV1Api(api).get_api_resources().resources}
    assert apps["deployments"].short_names == ["deploy"] and apps["replicasets"].short_names == ["rs"]
    scale = apps["deployments/scale"]
    assert (scale.group, scale.version, scale.kind, scale.verbs) == ("autoscaling", "v1", "Scale",
                                                                     ["get", "patch", "update"])
    status, _, doc = get(srv, "/apis/demo.kmon.io/v1")
    assert status == 200 and doc["kind"] == "APIResourceList" and doc["groupVersion"] == "demo.kmon.io/v1"
    wd = next(r for r in doc["resources"] if r["name"] == "widgets")
    assert wd == {**wd, "kind": "Widget", "namespaced": True, "shortNames": ["wd"], "singularName": "widget"}
    status, _, g = get(srv, "/apis/demo.kmon.io")
    assert status == 200 and g["kind"] == "APIGroup" and g["name"] == "demo.kmon.io"


def _all_plain(srv) -> list[tuple[str, dict]]:
    out = [("", r) for r in get(srv, "/api/v1")[2]["resources"]]
    for g in get(srv, "/apis")[2]["groups"]:
        doc = get(srv, "/apis/" + g["preferredVersion"]["groupVersion"])[2]
        out += [(g["name"], r) for r in doc["resources"]]
    return out


def test_sixty_listable_builtin_types_each_listable_and_watchable(srv):
    listable = [(g, r) for g, r in _all_plain(srv) if "/" not in r["name"] and "list" in r["verbs"]]
    builtin = [(g, r) for g, r in listable if g != "demo.kmon.io"]
    assert len(builtin) == 60
    for g, r in listable:
        base = f"/apis/{g}/v1" if g else "/api/v1"
        if g == "autoscaling":
            base = "/apis/autoscaling/v2"
        status, _, body = get(srv, f"{base}/{r['name']}")
        assert status == 200 and body["kind"] == r["kind"] + "List", (g, r["name"], body)
        watchable = "watch" in r["verbs"]
        status, _, _ = get(srv, f"{base}/{r['name']}?watch=1&timeoutSeconds=0")
        assert status == (200 if watchable else 405), (g, r["name"])


def test_create_only_types_refuse_lists(srv):
    status, _, body = get(srv, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert status == 405 and body["reason"] == "MethodNotAllowed"


def test_aggregated_discovery_in_kind(srv):
    status, headers, doc = get(srv, "/apis", headers={"Accept": AGG + ",application/json"})
    assert status == 200 and headers["content-type"] == AGG and headers.get("etag")
    assert doc["kind"] == "APIGroupDiscoveryList" and doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    groups = {i["metadata"]["name"]: i for i in doc["items"]}
    assert set(groups) == BUILTIN_GROUPS | {"demo.kmon.io"}
    deploy = next(r for r in groups["apps"]["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert deploy["scope"] == "Namespaced" and deploy["shortNames"] == ["deploy"] and deploy["categories"] == ["all"]
    assert {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
            "verbs": ["get", "patch", "update"]} in deploy["subresources"]
    assert groups["apps"]["versions"][0]["freshness"] == "Current"
    status, headers, core = get(srv, "/api", headers={"Accept": AGG})
    assert headers["content-type"] == AGG and [i["metadata"].get("name", "") for i in core["items"]] == [""]
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert {s["subresource"] for s in pods["subresources"]} >= {"log", "exec", "eviction", "binding", "status"}
    # the plain document when the client does not ask for aggregated discovery
    assert get(srv, "/apis")[2]["kind"] == "APIGroupList"
    assert get(srv, "/api", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2beta1;"
                                               "as=APIGroupDiscoveryList,application/json"})[2]["kind"] == "APIVersions"


def test_unknown_paths(srv):
    assert get(srv, "/apis/nope.io")[0] == 404
    assert get(srv, "/apis/nope.io/v1")[0] == 404
    assert get(srv, "/api/v1/gizmos")[0] == 404
    assert get(srv, "/api/v1/namespaces/default/pods/x/nosuchsub")[0] == 404
    assert get(srv, "/healthz", token=None)[0] == 200
