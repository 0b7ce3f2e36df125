"""Raw GETs over the official client's connection pool, with kmon's error mapping.

Why this module exists: the generated API methods decode every response into models, which is
many times slower than kmon needs, and ``kubernetes.watch.Watch`` parses each event several
times. We keep the official client's *transport* (its urllib3 pool manager, configured with
the kubeconfig's TLS settings and proxy) and its *auth* (``update_params_for_auth``, which
runs the loader's refresh hook, so exec-plugin and OIDC tokens are renewed), and do the rest
ourselves: one GET, ``preload_content=False``, orjson on the raw bytes.

Errors: HTTP errors become ``ApiStatusError`` (from the Status body when there is one, a short
message naming the code and content type otherwise); transport failures become ``OSError``
subclasses (``ConnectionRefusedError`` for ECONNREFUSED, ``TimeoutError`` for read timeouts).
This module only ever issues GET.
"""

from __future__ import annotations

import email.utils
import http.client
import errno
import re
import socket
import ssl
import time
from typing import Any, Iterable
from urllib.parse import urlencode

import orjson
import urllib3
from urllib3 import exceptions as u3e

from kmon.cache.errors import ApiStatusError

__all__ = ["TLSError", "error_from_response", "get_json", "open_get", "parse_retry_after", "probe", "request_headers"]

JSON = "application/json"
_ERROR_BODY_LIMIT = 64 * 1024
_TITLE_RE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


class TLSError(ConnectionError):
    """The TLS handshake failed (unknown CA, wrong host name, bad client certificate)."""


def base_url(api_client: Any) -> str:
    return str(api_client.configuration.host).rstrip("/")


def request_headers(api_client: Any, path: str, accept: str, *, compressed: bool = False) -> dict[str, str]:
    """The headers the official client would send for a GET of ``path`` (auth refreshed);
    ``compressed`` asks for a gzipped body, as client-go does (kube-apiserver compresses
    bodies over 128 KB; urllib3 decodes them)."""
    headers: dict[str, str] = dict(getattr(api_client, "default_headers", {}) or {})
    headers["Accept"] = accept
    if compressed:
        headers["Accept-Encoding"] = "gzip"
    headers["User-Agent"] = getattr(api_client, "user_agent", None) or "kmon"
    queries: list[tuple[str, str]] = []
    api_client.update_params_for_auth(headers, queries, ["BearerToken"], path, "GET", None)
    return headers


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_response(status: int, headers: Any, body: bytes, reason: str = "") -> ApiStatusError:
    """An ``ApiStatusError`` for an HTTP error response; never embeds the whole body."""
    retry_after = parse_retry_after(headers.get("Retry-After") if headers is not None else None)
    ctype = (headers.get("Content-Type") if headers is not None else None) or "no content type"
    if body[:1] in (b"{", b" ", b"\n", b"\t") or "json" in ctype:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and doc.get("kind") == "Status":
            err = ApiStatusError.from_status(doc, http_code=status, retry_after=retry_after)
            if not err.code:
                err.code = status
            return err
    snippet = ""
    m = _TITLE_RE.search(body[:_ERROR_BODY_LIMIT])
    if m:
        title = re.sub(r"\s+", " ", m.group(1).decode("utf-8", "replace")).strip()[:80]
        if title:
            snippet = f", title {title!r}"
    message = f"HTTP {status} {reason}".rstrip() + f" with a non-Status body ({ctype.split(';')[0].strip()}, {len(body)} bytes{snippet})"
    return ApiStatusError(status, "", message, retry_after=retry_after)


def _root_oserror(exc: BaseException) -> OSError | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and not isinstance(cur, u3e.HTTPError):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None


def transport_error(exc: BaseException, url: str, *, read_timeout: float | None = None) -> OSError:
    """Map a urllib3/socket failure to the right ``OSError`` subclass with a short message."""
    where = url.split("?", 1)[0]
    root = _root_oserror(exc)
    connecting = isinstance(exc, (u3e.NewConnectionError, u3e.ConnectTimeoutError))
    if root is not None and root.errno == errno.ETIMEDOUT and not connecting:
        # the kernel gave the connection up: TCP keepalive probes went unanswered (see
        # liveness), unlike a read timeout (errno None), which only means silence
        return ConnectionResetError(errno.ETIMEDOUT, f"connection lost: the server stopped answering TCP keepalive probes ({where})")
    if isinstance(exc, u3e.ReadTimeoutError) or isinstance(exc, socket.timeout):
        n = f"{read_timeout:g} s" if read_timeout else "the read timeout"
        return TimeoutError(f"no data from server for {n} ({where})")
    if isinstance(exc, u3e.SSLError) or isinstance(exc, ssl.SSLError):
        cause = root or exc
        return TLSError(f"TLS error talking to {where}: {getattr(cause, 'reason', None) or cause}")
    if isinstance(root, ConnectionRefusedError) or (root is not None and root.errno == errno.ECONNREFUSED):
        return ConnectionRefusedError(errno.ECONNREFUSED, f"connection refused: {where}")
    if isinstance(exc, u3e.NameResolutionError):
        return ConnectionError(f"cannot resolve host of {where}")
    if isinstance(exc, u3e.ConnectTimeoutError) and not isinstance(exc, u3e.NewConnectionError):
        return TimeoutError(f"timed out connecting to {where}")
    if isinstance(root, ConnectionResetError):
        return ConnectionResetError(errno.ECONNRESET, f"connection reset by server: {where}")
    if isinstance(root, (TimeoutError, socket.timeout)):
        n = f"{read_timeout:g} s" if read_timeout else "the read timeout"
        return TimeoutError(f"no data from server for {n} ({where})")
    if isinstance(exc, (u3e.ProtocolError, u3e.IncompleteRead, http.client.HTTPException)):
        return ConnectionResetError(errno.ECONNRESET, f"connection closed mid-response: {where}")
    if isinstance(root, OSError):
        return ConnectionError(f"{type(root).__name__}: {root} ({where})")
    return ConnectionError(f"{type(exc).__name__}: {exc} ({where})")


def build_url(api_client: Any, path: str, query: Iterable[tuple[str, Any]] = ()) -> str:
    q = [(k, v) for k, v in query if v is not None and v != ""]
    return base_url(api_client) + path + ("?" + urlencode(q) if q else "")


def open_get(
    api_client: Any,
    path: str,
    query: Iterable[tuple[str, Any]] = (),
    *,
    accept: str = JSON,
    connect_timeout: float | None = 30.0,
    read_timeout: float | None = None,
    on_response: Any = None,
    compressed: bool = False,
) -> urllib3.BaseHTTPResponse:
    """Issue one GET, return the open (unread) response for a 2xx, raise otherwise.

    ``on_response(resp)`` is called as soon as the response exists (so another thread can
    close it); error bodies are read (bounded) and the response released before raising.
    ``compressed``: ask for gzip (for whole bodies; a watch stream is read raw, uncompressed).
    """
    url = build_url(api_client, path, query)
    headers = request_headers(api_client, path, accept, compressed=compressed)
    pool = api_client.rest_client.pool_manager
    try:
        resp = pool.request(
            "GET",
            url,
            headers=headers,
            preload_content=False,
            decode_content=True,
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        )
    except (u3e.HTTPError, OSError, http.client.HTTPException) as e:
        raise transport_error(e, url, read_timeout=read_timeout) from e
    if on_response is not None:
        on_response(resp)
    if resp.status >= 300:
        try:
            body = resp.read(_ERROR_BODY_LIMIT) or b""
        except (u3e.HTTPError, OSError):
            body = b""
        finally:
            # never hand a connection with unread error body back to the pool
            resp.close()
            resp.release_conn()
        raise error_from_response(resp.status, resp.headers, body, resp.reason or "")
    return resp


def probe(api_client: Any, path: str, *, timeout: float) -> int:
    """GET ``path`` with ``timeout`` seconds for the whole exchange (connecting, TLS, the
    answer) and return the HTTP status: any status means the server answered. Raises the
    mapped ``OSError`` when it did not (``TimeoutError`` when the time ran out)."""
    url = build_url(api_client, path)
    headers = request_headers(api_client, path, "text/plain, application/json")
    pool = api_client.rest_client.pool_manager
    try:
        resp = pool.request("GET", url, headers=headers, redirect=False, retries=False,
                            timeout=urllib3.Timeout(total=max(timeout, 0.001)))
    except (u3e.HTTPError, OSError, http.client.HTTPException) as e:
        raise transport_error(e, url, read_timeout=timeout) from e
    return int(resp.status)


def read_json(resp: Any, url: str, *, read_timeout: float | None = None) -> Any:
    """Read a whole 2xx response and decode it with orjson."""
    try:
        body = resp.read()
    except (u3e.HTTPError, OSError, http.client.HTTPException) as e:
        raise transport_error(e, url, read_timeout=read_timeout) from e
    finally:
        resp.release_conn()
    ctype = resp.headers.get("Content-Type") or ""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiStatusError(
            resp.status,
            "",
            f"expected JSON from {url.split('?', 1)[0]}, got {ctype.split(';')[0] or 'no content type'} ({len(body)} bytes)",
        ) from None


def get_json(api_client: Any, path: str, query: Iterable[tuple[str, Any]] = (), *, accept: str = JSON, read_timeout: float | None = 60.0) -> Any:
    """GET ``path`` (gzip welcome) and return the decoded JSON body."""
    resp = open_get(api_client, path, query, accept=accept, read_timeout=read_timeout, compressed=True)
    return read_json(resp, path, read_timeout=read_timeout)


# -- urllib3's response internals: the only place kmon reaches into them --------------------------

def body_reader(resp: Any) -> tuple[Any, Any]:
    """How to read ``resp``'s body fast: ``(read1, None)``, or ``(None, raw)`` when the body is
    chunked and uncompressed, so the caller can de-chunk ``raw`` (the socket's buffered reader)
    itself from large reads."""
    fp = getattr(resp, "_fp", None)
    if fp is None or resp.headers.get("Content-Encoding"):
        return resp.read1, None  # urllib3 decompresses (watches do not ask for compression)
    raw = getattr(fp, "fp", None)
    if (getattr(fp, "chunked", False) and getattr(fp, "chunk_left", 0) is None
            and raw is not None and hasattr(raw, "read1")):
        return None, raw
    if hasattr(fp, "read1"):
        return fp.read1, None
    return resp.read1, None


def _socket_of(resp: Any) -> Any:
    """The socket under ``resp`` (None when urllib3 no longer holds one)."""
    sock = None
    conn = getattr(resp, "_connection", None) or getattr(resp, "connection", None)
    if conn is not None:
        sock = getattr(conn, "sock", None)
    if sock is None:
        fp = getattr(resp, "_fp", None)
        raw = getattr(getattr(fp, "fp", None), "raw", None)
        sock = getattr(raw, "_sock", None)
    return sock


def set_read_timeout(resp: Any, seconds: float | None) -> None:
    """Make reads of ``resp``'s body time out after ``seconds`` of silence (None: never)."""
    sock = _socket_of(resp)
    if sock is not None:
        try:
            sock.settimeout(seconds)
        except OSError:
            pass


def shutdown_socket(resp: Any) -> None:
    """Shut the socket under ``resp`` down so a read blocked in another thread returns."""
    sock = _socket_of(resp)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

