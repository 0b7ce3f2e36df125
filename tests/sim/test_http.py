"""HTTP as kube-apiserver speaks it: gzip for big bodies, HEAD and methods a route lacks."""

import gzip
import socket

import orjson
import pytest

from .helpers import RawWatch, connect, get, request

_AUTH = "Authorization: Bearer {token}\r\n"


@pytest.fixture
def big(srv):
    """~200 KB of configmaps in "default"."""
    for i in range(200):
        srv.store.create("configmaps", {"metadata": {"name": f"cm-{i:03d}"}, "data": {"v": "x" * 1000}})
    return srv


def test_gzip_for_a_body_over_128_kib_when_asked(big):
    status, headers, raw = get(big, "/api/v1/configmaps", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    body = orjson.loads(gzip.decompress(raw))
    assert body == get(big, "/api/v1/configmaps")[2]
    assert len(body["items"]) == 200


def test_no_gzip_when_not_asked_or_small(big):
    status, headers, body = get(big, "/api/v1/configmaps")
    assert status == 200 and "content-encoding" not in headers and len(body["items"]) == 200
    status, headers, body = get(big, "/api/v1/configmaps?limit=5", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "content-encoding" not in headers and len(body["items"]) == 5
    status, headers, _ = get(big, "/api/v1/configmaps", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in headers


def test_watch_is_never_compressed(big):
    with RawWatch(big, "/api/v1/configmaps?watch=1&timeoutSeconds=5", {"Accept-Encoding": "gzip"}) as w:
        assert w.resp.getheader("Content-Encoding") is None
        assert w.next_event()["type"] == "ADDED"


def _raw_exchange(srv, requests: bytes) -> bytes:
    sock = socket.create_connection((srv.host, srv.port), timeout=5)
    try:
        sock.sendall(requests)
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data
    finally:
        sock.close()


def test_head_answers_405_without_a_body_and_the_connection_stays_in_step(srv):
    auth = _AUTH.format(token=srv.token)
    data = _raw_exchange(srv, (f"HEAD /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n{auth}\r\n"
                               f"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n{auth}\r\n").encode())
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ")
    assert rest.startswith(b"HTTP/1.1 200 OK")  # the next response follows the headers directly
    body = rest.partition(b"\r\n\r\n")[2]
    assert orjson.loads(body)["kind"] == "NamespaceList"


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/api/v1"),
    ("POST", "/api"),
    ("PUT", "/apis/apps/v1"),
    ("PUT", "/api/v1/namespaces/default/pods"),
    ("PATCH", "/api/v1/namespaces/default/pods"),
    ("POST", "/api/v1/namespaces/default/pods/p-00"),
    ("POST", "/api/v1/pods"),
    ("DELETE", "/api/v1/pods"),
])
def test_a_method_the_route_lacks_is_405(srv, method, path):
    status, _, body = request(srv, method, path, body={} if method in ("PUT", "PATCH", "POST") else None,
                              headers={"Content-Type": "application/merge-patch+json"} if method == "PATCH" else None)
    assert status == 405
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "MethodNotAllowed", 405)
    assert body["message"] == "the server does not allow this method on the requested resource"


def test_keep_alive_survives_a_405(srv):
    c = connect(srv)
    try:
        h = {"Authorization": f"Bearer {srv.token}"}
        c.request("DELETE", "/api/v1", headers=h)
        r = c.getresponse()
        assert r.status == 405 and orjson.loads(r.read())["code"] == 405
        c.request("GET", "/api/v1/namespaces", headers=h)
        r = c.getresponse()
        assert r.status == 200 and orjson.loads(r.read())["kind"] == "NamespaceList"
    finally:
        c.close()
