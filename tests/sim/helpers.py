"""Helpers for the sim tests: raw HTTP requests and watch streams, object builders."""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Iterator

import orjson


def pod(name: str, ns: str = "default", labels: dict | None = None, node: str = "node-1",
        phase: str = "Running") -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "nginx:1.27"}]},
            "status": {"phase": phase}}


def ensure_ns(store, ns: str) -> None:
    try:
        store.create("namespaces", {"metadata": {"name": ns}})
    except Exception as e:  # AlreadyExists
        if getattr(e, "code", None) != 409:
            raise


def connect(srv, timeout: float = 10.0) -> http.client.HTTPConnection:
    if srv.tls:
        ctx = ssl.create_default_context(cadata=srv.ca_data.decode())
        return http.client.HTTPSConnection(srv.host, srv.port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(srv.host, srv.port, timeout=timeout)


def request(srv, method: str, path: str, body=None, headers: dict | None = None, token: str | None = "default"):
    """-> (status, headers dict (lower-case), decoded JSON body or raw bytes)."""
    h = {"Accept": "application/json"}
    if token == "default":
        token = srv.token
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    if body is not None and not isinstance(body, bytes):
        body = orjson.dumps(body)
        h.setdefault("Content-Type", "application/json")
    h.update(headers or {})
    c = connect(srv)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()
    try:
        return r.status, hdrs, orjson.loads(data)
    except orjson.JSONDecodeError:
        return r.status, hdrs, data


def get(srv, path: str, **kw):
    return request(srv, "GET", path, **kw)


class RawWatch:
    """A watch read line by line over http.client (chunked decoding by http.client)."""

    def __init__(self, srv, path: str, headers: dict | None = None, timeout: float = 10.0) -> None:
        self.conn = connect(srv, timeout)
        h = {"Authorization": f"Bearer {srv.token}"}
        h.update(headers or {})
        self.conn.request("GET", path, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status

    def raw_lines(self) -> Iterator[bytes]:
        while True:
            line = self.resp.readline()
            if not line:
                return
            yield line

    def events(self) -> Iterator[dict]:
        for line in self.raw_lines():
            yield orjson.loads(line)

    def next_event(self) -> dict:
        line = self.resp.readline()
        if not line:
            raise EOFError("watch ended")
        return orjson.loads(line)

    def close(self) -> None:
        try:
            self.conn.sock and self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()

    def __enter__(self) -> "RawWatch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_to_eof(sock) -> bytes:
    """Everything a raw socket receives until the server closes it (or resets it)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def server_up(srv) -> bool:
    """Whether the server accepts a connection and answers /livez."""
    try:
        c = connect(srv, 1)
        c.request("GET", "/livez")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False
