"""RestListerWatcher against the embedded API server (kmon.sim): real HTTP, real semantics."""

from __future__ import annotations

import threading

import pytest

from kmon.cache.errors import (
    ApiStatusError,
    is_connection_refused,
    is_expired,
    is_too_large_resource_version,
    is_too_many_requests,
)
from kmon.cache.listwatch import ListOptions
from kmon.kube import RestListerWatcher, WatchDecodeError, api_client_for, discover, resolve
from kmon.kube._http import TLSError

from waiting import reading_socket, wait_for

from .conftest import client_for_url, ensure_namespace, make_pod


def lw_for(client, name="pods", **kw):
    return RestListerWatcher(client, resolve(discover(client), name), **kw)


def populate(store, n, ns="default", **kw):
    ensure_namespace(store, ns)
    for i in range(n):
        store.create("pods", make_pod(f"p-{i:03d}", ns, **kw), ns)


def test_list_paged_with_continue(sim, sim_client):
    populate(sim.store, 25)
    lw = lw_for(sim_client)
    names, pages, cont, rvs = [], 0, "", set()
    while True:
        page = lw.list(ListOptions(limit=10, continue_=cont or None))  # RV "0" would ignore the limit, as the API server does
        pages += 1
        names += [i["metadata"]["name"] for i in page.items]
        rvs.add(page.resource_version)
        assert all(i["kind"] == "Pod" and i["apiVersion"] == "v1" for i in page.items)
        cont = page.continue_
        if not cont:
            break
        assert page.remaining_item_count == 25 - len(names)
    assert pages == 3 and names == [f"p-{i:03d}" for i in range(25)]
    assert len(rvs) == 1


def test_selectors_and_namespace(sim, sim_client):
    populate(sim.store, 4, "team", labels={"app": "web"})
    ensure_namespace(sim.store, "other")
    sim.store.create("pods", make_pod("db", "team", labels={"app": "db"}, node="node-2"), "team")
    sim.store.create("pods", make_pod("elsewhere", "other", labels={"app": "db"}), "other")
    res = resolve(discover(sim_client), "pods")
    got = RestListerWatcher(sim_client, res, label_selector="app=db").list(ListOptions()).items
    assert sorted(i["metadata"]["name"] for i in got) == ["db", "elsewhere"]
    got = RestListerWatcher(sim_client, res, namespace="team", label_selector="app=db").list(ListOptions()).items
    assert [i["metadata"]["name"] for i in got] == ["db"]
    got = RestListerWatcher(sim_client, res, field_selector="spec.nodeName=node-2").list(ListOptions()).items
    assert [i["metadata"]["name"] for i in got] == ["db"]
    # the selectors apply to watches too
    lw = RestListerWatcher(sim_client, res, namespace="team", label_selector="app=db")
    rv = lw.list(ListOptions()).resource_version
    w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=5))
    sim.store.create("pods", make_pod("web-x", "team", labels={"app": "web"}), "team")
    sim.store.create("pods", make_pod("db-2", "team", labels={"app": "db"}), "team")
    ev = next(iter(w))
    w.stop()
    assert (ev.type, ev.object["metadata"]["name"]) == ("ADDED", "db-2")


def test_watch_from_resource_version(sim, sim_client):
    populate(sim.store, 3)
    lw = lw_for(sim_client)
    rv = lw.list(ListOptions()).resource_version
    sim.store.create("pods", make_pod("new"), "default")
    obj = sim.store.get("pods", "p-000", "default")
    obj["metadata"]["labels"] = {"app": "changed"}
    sim.store.update("pods", obj, "default")
    sim.store.delete("pods", "p-001", "default")
    w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=30))
    it = iter(w)
    got = [next(it) for _ in range(3)]
    w.stop()
    assert [(e.type, e.object["metadata"]["name"]) for e in got] == [("ADDED", "new"), ("MODIFIED", "p-000"), ("DELETED", "p-001")]
    assert got[1].object["metadata"]["labels"] == {"app": "changed"}


def test_bookmarks(tmp_path):
    from kmon.sim import SimServer

    with SimServer(bookmark_interval=0.2) as srv:
        c = client_for_url(srv.url, srv.token)
        try:
            lw = lw_for(c)
            ensure_namespace(srv.store, "default")
            rv = lw.list(ListOptions()).resource_version
            w = lw.watch(ListOptions(resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=30))
            it = iter(w)
            # a bookmark comes once the resource's cache version passed the watch's (an event)
            srv.store.create("pods", make_pod("a"), "default")
            evs = [next(it), next(it)]
            w.stop()
            assert [e.type for e in evs] == ["ADDED", "BOOKMARK"]
            assert evs[1].object["metadata"]["resourceVersion"] == evs[0].object["metadata"]["resourceVersion"]
        finally:
            c.close()


def test_watch_expired_error_event(sim, sim_client):
    populate(sim.store, 3)
    lw = lw_for(sim_client)
    old = lw.list(ListOptions()).resource_version
    populate(sim.store, 3, "second")
    sim.faults.compact()  # storage alone: the watch cache still serves the old version
    w = lw.watch(ListOptions(resource_version=old, timeout_seconds=30))
    it = iter(w)
    got = [next(it) for _ in range(3)]
    w.stop()
    assert [e.type for e in got] == ["ADDED"] * 3
    sim.faults.expire_watch_cache()
    w = lw.watch(ListOptions(resource_version=old, timeout_seconds=30))
    events = list(w)
    assert events[-1].type == "ERROR"
    err = ApiStatusError.from_status(events[-1].object)
    assert is_expired(err) and err.code == 410


def test_too_large_resource_version(sim, sim_client):
    lw = lw_for(sim_client)
    with pytest.raises(ApiStatusError) as ei:
        lw.list(ListOptions(resource_version=str(sim.store.revision + 1000)))
    assert is_too_large_resource_version(ei.value)


def test_unauthorized(sim):
    c = client_for_url(sim.url, "wrong-token")
    try:
        with pytest.raises(ApiStatusError) as ei:
            RestListerWatcher(c, resolve(discover(client_for_url(sim.url)), "pods")).list(ListOptions())
        assert ei.value.code == 401
        assert "wrong-token" not in str(ei.value)
    finally:
        c.close()


def test_forbidden(sim, sim_client):
    lw = lw_for(sim_client)
    sim.faults.forbid("pods")
    with pytest.raises(ApiStatusError) as ei:
        lw.list(ListOptions())
    assert ei.value.code == 403 and ei.value.reason == "Forbidden"
    with pytest.raises(ApiStatusError):
        lw.watch(ListOptions())


def test_too_many_requests_retry_after(sim, sim_client):
    lw = lw_for(sim_client)
    sim.faults.fail_next(1, 429, retry_after=3)
    with pytest.raises(ApiStatusError) as ei:
        lw.list(ListOptions())
    assert is_too_many_requests(ei.value) and ei.value.retry_after == 3.0
    sim.faults.fail_next(1, 500)
    with pytest.raises(ApiStatusError) as ei:
        lw.watch(ListOptions())
    assert ei.value.code == 500
    assert lw.list(ListOptions()).items == []


def test_malformed_line(sim, sim_client):
    populate(sim.store, 1)
    lw = lw_for(sim_client)
    rv = lw.list(ListOptions()).resource_version
    w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=30))
    it = iter(w)
    wait_for(lambda: sim.watches.all(), 5, "the watch open on the server")
    assert sim.faults.send_malformed_line() == 1
    with pytest.raises(WatchDecodeError):
        next(it)
    w.stop()


def test_connection_refused(sim, sim_client):
    lw = lw_for(sim_client)
    sim.faults.refuse_connections(1.0)
    with pytest.raises(OSError) as ei:
        lw.list(ListOptions())
    assert isinstance(ei.value, ConnectionRefusedError) and is_connection_refused(ei.value)

    def listed():
        try:
            return lw.list(ListOptions())
        except ConnectionRefusedError:
            return None

    wait_for(listed, 5, "the server back", step=0.05)


def test_stalled_watch_inactivity_timeout(sim, sim_client):
    """Silent for the inactivity limit past its own timeoutSeconds: given up (the last
    resort; the health check is in test_liveness.py)."""
    lw = lw_for(sim_client, inactivity_timeout=0.5)
    rv = lw.list(ListOptions()).resource_version
    ensure_namespace(sim.store, "default")
    sim.faults.stall_watches(5)
    w = lw.watch(ListOptions(resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=1))
    sim.store.create("pods", make_pod("during-stall"), "default")
    # the stall outlasts the limit: the message says the inactivity limit ended it
    with pytest.raises(TimeoutError, match="no data from server for 1.5 s, well past its own 1 s timeout"):
        list(w)
    sim.faults.reset()


def test_stop_from_another_thread(sim, sim_client):
    lw = lw_for(sim_client, inactivity_timeout=60)
    rv = lw.list(ListOptions()).resource_version
    w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=60))
    done = threading.Event()
    reader = threading.Thread(target=lambda: (list(w), done.set()), daemon=True)
    reader.start()
    wait_for(lambda: reading_socket(reader), 5, "the reader blocked on its socket")
    w.stop()
    assert done.wait(5.0)  # the watch lasts 60 s and the server is silent: only stop() ends it


def test_metadata_only(sim, sim_client):
    populate(sim.store, 2, labels={"app": "web"})
    lw = lw_for(sim_client, metadata_only=True)
    page = lw.list(ListOptions())
    assert [i["kind"] for i in page.items] == ["PartialObjectMetadata"] * 2
    assert all("spec" not in i and i["metadata"]["labels"] == {"app": "web"} for i in page.items)
    w = lw.watch(ListOptions(resource_version=page.resource_version, timeout_seconds=30))
    sim.store.create("pods", make_pod("m"), "default")
    ev = next(iter(w))
    w.stop()
    assert ev.type == "ADDED" and ev.object["kind"] == "PartialObjectMetadata" and "spec" not in ev.object
    full = lw.get_full("default", "m")
    assert full["kind"] == "Pod" and full["spec"]["containers"][0]["image"] == "nginx:1.27"
    with pytest.raises(ApiStatusError) as ei:
        lw.get_full("default", "absent")
    assert ei.value.code == 404


def test_tls_with_written_ca(tmp_path):
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import write_kubeconfig

    with SimServer(tls=True) as srv:
        assert srv.url.startswith("https://") and srv.ca_data
        path = write_kubeconfig(tmp_path / "kc", [("tls", srv)])
        c = api_client_for(kubeconfig=path)
        try:
            assert c.configuration.verify_ssl
            populate(srv.store, 2)
            lw = lw_for(c, inactivity_timeout=30)
            page = lw.list(ListOptions())
            assert len(page.items) == 2
            # a watch over TLS: events arrive, and stop() from another thread unblocks it
            w = lw.watch(ListOptions(resource_version=page.resource_version, timeout_seconds=60))
            got, done = [], threading.Event()

            def consume():
                for e in w:
                    got.append(e)
                done.set()

            threading.Thread(target=consume, daemon=True).start()
            srv.store.create("pods", make_pod("tls-pod"), "default")
            wait_for(lambda: got, 5, "the first event over TLS")
            assert got[0].object["metadata"]["name"] == "tls-pod"
            w.stop()
            assert done.wait(5)  # a 60 s watch with an inactivity limit of 30 s: only stop() ends it
        finally:
            c.close()
        # without the CA the server's certificate is not trusted
        bare = client_for_url(srv.url, srv.token)
        try:
            with pytest.raises(TLSError) as ei:
                discover(bare)
            assert isinstance(ei.value, OSError) and "TLS" in str(ei.value)
        finally:
            bare.close()


def test_exec_plugin_token_is_refreshed_per_request(sim, tmp_path):
    """The official loader's refresh hook runs through our raw requests: an exec credential
    about to expire is fetched again (here: on every request)."""
    import datetime
    import stat
    import sys

    import yaml

    counter = tmp_path / "runs"
    plugin = tmp_path / "plugin.py"
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    plugin.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib\n"
        f"p = pathlib.Path({str(counter)!r}); p.write_text(str(int(p.read_text() or 0) + 1) if p.exists() else '1')\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',\n"
        f"  'status': {{'token': {sim.token!r}, 'expirationTimestamp': {soon!r}}}}}))\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    kc = tmp_path / "kc.yaml"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "c", "cluster": {"server": sim.url}}],
        "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    }))
    c = api_client_for(kubeconfig=str(kc))
    try:
        runs = int(counter.read_text())
        lw = lw_for(c)
        lw.list(ListOptions())
        lw.list(ListOptions())
        assert int(counter.read_text()) >= runs + 2
    finally:
        c.close()
