"""Workload generator: realistic content, determinism, churn."""

import orjson

from kmon.sim import SimServer
from kmon.sim.storage import Store
from kmon.sim.workload import Workload

from waiting import wait_for

from .helpers import RawWatch

_VOLATILE = ("Timestamp", "Time", "time", "startedAt", "finishedAt", "lastUpdateTime")


def _norm(o):
    if isinstance(o, dict):
        return {k: _norm(v) for k, v in o.items() if not k.endswith(_VOLATILE)}
    if isinstance(o, list):
        return [_norm(x) for x in o]
    return o


RESOURCES = ("namespaces", "nodes", "pods", "services", "configmaps", "secrets", "events",
             "deployments.apps", "replicasets.apps", "widgets.demo.kmon.io")


def _snapshot(store):
    return {r: _norm(store.list(r)) for r in RESOURCES}


def test_same_seed_same_objects_and_churn():
    a, b = Store(seed=3), Store(seed=3)
    wa, wb = Workload(a, seed=3, pods=60), Workload(b, seed=3, pods=60)
    wa.populate()
    wb.populate()
    assert _snapshot(a) == _snapshot(b)
    assert wa.step(300) == wb.step(300)
    assert a.revision == b.revision and _snapshot(a) == _snapshot(b)
    c = Store(seed=4)
    wc = Workload(c, seed=4, pods=60)
    wc.populate()
    assert _snapshot(c) != _snapshot(a)


def test_realistic_pods():
    st = Store(seed=1)
    w = Workload(st, seed=1, pods=120, namespaces=3)
    w.populate()
    pods = st.list("pods")
    assert 110 <= len(pods) <= 130
    assert len({p["metadata"]["namespace"] for p in pods}) == 3
    sizes = [len(orjson.dumps(p)) for p in pods]
    assert 3000 <= min(sizes) and max(sizes) <= 8000
    rs_uids = {r["metadata"]["uid"] for r in st.list("replicasets.apps")}
    for p in pods:
        m, spec, status = p["metadata"], p["spec"], p["status"]
        assert m["labels"]["app"] and m["labels"]["pod-template-hash"] and m["annotations"]
        assert m["ownerReferences"][0]["kind"] == "ReplicaSet" and m["ownerReferences"][0]["uid"] in rs_uids
        assert m["managedFields"] and spec["nodeName"] and status["phase"] == "Running"
        assert 1 <= len(spec["containers"]) <= 3
        c = spec["containers"][0]
        assert c["resources"]["requests"] and c["env"] and c["ports"] and c["volumeMounts"]
        assert status["conditions"] and len(status["containerStatuses"]) == len(spec["containers"])
    secret = st.list("secrets")[0]
    import base64

    assert base64.b64decode(secret["data"]["password"])
    assert st.list("widgets.demo.kmon.io") and st.list("events") and st.list("nodes") and st.list("services")
    [crd] = st.list("customresourcedefinitions.apiextensions.k8s.io")  # what makes the API serve widgets
    assert crd["metadata"]["name"] == "widgets.demo.kmon.io" and crd["spec"]["names"]["shortNames"] == ["wd"]


def test_churn_thread_at_rate_and_watchable():
    with SimServer() as s:
        w = Workload(s.store, seed=5, rate=200.0, pods=40, namespaces=2)
        w.populate()
        rev = s.store.revision
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=10") as rw:
            w.start()
            try:
                types = {rw.next_event()["type"] for _ in range(20)}
                wait_for(lambda: s.store.revision >= rev + 100, timeout=5)
            finally:
                w.stop()
        assert types <= {"ADDED", "MODIFIED", "DELETED"} and "MODIFIED" in types
        assert not w.churning


def test_two_demo_clusters_differ():
    from argparse import Namespace

    from kmon.sim.cli import start_clusters

    args = Namespace(port=0, host="127.0.0.1", token="t", tls=False, bookmark_interval=60.0, seed=1,
                     namespaces=3, pods=30, churn=0.0)
    clusters = start_clusters(args)
    try:
        (_, s1, w1), (_, s2, w2) = clusters
        assert set(w1.namespaces).isdisjoint(w2.namespaces)
        names1 = {p["metadata"]["name"] for p in s1.store.list("pods")}
        names2 = {p["metadata"]["name"] for p in s2.store.list("pods")}
        assert names1 and names2 and names1.isdisjoint(names2)
    finally:
        for _, s, w in clusters:
            w.stop()
            s.stop()


def test_workload_objects_deserialize_with_typed_client(srv, api):
    import kubernetes

    w = Workload(srv.store, seed=9, pods=30, namespaces=2)
    w.populate()
    w.step(100)
    core, apps = kubernetes.client.CoreV1Api(api), kubernetes.client.AppsV1Api(api)
    assert core.list_namespace().items and core.list_node().items
    assert core.list_pod_for_all_namespaces().items and core.list_service_for_all_namespaces().items
    assert core.list_config_map_for_all_namespaces().items and core.list_secret_for_all_namespaces().items
    assert core.list_event_for_all_namespaces().items
    assert apps.list_deployment_for_all_namespaces().items and apps.list_replica_set_for_all_namespaces().items
    wd = kubernetes.client.CustomObjectsApi(api).list_cluster_custom_object("demo.kmon.io", "v1", "widgets")
    assert wd["items"]


def test_pod_bookkeeping_matches_the_store_after_churn():
    """The O(1) pod index (picks, swap-removes) stays equal to the store's live pods (the
    Terminating ones are its kubelets' business until they are gone)."""
    st = Store(seed=2)
    w = Workload(st, seed=2, pods=80, namespaces=2)
    w.populate()
    w.step(2000)
    stored = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in st.list("pods")
              if not p["metadata"].get("deletionTimestamp")}
    assert set(w._pod_pos) == stored
    assert {(d["ns"], n) for d, n in w._pods} == stored
    assert all(w._pods[i][1] == name for (_, name), i in w._pod_pos.items())
    assert sorted((d["ns"], n) for d in w._deploys for n in d["pods"]) == sorted(stored)


def test_churn_with_nothing_to_write_starts_and_stops_cleanly():
    """(Its pacing, on a virtual clock: tests/sim/test_churn.py.)"""
    st = Store(seed=1)
    w = Workload(st, seed=1, rate=500.0, pods=0, namespaces=0, nodes=0, configmaps=0, secrets=0, widgets=0)
    w.populate()
    w.start()
    assert w.churning
    w.stop()
    assert not w.churning and w.writes == 0


def test_churned_pods_terminate_gracefully_and_go_away():
    """Removed pods are Terminating (MODIFIED with deletionTimestamp, grace 30) and deleted
    by their kubelet TERMINATION_STEPS operations later: none stays Terminating forever."""
    st = Store(seed=3)
    w = Workload(st, seed=3, pods=60, namespaces=2)
    w.populate()
    events = []
    st.listeners.append(lambda ev: ev.rkey == "pods" and events.append((ev.type, ev.key, ev.entry.obj())))
    w.step(400)
    terminating = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in st.list("pods")
                   if p["metadata"].get("deletionTimestamp")}
    assert terminating
    assert all(p["metadata"]["deletionGracePeriodSeconds"] == 30 for p in st.list("pods")
               if p["metadata"].get("deletionTimestamp"))
    gone = [key for typ, key, _ in events if typ == "DELETED"]
    assert gone
    for key in gone:  # each deletion was announced by a Terminating MODIFIED first
        marks = [o for typ, k, o in events if k == key and typ == "MODIFIED" and o["metadata"].get("deletionTimestamp")]
        assert marks, key
    w.step(w.TERMINATION_STEPS)
    left = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in st.list("pods")}
    assert not terminating & left


def test_demo_objects_are_defaulted_and_managed_like_the_apiservers():
    """What the workload writes ends up as the API server would store it: managedFields on
    every object, pods with their defaults (kubectl's STATUS, the field selectors match)."""
    st = Store(seed=6)
    Workload(st, seed=6, pods=30, namespaces=2).populate()
    for res in ("namespaces", "nodes", "pods", "services", "configmaps", "secrets", "events", "deployments.apps",
                "replicasets.apps", "widgets.demo.kmon.io", "customresourcedefinitions.apiextensions.k8s.io"):
        for o in st.list(res):
            assert o["metadata"].get("managedFields"), (res, o["metadata"]["name"])
    pods = st.list("pods")
    assert len(st.list("pods", field_selector="spec.schedulerName=default-scheduler")) == len(pods)
    assert all(p["status"]["qosClass"] and p["spec"]["enableServiceLinks"] is True for p in pods)
    assert all(s["spec"]["clusterIPs"] == [s["spec"]["clusterIP"]] for s in st.list("services"))
