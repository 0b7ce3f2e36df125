import os
import threading

import pytest

from kmon.kube.config import load_kubeconfig
from kmon.sim.demo import CONTEXTS, DemoCluster
from kmon.monitor.feed import Feed
from kmon.monitor.contexts import Monitor
from kmon.monitor.session_options import DEFAULT_RESOURCES

from waiting import wait_for

pytestmark = pytest.mark.timeout(90)


def _names(srv, resource):
    return {(o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in srv.store.list(resource)}


def test_two_contexts_answer_with_different_content():
    with DemoCluster(churn=50.0, pods=60, seed=3) as demo:
        cfg = load_kubeconfig(demo.kubeconfig_path)
        assert cfg.current_context == "kmon-demo"
        assert set(cfg.context_names()) == set(CONTEXTS) == set(demo.servers)
        a, b = (demo.servers[c] for c in CONTEXTS)
        assert _names(a, "pods") and _names(b, "pods")
        assert _names(a, "pods").isdisjoint(_names(b, "pods"))
        ns_a = {n for _, n in _names(a, "namespaces")}
        ns_b = {n for _, n in _names(b, "namespaces")}
        assert {"shop", "payments", "monitoring"} <= ns_a and not {"shop", "payments"} & ns_b
        feed = Feed()
        with Monitor(feed, kubeconfig=demo.kubeconfig_path) as mon:
            sessions = [mon.open_context(c) for c in CONTEXTS]
            for s in sessions:
                assert s.wait_synced(20), s.error
                assert set(s.resources) == set(DEFAULT_RESOURCES)
            # churn goes on; pause it and the caches must converge on the servers
            pods0 = {c: s.stats()["pods"].deltas_processed for c, s in zip(CONTEXTS, sessions)}
            wait_for(lambda: all(s.stats()["pods"].deltas_processed > pods0[s.context] for s in sessions), 20, "churn seen")
            demo.pause()
            assert demo.paused
            for s in sessions:
                srv = demo.servers[s.context]
                for res in ("pods", "replicasets.apps", "deployments.apps", "events", "nodes"):
                    idx = s.resources[res].informer.indexer
                    want = _names(srv, res)
                    wait_for(
                        lambda: {(o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in idx.list()} == want,
                        15, f"{s.context} {res} cache == server",
                    )
                r = s.verify("pods")
                assert r.ok, r
            demo.resume()
            assert not demo.paused
        path = demo.kubeconfig_path
    assert not os.path.exists(path)
    assert not [t for t in threading.enumerate() if t.name.startswith(("kmon-informer", "kmon-session", "kmon-sim-workload"))]


def test_static_demo_and_stop_is_idempotent():
    demo = DemoCluster(churn=0, pods=12, seed=5)
    try:
        assert demo.paused
        rev = demo.servers["kmon-demo"].store.revision
        demo.resume()  # nothing to resume at churn 0
        assert demo.servers["kmon-demo"].store.revision == rev
        demo.step(3)
        assert demo.servers["kmon-demo"].store.revision > rev
        demo.set_churn(100.0)
        assert not demo.paused
        wait_for(lambda: demo.servers["kmon-demo"].store.revision > rev + 10, 10, "churn after set_churn")
    finally:
        demo.stop()
        demo.stop()
    assert not os.path.exists(demo.directory)


def test_achieved_churn_follows_the_requested_rate():
    with DemoCluster(churn=400.0, pods=60, seed=5) as demo:
        wait_for(lambda: all(r > 0 for r in demo.achieved_churn().values()), 10, "churn measured")
        rates = demo.achieved_churn()
        assert set(rates) == set(CONTEXTS)
        assert all(250 <= r <= 500 for r in rates.values()), rates
        demo.pause()
        assert demo.achieved_churn() == {c: 0.0 for c in CONTEXTS}
