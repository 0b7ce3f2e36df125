"""Validation: 422 Invalid with details.causes, as kube-apiserver 1.36 answered; unknown
fields with fieldValidation=Strict: 400."""

import pytest

from .helpers import request

PODS = "/api/v1/namespaces/default/pods"


def _post(srv, path, body):
    return request(srv, "POST", path, body)


def _one_cause(body):
    assert body["kind"] == "Status" and body["reason"] == "Invalid" and body["code"] == 422
    [cause] = body["details"]["causes"]
    return cause


def test_pod_without_containers(srv):
    status, _, body = _post(srv, PODS, {"metadata": {"name": "empty"}, "spec": {}})
    assert status == 422
    assert body["message"] == 'Pod "empty" is invalid: spec.containers: Required value'
    assert body["details"]["name"] == "empty" and body["details"]["kind"] == "Pod"
    assert _one_cause(body) == {"reason": "FieldValueRequired", "message": "Required value",
                                "field": "spec.containers"}
    assert srv.store.list("pods") == []


def test_invalid_name(srv):
    status, _, body = _post(srv, PODS, {"metadata": {"name": "Bad_Name"},
                                        "spec": {"containers": [{"name": "c", "image": "x:1"}]}})
    assert status == 422
    cause = _one_cause(body)
    assert cause["field"] == "metadata.name" and cause["reason"] == "FieldValueInvalid"
    assert cause["message"] == (
        'Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
        r"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    assert body["message"] == 'Pod "Bad_Name" is invalid: metadata.name: ' + cause["message"]


def test_invalid_label_value_and_configmap_key(srv):
    status, _, body = _post(srv, "/api/v1/namespaces/default/configmaps",
                            {"metadata": {"name": "c", "labels": {"app": "bad value!"}}, "data": {"bad key": "v"}})
    assert status == 422
    causes = {c["field"]: c for c in body["details"]["causes"]}
    assert causes["metadata.labels"]["message"] == (
        "Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
    assert causes["data[bad key]"]["message"] == (
        "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
        "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
    assert body["message"].startswith('ConfigMap "c" is invalid: [')


def test_deployment_selector_must_match_template(srv):
    body = {"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {
        "metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}
    status, _, out = _post(srv, "/apis/apps/v1/namespaces/default/deployments", body)
    assert status == 422
    cause = _one_cause(out)
    assert cause["field"] == "spec.template.metadata.labels"
    assert cause["message"] == 'Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`'
    assert out["details"]["group"] == "apps" and out["details"]["kind"] == "Deployment"


def test_immutable_pod_field(srv):
    spec = {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx:1"}]}
    assert _post(srv, PODS, {"metadata": {"name": "p"}, "spec": spec})[0] == 201
    path = PODS + "/p"
    ok = request(srv, "PATCH", path, {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}},
                 headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert ok[0] == 200 and ok[2]["spec"]["containers"][0]["image"] == "nginx:2"
    status, _, body = request(srv, "PATCH", path, {"spec": {"nodeName": "n2"}},
                              headers={"Content-Type": "application/merge-patch+json"})
    assert status == 422
    cause = _one_cause(body)
    assert cause["reason"] == "FieldValueForbidden" and cause["field"] == "spec"
    assert cause["message"].startswith("Forbidden: pod updates may not change fields other than "
                                       "`spec.containers[*].image`,`spec.initContainers[*].image`,")
    assert body["message"].startswith('Pod "p" is invalid: spec: Forbidden: pod updates may not change')
    assert srv.store.get("pods", "p")["spec"]["nodeName"] == "n1"


@pytest.mark.parametrize("mode,code", [("Strict", 400), ("Warn", 201), ("Ignore", 201), (None, 201)])
def test_unknown_fields(srv, mode, code):
    q = f"?fieldValidation={mode}" if mode else ""
    body = {"metadata": {"name": f"u-{(mode or 'default').lower()}"}, "data": {"k": "v"}, "bogus": 1}
    status, headers, out = request(srv, "POST", "/api/v1/namespaces/default/configmaps" + q, body)
    assert status == code
    if code == 400:
        assert out["reason"] == "BadRequest" and out["message"] == 'strict decoding error: unknown field "bogus"'
        return
    assert "bogus" not in out and "bogus" not in srv.store.get("configmaps", out["metadata"]["name"])
    assert (headers.get("warning") == '299 - "unknown field \\"bogus\\""') == (mode in ("Warn", None))
