"""Concurrency, shutdown, and history reconstruction properties."""

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from kmon.sim import SimServer
from kmon.sim.storage import Store

from waiting import wait_for

from .helpers import RawWatch, ensure_ns, get, pod


def test_stop_does_not_wait_for_open_watches_and_idle_connections():
    s = SimServer().start()
    ensure_ns(s.store, "default")
    watches = [RawWatch(s, "/api/v1/pods?watch=1&timeoutSeconds=60") for _ in range(5)]
    idle = RawWatch(s, "/version")  # keep-alive connection, idle after its response
    idle.resp.read()
    wait_for(lambda: len(s.watches) == 5)
    stopped = threading.Event()
    threading.Thread(target=lambda: (s.stop(), stopped.set()), daemon=True).start()
    assert stopped.wait(10)  # the watches last 60 s: a stop that waited for them would not be done
    for w in watches + [idle]:
        w.close()
    assert len(s.watches) == 0


def test_concurrent_watchers_lists_and_writes_agree():
    with SimServer() as s:
        ensure_ns(s.store, "default")
        rev0 = s.store.revision
        n_writes = 600
        watchers = [RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev0}&timeoutSeconds=30") for _ in range(4)]
        results = [None] * len(watchers)

        def consume(i, w):
            state = {}
            last = rev0
            while last < rev0 + n_writes:
                ev = w.next_event()
                rv = int(ev["object"]["metadata"]["resourceVersion"])
                assert rv > last
                last = rv
                name = ev["object"]["metadata"]["name"]
                if ev["type"] == "DELETED":
                    state.pop(name, None)
                else:
                    state[name] = ev["object"]["metadata"]["resourceVersion"]
            results[i] = state

        threads = [threading.Thread(target=consume, args=(i, w)) for i, w in enumerate(watchers)]
        for t in threads:
            t.start()

        def writer(k):
            for i in range(n_writes // 3):
                name = f"w{k}-{i % 20}"
                try:
                    s.store.create("pods", pod(name))
                except Exception:
                    s.store.delete("pods", name)

        ws = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
        for t in ws:
            t.start()
        for _ in range(10):
            assert get(s, "/api/v1/pods?limit=7")[0] == 200
        for t in ws + threads:
            t.join(30)
        final = {p["metadata"]["name"]: p["metadata"]["resourceVersion"] for p in s.store.list("pods")}
        assert all(r == final for r in results)
        for w in watchers:
            w.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hst.lists(hst.tuples(hst.sampled_from(["create", "update", "delete"]), hst.integers(0, 6)), min_size=1, max_size=60))
def test_exact_state_at_every_past_revision(ops):
    st = Store(seed=0)
    st.create("namespaces", {"metadata": {"name": "default"}})
    snapshots = {st.revision: {}}
    live = {}
    for op, i in ops:
        name = f"p{i}"
        if op == "create" and name not in live:
            st.create("configmaps", {"metadata": {"name": name}, "data": {"v": "0"}})
        elif op == "update" and name in live:
            st.patch("configmaps", name, {"data": {"v": str(st.revision)}})
        elif op == "delete" and name in live:
            st.delete("configmaps", name)
        else:
            continue
        live = {c["metadata"]["name"]: c["data"]["v"] for c in st.list("configmaps")}
        snapshots[st.revision] = dict(live)
    from kmon.sim import resources as R

    res = R.lookup("configmaps")
    for rev, want in snapshots.items():
        entries, got_rev, _, _ = st.list_entries(res, at=rev)
        assert got_rev == rev
        assert {e.obj()["metadata"]["name"]: e.obj()["data"]["v"] for e in entries} == want


def test_watch_threads_notice_gone_clients():
    for tls in (False, True):
        with SimServer(tls=tls) as s:
            ensure_ns(s.store, "default")
            w = RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={s.store.revision}&timeoutSeconds=60")
            wait_for(lambda: len(s.watches) == 1)
            w.close()
            wait_for(lambda: len(s.watches) == 0, timeout=5)
