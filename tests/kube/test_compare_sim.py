"""Comparing client-go paths on one resource of a live sim: what each side's handlers heard
through a relist that skipped versions, deleted an object and recreated another, and the
caches of both sides equal to the server at the cut."""

from __future__ import annotations

import pytest

from kmon.cache.features import FeatureGates
from kmon.kube import api_client_for
from kmon.kube.discovery import discover, resolve
from kmon.monitor.compare_causes import RELIST, causes_of, origin
from kmon.monitor.compare_demo import relist_provoker
from kmon.monitor.compare_run import CompareOptions, CompareRun
from kmon.sim.workload import Workload

from .conftest import ensure_namespace, make_pod

pytestmark = pytest.mark.timeout(90)


def _write_during_outage(sim):
    """While no watch can say anything: p1 updated twice, p2 deleted, p3 deleted and created
    again (a new uid), p5 created and deleted; then the watch cache forgets and every watch
    drops: each informer relists."""
    def provoke():
        store, faults = sim.store, sim.faults
        faults.stall_watches(600)
        for v in ("1", "2"):
            store.patch("pods", "p1", {"metadata": {"labels": {"v": v}}}, "ns")
        store.delete("pods", "p2", "ns")
        store.delete("pods", "p3", "ns")
        store.create("pods", make_pod("p3", "ns"))
        store.create("pods", make_pod("p5", "ns"))
        store.delete("pods", "p5", "ns")
        faults.expire_watch_cache("pods")
        faults.drop_watches()
        faults.stall_watches(0)
    return provoke


def _changes(side):
    """What the handler heard after its initial state, resync-like updates left out (whether
    a relist's unchanged objects reach a handler depends on its resync schedule)."""
    return [(c.method, c.key.split("/")[-1], c.tombstone, c.recreated) for c in side.calls
            if not c.initial and not c.resync]


@pytest.fixture
def pods(sim, sim_kubeconfig):
    """Four pods p1..p4 on the sim; (sim, API client, the pods resource)."""
    ensure_namespace(sim.store, "ns")
    for name in ("p1", "p2", "p3", "p4"):
        sim.store.create("pods", make_pod(name, "ns"))
    client = api_client_for(kubeconfig=sim_kubeconfig)
    yield sim, client, resolve(discover(client), "pods")
    client.close()


def _run(client, resource, a: str, b: str, provoke, resync: float = 0.0):
    gates = (FeatureGates.for_client_go(a), FeatureGates.for_client_go(b))
    run = CompareRun(client, resource, CompareOptions(gates, resync_period=resync, settle_timeout=30.0),
                     provoke=provoke)
    run.start()
    try:
        assert run.wait_synced(30), run.failures()
        run.provoke()
        return run.finish()
    finally:
        run.stop()


def test_classic_and_current_paths_hear_one_relist_each_in_its_own_order(pods):
    sim, client, resource = pods
    c = _run(client, resource, "1.32", "1.36", _write_during_outage(sim))
    assert (c.a.queue, c.a.initial_sync) == ("DeltaFIFO", "LIST")
    assert c.b.queue.startswith("RealFIFO (atomic") and c.b.initial_sync == "WatchList"
    # DeltaFIFO: the listed objects in list order, then the deletions it found
    assert _changes(c.a) == [("on_update", "p1", False, False), ("on_update", "p3", False, True),
                             ("on_delete", "p2", True, False)]
    # 1.36: one ReplacedAll, the store replaced first, then deletions, then the list in order
    assert _changes(c.b) == [("on_delete", "p2", True, False), ("on_update", "p1", False, False),
                             ("on_update", "p3", False, True)]
    # both relisted the same state: the same calls, one of them in another place across objects
    assert c.kinds == {} and c.reordered == 1
    assert [r.key for r in c.rows if r.kind == "reordered"] == ["ns/p2"]
    assert c.caches.equal and c.caches.server_checked and c.caches.objects == 3
    for side in (c.a, c.b):
        assert sorted(side.cache) == ["ns/p1", "ns/p3", "ns/p4"] and side.cache == side.view
        assert sum(m.kind == "Relist" for m in side.marks) == 2  # the initial one and the provoked one


def test_the_same_path_on_both_sides_hears_the_same(pods):
    sim, client, resource = pods
    c = _run(client, resource, "1.33", "1.34", _write_during_outage(sim))
    # 1.33's non-atomic RealFIFO: the deletions first, then one Replaced per listed object
    assert _changes(c.a) == [("on_delete", "p2", True, False), ("on_update", "p1", False, False),
                             ("on_update", "p3", False, True)]
    assert c.same and c.caches.equal and c.caches.server_checked


def test_under_churn_with_a_relist_the_differences_are_true_and_the_caches_equal_the_server(pods):
    sim, client, resource = pods
    wl = Workload(sim.store, seed=5, rate=60.0, namespaces=2, pods=20, secrets=0, configmaps=0, max_events=400)
    wl.populate()
    wl.start()
    try:
        c = _run(client, resource, "1.32", "1.36", relist_provoker(sim, "pods", gap=1.0))
    finally:
        wl.stop()
    assert c.caches.equal and c.caches.server_checked, c.caches.problems
    for side in (c.a, c.b):
        assert sum(m.kind == "Relist" for m in side.marks) >= 2, (side.marks, c.notes)  # initial, provoked
    by_seq = [{x.seq: x for x in side.calls} for side in (c.a, c.b)]
    relisted = [{x.key for x in side.calls if origin(x, found.get(x.seq)) == RELIST}
                for side, found in ((c.a, causes_of(c.a.calls, c.a.causes)), (c.b, causes_of(c.b.calls, c.b.causes)))]
    for r in c.rows:
        if r.kind == "collapsed":
            # a version one side never heard: that side relisted the object
            lacking = [i for i, x in enumerate((r.a, r.b)) if x is None] or [0, 1]
            assert any(r.key in relisted[i] for i in lacking), r
        elif r.kind == "tombstone":
            assert r.a.tombstone != r.b.tombstone
        elif r.kind in ("same", "reordered"):
            assert (r.a.method, r.a.rv, r.a.old_rv) == (r.b.method, r.b.rv, r.b.old_rv)
        else:
            assert r.kind in ("relist_unchanged", "lifetime", "recreated", "initial_state"), r
        for x, seqs in zip((r.a, r.b), by_seq):
            assert x is None or seqs[x.seq] is x
    # every call of both sides is on exactly one row
    assert sum(r.a is not None for r in c.rows) == len(c.a.calls)
    assert sum(r.b is not None for r in c.rows) == len(c.b.calls)
