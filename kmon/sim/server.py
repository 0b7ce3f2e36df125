"""``SimServer``: HTTP routing, authentication, discovery, list/get/write/watch handlers."""

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
from kmon.sim.faults import Faults
from kmon.sim.httpcore import HTTPServerCore, Request
from kmon.sim.protocol import (RequestLog, RequestRecord, _decode_continue, _encode_continue,
                               _metadata_only, _truthy)
from kmon.sim.selectors import SelectorError, parse_field_selector, parse_label_selector
from kmon.sim.table import table, wants_table
from kmon.sim.errors import invalid_list_options
from kmon.sim.storage import Store, StoreError, expired, not_found, too_large
from kmon.sim.watch import WatchRegistry, WatchStream

log = logging.getLogger(__name__)

_JSON = ("Content-Type", "application/json")
_FAULT_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
                  410: "Expired", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                  504: "Timeout"}
_CONTINUE_TOO_OLD = ("The provided continue parameter is too old to display a consistent list result. You can start "
                     "a new list without the continue parameter, or use the continue token in this response to "
                     "retrieve the remainder of the results. Continuing with the provided token results in an "
                     "inconsistent list - objects that were created, modified, or deleted between the time the "
                     "first chunk was returned and now may show up in the list.")


class SimServer(HTTPServerCore):
    """An embedded Kubernetes API server (see the package docstring)."""

    def __init__(self, token: str = "t0ken", tls: bool = False, bookmark_interval: float = 60.0, seed: int = 1,
                 host: str = "127.0.0.1", port: int = 0, *, history_limit: int = 100_000,
                 too_large_wait: float = 0.5, user: str = "kmon", watch_timeout: float = 1800.0) -> None:
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
        self.faults = Faults(self)
        self.requests = RequestLog()
        self.watches = WatchRegistry()
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
            self._stopping = False
            self._open_listener()
            self._started = True
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self.faults.stop()
        self._stopping = True
        for s in self.watches.all():
            s.done = True
        with self.store.cond:
            self.store.cond.notify_all()
        self.shutdown_core()

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
        if err.retry_after is not None and err.code == 429:
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
        if path in ("/healthz", "/livez", "/readyz"):
            req.conn.send_response(200, [("Content-Type", "text/plain")], [b"ok"], req.keep_alive)
            return 200
        user = _access.authenticate(req.headers.get("authorization", ""), self.token, self.user)
        if path.startswith("/_kmon/"):
            if user == _access.ANONYMOUS:
                raise StoreError(401, "Unauthorized", "Unauthorized")
            return self._admin(req, path, q)
        fail = self.faults.take_failure()
        if fail is not None:
            code, ra = fail
            raise StoreError(code, _FAULT_REASONS.get(code, "Unknown"), f"injected fault: HTTP {code}",
                             details={"retryAfterSeconds": int(ra)} if ra else None, retry_after=ra)
        html = self.faults.take_html()
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
        verb = self._verb(req.method, name, q)
        if verb not in (res.subresource(sub).verbs if sub else res.verbs):
            raise StoreError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if user == _access.ANONYMOUS or self.faults.is_forbidden(res.plural, res.group):
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
            return self._watch(req, res, ns, name, q, record)
        if verb == "list":
            return self._list(req, res, ns, q)
        if verb == "get":
            return self._get(req, res, ns, name)
        return self._write(req, res, verb, ns, name, sub, q)

    @staticmethod
    def _verb(method: str, name: str | None, q: dict) -> str:
        if method in ("GET", "HEAD"):
            if _truthy(q.get("watch")):
                return "watch"
            return "get" if name else "list"
        if method == "POST":
            return "create"
        if method == "PUT":
            return "update"
        if method == "PATCH":
            return "patch"
        if method == "DELETE":
            return "delete" if name else "deletecollection"
        raise StoreError(405, "MethodNotAllowed", f"method {method} is not supported")

    def _discovery(self, req: Request, path: str, segs: list[str]):
        """The discovery or OpenAPI document at ``path`` (None: not a discovery path)."""
        return _discovery.serve(req.headers.get("accept", ""), path, segs, f"{self.host}:{self.port}")

    # ---------------------------------------------------------------- admin
    def _admin(self, req: Request, path: str, q: dict) -> int:
        segs = [s for s in path.split("/") if s]
        if req.method != "POST" or len(segs) != 3 or segs[1] != "faults":
            raise StoreError(404, "NotFound", "unknown admin endpoint (POST /_kmon/faults/<name>)")
        f, name = self.faults, segs[2]
        seconds = float(q.get("seconds", "5"))
        if name == "compact":
            result = f.compact(int(q["revision"]) if q.get("revision") else None)
        elif name == "drop_watches":
            result = f.drop_watches()
        elif name == "refuse_connections":
            # answer first: the listener and this connection go away right after
            self._send_json(req, 200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                                       "message": name, "details": {"result": seconds}})
            f.refuse_connections(seconds)
            return 200
        elif name == "fail_next":
            ra = q.get("retry_after")
            f.fail_next(int(q.get("n", "1")), int(q.get("code", "500")), float(ra) if ra else None)
            result = None
        elif name == "stall_watches":
            result = f.stall_watches(seconds)
        elif name == "send_malformed_line":
            result = f.send_malformed_line()
        elif name == "html_next":
            result = f.html_next(int(q.get("n", "1")), int(q.get("code", "502")))
        elif name == "inject_raw":  # the request body is written verbatim
            result = f.inject_raw(req.body or b"", q.get("close", "").lower() in ("1", "true"))
        elif name == "jump_revision":
            result = f.jump_revision(int(q.get("delta", "1000")))
        elif name == "forbid":
            result = f.forbid(q["resource"], q.get("group", ""))
        elif name == "allow":
            result = f.allow(q.get("resource"), q.get("group", ""))
        elif name == "reset":
            result = f.reset()
        else:
            raise StoreError(404, "NotFound", f"unknown fault {name!r}")
        return self._send_json(req, 200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                                          "message": name, "details": {"result": result}})

    # ---------------------------------------------------------------- reads
    def _selectors(self, res: R.Resource, q: dict, name: str | None = None):
        try:
            lm = parse_label_selector(q.get("labelSelector"))
            fs = q.get("fieldSelector") or ""
            if name is not None:
                fs = f"metadata.name={name}" + ("," + fs if fs else "")
            fm = parse_field_selector(fs, ("metadata.name", "metadata.namespace") + res.fields)
        except SelectorError as exc:
            raise StoreError(400, "BadRequest", str(exc)) from None
        return lm, fm

    def _parse_rv(self, rv: str) -> int:
        try:
            n = int(rv)
            if n < 0:
                raise ValueError
            return n
        except ValueError:
            raise StoreError(400, "BadRequest", f'invalid resource version "{rv}"') from None

    def _not_too_large(self, n: int) -> None:
        if n > self.store.revision and not self.store.wait_for_revision(n, self.too_large_wait):
            err = too_large(n, self.store.revision)
            err.details["retryAfterSeconds"] = 1
            err.retry_after = None
            raise err

    def _get(self, req: Request, res: R.Resource, ns: str | None, name: str) -> int:
        with self.store.lock:
            e = self.store._tables[res.key].items.get((ns or "", name))
        if e is None:
            raise not_found(res, name)
        accept = req.headers.get("accept", "")
        if wants_table(accept):
            return self._send_json(req, 200, table(res, [e], {"resourceVersion": str(e.rv)}))
        return self._send_json(req, 200, e.meta_raw() if _metadata_only(accept) else e.raw)

    def _list(self, req: Request, res: R.Resource, ns: str | None, q: dict) -> int:
        lm, fm = self._selectors(res, q)
        rv, rvm = q.get("resourceVersion", ""), q.get("resourceVersionMatch", "")
        cont = q.get("continue", "")
        try:
            limit = max(0, int(q.get("limit") or 0))
        except ValueError:
            raise StoreError(400, "BadRequest", f"invalid limit {q.get('limit')!r}") from None
        at, after = None, None
        if cont:
            if rv:
                raise StoreError(400, "BadRequest", "specifying resource version is not allowed when using continue")
            at, after = _decode_continue(cont)
            if at < self.store.compacted_revision:
                raise expired(_CONTINUE_TOO_OLD)
        else:
            if rvm not in ("", "Exact", "NotOlderThan"):
                raise invalid_list_options("resourceVersionMatch", "FieldValueNotSupported", f'Unsupported value: '
                                           f'"{rvm}": supported values: "Exact", "NotOlderThan", ""')
            if rvm and rv == "":
                raise invalid_list_options("resourceVersionMatch", "FieldValueForbidden", "Forbidden: "
                                           "resourceVersionMatch is forbidden unless resourceVersion is provided")
            if rvm == "Exact" and rv == "0":
                raise invalid_list_options("resourceVersionMatch", "FieldValueForbidden", 'Forbidden: '
                                           'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
            if rv == "0":
                limit = 0  # served from the watch cache: the limit is ignored, the list is not paginated
            elif rv:
                n = self._parse_rv(rv)
                self._not_too_large(n)
                if rvm == "Exact" or (rvm == "" and limit > 0):
                    at = n
        entries, rev, nxt, remaining = self.store.list_entries(res, namespace=ns, lmatch=lm, fmatch=fm,
                                                               at=at, after=after, limit=limit)
        accept = req.headers.get("accept", "")
        if wants_table(accept):
            lm_doc: dict = {"resourceVersion": str(rev)}
            if nxt is not None:
                lm_doc["continue"] = _encode_continue(rev, nxt)
                if remaining is not None:
                    lm_doc["remainingItemCount"] = remaining
            return self._send_json(req, 200, table(res, entries, lm_doc))
        if _metadata_only(accept):
            kind, api = b"PartialObjectMetadataList", b"meta.k8s.io/v1"
            raws = [e.meta_raw() for e in entries]
        else:
            kind, api = res.list_kind.encode(), res.api_version.encode()
            raws = [e.raw for e in entries]
        lmeta = b'"resourceVersion":"%d"' % rev
        if nxt is not None:
            lmeta += b',"continue":"%s"' % _encode_continue(rev, nxt).encode()
            if remaining is not None:
                lmeta += b',"remainingItemCount":%d' % remaining
        head = b'{"kind":"%s","apiVersion":"%s","metadata":{%s},"items":[' % (kind, api, lmeta)
        req.conn.send_joined(200, [_JSON], head, raws, b"]}", req.keep_alive)
        return 200

    # ---------------------------------------------------------------- watch
    def _watch(self, req: Request, res: R.Resource, ns: str | None, name: str | None, q: dict, record) -> int:
        lm, fm = self._selectors(res, q, name)
        rv, rvm = q.get("resourceVersion", ""), q.get("resourceVersionMatch", "")
        sie = q.get("sendInitialEvents")
        if sie is not None and _truthy(sie) and rvm != "NotOlderThan":
            raise invalid_list_options("resourceVersionMatch", "FieldValueForbidden", "Forbidden: sendInitialEvents "
                                       "requires setting resourceVersionMatch to NotOlderThan")
        if rvm and sie is None:
            raise invalid_list_options("resourceVersionMatch", "FieldValueForbidden", "Forbidden: "
                                       "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")
        try:
            timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds") else self.watch_timeout
        except ValueError:
            raise StoreError(400, "BadRequest", "invalid timeoutSeconds") from None
        n = None
        if rv not in ("", "0"):
            n = self._parse_rv(rv)
            self._not_too_large(n)
        initial_events = (_truthy(sie) if sie is not None else n is None)
        stream = WatchStream(self, req.conn, res, namespace=ns, lmatch=lm, fmatch=fm,
                             metadata_only=_metadata_only(req.headers.get("accept", "")),
                             table=wants_table(req.headers.get("accept", "")),
                             bookmarks=_truthy(q.get("allowWatchBookmarks")), timeout=timeout)
        initial, cursor, too_old = None, n if n is not None else 0, None
        if initial_events:
            initial, cursor, _, _ = self.store.list_entries(res, namespace=ns, lmatch=lm, fmatch=fm)
        elif n is None:
            cursor = self.store.revision
        elif n < self.store.compacted_revision:
            too_old = expired(f"too old resource version: {n} ({self.store.compacted_revision})")
        self.watches.add(stream)
        req.conn.streaming = True
        try:
            record(200)  # before the first byte: a client that sees 200 finds the record
            stream.start_headers()
            if too_old is not None:
                stream.send_error_and_end(too_old)
            else:
                stream.run(initial, cursor, initial_end_bookmark=bool(sie is not None and _truthy(sie)))
        finally:
            req.conn.streaming = False
            self.watches.remove(stream)
        return 200

    # ---------------------------------------------------------------- writes
    def _write(self, req: Request, res: R.Resource, verb: str, ns: str | None, name: str | None, sub: str | None,
               q: dict) -> int:
        call = _writes.Call(res, verb, ns, name, sub, q,
                            req.headers.get("content-type", "").split(";")[0].strip().lower(), req.body,
                            req.headers.get("user-agent", ""))
        out = _writes.perform(self.store, call)
        return self._send_json(req, out.code, out.body, out.headers)
