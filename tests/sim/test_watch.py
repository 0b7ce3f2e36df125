"""Watch: from a version, initial events, bookmarks, timeouts, selectors, errors."""

import time

import kubernetes
import pytest

from kmon.sim import SimServer

from .helpers import RawWatch, ensure_ns, get, pod


def test_watch_from_version_with_official_client(populated, api):
    st = populated.store
    rv = st.revision
    st.create("pods", pod("new"))
    obj = st.get("pods", "p-00")
    obj["metadata"]["labels"]["x"] = "y"
    st.update("pods", obj)
    st.delete("pods", "p-01")
    core = kubernetes.client.CoreV1Api(api)
    w = kubernetes.watch.Watch()
    seen = []
    for ev in w.stream(core.list_namespaced_pod, "default", resource_version=str(rv), timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name, int(ev["object"].metadata.resource_version)))
        if len(seen) == 3:
            w.stop()
    assert [s[:2] for s in seen] == [("ADDED", "new"), ("MODIFIED", "p-00"), ("DELETED", "p-01")]
    assert [s[2] for s in seen] == [rv + 1, rv + 2, rv + 3]


def test_watch_without_rv_sends_current_state_then_live(populated):
    with RawWatch(populated, "/api/v1/namespaces/team/pods?watch=1&timeoutSeconds=10") as w:
        assert w.status == 200
        first = [w.next_event() for _ in range(3)]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in first] == [("ADDED", "t-0"), ("ADDED", "t-1"), ("ADDED", "t-2")]
        populated.store.create("pods", pod("t-9", "team"))
        ev = w.next_event()
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "t-9"
    with RawWatch(populated, "/api/v1/namespaces/team/pods?watch=true&resourceVersion=0&timeoutSeconds=10") as w:
        assert len([w.next_event() for _ in range(4)]) == 4


def test_timeout_seconds_ends_stream_cleanly(populated):
    t0 = time.monotonic()
    with RawWatch(populated, "/api/v1/namespaces/team/pods?watch=1&resourceVersion=%d&timeoutSeconds=1" % populated.store.revision) as w:
        assert list(w.raw_lines()) == []  # ends with the terminating chunk (no exception)
    assert 0.9 <= time.monotonic() - t0 < 4  # the timeout is the behaviour under test: not early, not ignored


def test_bookmarks_once_the_cache_version_passed_the_watch():
    with SimServer(bookmark_interval=0.2) as s:
        ensure_ns(s.store, "default")
        rev = s.store.revision
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&allowWatchBookmarks=true&timeoutSeconds=10") as w:
            s.store.create("pods", pod("a"))
            assert w.next_event()["type"] == "ADDED"
            ev = w.next_event()  # then every interval, at the resource's cache version
            assert ev == {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1",
                                                         "metadata": {"resourceVersion": str(rev + 1)}}}
            assert w.next_event() == ev
        # without allowWatchBookmarks: no bookmarks at all
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=1") as w:
            assert [e["type"] for e in w.events()] == ["ADDED"]


def test_a_bookmark_never_runs_ahead_of_an_event_the_watch_has_not_sent():
    """A write landing just as a bookmark falls due is sent before any bookmark at or past
    its version (kube-apiserver's cacheWatcher dispatches both through one queue). A
    bookmark ahead of it would let a client whose watch ends there re-watch past the event
    and miss it for good."""
    with SimServer(bookmark_interval=0.2) as s:
        ensure_ns(s.store, "default")
        rev = s.store.revision
        real_version = s.cache.version
        wrote = []

        def version_with_a_write_in_between(res):  # the race, made certain: a write right here
            if not wrote and res.key == "pods":
                wrote.append(s.store.create("pods", pod("racer")))
            return real_version(res)

        s.cache.version = version_with_a_write_in_between
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&allowWatchBookmarks=true&timeoutSeconds=10") as w:
            s.store.create("pods", pod("a"))
            seen = [w.next_event() for _ in range(3)]
        sent = [(e["type"], int(e["object"]["metadata"]["resourceVersion"])) for e in seen]
        racer = int(wrote[0]["metadata"]["resourceVersion"])
        bookmarks = [v for t, v in sent if t == "BOOKMARK"]
        assert ("ADDED", racer) in sent
        assert all(sent.index(("ADDED", racer)) < sent.index(("BOOKMARK", b)) for b in bookmarks if b >= racer), sent


def test_a_quiet_resource_gets_no_bookmarks():
    """Real: a quiet watch got none -- a bookmark carries the resource's cache version, and
    is sent only once that passed the watch's version; writes to other resources do not
    move it."""
    with SimServer(bookmark_interval=0.2) as s:
        ensure_ns(s.store, "default")
        rev = s.store.revision
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&allowWatchBookmarks=true&timeoutSeconds=3") as w:
            s.store.create("configmaps", {"metadata": {"name": "elsewhere"}})
            assert list(w.raw_lines()) == []  # nothing, then the clean end at the timeout


def test_a_bookmark_comes_before_the_timeout():
    """Real: one bookmark 2 s before timeoutSeconds (here well before the 60 s interval)."""
    with SimServer() as s:
        assert s.bookmark_interval == 60.0  # kube-apiserver's bookmark frequency
        ensure_ns(s.store, "default")
        rev = s.store.revision
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rev}&allowWatchBookmarks=true&timeoutSeconds=3") as w:
            s.store.create("pods", pod("a"))
            evs = list(w.events())
        assert [e["type"] for e in evs] == ["ADDED", "BOOKMARK"]
        assert evs[1]["object"]["metadata"]["resourceVersion"] == str(rev + 1)


def test_send_initial_events(populated):
    rev = populated.store.revision
    path = ("/api/v1/namespaces/team/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
            "&allowWatchBookmarks=true&resourceVersion=&timeoutSeconds=10")
    with RawWatch(populated, path) as w:
        evs = [w.next_event() for _ in range(4)]
        assert [e["type"] for e in evs] == ["ADDED"] * 3 + ["BOOKMARK"]
        bm = evs[3]["object"]
        assert bm["metadata"] == {"resourceVersion": str(rev), "annotations": {"k8s.io/initial-events-end": "true"}}
        populated.store.create("pods", pod("t-new", "team"))
        assert w.next_event()["object"]["metadata"]["name"] == "t-new"
    assert get(populated, "/api/v1/pods?watch=1&sendInitialEvents=true")[0] == 422


def test_send_initial_events_without_bookmarks_sends_no_end_bookmark(populated):
    path = ("/api/v1/namespaces/team/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
            "&resourceVersion=&timeoutSeconds=10")
    with RawWatch(populated, path) as w:
        evs = [w.next_event() for _ in range(3)]
        populated.store.create("pods", pod("t-new", "team"))
        nxt = w.next_event()
    assert [e["type"] for e in evs] == ["ADDED"] * 3
    assert nxt["type"] == "ADDED" and nxt["object"]["metadata"]["name"] == "t-new"  # no BOOKMARK between


def test_selector_transitions_on_watch(populated):
    st = populated.store
    rev = st.revision
    with RawWatch(populated, f"/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dweb&resourceVersion={rev}&timeoutSeconds=10") as w:
        o = st.get("pods", "p-00")
        o["metadata"]["labels"]["app"] = "db"  # stops matching
        st.update("pods", o)
        o = st.get("pods", "p-01")
        o["metadata"]["labels"]["app"] = "web"  # starts matching
        st.update("pods", o)
        st.delete("pods", "p-03")  # never matched: nothing
        o = st.get("pods", "p-02")
        o["metadata"]["annotations"] = {"a": "b"}
        st.update("pods", o)
        evs = [w.next_event() for _ in range(3)]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == [("DELETED", "p-00"), ("ADDED", "p-01"), ("MODIFIED", "p-02")]
    assert evs[0]["object"]["metadata"]["labels"]["app"] == "web"  # previous state...
    assert evs[0]["object"]["metadata"]["resourceVersion"] == str(rev + 1)  # ...at the event's revision


def test_field_selector_and_named_watch(populated):
    st = populated.store
    rev = st.revision
    with RawWatch(populated, f"/api/v1/namespaces/default/pods/p-05?watch=1&resourceVersion={rev}&timeoutSeconds=10") as w:
        for n in ("p-04", "p-05"):
            o = st.get("pods", n)
            o["metadata"]["annotations"] = {"touched": "1"}
            st.update("pods", o)
        ev = w.next_event()
    assert ev["object"]["metadata"]["name"] == "p-05"


def test_watch_410_when_the_watch_cache_no_longer_holds_the_version(populated, api):
    rev = populated.store.revision
    populated.store.create("pods", pod("x"))
    populated.faults.compact()  # storage alone: the watch cache still serves
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev - 1}&timeoutSeconds=5") as w:
        assert [w.next_event()["object"]["metadata"]["name"] for _ in range(2)] == ["t-2", "x"]
    populated.faults.expire_watch_cache()
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev - 1}") as w:
        assert w.status == 200
        evs = list(w.events())
    assert len(evs) == 1 and evs[0]["type"] == "ERROR"
    st = evs[0]["object"]
    assert st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": f"too old resource version: {rev - 1} ({rev + 2})", "reason": "Expired", "code": 410}
    # the official client surfaces it as an ApiException 410
    w = kubernetes.watch.Watch()
    with pytest.raises(kubernetes.client.ApiException) as ei:
        for _ in w.stream(kubernetes.client.CoreV1Api(api).list_pod_for_all_namespaces, resource_version=str(rev - 1), timeout_seconds=3):
            pass
    assert ei.value.status == 410


def test_watch_from_a_future_version_is_silent_until_timeout(populated):
    """Real: HTTP 200 and a silent stream until events pass that version or the timeout."""
    rev = populated.store.revision
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev + 50}&allowWatchBookmarks=true"
                  f"&timeoutSeconds=1") as w:
        assert w.status == 200
        assert list(w.raw_lines()) == []


def test_watch_from_a_future_version_gets_the_events_after_it(populated):
    st = populated.store
    rev = st.revision
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev + 2}&timeoutSeconds=10") as w:
        assert w.status == 200
        for n in ("f1", "f2", "f3"):
            st.create("pods", pod(n))
        ev = w.next_event()
    assert ev["object"]["metadata"]["name"] == "f3" and ev["object"]["metadata"]["resourceVersion"] == str(rev + 3)


def test_metadata_only_watch(populated):
    rev = populated.store.revision
    hdr = {"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"}
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}&allowWatchBookmarks=1&timeoutSeconds=10", hdr) as w:
        populated.store.create("pods", pod("meta"))
        ev = w.next_event()
    assert ev["type"] == "ADDED" and ev["object"]["kind"] == "PartialObjectMetadata"
    assert ev["object"]["apiVersion"] == "meta.k8s.io/v1" and set(ev["object"]) == {"kind", "apiVersion", "metadata"}


def test_watch_many_events_in_order(populated):
    st = populated.store
    rev = st.revision
    for i in range(2000):
        st.patch("pods", "p-00", {"metadata": {"annotations": {"n": str(i)}}})
    with RawWatch(populated, f"/api/v1/namespaces/default/pods?watch=1&resourceVersion={rev}&timeoutSeconds=10") as w:
        evs = [w.next_event() for _ in range(2000)]
    assert [int(e["object"]["metadata"]["resourceVersion"]) for e in evs] == list(range(rev + 1, rev + 2001))
