"""The watch cache beside storage: its own window, independent of etcd's compaction.

What a real kube-apiserver 1.36 (etcd 3.6) answered: after a compaction it still serves a
watch from the old version, a continue token and an Exact list from its watch cache; a 410
comes only when the version is older than the cache holds."""

import pytest

from kmon.sim import SimServer
from kmon.sim import resources as R
from kmon.sim.storage import Store
from kmon.sim.watch_cache import WatchCache, WatchCacheOptions

from waiting import wait_for

from .helpers import RawWatch, ensure_ns, get, pod

CM = R.lookup("configmaps")


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _cache(**opts):
    store, clock = Store(seed=1), FakeClock()
    cache = WatchCache(store, WatchCacheOptions(**opts), clock=clock)
    ensure_ns(store, "default")
    return store, cache, clock


def _cm(store, name):
    return int(store.create("configmaps", {"metadata": {"name": name, "namespace": "default"}})
               ["metadata"]["resourceVersion"])


def test_window_keeps_the_recent_events_and_at_least_min_events():
    store, cache, clock = _cache(window=75.0, min_events=3, max_events=1000)
    revs = [_cm(store, f"c{i}") for i in range(5)]
    assert cache.oldest(CM) == 1  # all within the window: nothing dropped
    clock.t += 100  # older than the window
    revs.append(_cm(store, "late"))
    # the last 3 events stay; the oldest servable version is the oldest kept event's - 1
    assert cache.oldest(CM) == revs[3] - 1
    err = cache.check_watch_from(CM, revs[3] - 2)
    assert err is not None and err.code == 410 and err.message == f"too old resource version: {revs[3] - 2} ({revs[3] - 1})"
    assert cache.check_watch_from(CM, revs[3] - 1) is None
    events, version, missed = cache.events_after(CM, revs[3] - 1)
    assert [e.rev for e in events] == revs[3:] and version == revs[-1] and not missed


def test_window_is_capped_at_max_events():
    store, cache, _ = _cache(window=75.0, min_events=2, max_events=4)
    revs = [_cm(store, f"c{i}") for i in range(10)]
    assert cache.oldest(CM) == revs[6] - 1
    assert cache.events_after(CM, revs[0])[2]  # a watcher that far behind missed events


def test_each_resource_has_its_own_window_and_version():
    store, cache, _ = _cache(min_events=1, max_events=1)
    rev = _cm(store, "a")
    store.create("secrets", {"metadata": {"name": "s", "namespace": "default"}})
    assert cache.version(CM) == rev  # secrets' write does not move configmaps' cache version
    assert cache.version(R.lookup("secrets")) == store.revision
    assert cache.sync(CM) == store.revision  # a consistent read: etcd's progress notification


def test_periodic_progress_notification_moves_a_quiet_resources_version():
    store, cache, clock = _cache(progress_interval=600.0)
    rev = _cm(store, "a")
    store.create("secrets", {"metadata": {"name": "s", "namespace": "default"}})
    assert cache.version(CM) == rev
    clock.t += 600
    assert cache.version(CM) == store.revision


def test_compaction_alone_is_not_seen_by_watches(populated):
    st = populated.store
    rev = st.revision
    st.create("pods", pod("after"))
    populated.faults.compact()
    assert st.compacted_revision == rev + 1
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=5") as w:
        ev = w.next_event()
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "after"
    # a consistent list and a list from the cache are unaffected too
    assert get(populated, "/api/v1/pods")[2]["metadata"]["resourceVersion"] == str(rev + 1)
    assert get(populated, "/api/v1/pods?resourceVersion=0")[0] == 200


def test_expiry_does_not_disturb_watches_that_kept_up(populated):
    rev = populated.store.revision
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=10") as w:
        populated.store.create("pods", pod("one"))
        assert w.next_event()["object"]["metadata"]["name"] == "one"
        populated.faults.expire_watch_cache()
        populated.store.create("pods", pod("two"))
        assert w.next_event()["object"]["metadata"]["name"] == "two"
    # ...but the next watch from its old version is too old
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}") as w:
        ev = w.next_event()
    assert ev["type"] == "ERROR" and ev["object"]["code"] == 410 and ev["object"]["reason"] == "Expired"


def test_a_watch_that_falls_out_of_the_window_is_ended_then_410():
    """The cacher ends a watcher that cannot keep up; its re-watch from where it was gets 410."""
    small = WatchCacheOptions(window=0.0, min_events=5, max_events=5)
    with SimServer(watch_cache=small) as s:
        ensure_ns(s.store, "default")
        rev = s.store.revision
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=30") as w:
            wait_for(lambda: len(s.watches) == 1)
            s.faults.stall_watches(0.5)
            for i in range(20):
                s.store.create("pods", pod(f"burst-{i}"))
            assert list(w.raw_lines()) == []  # ended cleanly, nothing of the lost stretch
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}") as w:
            ev = w.next_event()
        assert ev["type"] == "ERROR" and ev["object"]["code"] == 410


@pytest.mark.parametrize("query", ["resourceVersion=0", "resourceVersion=", "resourceVersion={rev}",
                                   "resourceVersion={rev}&resourceVersionMatch=NotOlderThan"])
def test_lists_served_from_the_cache_carry_the_resources_cache_version(populated, query):
    st = populated.store
    rev = st.revision
    st.create("configmaps", {"metadata": {"name": "elsewhere"}})
    _, _, body = get(populated, "/api/v1/pods?" + query.format(rev=rev))
    # "0" is the cache's own version of pods (configmaps' write did not move it); a
    # consistent read brings it to the store's revision
    want = rev if query.startswith("resourceVersion=0") or "{rev}" in query else st.revision
    assert body["metadata"]["resourceVersion"] == str(want)
