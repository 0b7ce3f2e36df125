"""Serving reads: get, list and watch, with kube-apiserver 1.36's resourceVersion semantics.

Where each read is served from, as the cacher's delegator decides:

- list ``resourceVersion=""`` (consistent read) and ``"0"``/NotOlderThan: the watch cache
  ("0": at the resource's cache version, ``limit`` ignored, never paged; NotOlderThan N
  waits for the cache to reach N, then 504 "Timeout: Too large resource version");
- Exact lists and continue tokens: a snapshot from the watch cache while its window still
  reaches back to that revision, else storage -- 410 once storage is compacted past it
  (a continue token's 410 carries a new token that continues at the latest revision);
- watches: always the watch cache. From a version older than its window: HTTP 200, then one
  ERROR event (410 "too old resource version: N (oldest)"). From a future version: a silent
  stream until events pass it (or the timeout);
- while the cache initializes after a restart: 429 "storage is (re)initializing" to watches
  and to lists the cache must serve (lists with a limit and no selector go to storage).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from kmon.sim import resources as R
from kmon.sim.entries import page
from kmon.sim.errors import (CONTINUE_EXPIRED, EXPIRED_LIST, StoreError, expired, initializing,
                             invalid_list_options, not_found, too_large)
from kmon.sim.httpcore import Request
from kmon.sim.lifecycle import Phase
from kmon.sim.protocol import decode_continue, encode_continue, metadata_only, truthy
from kmon.sim.selection import request_matchers
from kmon.sim.table import table, wants_table
from kmon.sim.watch import StreamHost, WatchRegistry, WatchRequest, WatchStream

_JSON = ("Content-Type", "application/json")


class ReadHost(StreamHost, Protocol):
    """What serving reads needs of the server."""

    watches: WatchRegistry
    too_large_wait: float
    watch_timeout: float

    def phase(self) -> Phase: ...


def parse_rv(rv: str) -> int:
    try:
        n = int(rv)
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        raise StoreError(400, "BadRequest", f'invalid resource version "{rv}"') from None


class Reads:
    def __init__(self, host: ReadHost, send_json: Callable[[Request, int, Any], int]) -> None:
        self.host = host
        self._send_json = send_json

    # ---------------------------------------------------------------- freshness
    def _fresh(self, res: R.Resource, n: int) -> int:
        """The cache version once it is at least ``n``: at once when the store is there (a
        progress notification), else after waiting up to ``too_large_wait`` for the store;
        504 Timeout "Too large resource version" (Retry-After 1) if it never comes."""
        store, cache = self.host.store, self.host.cache
        v = cache.version(res)
        if n <= v:
            return v
        if n <= store.revision or store.wait_for_revision(n, self.host.too_large_wait):
            return cache.sync(res)
        raise too_large(n, cache.version(res))

    # ---------------------------------------------------------------- get
    def get(self, req: Request, res: R.Resource, ns: str | None, name: str) -> int:
        store = self.host.store
        with store.lock:
            e = store.current(res)[0].get((ns or "", name))
        if e is None:
            raise not_found(res, name)
        accept = req.headers.get("accept", "")
        if wants_table(accept):
            return self._send_json(req, 200, table(res, [e], {"resourceVersion": str(e.rv)}))
        return self._send_json(req, 200, e.meta_raw() if metadata_only(accept) else e.raw)

    # ---------------------------------------------------------------- list
    def list(self, req: Request, res: R.Resource, ns: str | None, q: dict) -> int:
        host = self.host
        store, cache = host.store, host.cache
        lm, fm = request_matchers(res, q)
        rv, rvm = q.get("resourceVersion", ""), q.get("resourceVersionMatch", "")
        cont = q.get("continue", "")
        try:
            limit = max(0, int(q.get("limit") or 0))
        except ValueError:
            raise StoreError(400, "BadRequest", f"invalid limit {q.get('limit')!r}") from None
        starting = host.phase() == Phase.INITIALIZING
        after = None
        if cont:
            if rv:
                raise StoreError(400, "BadRequest", "specifying resource version is not allowed when using continue")
            at, after = decode_continue(cont)
            from_cache = at >= 0 and not starting and cache.serves(res, at)
            at = at if at >= 0 else None  # -1: continue at the latest revision (after a 410)
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
            if rvm == "Exact" or (rvm == "" and limit > 0 and rv not in ("", "0")):  # Exact (or legacy exact)
                at = parse_rv(rv)
                self._fresh(res, at)
                from_cache = not starting and cache.serves(res, at)
            elif starting:
                if not limit or lm is not None or fm is not None:
                    raise initializing()
                at, from_cache = None, False  # a plain paged list goes to storage meanwhile
            elif rv == "0":
                at, from_cache, limit = cache.version(res), True, 0  # the cache ignores the limit
            elif rv == "":
                at, from_cache = cache.sync(res), True  # consistent read from the cache
            else:
                at, from_cache = self._fresh(res, parse_rv(rv)), True
        with store.lock:
            if from_cache:
                items, keys = cache.state_at(res, at)
            else:
                if at is None:
                    at = store.revision
                elif at < store.compacted_revision:
                    if not cont:
                        raise expired(EXPIRED_LIST)
                    err = expired(CONTINUE_EXPIRED)
                    err.metadata = {"continue": encode_continue(-1, after)}
                    raise err
                items, keys = store.state_at(res, at)
            entries, nxt, remaining = page(items, keys, namespace=ns if res.namespaced else None, lmatch=lm,
                                           fmatch=fm, after=after, limit=limit)
        return self._respond_list(req, res, entries, at, nxt, remaining)

    def _respond_list(self, req: Request, res: R.Resource, entries, rev: int, nxt, remaining) -> int:
        accept = req.headers.get("accept", "")
        if wants_table(accept):
            lm_doc: dict = {"resourceVersion": str(rev)}
            if nxt is not None:
                lm_doc["continue"] = encode_continue(rev, nxt)
                if remaining is not None:
                    lm_doc["remainingItemCount"] = remaining
            return self._send_json(req, 200, table(res, entries, lm_doc))
        if metadata_only(accept):
            kind, api = b"PartialObjectMetadataList", b"meta.k8s.io/v1"
            raws = [e.meta_raw() for e in entries]
        else:
            kind, api = res.list_kind.encode(), res.api_version.encode()
            raws = [e.raw for e in entries]
        lmeta = b'"resourceVersion":"%d"' % rev
        if nxt is not None:
            lmeta += b',"continue":"%s"' % encode_continue(rev, nxt).encode()
            if remaining is not None:
                lmeta += b',"remainingItemCount":%d' % remaining
        head = b'{"kind":"%s","apiVersion":"%s","metadata":{%s},"items":[' % (kind, api, lmeta)
        req.conn.send_joined(200, [_JSON], head, raws, b"]}", req.keep_alive)
        return 200

    # ---------------------------------------------------------------- watch
    def watch(self, req: Request, res: R.Resource, ns: str | None, name: str | None, q: dict,
              record: Callable[[int], None]) -> int:
        host = self.host
        store, cache = host.store, host.cache
        lm, fm = request_matchers(res, q, name)
        rv, rvm = q.get("resourceVersion", ""), q.get("resourceVersionMatch", "")
        sie = q.get("sendInitialEvents")
        if sie is not None and truthy(sie) and rvm != "NotOlderThan":
            raise invalid_list_options("resourceVersionMatch", "FieldValueForbidden", "Forbidden: sendInitialEvents "
                                       "requires setting resourceVersionMatch to NotOlderThan")
        if rvm and sie is None:
            raise invalid_list_options("resourceVersionMatch", "FieldValueForbidden", "Forbidden: "
                                       "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")
        try:
            timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds") else host.watch_timeout
        except ValueError:
            raise StoreError(400, "BadRequest", "invalid timeoutSeconds") from None
        n = parse_rv(rv) if rv not in ("", "0") else None
        if host.phase() == Phase.INITIALIZING:
            raise initializing()
        send_initial = truthy(sie) if sie is not None else n is None
        accept = req.headers.get("accept", "")
        stream = WatchStream(host, req.conn, WatchRequest(
            res, namespace=ns, lmatch=lm, fmatch=fm, metadata_only=metadata_only(accept), table=wants_table(accept),
            bookmarks=truthy(q.get("allowWatchBookmarks")), timeout=timeout))
        failure: StoreError | None = None
        initial, cursor = None, 0
        if send_initial and sie is not None and n is not None:
            try:  # a watch-list from a version: the cache must reach it first (else ERROR 504)
                self._fresh(res, n)
            except StoreError as err:
                failure = err
        if failure is None:
            with store.lock:
                if send_initial:
                    cursor = cache.sync(res) if sie is not None and rv == "" else cache.version(res)
                    items, keys = cache.state_at(res, cursor)
                    initial, _, _ = page(items, keys, namespace=ns if res.namespaced else None, lmatch=lm, fmatch=fm)
                elif n is None:
                    cursor = cache.version(res)
                else:
                    cursor, failure = n, cache.check_watch_from(res, n)
        host.watches.add(stream)
        req.conn.streaming = True
        try:
            record(200)  # before the first byte: a client that sees 200 finds the record
            stream.start_headers()
            if failure is not None:
                stream.send_error_and_end(failure)
            else:
                # the initial-events end bookmark only to a client that allows bookmarks
                end_bookmark = bool(sie is not None and truthy(sie) and stream.req.bookmarks)
                stream.run(initial, cursor, initial_end_bookmark=end_bookmark)
        finally:
            req.conn.streaming = False
            host.watches.remove(stream)
        return 200
