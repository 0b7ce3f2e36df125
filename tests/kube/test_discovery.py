"""Discovery and kubectl-style resolution, against the sim and canned documents."""

from __future__ import annotations

import pytest

from kmon.kube import ApiResource, UnknownResourceError, discover, resolve

from .fakeapi import send_json


@pytest.fixture
def resources(sim_client):
    return discover(sim_client)


@pytest.mark.parametrize(
    "name,full,version",
    [
        ("po", "pods", "v1"), ("pods", "pods", "v1"), ("pod", "pods", "v1"), ("Pod", "pods", "v1"), ("PODS", "pods", "v1"),
        ("deploy", "deployments.apps", "v1"), ("deployments", "deployments.apps", "v1"),
        ("deployment", "deployments.apps", "v1"), ("Deployment", "deployments.apps", "v1"),
        ("deployments.apps", "deployments.apps", "v1"), ("deployments.v1.apps", "deployments.apps", "v1"),
        ("deploy.apps", "deployments.apps", "v1"), ("Deployment.apps", "deployments.apps", "v1"),
        ("widgets.demo.kmon.io", "widgets.demo.kmon.io", "v1"), ("wd", "widgets.demo.kmon.io", "v1"),
        ("widget", "widgets.demo.kmon.io", "v1"), ("widgets.v1.demo.kmon.io", "widgets.demo.kmon.io", "v1"),
        ("ns", "namespaces", "v1"), ("svc", "services", "v1"), ("rs", "replicasets.apps", "v1"),
    ],
)
def test_resolve_spellings(resources, name, full, version):
    r = resolve(resources, name)
    assert (r.full_name, r.version) == (full, version)


def test_discovered_fields(resources):
    by = {r.full_name: r for r in resources}
    pods = by["pods"]
    assert (pods.group, pods.kind, pods.plural, pods.namespaced, pods.short_names) == ("", "Pod", "pods", True, ("po",))
    assert "list" in pods.verbs and "watch" in pods.verbs
    assert pods.api_path() == "/api/v1/pods"
    assert pods.api_path("team") == "/api/v1/namespaces/team/pods"
    dep = by["deployments.apps"]
    assert dep.api_path("x") == "/apis/apps/v1/namespaces/x/deployments"
    assert by["namespaces"].api_path("ignored") == "/api/v1/namespaces"
    assert all("/" not in r.plural for r in resources)
    assert by["widgets.demo.kmon.io"].short_names == ("wd",)


def test_unknown_resource_lists_close_matches(resources):
    with pytest.raises(UnknownResourceError) as ei:
        resolve(resources, "deploymnts")
    assert "deploymnts" in str(ei.value) and "deployments.apps" in ei.value.suggestions
    with pytest.raises(UnknownResourceError):
        resolve(resources, "pods.nosuchgroup")
    with pytest.raises(UnknownResourceError):
        resolve(resources, "deployments.v9.apps")
    with pytest.raises(UnknownResourceError):
        resolve(resources, "")


@pytest.mark.parametrize("name,message", [
    ("nosuchthing", 'the server doesn\'t have a resource type "nosuchthing"'),
    ("pods.nosuchgroup", 'the server doesn\'t have a resource type "pods" in group "nosuchgroup"'),
    ("deployments.v9.apps", 'the server doesn\'t have a resource type "deployments" in group "apps" and version "v9"'),
])
def test_unknown_resource_says_it_as_kubectl_does(resources, name, message):
    with pytest.raises(UnknownResourceError) as ei:
        resolve(resources, name)
    assert str(ei.value) == message


def test_unknown_resource_hint_names_close_matches(resources):
    with pytest.raises(UnknownResourceError) as ei:
        resolve(resources, "deploymnts")
    assert ei.value.suggestions[0] == "deployments.apps"  # (the closest first; "endpoints" may follow)
    assert ei.value.hint.startswith("did you mean deployments.apps")
    with pytest.raises(UnknownResourceError) as ei:
        resolve(resources, "zzzzzzzz")
    assert ei.value.hint == ""


def _rl(gv, resources):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _r(name, kind, verbs=("get", "list", "watch"), namespaced=True, short=()):
    return {"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": list(verbs), "shortNames": list(short)}


def test_plain_discovery_versions_subresources_and_broken_groups(fake, fake_client):
    fake.routes["/api"] = lambda h, q: send_json(h, 200, {"kind": "APIVersions", "versions": ["v1"]})
    fake.routes["/api/v1"] = lambda h, q: send_json(h, 200, _rl("v1", [
        _r("pods", "Pod", short=["po"]), _r("pods/status", "Pod"), _r("pods/log", "Pod", verbs=("get",)),
        _r("bindings", "Binding", verbs=("create",)), _r("events", "Event", short=["ev"])]))
    fake.routes["/apis"] = lambda h, q: send_json(h, 200, {"kind": "APIGroupList", "groups": [
        {"name": "events.k8s.io", "versions": [{"groupVersion": "events.k8s.io/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "events.k8s.io/v1", "version": "v1"}},
        {"name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}, {"groupVersion": "batch/v1beta1", "version": "v1beta1"}],
         "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}},
        {"name": "metrics.k8s.io", "versions": [{"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}],
         "preferredVersion": {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}},
    ]})
    fake.routes["/apis/events.k8s.io/v1"] = lambda h, q: send_json(h, 200, _rl("events.k8s.io/v1", [_r("events", "Event", short=["ev"])]))
    fake.routes["/apis/batch/v1"] = lambda h, q: send_json(h, 200, _rl("batch/v1", [_r("jobs", "Job"), _r("cronjobs", "CronJob", short=["cj"])]))
    fake.routes["/apis/batch/v1beta1"] = lambda h, q: send_json(h, 200, _rl("batch/v1beta1", [_r("cronjobs", "CronJob", short=["cj"]), _r("oldthings", "OldThing")]))
    fake.routes["/apis/metrics.k8s.io/v1beta1"] = lambda h, q: send_json(h, 503, {"kind": "Status", "code": 503, "reason": "ServiceUnavailable", "message": "down"})
    errors = []
    res = discover(fake_client, errors=errors)
    names = [r.full_name for r in res]
    assert names == ["pods", "events", "events.events.k8s.io", "jobs.batch", "cronjobs.batch", "oldthings.batch"]
    by = {r.full_name: r for r in res}
    assert by["cronjobs.batch"].version == "v1" and by["cronjobs.batch"].versions == ("v1", "v1beta1")
    assert by["oldthings.batch"].version == "v1beta1"
    assert resolve(res, "cronjobs.v1beta1.batch").version == "v1beta1"
    assert resolve(res, "cj").full_name == "cronjobs.batch"
    assert resolve(res, "ev").full_name == "events"  # core wins, as in kubectl
    assert resolve(res, "events.events.k8s.io").group == "events.k8s.io"
    assert resolve(res, "events.events").group == "events.k8s.io"  # unique group prefix
    assert [e[0] for e in errors] == ["metrics.k8s.io/v1beta1"]
    assert all(r[0] != "/apis/metrics.k8s.io/v1beta1" or True for r in fake.requests)


def test_api_resource_paths_quote():
    r = ApiResource("", "v1", "Pod", "pods", True)
    assert r.object_path("a b", "x/y") == "/api/v1/namespaces/a%20b/pods/x%2Fy"
    with pytest.raises(ValueError):
        r.object_path(None, "x")


def _agg_resource(name, kind, group, version, scope="Namespaced", verbs=("get", "list", "watch"), short=(), sub=()):
    return {"resource": name, "responseKind": {"group": group, "version": version, "kind": kind}, "scope": scope,
            "singularResource": kind.lower(), "verbs": list(verbs), "shortNames": list(short),
            "subresources": [{"subresource": s, "verbs": ["get"]} for s in sub]}


def test_aggregated_discovery_two_requests(fake, fake_client):
    core = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": [
        {"metadata": {}, "versions": [{"version": "v1", "freshness": "Current", "resources": [
            _agg_resource("pods", "Pod", "", "v1", short=["po"], sub=["status", "log"]),
            _agg_resource("nodes", "Node", "", "v1", scope="Cluster", short=["no"]),
            _agg_resource("bindings", "Binding", "", "v1", verbs=("create",))]}]}]}
    groups = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": [
        {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [
            _agg_resource("deployments", "Deployment", "apps", "v1", short=["deploy"])]}]},
        {"metadata": {"name": "batch"}, "versions": [
            {"version": "v1", "resources": [_agg_resource("cronjobs", "CronJob", "batch", "v1", short=["cj"])]},
            {"version": "v1beta1", "resources": [_agg_resource("cronjobs", "CronJob", "batch", "v1beta1", short=["cj"]),
                                                 _agg_resource("legacy", "Legacy", "batch", "v1beta1")]}]},
        {"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale", "resources": [
            _agg_resource("pods", "PodMetrics", "metrics.k8s.io", "v1beta1")]}]},
    ]}
    fake.routes["/api"] = lambda h, q: send_json(h, 200, core)
    fake.routes["/apis"] = lambda h, q: send_json(h, 200, groups)
    errors = []
    res = discover(fake_client, errors=errors)
    assert [r.full_name for r in res] == ["pods", "nodes", "deployments.apps", "cronjobs.batch", "legacy.batch"]
    by = {r.full_name: r for r in res}
    assert by["nodes"].namespaced is False and by["pods"].namespaced is True
    assert by["cronjobs.batch"].versions == ("v1", "v1beta1") and by["legacy.batch"].version == "v1beta1"
    assert resolve(res, "deploy").api_path("x") == "/apis/apps/v1/namespaces/x/deployments"
    assert resolve(res, "cronjobs.v1beta1.batch").version == "v1beta1"
    assert [e[0] for e in errors] == ["metrics.k8s.io/v1beta1"]
    assert [r[0] for r in fake.requests] == ["/api", "/apis"]
    assert "apidiscovery.k8s.io" in fake.requests[0][2]["accept"]


def test_aggregated_discovery_drives_discover_and_matches_the_plain_walk(sim, sim_client):
    """The sim answers aggregated discovery (apidiscovery.k8s.io/v2) as kube-apiserver 1.36
    does, so discover() takes its two-request path; what it finds equals the plain walk."""
    sim.requests.clear()
    agg = discover(sim_client)
    assert [r.path for r in sim.requests] == ["/api", "/apis"]
    sim.requests.clear()
    plain = discover(sim_client, aggregated=False)
    assert len(sim.requests) > 20  # /api, /api/v1, /apis and one request per group version

    def key(r):
        return (r.group, r.version, r.kind, r.plural, r.namespaced, r.short_names, r.verbs, r.singular,
                r.categories)

    assert [key(r) for r in agg] == [key(r) for r in plain]
    assert len([r for r in agg if r.group != "demo.kmon.io"]) == 59  # 60 listable, componentstatuses not watchable


def test_anonymous_discovery_is_forbidden_with_rbacs_message(sim):
    """No credentials: kube-apiserver (and the sim) answer 403 for system:anonymous, and the
    error kmon raises carries RBAC's sentence, not a bare status."""
    from kmon.cache.errors import ApiStatusError

    from .conftest import client_for_url

    c = client_for_url(sim.url, token="")
    try:
        with pytest.raises(ApiStatusError) as ei:
            discover(c)
        assert ei.value.code == 403
        assert 'User "system:anonymous" cannot get path "/api"' in str(ei.value)
    finally:
        c.close()
