import threading

import pytest

from kmon.monitor.feed import Feed, SessionItem
from kmon.monitor.contexts import Monitor
from kmon.monitor.session import ContextSession, SessionState
from kmon.monitor.session_options import DEFAULT_RESOURCES

from waiting import wait_for

from .conftest import Churner

pytestmark = pytest.mark.timeout(60)


def _threads_of_ours():
    return {t for t in threading.enumerate() if t.name.startswith(("kmon-informer", "kmon-session", "kmon-reflector", "kmon-verify"))}


def _session_items(feed_items, context=None):
    return [i for i in feed_items if isinstance(i, SessionItem) and (context is None or i.context == context)]


def _server_view(srv, resource):
    out = {}
    for o in srv.store.list(resource):
        md = o["metadata"]
        key = f"{md['namespace']}/{md['name']}" if md.get("namespace") else md["name"]
        out[key] = md["resourceVersion"]
    return out


def _cache_view(handle):
    idx = handle.informer.indexer
    return {k: idx.get_by_key(k)[0]["metadata"]["resourceVersion"] for k in idx.list_keys()}


def test_default_resources_sync_and_follow_churn(sim, kubeconfig):
    before = set(threading.enumerate())
    churn = Churner(sim).start()
    feed = Feed()
    s = ContextSession("good", kubeconfig=kubeconfig, feed=feed)
    try:
        assert s.start() is s  # returns at once
        assert s.wait_ready(10), s.error
        assert s.wait_synced(15)
        assert set(s.resources) == set(DEFAULT_RESOURCES)
        assert {r.full_name for r in s.available_resources} >= set(DEFAULT_RESOURCES)
        for h in s.resources.values():
            assert h.thread.name == f"kmon-informer-good-{h.full_name}" and not h.thread.daemon
        # churn flows through the open watches
        wait_for(lambda: sum(s.stats()["pods"].events.values()) >= 20, 10, "churned pods through the watch")
        churn.stop()
        for res in ("pods", "configmaps", "namespaces"):
            h = s.resources[res]
            wait_for(lambda: _cache_view(h) == _server_view(sim, res), 10, f"{res} cache == server")
        stats = s.stats()
        assert set(stats) == set(DEFAULT_RESOURCES) and stats["pods"].synced
        items = feed.drain()
        states = [(i.resource, i.state) for i in _session_items(items)]
        assert (None, "ready") in states and ("pods", "started") in states
        assert any(getattr(i, "resource", None) == "pods" and type(i).__name__ == "DeltaItem" for i in items)
    finally:
        churn.stop()
        assert s.stop(timeout=1.0)  # True: every thread ended within that second
    assert not _threads_of_ours()
    leaked = {t for t in set(threading.enumerate()) - before if not t.name.startswith("kmon-sim")}
    assert not leaked, leaked


def test_failing_contexts_report_clear_errors_while_another_works(sim, kubeconfig):
    feed = Feed()
    with Monitor(feed, kubeconfig=kubeconfig) as mon:
        good = mon.open_context("good", resources=["pods"])
        bad = {name: mon.open_context(name, resources=["pods"]) for name in ("badtoken", "unreachable", "nouser", "noplugin", "nosuch")}
        assert good.wait_synced(10)
        for name, s in bad.items():
            assert not s.wait_ready(10), name
            assert s.state == "failed" and s.error
        assert "401" in bad["badtoken"].error and "unauthorized" in bad["badtoken"].error
        assert "connection refused" in bad["unreachable"].error
        assert "nosuch" in bad["nosuch"].error and "not found" in bad["nosuch"].error
        assert "missing-user" in bad["nouser"].error
        assert "kmon-no-such-credential-plugin" in bad["noplugin"].error and "not installed" in bad["noplugin"].error
        items = feed.drain()
        for name in bad:
            errs = [i for i in _session_items(items, name) if i.level == "error"]
            assert errs and errs[0].state == "failed", name
        text = " ".join(i.message for i in _session_items(items))
        assert "wrong-token-value" not in text and "t0ken" not in text and "tok-unreachable" not in text
        assert bad["badtoken"].resources == {} and good.resources["pods"].has_synced()
        assert set(mon.sessions) == {"good", *bad}
        assert good.failed_resources == {} and "pods" in bad["badtoken"].failed_resources
    assert not _threads_of_ours()


def test_forbidden_resource_fails_alone(sim, kubeconfig):
    Churner(sim)  # some content
    sim.faults.forbid("configmaps")
    feed = Feed()
    s = ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["pods", "configmaps", "namespaces"])
    s.start()
    try:
        assert s.wait_synced(10, names=["pods", "namespaces"])
        cm = s.resources["configmaps"]
        wait_for(lambda: cm.error, 10, "configmaps error")
        assert "403" in cm.error
        assert not cm.has_synced() and cm.running
        wait_for(lambda: cm.informer.stats().errors, 5, "the informer counts the error")
        assert "403" in cm.informer.stats().last_error
        assert s.resources["pods"].error is None
        items = feed.drain()
        errs = [i for i in _session_items(items) if i.resource == "configmaps" and i.level == "error"]
        assert errs and "403" in errs[0].message
        assert s.state == "ready" and s.error is None
        # allowed again: the reflector's retry lists it and the handle recovers
        sim.faults.allow("configmaps")
        wait_for(lambda: cm.has_synced(), 15, "configmaps synced after allow")
        wait_for(lambda: cm.error is None, 5, "configmaps recovered")
        assert any(i.resource == "configmaps" and i.state == "ready" for i in _session_items(feed.drain()))
    finally:
        assert s.stop(1.0)
    assert not _threads_of_ours()


def test_unknown_resource_is_rejected_once_and_the_others_run(sim, kubeconfig):
    feed = Feed()
    with ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["pods", "nosuchthings"]) as s:
        assert s.wait_synced(10)
        assert set(s.resources) == {"pods"}
        assert set(s.unknown_resources) == {"nosuchthings"} and s.failed_resources == {}
        assert str(s.unknown_resources["nosuchthings"]) == 'the server doesn\'t have a resource type "nosuchthings"'
        assert s.start_resource("nosuchthings") is None  # asked again: not said again
        assert s.start_resource("nonsense") is None and "nonsense" in s.unknown_resources
        h = s.start_resource("cm")  # kubectl spelling
        assert h is not None and h.full_name == "configmaps" and s.start_resource("configmaps") is h
        assert s.stop_resource("cm")
        assert "configmaps" not in s.resources and not h.thread.is_alive()
        assert not s.stop_resource("configmaps")
        items = _session_items(feed.drain())
    rejected = [i for i in items if i.state == "rejected"]
    assert [i.detail["resource"] for i in rejected] == ["nosuchthings", "nonsense"]
    assert all(i.resource is None and i.level == "error" for i in rejected)
    assert rejected[0].message == 'good: error: the server doesn\'t have a resource type "nosuchthings"'
    assert not any(i.resource in ("nosuchthings", "nonsense") for i in items)  # never a resource
    assert not _threads_of_ours()


def test_verify_ok_then_reports_missing_extra_and_stale(sim, kubeconfig):
    Churner(sim)
    feed = Feed()
    with ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["pods"]) as s:
        assert s.wait_synced(10)
        r = s.verify("pods")
        assert r.ok and r.server_count == r.cache_count == sim.store.count("pods") and r.server_rv
        idx = s.resources["pods"].informer.indexer
        key = sorted(idx.list_keys())[0]
        obj, _ = idx.get_by_key(key)
        idx.delete(obj)  # behind the informer's back
        fake = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ghost", "namespace": "shop", "resourceVersion": "1"}}
        idx.add(fake)
        key2 = sorted(idx.list_keys())[1]
        obj2, _ = idx.get_by_key(key2)
        idx.update({**obj2, "metadata": {**obj2["metadata"], "resourceVersion": "2"}})
        r = s.verify("po", attempts=2, settle=0.2)
        assert not r.ok
        assert r.missing == [key] and r.extra == ["shop/ghost"]
        assert r.stale == [(key2, "2", obj2["metadata"]["resourceVersion"])]
        verified = [i for i in _session_items(feed.drain()) if i.state == "verified"]
        assert [i.level for i in verified] == ["info", "warning"]
        assert verified[1].detail["missing"] == [key] and "1 missing" in verified[1].message
        with pytest.raises(KeyError):
            s.verify("nodes")


def test_verify_under_churn_is_ok(sim, kubeconfig):
    churn = Churner(sim, rate=300).start()
    try:
        with ContextSession("good", kubeconfig=kubeconfig, resources=["pods", "configmaps"]) as s:
            assert s.wait_synced(10)
            for res in ("pods", "configmaps"):
                r = s.verify(res)
                assert r.ok, r
    finally:
        churn.stop()


def test_metadata_only_and_get_full(sim, kubeconfig):
    Churner(sim)
    with ContextSession("good", kubeconfig=kubeconfig, resources=["pods"], metadata_only=True) as s:
        assert s.wait_synced(10)
        idx = s.resources["pods"].informer.indexer
        key = idx.list_keys()[0]
        obj, _ = idx.get_by_key(key)
        assert "spec" not in obj
        ns, name = key.split("/")
        full = s.get_full("pods", ns, name)
        assert full["spec"]["containers"][0]["image"] == "nginx"
        cm = sim.store.list("configmaps")[0]["metadata"]
        assert s.get_full("configmaps", cm["namespace"], cm["name"])["data"]


def test_namespace_scope(sim, kubeconfig):
    Churner(sim)
    with ContextSession("good", kubeconfig=kubeconfig, resources=["pods", "nodes"], namespace="payments") as s:
        assert s.wait_synced(10)
        keys = s.resources["pods"].informer.indexer.list_keys()
        assert keys and all(k.startswith("payments/") for k in keys)
        assert len(keys) == sim.store.count("pods", "payments")


def test_stop_before_discovery_finishes_and_twice(sim, kubeconfig):
    s = ContextSession("good", kubeconfig=kubeconfig)
    assert s.state is SessionState.NEW
    s.start()
    assert s.stop(2.0)
    assert s.stop()
    assert s.state == "stopped" and s.state is SessionState.STOPPED and f"{s.state}" == "stopped"
    assert s.start_resource("pods") is None
    assert not _threads_of_ours()


def test_monitor_reopen_close_and_stats(sim, kubeconfig):
    mon = Monitor(kubeconfig=kubeconfig)
    s = mon.open_context(resources=["pods"])  # the current context
    assert s.context == "good" and mon.open_context("good") is s
    assert s.wait_synced(10)
    assert set(mon.stats()) == {("good", "pods")}
    assert mon.close_context("good") and not mon.close_context("good")
    assert mon.sessions == {}
    assert mon.close()
    assert not _threads_of_ours()


def test_bad_ca_fails_clearly(tmp_path):
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import kubeconfig_dict
    import yaml

    a = SimServer(tls=True).start()
    other = SimServer(tls=True)  # never started: only its CA is used
    try:
        d = kubeconfig_dict([("tls-good", a), ("tls-badca", a)])
        import base64

        d["clusters"][1]["cluster"]["certificate-authority-data"] = base64.b64encode(other.ca_data).decode()
        path = tmp_path / "config"
        path.write_text(yaml.safe_dump(d))
        with Monitor(kubeconfig=str(path)) as mon:
            good = mon.open_context("tls-good", resources=["namespaces"])
            bad = mon.open_context("tls-badca", resources=["namespaces"])
            assert not bad.wait_ready(10)
            assert "TLS" in bad.error or "certificate" in bad.error, bad.error
            assert good.wait_synced(10), good.error
    finally:
        a.stop()
    assert not _threads_of_ours()


def test_forbidden_discovery_then_retry(sim, kubeconfig):
    sim.faults.fail_next(1, 403)
    feed = Feed()
    with Monitor(feed, kubeconfig=kubeconfig) as mon:
        s = mon.open_context("good", resources=["pods"])
        assert not s.wait_ready(10)
        assert s.error.startswith("forbidden (403)") and "discovery" in s.error
        again = mon.open_context("good", resources=["pods"])  # retry replaces the failed session
        assert again is not s and s.state == "stopped"
        assert again.wait_synced(10) and again.error is None
    assert not _threads_of_ours()


def test_server_restart_is_reported_and_recovered(sim, kubeconfig):
    Churner(sim)
    feed = Feed()
    with ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["pods"]) as s:
        assert s.wait_synced(10)
        h = s.resources["pods"]
        sim.faults.restart(0.5, starting=0.6)
        wait_for(lambda: h.error, 10, "an error while the server is down")
        wait_for(lambda: h.error is None, 15, "recovery")
        # the restarted server's watch cache starts empty: the informer relisted
        wait_for(lambda: h.informer.stats().relists >= 1, 10, "the relist a restart causes")
        items = [i for i in _session_items(feed.drain()) if i.resource == "pods"]
        assert any(i.level in ("warning", "error") and "pods: " in i.message for i in items)
        assert items[-1].state == "ready" and "recovered" in items[-1].message
        sim.store.create("pods", {"metadata": {"name": "after-restart", "namespace": "shop"}, "spec": {}}, "shop")
        wait_for(lambda: h.informer.indexer.get_by_key("shop/after-restart")[1], 10, "watch delivers again")


def test_verify_async_reaches_feed(sim, kubeconfig):
    Churner(sim)
    feed = Feed()
    with ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["configmaps"]) as s:
        assert s.wait_synced(10)
        fut = s.verify_async("configmaps")
        assert fut.result(10).ok
        wait_for(lambda: any(getattr(i, "state", "") == "verified" for i in feed.drain()), 5, "verified item")
        bad = s.verify_async("nodes")
        with pytest.raises(KeyError):
            bad.result(5)
    assert not _threads_of_ours()


@pytest.mark.parametrize("opts,env_set,message", [
    ({"label_selector": "app in (web"}, None,
     "good: invalid label selector 'app in (web': unable to parse requirement: found '', expected: ',' or ')'"),
    ({}, ("KMON_WATCH_INACTIVITY_TIMEOUT", "abc"),
     "good: environment variable KMON_WATCH_INACTIVITY_TIMEOUT='abc' is not a number of seconds >= 1.5"),
    ({}, ("HTTP2_READ_IDLE_TIMEOUT_SECONDS", "-5"),
     "good: environment variable HTTP2_READ_IDLE_TIMEOUT_SECONDS='-5' is not a number of seconds >= 0"),
])
def test_a_bad_selector_or_setting_fails_the_session_before_it_connects(sim, kubeconfig, monkeypatch, opts,
                                                                        env_set, message):
    if env_set is not None:
        monkeypatch.setenv(*env_set)
    sim.requests.clear()
    feed = Feed()
    s = ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["pods"], **opts)  # never raises
    try:
        s.start()
        assert not s.wait_ready(10) and s.state == "failed"
        assert s.error == message.removeprefix("good: ")
        failed = [i for i in _session_items(feed.drain()) if i.state == "failed"]
        assert [(i.level, i.message) for i in failed] == [("error", message)]
        assert s.resources == {} and "pods" in s.failed_resources
    finally:
        s.stop(1.0)
    assert list(sim.requests) == []


def test_a_resource_the_server_rejects_fails_for_good_and_says_so_once(sim, kubeconfig):
    """A field selector pods support but configmaps do not: configmaps' list answers 400,
    which is not retried (said once, as an error); pods carry on."""
    feed = Feed()
    s = ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["pods", "configmaps"],
                       field_selector="spec.nodeName=node-1")
    s.start()
    try:
        assert s.wait_synced(10, names=["pods"])
        cm = s.resources["configmaps"]
        wait_for(lambda: cm.informer.stats().state == "failed", 10, "configmaps failed")
        assert "400 BadRequest: field label not supported: spec.nodeName" in cm.error
        said = [i for i in _session_items(feed.drain()) if i.resource == "configmaps"]
        items = [i for i in said if i.level != "info"]
        # client-go 1.36 asks a WatchList first; refused, it lists at once instead (said as
        # information), and that LIST's 400 is the error, said once
        assert [(i.level, i.state) for i in items] == [("error", "failed")]
        assert "not retried" in items[-1].message
        fell = [i for i in said if "listing instead" in i.message]
        assert [(i.level, i.state) for i in fell] == [("info", "listing")]
        assert fell[0].message.startswith("configmaps: WatchList refused (400 BadRequest")
        assert s.resources["pods"].error is None and s.state == "ready"
        asked = [r for r in sim.requests if r.path.endswith("/configmaps")]
        assert len(asked) == 2 and asked[0].query.get("sendInitialEvents") == "true"
    finally:
        assert s.stop(1.0)
