"""Errors as Status objects, authentication, RBAC-like forbids, TLS."""

import ssl
import urllib.error
import urllib.request

import kubernetes
import pytest

from kmon.sim import SimServer
from kmon.sim.kubeconfig import write_kubeconfig

from .helpers import ensure_ns, get, pod, request


def test_invalid_token_is_unauthorized(srv):
    """A bearer token the server does not know fails authentication: 401 everywhere."""
    status, _, body = get(srv, "/api/v1/pods", token="wrong")
    assert status == 401 and body["reason"] == "Unauthorized" and body["kind"] == "Status"
    assert body["message"] == "Unauthorized"
    assert get(srv, "/version", token="wrong")[0] == 401


def test_anonymous_is_forbidden_by_rbac(srv):
    """No token: the request is system:anonymous, which RBAC allows only the public info
    paths (as kube-apiserver 1.36 answers: 403 with RBAC's message, /version 200)."""
    status, _, body = get(srv, "/api/v1/pods", token=None)
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" '
                               'at the cluster scope')
    assert body["details"] == {"group": "", "kind": "pods"}
    _, _, body = get(srv, "/api/v1/namespaces/default/pods/x/log", token=None)
    assert body["message"] == ('pods "x" is forbidden: User "system:anonymous" cannot get resource "pods/log" in API '
                               'group "" in the namespace "default"')
    _, _, body = get(srv, "/apis/apps/v1/namespaces/default/deployments?watch=1", token=None)
    assert body["message"].startswith('deployments.apps is forbidden: User "system:anonymous" cannot watch resource '
                                      '"deployments" in API group "apps"')
    status, _, body = get(srv, "/apis", token=None)
    assert status == 403 and body["message"] == 'forbidden: User "system:anonymous" cannot get path "/apis"'
    assert get(srv, "/openapi/v3", token=None)[0] == 403
    status, _, version = get(srv, "/version", token=None)
    assert status == 200 and version["major"] == "1"
    assert get(srv, "/healthz", token=None)[0] == 200
    status, _, body = request(srv, "POST", "/api/v1/namespaces/default/configmaps",
                              {"metadata": {"name": "x"}}, token=None)
    assert status == 403 and 'cannot create resource "configmaps"' in body["message"]
    assert srv.store.list("configmaps") == []


def test_unauthorized_typed_client(srv, tmp_path):
    class Wrong:
        url, token, ca_data = srv.url, "nope", None

    kc = write_kubeconfig(tmp_path / "kc", [("x", Wrong())])
    api = kubernetes.config.new_client_from_config(kc)
    with pytest.raises(kubernetes.client.ApiException) as ei:
        kubernetes.client.CoreV1Api(api).list_namespace()
    assert ei.value.status == 401


def test_forbidden_messages(populated, api):
    populated.faults.forbid("pods")
    core = kubernetes.client.CoreV1Api(api)
    with pytest.raises(kubernetes.client.ApiException) as ei:
        core.list_pod_for_all_namespaces()
    assert ei.value.status == 403
    status, _, body = get(populated, "/api/v1/pods")
    assert body["reason"] == "Forbidden"
    assert body["message"] == 'pods is forbidden: User "kmon" cannot list resource "pods" in API group "" at the cluster scope'
    _, _, body = get(populated, "/api/v1/namespaces/team/pods?watch=1")
    assert body["message"] == 'pods is forbidden: User "kmon" cannot watch resource "pods" in API group "" in the namespace "team"'
    _, _, body = get(populated, "/api/v1/namespaces/team/pods/t-0")
    assert body["message"].startswith('pods "t-0" is forbidden: User "kmon" cannot get resource')
    assert core.list_namespace().items  # other resources unaffected
    populated.faults.forbid("deployments", "apps")
    _, _, body = get(populated, "/apis/apps/v1/deployments")
    assert 'in API group "apps"' in body["message"]
    populated.faults.allow("pods")
    assert core.list_pod_for_all_namespaces().items


def test_not_found(populated, api):
    core = kubernetes.client.CoreV1Api(api)
    with pytest.raises(kubernetes.client.ApiException) as ei:
        core.read_namespaced_pod("ghost", "default")
    assert ei.value.status == 404
    status, _, body = get(populated, "/api/v1/namespaces/default/pods/ghost")
    assert body["reason"] == "NotFound" and body["message"] == 'pods "ghost" not found'
    status, _, body = request(populated, "POST", "/api/v1/namespaces/nowhere/pods", pod("a", "nowhere"))
    assert status == 404 and body["message"] == 'namespaces "nowhere" not found'
    assert get(populated, "/api/v1/namespaces/default/nodes")[0] == 404  # cluster-scoped under a namespace


def test_injected_failures(populated):
    populated.faults.fail_next(1, 429, retry_after=3)
    status, headers, body = get(populated, "/api/v1/pods")
    assert status == 429 and headers["retry-after"] == "3" and body["reason"] == "TooManyRequests"
    populated.faults.fail_next(2, 500)
    assert get(populated, "/api/v1/pods")[0] == 500
    status, _, body = get(populated, "/api/v1/pods")
    assert status == 500 and body["reason"] == "InternalError"
    assert get(populated, "/api/v1/pods")[0] == 200
    populated.faults.fail_next(1, 429)
    assert get(populated, "/api/v1/pods")[1]["retry-after"] == "1"
    populated.faults.fail_next(1, 504)
    status, _, body = get(populated, "/api/v1/pods")
    assert status == 504 and body["reason"] == "Timeout"


def test_tls_with_written_ca(tmp_path):
    with SimServer(tls=True, token="sekret") as s:
        ensure_ns(s.store, "default")
        assert s.url.startswith("https://127.0.0.1:") and s.ca_data.startswith(b"-----BEGIN CERTIFICATE-----")
        kc = write_kubeconfig(tmp_path / "kc", [("tls", s)])
        assert "certificate-authority-data" in open(kc).read()
        api = kubernetes.config.new_client_from_config(kc)
        assert api.configuration.verify_ssl
        assert [n.metadata.name for n in kubernetes.client.CoreV1Api(api).list_namespace().items] == ["default"]
        # without the CA the client refuses the certificate
        with pytest.raises(urllib.error.URLError) as ei:
            urllib.request.urlopen(urllib.request.Request(s.url + "/healthz"), timeout=5,
                                   context=ssl.create_default_context())
        assert isinstance(ei.value.reason, ssl.SSLCertVerificationError)
        # localhost is in the certificate too
        ctx = ssl.create_default_context(cadata=s.ca_data.decode())
        with urllib.request.urlopen(f"https://localhost:{s.port}/healthz", timeout=5, context=ctx) as r:
            assert r.read() == b"ok"


def test_reviews_answer_who_and_what(srv):
    status, _, body = request(srv, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                              {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert status == 201 and body["status"]["userInfo"]["username"] == "kmon"
    status, _, body = request(srv, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                              {"spec": {"resourceAttributes": {"verb": "list", "resource": "pods"}}})
    assert status == 201 and body["status"]["allowed"] is True
