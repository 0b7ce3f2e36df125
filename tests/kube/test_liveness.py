"""Dead connections and stalled servers are noticed; a quiet resource's healthy watch never is.

On a real cluster most resources are idle and kube-apiserver sends their watches nothing for
minutes. kmon keeps every watch open for the ``timeoutSeconds`` the reflector chose (5-10
min, as client-go), turns TCP keepalive on so a dead peer fails the connection, and ports
client-go's HTTP/2 health check: after ``read_idle`` s without a byte one shared probe asks
the server whether it is alive, and only a server that does not answer within
``ping_timeout`` s ends the idle watches (see ``kmon.kube.liveness``). Times are scaled down
through ``HealthCheck``; the sim's bookmarks are a minute apart, so its watches stay silent.
"""

from __future__ import annotations

import errno
import re
import socket
import threading
import time
from contextlib import contextmanager

import pytest

from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.listwatch import ListOptions
from kmon.env import EnvError
from kmon.kube import HealthCheck, RestListerWatcher, api_client_for, discover, informer_for, resolve
from kmon.kube import _http
from kmon.kube.liveness import (
    KEEPALIVE_COUNT,
    KEEPALIVE_IDLE,
    KEEPALIVE_INTERVAL,
    PROBE_PATH,
    checker_for,
    last_resort_timeout,
)
from kmon.kube.watchstream import RestWatch
from kmon.sim.kubeconfig import write_kubeconfig
from stallproxy import StallProxy
from waiting import wait_for

from .conftest import ensure_namespace, make_pod

QUICK = HealthCheck(read_idle=0.6, ping_timeout=0.6)  # client-go's 30 s and 15 s, scaled down


@contextmanager
def synced(*informers):
    """Run ``informers`` until the block ends; yields each one's reflector events (live lists)."""
    events = []
    stop = threading.Event()
    threads = []
    for inf in informers:
        got: list = []
        events.append(got)
        inf.add_reflector_listener(got.append)
        threads.append(threading.Thread(target=inf.run, args=(stop,), daemon=True))
        threads[-1].start()
    try:
        for inf in informers:
            wait_for(inf.has_synced, 15)
        yield events
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not any(t.is_alive() for t in threads)


def probes(sim, since=0.0):
    return [r for r in sim.requests.snapshot() if r.path == PROBE_PATH and r.time >= since]


def test_the_watch_asks_for_the_timeout_the_reflector_chose(sim, sim_kubeconfig):
    """timeoutSeconds on the wire is the reflector's choice, random in [300, 600] s as
    client-go's (not shortened: an idle watch is not restarted every minute)."""
    informer = informer_for("configmaps", kubeconfig=sim_kubeconfig)
    lw = informer.list_watcher
    chosen = []
    real_watch = lw.watch
    lw.watch = lambda opts: (chosen.append(opts.timeout_seconds), real_watch(opts))[1]
    try:
        with synced(informer):
            watches = wait_for(lambda: [r for r in sim.requests.snapshot() if r.query.get("watch") == "true"], 15)
            assert chosen and 300 <= chosen[0] <= 600
            assert watches[0].query["timeoutSeconds"] == str(chosen[0])
    finally:
        lw.api_client.close()


def test_a_quiet_resource_watch_stays_open_past_many_idle_periods(sim, sim_kubeconfig):
    """configmaps and secrets stay quiet (no writes, no bookmarks) for several read-idle
    periods: both watches stay open, nothing is reported, and one probe per period serves
    both (they share the context's API client)."""
    ensure_namespace(sim.store, "default")
    sim.store.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, "default")
    client = api_client_for(kubeconfig=sim_kubeconfig)
    informers = [informer_for(r, api_client=client, health_check=QUICK) for r in ("configmaps", "secrets")]
    try:
        with synced(*informers) as events:
            quiet_since = time.time()
            at_sync = [inf.stats() for inf in informers]  # (a WatchList's initial events are counted)
            wait_for(lambda: len(probes(sim, quiet_since)) >= 5, 15)
            quiet_for = time.time() - quiet_since
            n = len(probes(sim, quiet_since))
            stats = [inf.stats() for inf in informers]
            seen = [list(evs) for evs in events]
    finally:
        client.close()
    assert quiet_for > 4 * QUICK.read_idle
    assert n <= quiet_for / QUICK.read_idle + 1  # one per period for both watches, not one each
    for st, before, evs in zip(stats, at_sync, seen):
        assert st.errors == {} and st.last_error == ""
        # one watch, never ended (a WatchList's stream passing its initial events is no end)
        assert st.watches_started == 1 and set(st.watches_ended) <= {"initial-events-end"}
        assert not [e for e in evs if e.kind in (K.Error, K.WatchEnded)]
        assert (st.events, st.bookmarks) == (before.events, before.bookmarks)  # the server sent nothing since


def test_sixty_idle_watches_cost_one_probe_per_period(sim, sim_client):
    res = resolve(discover(sim_client), "configmaps")
    lw = RestListerWatcher(sim_client, res, health_check=QUICK)
    rv = lw.list(ListOptions()).resource_version
    watches = [lw.watch(ListOptions(resource_version=rv, timeout_seconds=300)) for _ in range(60)]
    try:
        t0 = time.time()
        wait_for(lambda: len(probes(sim, t0)) >= 3, 15)
        elapsed = time.time() - t0
        assert len(probes(sim, t0)) <= elapsed / QUICK.read_idle + 1
        assert not any(w.stopped or w._closed for w in watches)
    finally:
        lw.cancel()


@pytest.fixture
def stalled_server(sim, tmp_path):
    """(proxy, kubeconfig): the sim behind a relay that can go silent (``stallproxy``)."""
    proxy = StallProxy(sim)
    yield proxy, write_kubeconfig(tmp_path / "kubeconfig-proxy", [("stalling", proxy.server())])
    proxy.close()


def test_a_stalled_server_is_noticed_reported_once_per_watch_and_the_cache_recovers(sim, stalled_server):
    proxy, kubeconfig = stalled_server
    ensure_namespace(sim.store, "default")
    client = api_client_for(kubeconfig=kubeconfig)
    informers = [informer_for(r, api_client=client, health_check=QUICK) for r in ("pods", "configmaps")]
    health = lambda evs: [e for e in evs if e.kind == K.Error and "health check" in str(e.detail)]
    try:
        with synced(*informers) as events:
            t0 = time.monotonic()
            proxy.stall()
            sim.store.create("pods", make_pod("while-stalled"), "default")
            wait_for(lambda: all(health(evs) for evs in events), 15)
            noticed_after = time.monotonic() - t0
            # stalled for three more health-check periods: the re-watches wait for their
            # response (held by the stalled server), nothing more is reported meanwhile
            wait_for(lambda: time.monotonic() - t0 > noticed_after + 3 * (QUICK.read_idle + QUICK.ping_timeout), 15)
            reported = [len(health(evs)) for evs in events]
            proxy.resume()
            pods = informers[0]
            wait_for(lambda: pods.indexer.get_by_key("default/while-stalled")[1], 15)
            stats = [inf.stats() for inf in informers]
            events = [list(evs) for evs in events]
    finally:
        client.close()
    assert noticed_after < QUICK.read_idle + QUICK.ping_timeout + 3  # (generous: a shared machine)
    assert reported == [1, 1]
    for evs, st in zip(events, stats):
        text = str(health(evs)[0].detail)
        idle = float(re.search(r"no answer from the server's health check within 0.6 s \(watch idle for ([\d.]+) s\)",
                               text).group(1))
        assert idle >= QUICK.read_idle
        assert st.errors.get("silent") == 1 and st.watches_ended.get("error") == 1
        assert st.lists == 1  # re-watched from its last version: no relist


def test_a_watch_the_live_server_keeps_silent_is_waited_for(sim, sim_client):
    """Only the watch stalls (the sim's stall_watches) while the server answers the health
    check, as a PING would be answered: the watch is not ended, and gets its event after."""
    res = resolve(discover(sim_client), "pods")
    lw = RestListerWatcher(sim_client, res, health_check=QUICK)
    rv = lw.list(ListOptions()).resource_version
    ensure_namespace(sim.store, "default")
    w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=300))
    got, errors = [], []

    def read():
        try:
            for ev in w:
                got.append(ev)
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            errors.append(e)

    t0 = time.time()
    sim.faults.stall_watches(8 * QUICK.read_idle)
    threading.Thread(target=read, daemon=True).start()
    sim.store.create("pods", make_pod("after-the-stall"), "default")
    try:
        wait_for(lambda: len(probes(sim, t0)) >= 2 or errors, 15)  # asked, and answered
        assert not errors and not got
        wait_for(lambda: got or errors, 15)
        assert not errors and got[0].object["metadata"]["name"] == "after-the-stall"
    finally:
        w.stop()
        sim.faults.reset()


def test_a_stream_silent_well_past_its_own_deadline_is_ended(sim, sim_client):
    """The last resort: silent for the inactivity limit past its timeoutSeconds."""
    res = resolve(discover(sim_client), "pods")
    lw = RestListerWatcher(sim_client, res, inactivity_timeout=0.5, health_check=HealthCheck(read_idle=0))
    rv = lw.list(ListOptions()).resource_version
    sim.faults.stall_watches(10)
    try:
        w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=1))
        with pytest.raises(TimeoutError, match=r"no data from server for 1.5 s, well past its own 1 s timeout"):
            list(w)
    finally:
        sim.faults.reset()


def test_the_last_resort_comes_after_the_watchs_own_deadline():
    assert last_resort_timeout(300, 90) == 390
    assert last_resort_timeout(None, 90) == 3600 + 90  # the longest timeout a server picks itself
    assert last_resort_timeout(300, None) is None


def test_the_health_check_fails_only_the_watches_that_stayed_idle():
    """A probe answered keeps every watch; an unanswered one ends those idle since before
    it was sent, each once, and keeps a watch that read something meanwhile."""
    answer = threading.Event()
    answer.set()
    asked = []

    def probe(timeout):
        asked.append(timeout)
        if not answer.is_set():
            raise TimeoutError("no data from server for 0.3 s (/livez)")

    checker = HealthCheckerFor(probe)
    idle, busy = FakeWatch("/api/v1/pods"), FakeWatch("/api/v1/configmaps")
    checker.add(idle)
    checker.add(busy)
    wait_for(lambda: len(asked) >= 3, 15)
    assert not idle.failed and not busy.failed
    answer.clear()
    stop = threading.Event()

    def keep_busy():
        while not stop.wait(0.05):
            busy.last_read = time.monotonic()

    threading.Thread(target=keep_busy, daemon=True).start()
    try:
        wait_for(lambda: idle.failed, 15)
    finally:
        stop.set()
    assert idle.failed == ["no answer from the server's health check within 0.3 s (watch idle for "
                           + idle.failed[0].split("idle for ")[1]]
    assert idle.failed[0].endswith("the server stalled or the connection is lost (/api/v1/pods)")
    assert busy.failed == []
    checker.discard(busy)
    wait_for(lambda: checker._thread is None, 15)  # no watch left: the thread ends


def HealthCheckerFor(probe):
    from kmon.kube.liveness import HealthChecker

    return HealthChecker(object(), HealthCheck(read_idle=0.2, ping_timeout=0.3), probe=probe)


class FakeWatch:
    def __init__(self, path):
        self.path = path
        self.last_read = time.monotonic()
        self.failed = []

    def fail(self, message):
        self.failed.append(message)
        return True


def test_one_checker_per_client_and_settings(sim_client):
    a = checker_for(sim_client, QUICK)
    assert checker_for(sim_client, HealthCheck(read_idle=0.6, ping_timeout=0.6)) is a
    assert checker_for(sim_client, HealthCheck()) is not a
    assert checker_for(sim_client, HealthCheck(read_idle=0)) is None  # turned off, as in client-go


def test_settings_from_client_gos_variables():
    assert HealthCheck.from_env({}) == HealthCheck(30.0, 15.0)
    env = {"HTTP2_READ_IDLE_TIMEOUT_SECONDS": "10", "HTTP2_PING_TIMEOUT_SECONDS": "5"}
    assert HealthCheck.from_env(env) == HealthCheck(10.0, 5.0)
    assert HealthCheck.from_env({"HTTP2_PING_TIMEOUT_SECONDS": "0"}).ping_timeout == 15.0  # x/net/http2's default
    assert not HealthCheck.from_env({"HTTP2_READ_IDLE_TIMEOUT_SECONDS": "0"}).enabled
    with pytest.raises(EnvError, match=r"HTTP2_READ_IDLE_TIMEOUT_SECONDS='soon' is not a number of seconds >= 0"):
        HealthCheck.from_env({"HTTP2_READ_IDLE_TIMEOUT_SECONDS": "soon"})
    assert HealthCheck.from_env({"HTTP2_PING_TIMEOUT_SECONDS": "-1"}, strict=False) == HealthCheck()


def test_watch_connections_use_tcp_keepalive(sim, sim_client):
    """A dead peer (sleep, NAT drop) is failed by the kernel within about a minute."""
    res = resolve(discover(sim_client), "configmaps")
    lw = RestListerWatcher(sim_client, res, inactivity_timeout=30)
    rv = lw.list(ListOptions()).resource_version
    w = lw.watch(ListOptions(resource_version=rv))
    try:
        sock = w._resp._connection.sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE_IDLE
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == KEEPALIVE_INTERVAL
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == KEEPALIVE_COUNT
        assert KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT <= 60
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)  # urllib3's default kept
    finally:
        w.stop()


def test_unanswered_keepalive_is_a_lost_connection_not_silence():
    """The kernel's ETIMEDOUT (keepalive probes unanswered) ends the watch as a lost
    connection (re-watched, like a reset); a read timeout (errno None) is silence."""
    lost = _http.transport_error(TimeoutError(errno.ETIMEDOUT, "Connection timed out"), "/api/v1/pods?watch=1", read_timeout=90)
    assert isinstance(lost, ConnectionResetError) and "keepalive" in str(lost)
    silent = _http.transport_error(socket.timeout("timed out"), "/api/v1/pods?watch=1", read_timeout=90)
    assert isinstance(silent, TimeoutError) and "no data from server for 90 s" in str(silent)
    w = RestWatch(_NoResp(), "/api/v1/pods", read_timeout=90, timeout_seconds=60)
    w._read_failed(TimeoutError(errno.ETIMEDOUT, "Connection timed out"))  # returns: a normal end
    assert "keepalive" in w.abrupt_close


class _NoResp:
    headers: dict = {}

    def close(self):
        pass

    def release_conn(self):
        pass
