"""Lists: typed client, paging, resourceVersion semantics, selectors, metadata-only."""

import kubernetes
import pytest

from kmon.sim import SimServer
from kmon.sim.errors import CONTINUE_EXPIRED

from .helpers import get, pod


def names(items):
    return [i["metadata"]["name"] if isinstance(i, dict) else i.metadata.name for i in items]


def test_typed_list_all_and_namespaced(populated, api):
    core = kubernetes.client.CoreV1Api(api)
    allp = core.list_pod_for_all_namespaces()
    assert len(allp.items) == 13 and int(allp.metadata.resource_version) == populated.store.revision
    assert allp.kind == "PodList" and allp.api_version == "v1"
    team = core.list_namespaced_pod("team")
    assert names(team.items) == ["t-0", "t-1", "t-2"]
    assert core.list_namespaced_pod("nowhere").items == []
    p = core.read_namespaced_pod("p-03", "default")
    assert p.metadata.labels["app"] == "db" and p.metadata.uid and p.metadata.creation_timestamp


def test_paging_with_continue_is_a_consistent_snapshot(populated):
    status, _, page1 = get(populated, "/api/v1/namespaces/default/pods?limit=4")
    assert status == 200 and names(page1["items"]) == ["p-00", "p-01", "p-02", "p-03"]
    meta = page1["metadata"]
    assert meta["remainingItemCount"] == 6 and meta["continue"]
    # writes after the first page do not show up in later pages
    populated.store.create("pods", pod("p-055"))
    populated.store.delete("pods", "p-07")
    _, _, page2 = get(populated, f"/api/v1/namespaces/default/pods?limit=4&continue={meta['continue']}")
    assert names(page2["items"]) == ["p-04", "p-05", "p-06", "p-07"]
    assert page2["metadata"]["resourceVersion"] == meta["resourceVersion"]
    _, _, page3 = get(populated, f"/api/v1/namespaces/default/pods?limit=4&continue={page2['metadata']['continue']}")
    assert names(page3["items"]) == ["p-08", "p-09"] and "continue" not in page3["metadata"]


def test_typed_client_paging(populated, api):
    core = kubernetes.client.CoreV1Api(api)
    seen, cont = [], None
    while True:
        r = core.list_pod_for_all_namespaces(limit=5, _continue=cont)
        seen += names(r.items)
        cont = r.metadata._continue
        if not cont:
            break
    assert len(seen) == 13 and seen[:1] == ["p-00"] and seen[-1] == "t-2"


def test_rv0_ignores_limit_and_rv_semantics(populated):
    _, _, body = get(populated, "/api/v1/pods?limit=2&resourceVersion=0")
    assert len(body["items"]) == 13 and "continue" not in body["metadata"]
    rev = populated.store.revision
    _, _, body = get(populated, f"/api/v1/pods?resourceVersion={rev - 3}&resourceVersionMatch=NotOlderThan")
    assert body["metadata"]["resourceVersion"] == str(rev) and len(body["items"]) == 13
    status, _, body = get(populated, "/api/v1/pods?resourceVersionMatch=Exact")
    assert status == 422 and body["reason"] == "Invalid"
    assert body["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                               "resourceVersionMatch is forbidden unless resourceVersion is provided")
    assert body["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "resourceVersionMatch",
                                          "message": "Forbidden: resourceVersionMatch is forbidden unless "
                                                     "resourceVersion is provided"}]
    assert get(populated, "/api/v1/pods?resourceVersion=0&resourceVersionMatch=Exact")[0] == 422
    assert get(populated, "/api/v1/pods?resourceVersion=abc")[0] == 400


def test_exact_list_returns_past_state(populated):
    st = populated.store
    rev = st.revision
    st.delete("pods", "p-00")
    obj = st.get("pods", "p-01")
    obj["metadata"]["labels"]["app"] = "changed"
    st.update("pods", obj)
    st.create("pods", pod("zz"))
    _, _, past = get(populated, f"/api/v1/namespaces/default/pods?resourceVersion={rev}&resourceVersionMatch=Exact")
    assert past["metadata"]["resourceVersion"] == str(rev)
    assert names(past["items"]) == [f"p-{i:02d}" for i in range(10)]
    assert past["items"][1]["metadata"]["labels"]["app"] == "db"
    # unset match + limit = Exact too (paged, consistent)
    _, _, page = get(populated, f"/api/v1/namespaces/default/pods?resourceVersion={rev}&limit=3")
    assert names(page["items"]) == ["p-00", "p-01", "p-02"]
    _, _, now = get(populated, "/api/v1/namespaces/default/pods")
    assert "p-00" not in names(now["items"]) and "zz" in names(now["items"])


def test_exact_list_and_continue_survive_compaction_from_the_watch_cache(populated):
    """Real 1.36: after an etcd compaction, an Exact list at the old version and a continue
    token are still served, from the watch cache."""
    st = populated.store
    rev = st.revision
    _, _, page1 = get(populated, "/api/v1/pods?limit=2")
    st.create("pods", pod("late"))
    populated.faults.compact()
    status, _, past = get(populated, f"/api/v1/pods?resourceVersion={rev}&resourceVersionMatch=Exact")
    assert status == 200 and past["metadata"]["resourceVersion"] == str(rev) and "late" not in names(past["items"])
    status, _, page2 = get(populated, f"/api/v1/pods?limit=2&continue={page1['metadata']['continue']}")
    assert status == 200 and names(page2["items"]) == ["p-02", "p-03"]
    assert page2["metadata"]["resourceVersion"] == str(rev)


def test_exact_and_continue_410_once_neither_cache_nor_storage_holds_them(populated):
    st = populated.store
    rev = st.revision
    _, _, page1 = get(populated, "/api/v1/pods?limit=2")
    st.create("pods", pod("zz-late"))
    populated.faults.expire_watch_cache()
    # the watch cache no longer reaches back: storage serves until it is compacted too
    assert get(populated, f"/api/v1/pods?resourceVersion={rev}&resourceVersionMatch=Exact")[0] == 200
    populated.faults.compact()
    status, _, body = get(populated, f"/api/v1/pods?resourceVersion={rev}&resourceVersionMatch=Exact")
    assert status == 410 and body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": "The resourceVersion for the provided list is too old.",
                                      "reason": "Expired", "code": 410}
    status, _, body = get(populated, f"/api/v1/pods?limit=2&continue={page1['metadata']['continue']}")
    assert status == 410 and body["reason"] == "Expired" and body["message"] == CONTINUE_EXPIRED
    # the 410 carries a token that continues the list at the latest revision
    token = body["metadata"]["continue"]
    status, _, rest = get(populated, f"/api/v1/pods?limit=100&continue={token}")
    assert status == 200 and names(rest["items"])[:2] == ["p-02", "p-03"] and "zz-late" in names(rest["items"])
    assert rest["metadata"]["resourceVersion"] == str(st.revision)
    assert get(populated, "/api/v1/pods?limit=2&continue=@@garbage")[0] == 400


def test_too_large_resource_version(populated):
    rev = populated.store.revision
    status, headers, body = get(populated, f"/api/v1/pods?resourceVersion={rev + 100}")
    assert status == 504 and body["reason"] == "Timeout" and headers["retry-after"] == "1"
    assert body["message"] == f"Timeout: Too large resource version: {rev + 100}, current: {rev}"
    assert body["details"] == {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                               "retryAfterSeconds": 1}
    assert SimServer().too_large_wait == 3.0  # kube-apiserver waits 3 s for the watch cache first


@pytest.mark.parametrize("selector,expected", [
    ("app=web", ["p-00", "p-02", "p-04", "p-06", "p-08"]),
    ("app==db", ["p-01", "p-03", "p-05", "p-07", "p-09"]),
    ("app!=web", ["p-01", "p-03", "p-05", "p-07", "p-09"]),
    ("idx in (1,2, 3)", ["p-01", "p-02", "p-03"]),
    ("idx notin (0,1,2,3,4,5,6,7)", ["p-08", "p-09"]),
    ("idx", [f"p-{i:02d}" for i in range(10)]),
    ("!idx", []),
    ("app=web,idx in (2,4)", ["p-02", "p-04"]),
    ("idx>7", ["p-08", "p-09"]),
])
def test_label_selectors(populated, api, selector, expected):
    got = kubernetes.client.CoreV1Api(api).list_namespaced_pod("default", label_selector=selector)
    assert names(got.items) == expected


@pytest.mark.parametrize("selector,expected", [
    ("metadata.name=p-03", ["p-03"]),
    ("metadata.name==p-03", ["p-03"]),
    ("metadata.namespace=team", ["t-0", "t-1", "t-2"]),
    ("metadata.namespace!=default", ["t-0", "t-1", "t-2"]),
    ("spec.nodeName=node-2,metadata.namespace=default", ["p-01", "p-03", "p-05", "p-07", "p-09"]),
    ("status.phase=Pending", ["p-07", "p-08", "p-09"]),
    ("status.phase!=Running,spec.nodeName!=node-1", ["p-07", "p-09"]),
])
def test_field_selectors(populated, api, selector, expected):
    got = kubernetes.client.CoreV1Api(api).list_pod_for_all_namespaces(field_selector=selector)
    assert names(got.items) == expected


@pytest.mark.parametrize("query", ["labelSelector=app%3D%3D%3D", "labelSelector=app+in+(a", "labelSelector=a%20b",
                                   "fieldSelector=spec.bogus%3Dx", "fieldSelector=nonsense"])
def test_bad_selectors_are_400(populated, query):
    status, _, body = get(populated, f"/api/v1/pods?{query}")
    assert status == 400 and body["reason"] == "BadRequest" and body["kind"] == "Status"


@pytest.mark.parametrize("query,status,message", [
    # kube-apiserver's labels.Parse and fields.ParseSelector, word for word (kmon.selectors)
    ("labelSelector=a%20b", 400, "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("labelSelector=app%3Dweb%2C", 400, "found '', expected: identifier after ','"),
    ("labelSelector=idx%3C-5", 400, 'unable to parse requirement: values[0][idx]: Invalid value: "-5": a valid label '
     "must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
     "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("fieldSelector=metadata.name%3Da%3Db", 400, "invalid field selector: unescaped character in value: '='"),
    ("fieldSelector=spec.bogus%3Dx", 400, "field label not supported: spec.bogus"),
    ("fieldSelector=status.phase%3DRunning%2Cnonsense", 400,
     "invalid selector: 'status.phase=Running,nonsense'; can't understand 'nonsense'"),
    ("labelSelector=app%20in%20()", 200, None),  # "in ()" is the set {""}: valid, matches no pod here
])
def test_selectors_are_parsed_as_kube_apiserver_parses_them(populated, query, status, message):
    got, _, body = get(populated, f"/api/v1/pods?{query}")
    assert got == status
    if message is None:
        assert body["items"] == []
    else:
        assert body["reason"] == "BadRequest" and body["message"] == message


def test_a_named_watch_reports_only_the_clients_field_selector(populated):
    status, _, body = get(populated, "/api/v1/namespaces/default/pods/p-01?watch=1&fieldSelector=nonsense")
    assert status == 400 and body["message"] == "invalid selector: 'nonsense'; can't understand 'nonsense'"


def test_selector_paging(populated):
    _, _, p1 = get(populated, "/api/v1/pods?labelSelector=app%3Dweb&limit=3")
    assert names(p1["items"]) == ["p-00", "p-02", "p-04"] and p1["metadata"]["continue"]
    _, _, p2 = get(populated, f"/api/v1/pods?labelSelector=app%3Dweb&limit=3&continue={p1['metadata']['continue']}")
    _, _, p3 = get(populated, f"/api/v1/pods?labelSelector=app%3Dweb&limit=3&continue={p2['metadata'].get('continue', '')}") \
        if p2["metadata"].get("continue") else (None, None, {"items": []})
    assert names(p1["items"] + p2["items"] + p3["items"]) == ["p-00", "p-02", "p-04", "p-06", "p-08", "t-0", "t-1", "t-2"]


def test_metadata_only_list_and_get(populated):
    accept = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1," \
             "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    _, _, body = get(populated, "/api/v1/namespaces/team/pods", headers={"Accept": accept})
    assert body["kind"] == "PartialObjectMetadataList" and body["apiVersion"] == "meta.k8s.io/v1"
    item = body["items"][0]
    assert set(item) == {"kind", "apiVersion", "metadata"} and item["kind"] == "PartialObjectMetadata"
    assert item["metadata"]["name"] == "t-0" and item["metadata"]["labels"] == {"app": "web", "tier": "back"}
    assert item["metadata"]["uid"] and item["metadata"]["resourceVersion"]
    _, _, one = get(populated, "/api/v1/namespaces/team/pods/t-1",
                    headers={"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"})
    assert one["kind"] == "PartialObjectMetadata" and "spec" not in one
    # protobuf-only alternatives are skipped; plain JSON when asked for it first
    _, _, plain = get(populated, "/api/v1/namespaces/team/pods",
                      headers={"Accept": "application/vnd.kubernetes.protobuf,application/json,application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert plain["kind"] == "PodList"


def test_other_resources_list(populated, api):
    st = populated.store
    st.create("deployments.apps", {"metadata": {"name": "d1", "namespace": "default"},
                                   "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                                            "template": {"metadata": {"labels": {"a": "b"}},
                                                         "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    st.create("widgets.demo.kmon.io", {"metadata": {"name": "w1", "namespace": "team"}, "spec": {"size": 3}})
    st.create("nodes", {"metadata": {"name": "node-1"}, "spec": {}})
    deps = kubernetes.client.AppsV1Api(api).list_deployment_for_all_namespaces()
    assert names(deps.items) == ["d1"] and deps.items[0].metadata.generation == 1
    w = kubernetes.client.CustomObjectsApi(api).list_cluster_custom_object("demo.kmon.io", "v1", "widgets")
    assert w["kind"] == "WidgetList" and w["items"][0]["spec"]["size"] == 3
    assert names(kubernetes.client.CoreV1Api(api).list_node().items) == ["node-1"]


def test_table_for_kubectl(populated):
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    _, _, t = get(populated, "/api/v1/namespaces/team/pods?limit=2", headers={"Accept": accept})
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1" and t["metadata"]["continue"]
    assert [c["name"] for c in t["columnDefinitions"]][:6] == ["Name", "Ready", "Status", "Restarts", "Age", "IP"]
    assert t["rows"][0]["cells"][:3] == ["t-0", "0/1", "Running"]
    assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    _, _, one = get(populated, "/api/v1/namespaces/team/pods/t-1", headers={"Accept": accept})
    assert one["kind"] == "Table" and len(one["rows"]) == 1


def test_table_restarts_and_age_as_kube_apiserver_prints_them(srv):
    """Restarts is a string with the last restart's age; Age is HumanDuration ("2m5s")."""
    import time as _time

    from kmon.sim.storage import now_rfc3339

    p = pod("r", "default")
    p["metadata"]["creationTimestamp"] = now_rfc3339(_time.time() - 125)
    p["status"]["containerStatuses"] = [{"name": "main", "ready": True, "restartCount": 3, "lastState": {
        "terminated": {"exitCode": 1, "finishedAt": now_rfc3339(_time.time() - 65)}}}]
    srv.store.create("pods", p)
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io"
    _, _, t = get(srv, "/api/v1/namespaces/default/pods/r", headers={"Accept": accept})
    cells = t["rows"][0]["cells"]
    assert cells[3] in ("3 (65s ago)", "3 (66s ago)") and cells[4] in ("2m5s", "2m6s")
