"""Dead connections and stalled servers are noticed; a quiet resource's healthy watch never is.

On a real cluster most resources are idle and kube-apiserver sends their watches nothing for
minutes. kmon gives every watch a ``timeoutSeconds`` below its inactivity limit, so a healthy
server ends a silent watch normally before kmon would call the silence a fault, and turns TCP
keepalive on so a dead peer fails the connection (see ``kmon.kube.liveness``). Times here are
scaled down through the inactivity limit; the sim's bookmarks are a minute apart.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from contextlib import contextmanager

import pytest

from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.listwatch import ListOptions
from kmon.kube import RestListerWatcher, informer_for, resolve, discover
from kmon.kube import _http
from kmon.kube.liveness import KEEPALIVE_COUNT, KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, watch_timeout_within
from kmon.kube.watchstream import RestWatch

from .conftest import ensure_namespace

LIMIT = 2.0  # the inactivity limit these tests configure (kmon's default is 90 s)


def wait_for(cond, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@contextmanager
def synced(informer):
    """Run ``informer`` until the block ends; yields its reflector events (a live list)."""
    events = []
    informer.add_reflector_listener(events.append)
    stop = threading.Event()
    t = threading.Thread(target=informer.run, args=(stop,), daemon=True)
    t.start()
    try:
        wait_for(informer.has_synced)
        yield events
    finally:
        stop.set()
        t.join(10)
        informer.list_watcher.api_client.close()
    assert not t.is_alive()


def test_a_quiet_resource_watch_is_never_reported_as_failing(sim, sim_kubeconfig):
    """configmaps stay quiet (no writes, bookmarks a minute apart) for several times the
    inactivity limit: each watch ends normally at its own deadline and is re-opened; no
    error, no "no data from server", no error count."""
    ensure_namespace(sim.store, "default")
    sim.store.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, "default")
    informer = informer_for("configmaps", kubeconfig=sim_kubeconfig, inactivity_timeout=LIMIT)
    with synced(informer) as events:
        quiet_since = time.monotonic()
        # three watches in a row ended by the server (or something went wrong meanwhile)
        wait_for(lambda: informer.stats().watches_ended.get("closed", 0) >= 3 or informer.stats().errors)
        quiet_for = time.monotonic() - quiet_since
        st = informer.stats()
    assert quiet_for > LIMIT, "the resource was not quiet past the limit: the test proves nothing"
    assert st.errors == {} and st.last_error == ""
    assert set(st.watches_ended) <= {"closed", "stopped"}
    assert not [e for e in events if e.kind == K.Error]
    assert not [e for e in events if "no data" in str(e.detail)]
    assert st.events["ADDED"] == 0 and st.bookmarks == 0  # nothing at all was sent


def test_a_stalled_server_is_still_noticed_within_the_limit(sim, sim_kubeconfig):
    """The complement: the stream stays silent past its own deadline (the server stalled):
    that is reported as an error, and the informer re-watches from its last version."""
    informer = informer_for("configmaps", kubeconfig=sim_kubeconfig, inactivity_timeout=LIMIT)
    try:
        with synced(informer) as events:
            sim.faults.stall_watches(3 * LIMIT)
            wait_for(lambda: any(e.kind == K.Error for e in events))
            st = informer.stats()
    finally:
        sim.faults.reset()
    assert "no data from server for 2 s, and the watch outlived its own 1 s timeout" in st.last_error
    assert st.errors.get("silent") and st.watches_ended.get("error")
    assert st.lists == 1  # re-watched from its last version, no relist


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


def test_every_watch_asks_for_a_deadline_below_the_limit(sim, sim_client):
    res = resolve(discover(sim_client), "configmaps")
    lw = RestListerWatcher(sim_client, res, inactivity_timeout=90)
    rv = lw.list(ListOptions()).resource_version
    for opts in (ListOptions(resource_version=rv), ListOptions(resource_version=rv, timeout_seconds=450)):
        w = lw.watch(opts)
        w.stop()
        assert 30 <= w.timeout_seconds <= 60
    w = lw.watch(ListOptions(resource_version=rv, timeout_seconds=20))  # already shorter: kept
    w.stop()
    assert w.timeout_seconds == 20


@pytest.mark.parametrize("limit,low,high", [(90, 30, 60), (2, 1, 1), (1.5, 1, 1), (600, 200, 400)])
def test_watch_timeout_within(limit, low, high):
    got = {watch_timeout_within(450, limit) for _ in range(200)}
    assert min(got) >= low and max(got) <= high
    assert watch_timeout_within(450, None) == 450 and watch_timeout_within(None, None) is None


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
