"""informer_for against kmon.sim: initial sync, following churn, surviving every fault.

After each scenario the indexer must equal the server's objects (same keys, same
resourceVersions) within a few seconds of quiescence.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmon.cache.clock import Clock
from kmon.cache.features import FeatureGates
from kmon.cache.informer import FuncHandler
from kmon.kube import RestListerWatcher, informer_for
from kmon.kube.liveness import HealthCheck as Liveness

from waiting import wait_for

from .churn import Churn, cache_state, server_state, wait_converged


class FastClock(Clock):
    """Real time, but backoff sleeps are capped so fault scenarios stay short."""

    __slots__ = ()

    def sleep(self, seconds, stop_event=None):
        return super().sleep(min(seconds, 0.25), stop_event)


class Running:
    def __init__(self, informer):
        self.informer = informer
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=informer.run, args=(self.stop_event,), name="informer", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.informer

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(10)
        assert not self.thread.is_alive(), "informer.run did not return after stop"


def make_informer(kubeconfig, **kw):
    kw.setdefault("clock", FastClock())
    kw.setdefault("inactivity_timeout", 1.5)
    kw.setdefault("health_check", Liveness(read_idle=0.5, ping_timeout=1.0))  # probes during faults
    return informer_for("pods", kubeconfig=kubeconfig, **kw)


def watch_events(informer) -> int:
    """Watch events the informer's reflector has received so far."""
    return sum(informer.stats().events.values())


def test_informer_for_syncs_and_follows_churn(sim, sim_kubeconfig):
    churn = Churn(sim.store, seed=1)
    churn.populate(40)
    informer = make_informer(sim_kubeconfig)
    assert isinstance(informer.list_watcher, RestListerWatcher)
    assert informer.list_watcher.resource.full_name == "pods"
    seen = []
    informer.add_event_handler(FuncHandler(on_add=lambda o, init: seen.append(o["metadata"]["name"])))
    with Running(informer):
        wait_for(informer.has_synced)
        wait_converged(informer, sim.store)
        churn.start()
        wait_for(lambda: watch_events(informer) >= 100, 20, "churn followed through the watch")
        churn.stop()
        wait_converged(informer, sim.store)
        assert churn.ops > 50
    assert len(seen) >= 40
    informer.list_watcher.api_client.close()


def test_informer_for_namespace_selector_metadata_only(sim, sim_kubeconfig):
    churn = Churn(sim.store, seed=2)
    churn.populate(30)
    informer = make_informer(sim_kubeconfig, namespace="team-a", label_selector="app=web", metadata_only=True)
    with Running(informer):
        def want():
            return {k: v for k, v in server_state(sim.store).items()
                    if k.startswith("team-a/") and sim.store.get("pods", k.split("/")[1], "team-a")["metadata"]["labels"].get("app") == "web"}

        wait_for(lambda: informer.has_synced() and cache_state(informer) == want())
        assert all(o["kind"] == "PartialObjectMetadata" for o in informer.indexer.list())
    informer.list_watcher.api_client.close()


def _fault(sim, name):
    f = sim.faults
    if name == "drop_watches":
        f.drop_watches()
    elif name == "compaction":  # storage alone: re-watches are served by the watch cache
        f.compact()
        f.drop_watches()
    elif name == "expired_watch_cache":  # the re-watch's version is gone: 410, relist
        f.expire_watch_cache()
        f.drop_watches()
    elif name == "restart":  # refused, 503/429 while starting, a new watch cache: relist
        f.restart(0.5, 0.6)
    elif name == "410_list_and_watch":
        f.compact()
        f.fail_next(2, 410)
        f.drop_watches()
    elif name == "429":
        f.fail_next(3, 429, retry_after=0.2)
        f.drop_watches()
    elif name == "500s":
        f.fail_next(4, 500)
        f.drop_watches()
    elif name == "refused":
        f.refuse_connections(1.0)
    elif name == "stalled_watch":
        f.stall_watches(3.0)
    elif name == "revision_jump":
        f.jump_revision(10_000)
        f.drop_watches()
    elif name == "malformed_line":
        f.send_malformed_line()
    else:  # pragma: no cover
        raise ValueError(name)


FAULTS = ["drop_watches", "compaction", "expired_watch_cache", "restart", "410_list_and_watch", "429", "500s",
          "refused", "stalled_watch", "revision_jump", "malformed_line"]


@pytest.mark.parametrize("client_go", ["1.36", "1.32"])  # the default path, and the classic one
@pytest.mark.parametrize("fault", FAULTS)
def test_informer_survives_fault(sim, sim_kubeconfig, fault, client_go):
    churn = Churn(sim.store, seed=hash(fault) & 0xFFFF, rate=150)
    churn.populate(30)
    informer = make_informer(sim_kubeconfig, features=FeatureGates.for_client_go(client_go))
    with Running(informer):
        wait_converged(informer, sim.store)
        synced = watch_events(informer)  # (a WatchList's initial events count as ADDED events)
        churn.start()
        wait_for(lambda: watch_events(informer) >= synced + 30, 20, "churn through the open watch before the fault")
        ops = churn.ops
        _fault(sim, fault)
        wait_for(lambda: churn.ops >= ops + 100, 20, "churn across the fault")
        churn.stop()
        wait_converged(informer, sim.store, timeout=20)
        if fault != "stalled_watch":
            # the fault really hit: the first watch ended and another one followed (a relist
            # converges the cache a moment before its watch starts)
            wait_for(lambda: informer.stats().watches_started >= 2)
        stats = informer.stats().as_dict()
        if fault in ("stalled_watch",):
            sim.faults.reset()
    if fault == "stalled_watch":
        # only the watch stalled: the server answered the health check (as a PING would
        # be), so the watch was waited for, as in client-go, and caught up afterwards
        assert stats["watches_started"] == 1 and not stats["errors"], stats
    if fault in ("410_list_and_watch", "429", "500s", "refused", "malformed_line", "restart"):
        assert stats["errors"], stats
    if fault in ("drop_watches", "compaction"):  # the watch cache serves the re-watch: no relist
        assert stats["relists"] == 0 and stats["expired"] == 0, stats
    if fault == "expired_watch_cache":
        assert stats["expired"] >= 1 and stats["relists"] >= 1, stats
    if fault == "restart":
        assert stats["relists"] >= 1, stats
    informer.list_watcher.api_client.close()


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    steps=st.lists(st.tuples(st.sampled_from(FAULTS + ["none", "none"]), st.integers(5, 60)), min_size=1, max_size=3),
)
def test_random_workloads_and_faults_converge(tmp_path_factory, seed, steps):
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import write_kubeconfig

    with SimServer(seed=seed, too_large_wait=0.2) as srv:
        path = write_kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig", [("sim", srv)])
        churn = Churn(srv.store, seed=seed, rate=400)
        churn.populate(seed % 40)
        informer = make_informer(path)
        with Running(informer):
            for fault, ops in steps:
                for _ in range(ops):
                    churn.step()
                if fault != "none":
                    _fault(srv, fault)
                for _ in range(ops):
                    churn.step()
            wait_converged(informer, srv.store, timeout=25)
            srv.faults.reset()
        informer.list_watcher.api_client.close()


@pytest.mark.parametrize("resource,store_key", [("pods", "pods"), ("deploy", "deployments.apps"), ("wd", "widgets.demo.kmon.io")])
def test_informer_for_with_sim_workload(sim, sim_kubeconfig, resource, store_key):
    """Realistic objects and churn from kmon.sim.workload, several resource kinds."""
    from kmon.cache.keys import meta_namespace_key
    from kmon.sim.workload import Workload

    wl = Workload(sim.store, seed=3, rate=300.0, pods=120)
    wl.populate()
    informer = informer_for(resource, kubeconfig=sim_kubeconfig, clock=FastClock(), inactivity_timeout=5)

    def state(objs):
        return {meta_namespace_key(o): o["metadata"]["resourceVersion"] for o in objs}

    with Running(informer):
        wait_for(informer.has_synced)
        wl.start()
        wait_for(lambda: watch_events(informer) >= 50, 20, "churn followed through the watch")
        watches, writes = informer.stats().watches_started, wl.writes
        sim.faults.drop_watches()
        wait_for(lambda: wl.writes >= writes + 90 and informer.stats().watches_started > watches, 20,
                 "churn across the dropped watch, and a new watch")
        wl.stop()
        wait_for(lambda: state(informer.indexer.list()) == state(sim.store.list(store_key)), timeout=20)
    assert wl.writes > 0
    informer.list_watcher.api_client.close()
