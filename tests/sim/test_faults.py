"""Every fault, from Python and from the admin endpoint."""

import errno
import socket
import time

import pytest

from kmon.sim import SimServer
from kmon.sim import resources as R
from kmon.sim.watch_cache import WatchCacheOptions

from waiting import wait_for

from .helpers import RawWatch, ensure_ns, get, pod, read_to_eof, request, server_up


def _open_watch(s, extra=""):
    w = RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={s.store.revision}&timeoutSeconds=30{extra}")
    assert w.status == 200
    wait_for(lambda: len(s.watches) > 0)
    return w


def _raw_stream(s):
    sock = socket.create_connection((s.host, s.port), timeout=5)
    sock.sendall(f"GET /api/v1/pods?watch=1&resourceVersion={s.store.revision}&timeoutSeconds=30 HTTP/1.1\r\n"
                 f"Host: x\r\nAuthorization: Bearer {s.token}\r\n\r\n".encode())
    head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 200") and b"chunked" in head.lower()
    wait_for(lambda: len(s.watches) > 0)
    return sock


def test_drop_watches_closes_abruptly(populated):
    sock = _raw_stream(populated)
    assert populated.faults.drop_watches() == 1
    assert not read_to_eof(sock).endswith(b"0\r\n\r\n")  # no terminating chunk
    sock.close()
    wait_for(lambda: len(populated.watches) == 0)
    assert get(populated, "/api/v1/pods")[0] == 200  # the server itself is fine


def test_drop_watches_seen_by_official_client(populated, api):
    import threading

    import kubernetes
    import urllib3

    core = kubernetes.client.CoreV1Api(api)
    w = kubernetes.watch.Watch()
    seen = []

    def drop_when_streaming():
        wait_for(lambda: len(populated.watches) > 0)
        populated.faults.drop_watches()

    threading.Thread(target=drop_when_streaming).start()
    with pytest.raises(urllib3.exceptions.ProtocolError):
        for ev in w.stream(core.list_pod_for_all_namespaces, resource_version=str(populated.store.revision),
                           timeout_seconds=20):
            seen.append(ev)
    assert seen == []


def test_refuse_connections_then_recover(populated):
    port = populated.port
    sock = _raw_stream(populated)
    populated.faults.refuse_connections(0.5)
    with pytest.raises(OSError) as ei:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert ei.value.errno == errno.ECONNREFUSED
    assert not read_to_eof(sock).endswith(b"0\r\n\r\n")  # open watches were cut too
    sock.close()

    def back():
        try:
            return get(populated, "/api/v1/pods")[0] == 200
        except OSError:
            return False

    wait_for(back, timeout=5, step=0.05)
    assert populated.port == port


def test_stall_watches(populated):
    with SimServer(bookmark_interval=0.05) as s:
        ensure_ns(s.store, "default")
        w = _open_watch(s, "&allowWatchBookmarks=true")
        s.store.create("pods", pod("before-stall"))  # the cache version passes the watch's: bookmarks flow
        assert w.next_event()["type"] == "ADDED"
        assert w.next_event()["type"] == "BOOKMARK"
        t0 = time.monotonic()
        s.faults.stall_watches(0.8)
        rv = s.store.revision
        s.store.create("pods", pod("during-stall"))
        w.conn.sock.settimeout(0.4)
        with pytest.raises(socket.timeout):
            w.resp.readline()  # no bytes at all, not even bookmarks
        w.close()
        # a watch opened during the stall is stalled too, then gets the buffered event
        with RawWatch(s, f"/api/v1/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=5") as w2:
            ev = w2.next_event()
            assert time.monotonic() - t0 >= 0.8
            while ev["type"] == "BOOKMARK":
                ev = w2.next_event()
            assert ev["object"]["metadata"]["name"] == "during-stall"


def test_stalled_stream_delivers_buffered_events_afterwards(populated):
    w = _open_watch(populated)
    t0 = time.monotonic()
    populated.faults.stall_watches(0.3)
    populated.store.create("pods", pod("buffered"))
    ev = w.next_event()
    assert ev["object"]["metadata"]["name"] == "buffered" and time.monotonic() - t0 >= 0.3
    w.close()


def test_send_malformed_line(populated):
    w = _open_watch(populated)
    assert populated.faults.send_malformed_line() == 1
    line = w.resp.readline()
    with pytest.raises(ValueError):
        import orjson

        orjson.loads(line)
    populated.store.create("pods", pod("after"))
    assert w.next_event()["object"]["metadata"]["name"] == "after"  # the stream continues
    w.close()


def test_jump_revision(populated):
    rev = populated.store.revision
    assert populated.faults.jump_revision(1000) == rev + 1000
    p = populated.store.create("pods", pod("j"))
    assert p["metadata"]["resourceVersion"] == str(rev + 1001)
    _, _, body = get(populated, "/api/v1/pods?limit=1")
    assert body["metadata"]["resourceVersion"] == str(rev + 1001)
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=5") as w:
        assert w.next_event()["object"]["metadata"]["name"] == "j"


def test_compact_storage_leaves_watches_to_the_watch_cache(populated):
    rev = populated.store.revision
    populated.store.create("pods", pod("c"))
    assert populated.faults.compact() == rev + 1
    assert populated.store.compacted_revision == rev + 1
    # a watch from below the compacted revision is served by the watch cache: no 410
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=5") as w:
        ev = w.next_event()
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "c"


def test_expire_watch_cache(populated):
    rev = populated.store.revision
    populated.store.create("pods", pod("c"))
    # the history is gone; the revision moved on by one (the writes that pushed it out)
    assert populated.faults.expire_watch_cache() == rev + 2
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev + 2}&timeoutSeconds=1") as w:
        assert list(w.raw_lines()) == []  # from the oldest version still held: fine
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev + 1}") as w:
        assert w.next_event()["object"]["message"] == f"too old resource version: {rev + 1} ({rev + 2})"


def test_history_limit_compacts_automatically():
    small = WatchCacheOptions(window=0.0, min_events=10, max_events=10)
    with SimServer(history_limit=10, watch_cache=small) as s:
        ensure_ns(s.store, "default")
        for i in range(1500):
            s.store.create("configmaps", {"metadata": {"name": f"c{i}"}})
        assert s.store.compacted_revision > 1
        # neither the watch cache (10 events) nor storage (compacted) holds revision 2
        assert get(s, "/api/v1/configmaps?resourceVersion=2&resourceVersionMatch=Exact")[0] == 410


def test_admin_endpoint(populated):
    status, _, body = request(populated, "POST", "/_kmon/faults/fail_next?n=1&code=429&retry_after=2")
    assert status == 200 and body["status"] == "Success"
    status, headers, _ = get(populated, "/api/v1/pods")
    assert status == 429 and headers["retry-after"] == "2"
    assert request(populated, "POST", "/_kmon/faults/forbid?resource=pods")[0] == 200
    assert get(populated, "/api/v1/pods")[0] == 403
    assert request(populated, "POST", "/_kmon/faults/allow")[0] == 200
    assert get(populated, "/api/v1/pods")[0] == 200
    rev = populated.store.revision
    status, _, body = request(populated, "POST", "/_kmon/faults/jump_revision?delta=50")
    assert body["details"]["result"] == rev + 50
    assert request(populated, "POST", "/_kmon/faults/compact")[2]["details"]["result"] == rev + 50
    assert request(populated, "POST", "/_kmon/faults/expire_watch_cache?resource=pods")[2]["details"]["result"] == rev + 51
    assert populated.cache.oldest(R.lookup("pods")) == rev + 51 and populated.cache.oldest(R.lookup("secrets")) < rev
    w = _open_watch(populated)
    assert request(populated, "POST", "/_kmon/faults/send_malformed_line")[2]["details"]["result"] == 1
    assert request(populated, "POST", "/_kmon/faults/drop_watches")[2]["details"]["result"] == 1
    w.close()
    assert request(populated, "POST", "/_kmon/faults/stall_watches?seconds=0.1")[0] == 200
    assert request(populated, "POST", "/_kmon/faults/nope")[0] == 404
    assert request(populated, "POST", "/_kmon/faults/compact", token="bad")[0] == 401
    assert request(populated, "POST", "/_kmon/faults/refuse_connections?seconds=0.3")[0] == 200
    wait_for(lambda: server_up(populated), timeout=5, step=0.05)
    assert all(not r.path.startswith("/_kmon") for r in populated.requests)


def test_every_fault_has_a_one_line_help_text():
    """``kmon sim --help`` lists the faults from their docstrings' first lines."""
    from kmon.sim.faults import FAULT_NAMES, Faults

    assert {"compact", "expire_watch_cache", "restart", "refuse_connections", "drop_watches"} <= FAULT_NAMES
    for name in FAULT_NAMES:
        first = (getattr(Faults, name).__doc__ or "").strip().splitlines()[0]
        assert first.endswith(".") and 20 < len(first) <= 120, (name, first)
