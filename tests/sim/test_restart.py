"""A restart as a real kube-apiserver's: refused, then 503 and 429 while it starts, then its
watch cache rebuilt at the current revision -- a watch from before gets 200 then ERROR 410."""

import errno
import socket

import pytest

from waiting import wait_for

from .helpers import RawWatch, get, pod, read_to_eof, request, server_up
from .test_watch_cache import FakeClock


def test_restart_refuses_then_503_then_429_then_410(populated):
    srv = populated
    clock = srv.lifecycle.clock = FakeClock()
    rev = srv.store.revision
    sock = socket.create_connection((srv.host, srv.port), timeout=5)
    sock.sendall(f"GET /api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=60 HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: Bearer {srv.token}\r\n\r\n".encode())
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    wait_for(lambda: len(srv.watches) == 1)

    srv.faults.restart(seconds=0.3, starting=3.0)
    assert not read_to_eof(sock).endswith(b"0\r\n\r\n")  # the open watch is cut
    sock.close()
    with pytest.raises(OSError) as ei:
        socket.create_connection((srv.host, srv.port), timeout=2).close()
    assert ei.value.errno == errno.ECONNREFUSED
    srv.store.create("pods", pod("during-restart"))  # etcd carries on meanwhile
    wait_for(lambda: server_up(srv), timeout=10, step=0.05)

    # starting, first: the paths are not installed yet
    status, headers, body = get(srv, "/api/v1/pods")
    assert (status, headers["retry-after"]) == (503, "5")
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "the request has been made before all known HTTP paths have been installed, "
                               "please try again", "reason": "ServiceUnavailable", "details": {"retryAfterSeconds": 5},
                    "code": 503}
    assert get(srv, "/readyz")[0] == 500

    # then: the watch cache initializes
    clock.t += 1.0
    initializing = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "storage is (re)initializing", "reason": "TooManyRequests",
                    "details": {"retryAfterSeconds": 1}, "code": 429}
    status, headers, body = get(srv, f"/api/v1/pods?watch=1&resourceVersion={rev}")
    assert (status, headers["retry-after"], body) == (429, "1", initializing)
    assert get(srv, "/api/v1/pods?resourceVersion=0")[2] == initializing
    status, _, body = get(srv, "/api/v1/pods?limit=500")  # a paged list without selector: from etcd
    assert status == 200 and len(body["items"]) == 14  # the content is kept

    # serving: the cache was rebuilt at the current revision, the old history is gone
    clock.t += 2.0
    now = srv.store.revision
    assert now == rev + 2  # the pod written meanwhile, and the server's own writes as it started
    with RawWatch(srv, f"/api/v1/pods?watch=1&resourceVersion={rev}") as w:
        assert w.status == 200
        evs = list(w.events())
    assert [e["type"] for e in evs] == ["ERROR"]
    assert evs[0]["object"]["message"] == f"too old resource version: {rev} ({now})"
    assert evs[0]["object"]["code"] == 410 and evs[0]["object"]["reason"] == "Expired"
    _, _, body = get(srv, "/api/v1/pods?resourceVersion=0")
    assert body["metadata"]["resourceVersion"] == str(now) and len(body["items"]) == 14
    assert get(srv, "/readyz")[0] == 200
    with RawWatch(srv, f"/api/v1/pods?watch=1&resourceVersion={now}&timeoutSeconds=5") as w:
        srv.store.create("pods", pod("after-restart"))
        assert w.next_event()["object"]["metadata"]["name"] == "after-restart"


def test_refused_connections_alone_keep_the_watch_cache(populated):
    """A network fault (the port refuses for a while) is no restart: no 503/429, no 410."""
    rev = populated.store.revision
    populated.faults.refuse_connections(0.3)
    populated.store.create("pods", pod("meanwhile"))
    wait_for(lambda: server_up(populated), timeout=10, step=0.05)
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}&timeoutSeconds=5") as w:
        assert w.status == 200
        assert w.next_event()["object"]["metadata"]["name"] == "meanwhile"


def test_restart_over_the_admin_endpoint(populated):
    rev = populated.store.revision
    assert request(populated, "POST", "/_kmon/faults/restart?seconds=0.5&starting=0")[0] == 200
    wait_for(lambda: populated.phase() == "down")  # it answers first, then goes down
    wait_for(lambda: server_up(populated) and populated.phase() == "serving", timeout=10, step=0.05)
    with RawWatch(populated, f"/api/v1/pods?watch=1&resourceVersion={rev}") as w:
        assert w.next_event()["object"]["code"] == 410


@pytest.mark.parametrize("fault", ["restart?seconds=1&starting=0", "refuse_connections?seconds=1"])
def test_once_the_answer_is_read_the_port_refuses(populated, fault):
    """The answer goes out on a closed port: a client that read it and connects again is
    refused, rather than reaching a server about to go down (which made waiting for
    /readyz after these faults racy)."""
    assert request(populated, "POST", f"/_kmon/faults/{fault}")[0] == 200
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", populated.port), timeout=5).close()
    wait_for(lambda: server_up(populated) and populated.phase() == "serving", timeout=10, step=0.05)


def test_a_bad_argument_to_a_port_closing_fault_is_refused_and_the_port_stays_open(populated):
    status, _h, doc = request(populated, "POST", "/_kmon/faults/restart?seconds=soon")
    assert status == 400 and doc["message"].startswith("fault restart: could not convert string to float")
    assert populated.phase() == "serving" and get(populated, "/readyz")[0] == 200
