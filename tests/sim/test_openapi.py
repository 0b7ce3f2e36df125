"""OpenAPI v2 and v3 with typed properties (kube-apiserver serves both; the sim's v3 schemas
had no properties and /openapi/v2 was 404, so kubectl explain failed)."""

from .helpers import get


def test_openapi_v3_index_and_group_documents(srv):
    status, _, index = get(srv, "/openapi/v3")
    assert status == 200
    assert {"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/demo.kmon.io/v1"} <= set(index["paths"])
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/api/v1?hash=")
    status, _, doc = get(srv, url)
    assert status == 200 and doc["openapi"].startswith("3.")
    schemas = doc["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert pod["properties"]["spec"]["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]
    spec = schemas["io.k8s.api.core.v1.PodSpec"]
    assert "containers" in spec["required"]
    containers = spec["properties"]["containers"]
    assert containers["type"] == "array" and containers["description"].startswith("List of containers")
    assert containers["items"]["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}]
    c = schemas["io.k8s.api.core.v1.Container"]["properties"]
    assert c["image"]["type"] == "string" and c["ports"]["type"] == "array"
    meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
    assert meta["labels"] == {**meta["labels"], "type": "object", "additionalProperties": {"type": "string"}}
    # kubectl looks for this parameter before it asks for server-side field validation
    item = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]
    assert any(p["name"] == "fieldValidation" for p in item["patch"]["parameters"])
    deploy = get(srv, "/openapi/v3/apis/apps/v1")[2]["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert deploy["x-kubernetes-group-version-kind"][0]["group"] == "apps"
    assert get(srv, "/openapi/v3/apis/nope/v1")[0] == 404


def test_openapi_v2(srv):
    status, headers, doc = get(srv, "/openapi/v2")
    assert status == 200 and headers["content-type"] == "application/json" and doc["swagger"] == "2.0"
    defs = doc["definitions"]
    assert defs["io.k8s.api.core.v1.Pod"]["properties"]["spec"] == {"$ref": "#/definitions/io.k8s.api.core.v1.PodSpec"}
    assert defs["io.k8s.api.core.v1.Container"]["properties"]["name"]["type"] == "string"
    kinds = {g["kind"] for d in defs.values() for g in d.get("x-kubernetes-group-version-kind", ())}
    assert {"Pod", "Deployment", "CronJob", "Widget", "CustomResourceDefinition", "Lease"} <= kinds
