"""Server faults against a running session (Qt-free core, as the GUI and the headless commands
use it): for each, the process stays responsive, the affected resource says what is wrong
(stats state + last_error, a SessionItem in the feed), the others keep following churn, the
reflector retries with backoff (no tight loop, counted in srv.requests), and once the fault
clears every cache equals the server (same keys and resourceVersions)."""

from __future__ import annotations

import re
import time

import pytest

from hostile_helpers import RESOURCES, TOKEN, SimEnv, Ticker
from waiting import wait_for
from kmon.cache.features import FeatureGates
from kmon.kube.liveness import HealthCheck

FAULT_WINDOW = 5.0  # seconds each fault lasts
MAX_RATE = 3.0  # requests/s per resource while a fault lasts (the backoff bounds it)


def _rate_ok(env, plurals, since, until):
    rates = {p: len(env.requests_for(p, since, until)) / (until - since) for p in plurals}
    assert all(r <= MAX_RATE for r in rates.values()), f"tight retry loop: requests/s {rates}"
    return rates


def _errors(env, s, r):
    return sum(env.stats(s, r)["errors"].values())


class Fault:
    def __init__(self, name, start, stop, pattern, affected=None, lasting=True, relists=False):
        self.name, self.start, self.stop, self.pattern = name, start, stop, pattern
        self.affected = affected  # None: every resource
        self.lasting = lasting
        self.relists = relists  # the affected informers must relist (their watch cache is gone)


def _restart(env):
    env.srv.faults.restart(FAULT_WINDOW, starting=1.5)
    env.srv.faults.jump_revision(10_000)


def _429(env):
    env.srv.faults.fail_next(12, 429, retry_after=1)
    env.srv.faults.drop_watches()


def _500(env):
    env.srv.faults.fail_next(12, 500)
    env.srv.faults.drop_watches()


def _401(env):
    env.srv.token = "rotated-" + TOKEN[::-1]
    env.srv.faults.drop_watches()


def _401_end(env):
    env.srv.token = TOKEN


def _403(env):
    env.srv.faults.forbid("pods")
    env.srv.faults.drop_watches()


FAULTS = [
    Fault("restart-jump-revision", _restart, lambda env: None, r"refused|cannot connect|reset|closed", relists=True),
    Fault("429-storm", _429, lambda env: env.srv.faults.reset(), r"429|[Tt]oo ?[Mm]any"),
    Fault("500-burst", _500, lambda env: env.srv.faults.reset(), r"500|[Ii]nternal"),
    Fault("401-token-expired", _401, _401_end, r"401|[Uu]nauthorized"),
    Fault("403-one-resource", _403, lambda env: env.srv.faults.allow(), r"403|forbidden", affected=["pods"]),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_recovers(env, fault):
    s = env.session()
    env.churn()
    ticker = Ticker()
    try:
        affected = fault.affected or RESOURCES
        others = [r for r in RESOURCES if r not in affected]
        t0 = time.time()
        fault.start(env)
        # the affected resources say what is wrong: state + last_error, and a feed message
        for r in affected:
            wait_for(lambda: re.search(fault.pattern, env.stats(s, r)["last_error"] or ""), 10,
                     f"{r}: last_error matching {fault.pattern!r} (stats {env.stats(s, r)})")
        # ...and its state says it is waiting to retry (what the inspector shows)
        for r in affected:
            wait_for(lambda: env.stats(s, r)["state"] == "backing-off" and env.stats(s, r)["current_backoff"] > 0,
                     10, f"{r}: state backing-off")
        wait_for(lambda: any(re.search(fault.pattern, m.message) and m.level in ("warning", "error")
                             for m in env.messages("pods")), 10, "a feed message saying why")
        # the others keep following churn while the fault lasts, without errors
        for r in others:
            env.wait_converged(s, [r], timeout=10)
            assert not s.resources[r].error, s.resources[r].error
        # let the fault last: several failed rounds (the backoff spaces them) or its window
        wait_for(lambda: all(_errors(env, s, r) >= 3 for r in affected) or time.time() - t0 >= FAULT_WINDOW,
                 FAULT_WINDOW + 5, "the fault to last")
        t1 = max(time.time(), t0 + 1.0)
        fault.stop(env)
        _rate_ok(env, [p.split(".")[0] for p in affected], t0, t1)
        # recovery: every cache equals the server again, and the feed says so
        env.wait_converged(s, timeout=40)
        if fault.relists:  # a restart's watch cache starts empty: 410 (or 503 on the way) and a relist
            for r in affected:  # (a quiet resource's cache equals the server before its backoff ends)
                wait_for(lambda: env.stats(s, r)["relists"] >= 1, 30, f"{r}: a relist ({env.stats(s, r)})")
        wait_for(lambda: any(m.state == "ready" for m in env.messages("pods")[-20:]) or not s.resources["pods"].error,
                 10, "pods recovered")
        assert ticker.max_gap < 0.5, f"the process stalled for {ticker.max_gap:.2f} s"
    finally:
        ticker.stop()


def test_compaction_between_pages_falls_back_to_a_full_list(env, monkeypatch):
    """A paged relist whose continue token expires (between pages, the watch cache's window
    and storage both move past it): the pager falls back to one full list, the cache equals
    the server, nothing is lost."""
    from kmon.kube.listwatch import RestListerWatcher

    compacted = []
    real_list = RestListerWatcher.list

    def list_then_compact(self, options):
        page = real_list(self, options)
        if (self.resource.plural == "pods" and page.continue_ and not options.continue_
                and len(compacted) == 1):  # the first page of the second (re)list
            env.workload.step(3)  # the revision moves past the page's snapshot...
            env.srv.faults.expire_watch_cache()  # ...the watch cache no longer holds it...
            compacted.append(env.srv.faults.compact())  # ...nor, compacted, does storage
        elif self.resource.plural == "pods" and not options.continue_ and not compacted:
            compacted.append(0)
        return page

    monkeypatch.setattr(RestListerWatcher, "list", list_then_compact)
    # the pager's fallback is the LIST path's (client-go 1.36 relists with a WatchList)
    s = env.session(page_size=5, features=FeatureGates.for_client_go("1.32"))
    env.churn()
    t0 = time.time()
    # make the reflector relist (an ERROR 410 on its watch)
    env.srv.faults.inject_raw(b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",'
                              b'"message":"too old resource version","reason":"Expired","code":410}}\n')
    wait_for(lambda: len(compacted) == 2, 15, "a paged relist to start")
    lists = lambda: [r for r in env.requests_for("pods", t0) if "watch" not in r.query]
    # the expired continue token (410), then one full list without a continue token
    wait_for(lambda: any(r.status == 410 and "continue" in r.query for r in lists()), 10, "the 410 on a continue")
    wait_for(lambda: any(r.status == 200 and "continue" not in r.query and r.time > compacted_at(lists())
                         for r in lists()), 10, "the fallback full list")
    env.wait_converged(s)
    assert env.stats(s, "pods")["synced"]


def compacted_at(lists):
    return max(r.time for r in lists if r.status == 410)


def test_a_stalled_server_is_noticed_by_the_health_check(tmp_path):
    """The server stops answering anything (a stalled process: the connections stay up, the
    kernel answers TCP keepalive): within read-idle + ping timeout the health check's probe
    goes unanswered, every watch of the context is ended and said so, once each; when the
    server answers again each one is re-established from its last version (no relist)."""
    env = SimEnv(tmp_path, stall_proxy=True)
    ticker = Ticker()
    try:
        s = env.session(health_check=HealthCheck(read_idle=1.0, ping_timeout=1.0))
        env.churn()
        t0 = time.monotonic()
        env.proxy.stall()
        said = lambda r: re.search(r"no answer from the server's health check within 1 s \(watch idle for",
                                   env.stats(s, r)["last_error"] or "")
        wait_for(lambda: all(said(r) for r in RESOURCES), 10, "every stalled watch to be noticed")
        noticed_after = time.monotonic() - t0
        # still stalled for two more health-check periods: the re-watches wait for the server
        wait_for(lambda: time.monotonic() - t0 > noticed_after + 4.0, 10, "two more periods")
        assert all(env.stats(s, r)["errors"] == {"silent": 1} for r in RESOURCES), \
            {r: env.stats(s, r)["errors"] for r in RESOURCES}
        env.proxy.resume()
        env.wait_converged(s, timeout=30)
        assert noticed_after < 1.0 + 1.0 + 3.0  # read idle + ping timeout (+ a shared machine's slack)
        assert all(env.stats(s, r)["lists"] == 1 for r in RESOURCES)
        assert ticker.max_gap < 0.5
    finally:
        ticker.stop()
        env.close()


def test_a_watch_stalled_on_a_live_server_is_waited_for(env):
    """Only the watches fall silent while the server answers the health check (as it would
    answer client-go's PING): nothing is ended or reported, and once the watches speak
    again every cache equals the server."""
    s = env.session(health_check=HealthCheck(read_idle=0.5, ping_timeout=1.0))
    env.churn()
    t0 = time.time()
    env.srv.faults.stall_watches(FAULT_WINDOW)
    wait_for(lambda: [r for r in env.srv.requests.snapshot() if r.path == "/livez" and r.time > t0], 10,
             "the health check to ask the server")
    wait_for(lambda: time.time() - t0 > FAULT_WINDOW, 10, "the stall to end")
    env.wait_converged(s, timeout=30)
    for r in RESOURCES:
        st = env.stats(s, r)
        assert st["errors"] == {} and st["watches_ended"].get("error", 0) == 0, (r, st)


def test_connection_reset_inside_a_big_event(env):
    """The connection is reset while a large event is half sent: the watch ends (as
    client-go's StreamWatcher), kmon re-watches and converges without losing its cache."""
    s = env.session()
    env.churn()
    before = len(env.cache_state(s, "pods"))
    partial = b'{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"data":"' \
        + b"A" * 2_000_000
    env.srv.faults.inject_raw(partial, close=True)
    wait_for(lambda: env.stats(s, "pods")["watches_started"] >= 2, 10, "a new watch")
    assert len(env.cache_state(s, "pods")) >= before - 5  # nothing thrown away meanwhile
    env.wait_converged(s)


def test_compaction_alone_causes_no_relist(env):
    """A real API server serves re-watches from its watch cache: a compaction of storage,
    even with every watch dropped right after, causes no 410 and no relist."""
    s = env.session()
    env.churn()
    env.srv.faults.compact()
    env.srv.faults.drop_watches()
    wait_for(lambda: all(env.stats(s, r)["watches_started"] >= 2 for r in RESOURCES), 15, "every watch re-established")
    env.wait_converged(s)
    for r in RESOURCES:
        st = env.stats(s, r)
        assert st["relists"] == 0 and st["expired"] == 0, st
