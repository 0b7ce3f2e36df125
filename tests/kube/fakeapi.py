"""A tiny scripted HTTP server for list/watch tests that need exact bytes on the wire.

Each route is a function ``(handler, query) -> None`` that writes the whole response; helpers
write JSON, chunked streams, or stall. ``FakeApi.requests`` records (path, query, headers).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import orjson

from kmon.kube.discovery import ApiResource

PODS = ApiResource(group="", version="v1", kind="Pod", plural="pods", namespaced=True,
                   short_names=("po",), verbs=("get", "list", "watch"), singular="pod", versions=("v1",))


class FakeApi:
    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler, dict[str, str]], None]] = {}
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.release = threading.Event()  # set on close: stalled handlers give up
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:
                u = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(u.query).items()}
                api.requests.append((u.path, q, {k.lower(): v for k, v in self.headers.items()}))
                route = api.routes.get(u.path)
                if route is None:
                    send_json(self, 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                          "reason": "NotFound", "code": 404, "message": f"{u.path} not found"})
                    return
                try:
                    route(self, q)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def send_json(h: BaseHTTPRequestHandler, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
    send_bytes(h, code, orjson.dumps(obj), "application/json", headers)


def send_bytes(h: BaseHTTPRequestHandler, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
    h.send_response(code)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)
    h.wfile.flush()


def start_chunked(h: BaseHTTPRequestHandler, ctype: str = "application/json") -> None:
    h.send_response(200)
    h.send_header("Content-Type", ctype)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    h.wfile.flush()


def chunk(h: BaseHTTPRequestHandler, data: bytes) -> None:
    h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    h.wfile.flush()


def end_chunked(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"0\r\n\r\n")
    h.wfile.flush()


def pod(name: str, rv: str, ns: str = "default", **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": rv, "uid": f"uid-{name}"}, "spec": {}, **extra}


def event(t: str, obj: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": t, "object": obj}) + b"\n"
