"""``SimServer``: the API server, as routing on top of ``httpcore.HTTPServerCore``.

It authenticates (``access``), applies the faults waiting in ``faults.Pending``, answers
health, admin (``/_kmon/faults/...``) and discovery paths (``discovery``, with ``openapi``),
resolves a resource path and its verb, and hands the request on: reads to ``reads.Reads``
(get, list, and watch streams over ``watch`` and ``watch_cache``), subresources to
``subresources``, writes to ``writes``. Restarts and refused connections are
``lifecycle.Lifecycle``'s; the store is ``storage.Store``.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, unquote

import orjson

from kmon.sim import access as _access
from kmon.sim import discovery as _discovery
from kmon.sim import resources as R
from kmon.sim import subresources as _subresources
from kmon.sim import writes as _writes
from kmon.sim import tls as _tls
from kmon.sim.faults import ANSWER_FIRST, Faults, UnknownFault, bind_fault
from kmon.sim.httpcore import HTTPServerCore, Request
from kmon.sim.lifecycle import Lifecycle, Phase
from kmon.sim.protocol import RequestLog, RequestRecord, truthy
from kmon.sim.reads import Reads
from kmon.sim.storage import Store, StoreError
from kmon.sim.watch import WatchRegistry
from kmon.sim.watch_cache import WatchCache, WatchCacheOptions

log = logging.getLogger(__name__)

_JSON = ("Content-Type", "application/json")
_FAULT_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
                  410: "Expired", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                  504: "Timeout"}
_HEALTH = ("/healthz", "/livez", "/readyz")
_NOT_INSTALLED = "the request has been made before all known HTTP paths have been installed, please try again"
_METHOD_NOT_ALLOWED = "the server does not allow this method on the requested resource"


class SimServer(HTTPServerCore):
    """An embedded Kubernetes API server (see the package docstring)."""

    def __init__(self, token: str = "t0ken", tls: bool = False, bookmark_interval: float = 60.0, seed: int = 1,
                 host: str = "127.0.0.1", port: int = 0, *, history_limit: int = 100_000,
                 too_large_wait: float = 3.0, user: str = "kmon", watch_timeout: float = 1800.0,
                 watch_cache: WatchCacheOptions | None = None) -> None:
        self._certs = _tls.generate() if tls else None
        super().__init__(host, port, _tls.server_context(self._certs) if self._certs else None)
        self.token = token
        self.tls = tls
        self.bookmark_interval = float(bookmark_interval)
        self.seed = seed
        self.too_large_wait = float(too_large_wait)
        self.user = user
        self.watch_timeout = float(watch_timeout)
        self.store = Store(seed=seed, history_limit=history_limit)
        self.cache = WatchCache(self.store, watch_cache or WatchCacheOptions())
        self.requests = RequestLog()
        self.watches = WatchRegistry()
        self.lifecycle = Lifecycle(self, self.store, self.cache)
        self.faults = Faults(self.store, self.cache, self.watches, self.lifecycle)
        self.reads = Reads(self, self._send_json)
        self._started = False

    # ---------------------------------------------------------------- lifecycle
    @property
    def ca_data(self) -> bytes | None:
        return self._certs.ca_pem if self._certs else None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> "SimServer":
        if not self._started:
            self.serve()
            self._started = True
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self.lifecycle.stop()
        self.begin_shutdown()
        for s in self.watches.all():
            s.cancel()
        self.store.wake()
        self.shutdown_core()

    # what watch streams and reads ask of their server (kmon.sim.reads.ReadHost)
    def stalled_until(self) -> float:
        return self.faults.pending.stalled_until()

    def phase(self) -> Phase:
        return self.lifecycle.phase()

    def __enter__(self) -> "SimServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- responses
    def _send_json(self, req: Request, code: int, body, headers=()) -> int:
        data = body if isinstance(body, (bytes, bytearray)) else orjson.dumps(body)
        typed = any(k.lower() == "content-type" for k, _ in headers)
        req.conn.send_response(code, [*(() if typed else (_JSON,)), *headers], [data], req.keep_alive)
        return code

    def _send_error(self, req: Request, err: StoreError) -> int:
        headers = []
        if err.retry_after is not None:  # as responsewriters.ErrorNegotiated: from retryAfterSeconds
            headers.append(("Retry-After", str(int(err.retry_after) if float(err.retry_after).is_integer() else err.retry_after)))
        return self._send_json(req, err.code, err.status(), headers)

    # ---------------------------------------------------------------- dispatch
    def handle(self, req: Request) -> None:
        t0 = time.time()
        q = dict(parse_qsl(req.query_string, keep_blank_values=True))
        path = unquote(req.path)
        recorded = [False]

        def record(status: int) -> None:
            if not recorded[0] and not path.startswith("/_kmon/"):
                recorded[0] = True
                self.requests.append(RequestRecord(req.method, path, q, t0, status))

        req.conn.on_respond = record
        try:
            status = self._dispatch(req, path, q, record)
        except StoreError as err:
            status = self._send_error(req, err)
        except OSError:
            record(499)
            raise
        except Exception as exc:  # a bug in the sim: answer 500 like an apiserver would
            log.exception("sim: internal error on %s %s", req.method, req.target)
            status = self._send_error(req, StoreError(500, "InternalError", f"Internal error occurred: {exc}"))
        record(status)

    def _dispatch(self, req: Request, path: str, q: dict, record) -> int:
        path = path.rstrip("/") or "/"
        if path in _HEALTH:
            return self._health(req, path)
        user = _access.authenticate(req.headers.get("authorization", ""), self.token, self.user)
        if path.startswith("/_kmon/"):
            if user == _access.ANONYMOUS:
                raise StoreError(401, "Unauthorized", "Unauthorized")
            return self._admin(req, path, q)
        if req.method == "HEAD":  # no route has HEAD (the answer carries no body)
            raise StoreError(405, "MethodNotAllowed", _METHOD_NOT_ALLOWED)
        if self.lifecycle.phase() == Phase.INSTALLING:  # restarting: the not-found handler answers
            raise StoreError(503, "ServiceUnavailable", _NOT_INSTALLED, retry_after=5)
        fail = self.faults.pending.take_failure()
        if fail is not None:
            code, ra = fail
            raise StoreError(code, _FAULT_REASONS.get(code, "Unknown"), f"injected fault: HTTP {code}",
                             details={"retryAfterSeconds": int(ra)} if ra else None, retry_after=ra)
        html = self.faults.pending.take_html()
        if html is not None:
            page = (b"<html><head><title>%d Bad Gateway</title></head><body><center><h1>%d Bad Gateway"
                    b"</h1></center><hr><center>nginx</center></body></html>\n" % (html, html))
            req.conn.send_response(html, [("Content-Type", "text/html")], [page], req.keep_alive)
            return html
        segs = [s for s in path.split("/") if s]
        if user == _access.ANONYMOUS and not _access.is_resource_path(segs) and path not in _access.PUBLIC_PATHS:
            raise _access.nonresource_forbidden(user, req.method, path)
        if req.method == "GET":
            doc = self._discovery(req, path, segs)
            if doc is not None:
                return self._send_json(req, 200, doc.body, doc.headers)
        elif len(segs) <= 1 or (segs[0] == "api" and len(segs) == 2) or (segs[0] == "apis" and len(segs) <= 3):
            raise StoreError(405, "MethodNotAllowed", _METHOD_NOT_ALLOWED)  # discovery is GET only
        if len(segs) >= 2 and segs[0] == "api" and segs[1] == "v1":
            group, version, rest = "", "v1", segs[2:]
        elif len(segs) >= 4 and segs[0] == "apis":
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            ns, rest = rest[1], rest[2:]
        res = R.BY_PATH.get((group, version, rest[0]))
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if (res is None or len(rest) > 3 or (ns is not None and not res.namespaced)
                or (sub is not None and res.subresource(sub) is None)):
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        if name is not None and res.namespaced and ns is None:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        verb = self._verb(req.method, name, sub, q)
        if verb not in (res.subresource(sub).verbs if sub else res.verbs):
            raise StoreError(405, "MethodNotAllowed", _METHOD_NOT_ALLOWED)
        if verb in ("create", "deletecollection") and res.namespaced and ns is None:
            raise StoreError(405, "MethodNotAllowed", _METHOD_NOT_ALLOWED)  # across namespaces: GET only
        if user == _access.ANONYMOUS or self.faults.pending.is_forbidden(res.plural, res.group):
            raise _access.forbidden(user, res, verb, ns, name, sub)
        if not res.stored and res.key != "bindings":  # the reviews: answered, never stored
            try:
                body = _writes.decode(_writes.Call(res, verb, ns, name, sub, q, "application/json", req.body))
            except StoreError:  # protobuf (kubectl auth): the answer does not depend on it
                body = {}
            return self._send_json(req, 201, _access.review(res, body if isinstance(body, dict) else {}, user))
        if sub in _subresources.SERVED or res.key == "bindings":
            ans = _subresources.serve(self.store, res, req.method, ns, name, sub or "binding", q, req.body)
            return self._send_json(req, ans.code, ans.body, (("Content-Type", ans.content_type),))
        if verb == "watch":
            return self.reads.watch(req, res, ns, name, q, record)
        if verb == "list":
            return self.reads.list(req, res, ns, q)
        if verb == "get":
            return self.reads.get(req, res, ns, name)
        return self._write(req, res, verb, ns, name, sub, q)

    @staticmethod
    def _verb(method: str, name: str | None, sub: str | None, q: dict) -> str:
        """The API verb of a request; 405 for a method the path's route does not have (a
        collection: GET POST DELETE; an object: GET PUT PATCH DELETE; a subresource's own
        verbs, such as POST on pods/NAME/binding, are checked against the catalog)."""
        if method == "GET":
            if truthy(q.get("watch")):
                return "watch"
            return "get" if name else "list"
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb == "delete" and name is None:
            return "deletecollection"
        if verb is None or (sub is None and (verb == "create") != (name is None)):
            raise StoreError(405, "MethodNotAllowed", _METHOD_NOT_ALLOWED)
        return verb

    def _discovery(self, req: Request, path: str, segs: list[str]):
        """The discovery or OpenAPI document at ``path`` (None: not a discovery path)."""
        return _discovery.serve(req.headers.get("accept", ""), path, segs, f"{self.host}:{self.port}")

    # ---------------------------------------------------------------- health and admin
    def _health(self, req: Request, path: str) -> int:
        """/livez and /healthz: up; /readyz: not while a restarted server is still starting."""
        code = 200 if path != "/readyz" or self.lifecycle.phase() == Phase.SERVING else 500
        body = b"ok" if code == 200 else b"[-]poststarthook/watch-cache failed: not finished\nreadyz check failed\n"
        req.conn.send_response(code, [("Content-Type", "text/plain; charset=utf-8")], [body], req.keep_alive)
        return code

    def _admin(self, req: Request, path: str, q: dict) -> int:
        segs = [s for s in path.split("/") if s]
        if req.method != "POST" or len(segs) != 3 or segs[1] != "faults":
            raise StoreError(404, "NotFound", "unknown admin endpoint (POST /_kmon/faults/<name>)")
        name = segs[2]
        ok = {"kind": "Status", "apiVersion": "v1", "status": "Success", "message": name}
        try:
            fault = bind_fault(self.faults, name, q, req.body)
            if name in ANSWER_FIRST:  # the listener and this connection go away: answer first, on a
                self.close_listener()  # closed port, so that no connection gets in once it is read
                self._send_json(req, 200, {**ok, "details": {"result": None}})
                fault()
                return 200
            result = fault()
        except UnknownFault:
            raise StoreError(404, "NotFound", f"unknown fault {name!r}") from None
        except (TypeError, ValueError) as exc:
            raise StoreError(400, "BadRequest", f"fault {name}: {exc}") from None
        return self._send_json(req, 200, {**ok, "details": {"result": result}})

    # ---------------------------------------------------------------- writes
    def _write(self, req: Request, res: R.Resource, verb: str, ns: str | None, name: str | None, sub: str | None,
               q: dict) -> int:
        call = _writes.Call(res, verb, ns, name, sub, q,
                            req.headers.get("content-type", "").split(";")[0].strip().lower(), req.body,
                            req.headers.get("user-agent", ""))
        out = _writes.perform(self.store, call)
        return self._send_json(req, out.code, out.body, out.headers)
