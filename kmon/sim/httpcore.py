"""A lean threaded HTTP/1.1 server: one accept thread, one thread per connection,
keep-alive, Content-Length and chunked request bodies, optional TLS. The listener can be
closed and reopened on the same port (to simulate an API server restart).

Responses are gzip-compressed as kube-apiserver compresses them: when the request accepts
gzip and the body is larger than 128 KiB (``Content-Encoding: gzip``, ``Vary:
Accept-Encoding``, sent chunked as Go's server does; watch streams never). A response to
HEAD carries the headers only.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import zlib
from typing import Callable, Iterable

REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    409: "Conflict", 410: "Gone", 415: "Unsupported Media Type", 422: "Unprocessable Entity",
    429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable",
    504: "Gateway Timeout",
}

MAX_HEADER = 65536
MAX_BODY = 64 * 1024 * 1024
GZIP_THRESHOLD = 128 * 1024  # kube-apiserver's defaultGzipThresholdBytes
GZIP_LEVEL = 1  # ...and its defaultGzipContentEncodingLevel


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value accepts gzip (a q=0 refuses it)."""
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().lower()
            return not q.startswith("q=") or q[2:].strip() not in ("0", "0.", "0.0", "0.00", "0.000")
    return False


class Request:
    __slots__ = ("method", "target", "path", "query_string", "headers", "body", "conn", "keep_alive")

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes, conn: "Connection") -> None:
        self.method = method
        self.target = target
        path, _, qs = target.partition("?")
        self.path = path
        self.query_string = qs
        self.headers = headers
        self.body = body
        self.conn = conn
        self.keep_alive = headers.get("connection", "").lower() != "close"


class Connection:
    """A client connection; ``sock`` may be an SSL socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False
        self.streaming = False  # set while a watch stream is open on it
        self.rfile = None
        self.gzip = False  # the current request accepts a gzip-compressed response
        self.head = False  # the current request is a HEAD: headers only
        # called with the status just before a response's first byte, so a client that has
        # its answer always finds the request in the server's record
        self.on_respond: Callable[[int], None] | None = None

    def _announce(self, status: int) -> None:
        hook, self.on_respond = self.on_respond, None
        if hook is not None:
            hook(status)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _head(self, status: int, headers: Iterable[tuple[str, str]], length: int | None, keep_alive: bool) -> bytes:
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
        head.extend(f"{k}: {v}" for k, v in headers)
        if length is None:
            head += ["Content-Encoding: gzip", "Vary: Accept-Encoding", "Transfer-Encoding: chunked"]
        else:
            head.append(f"Content-Length: {length}")
        if not keep_alive:
            head.append("Connection: close")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")

    def _send_gzip(self, status: int, headers: Iterable[tuple[str, str]], pieces: Iterable[bytes],
                   keep_alive: bool) -> None:
        """The body compressed, as chunks of ~1 MB of input each (never one giant buffer)."""
        z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: the gzip container
        send = self.sock.sendall
        out = [self._head(status, headers, None, keep_alive)]
        for piece in pieces:
            data = z.compress(piece)
            if data:
                out.append(b"%x\r\n%s\r\n" % (len(data), data))
            if sum(map(len, out)) >= 1 << 20:
                send(b"".join(out))
                out = []
        data = z.flush()
        out.append(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
        send(b"".join(out))

    def send_response(self, status: int, headers: Iterable[tuple[str, str]], parts: list[bytes],
                      keep_alive: bool = True) -> None:
        self._announce(status)
        length = sum(len(p) for p in parts)
        if self.head:
            self.sock.sendall(self._head(status, headers, length, keep_alive))
            return
        if self.gzip and length > GZIP_THRESHOLD:
            self._send_gzip(status, headers, parts, keep_alive)
            return
        hdr = self._head(status, headers, length, keep_alive)
        if length < 1 << 20:
            self.sock.sendall(b"".join([hdr, *parts]))
            return
        # big responses: send in ~4 MB slices, never building one giant buffer
        buf, size = [hdr], len(hdr)
        for p in parts:
            buf.append(p)
            size += len(p)
            if size >= 4 << 20:
                self.sock.sendall(b"".join(buf))
                buf, size = [], 0
        if buf:
            self.sock.sendall(b"".join(buf))

    def send_joined(self, status: int, headers: Iterable[tuple[str, str]], head: bytes, items: list[bytes],
                    tail: bytes, keep_alive: bool = True) -> None:
        """Send ``head + b",".join(items) + tail`` without ever building it: ~1 MB slices
        are joined and sent one after the other (one copy, small working set)."""
        self._announce(status)
        length = len(head) + len(tail) + sum(map(len, items)) + max(0, len(items) - 1)
        step = 192
        n = len(items)
        if self.head:
            self.sock.sendall(self._head(status, headers, length, keep_alive))
            return
        if self.gzip and length > GZIP_THRESHOLD:
            slices = (b",".join(items[i:i + step]) + (b"," if i + step < n else b"") for i in range(0, n, step))
            self._send_gzip(status, headers, (head, *slices, tail), keep_alive)
            return
        out = [self._head(status, headers, length, keep_alive) + head]
        send = self.sock.sendall
        for i in range(0, n, step):
            piece = b",".join(items[i:i + step])
            if i + step < n:
                send(b"".join((*out, piece, b",")))
            else:
                send(b"".join((*out, piece, tail)))
            out = []
        if out or not n:
            send(b"".join((*out, tail)))

    def peer_closed(self) -> bool:
        """Whether the client hung up (or the connection is closed): what a long response
        that reads nothing (a watch stream) checks now and then. Never blocks."""
        sock = self.sock
        if self.closed:
            return True
        try:
            r, _, _ = select.select([sock], [], [], 0)
            if not r:
                return False
            if not isinstance(sock, ssl.SSLSocket):
                return sock.recv(1, socket.MSG_PEEK) == b""
            # TLS cannot peek: a non-blocking read (a watch client sends nothing anyway)
            sock.setblocking(False)
            try:
                return sock.recv(1) == b""
            except (ssl.SSLWantReadError, BlockingIOError):
                return False
            finally:
                sock.setblocking(True)
        except (OSError, ValueError):
            return True

    def abort(self) -> None:
        """Close abruptly (no terminating chunk) -- wakes any thread blocked on it."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class HTTPServerCore:
    """Subclasses implement ``handle(request) -> None`` (must write a response or raise).

    ``serve()`` listens; ``close_listener``/``open_listener`` take the port away and give it
    back without stopping (a restart fault); ``begin_shutdown()`` raises ``stopping`` (the
    accept loop and long responses end at their next check) and ``shutdown_core()`` then
    closes the listener and every connection and joins their threads."""

    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host, self.port = host, port
        self.ssl_context = ssl_context
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._conns: set[Connection] = set()
        self._threads: set[threading.Thread] = set()
        self._mu = threading.Lock()
        self._stopping = False

    # ------------------------------------------------------------------ listener
    @property
    def stopping(self) -> bool:
        return self._stopping

    def serve(self) -> None:
        """Listen and serve (again, after ``shutdown_core``)."""
        self._stopping = False
        self.open_listener()

    def open_listener(self) -> None:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.host, self.port))
        ls.listen(128)
        self.port = ls.getsockname()[1]
        self._listener = ls
        t = threading.Thread(target=self._accept_loop, args=(ls,), name=f"kmon-sim-accept-{self.port}", daemon=True)
        self._accept_thread = t
        t.start()

    def close_listener(self) -> None:
        ls, self._listener = self._listener, None
        if ls is not None:
            try:
                ls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            ls.close()
        t = self._accept_thread
        if t is not None and t is not threading.current_thread():
            t.join(5)

    def _accept_loop(self, ls: socket.socket) -> None:
        while not self._stopping:
            try:
                sock, _ = ls.accept()
            except OSError:
                return
            if self._stopping:
                sock.close()
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=self._conn_main, args=(sock,), name="kmon-sim-conn", daemon=True)
            with self._mu:
                self._threads.add(t)
            t.start()

    def drop_connections(self, predicate: Callable[[Connection], bool] = lambda c: True) -> int:
        with self._mu:
            conns = [c for c in self._conns if predicate(c)]
        for c in conns:
            c.abort()
        return len(conns)

    def begin_shutdown(self) -> None:
        """From now on ``stopping`` is True: no connection is accepted any more, and what
        runs long (watch streams) ends at its next check."""
        self._stopping = True

    def shutdown_core(self) -> None:
        """Stop: close the listener and every connection, join their threads."""
        self.begin_shutdown()
        self.close_listener()
        self.drop_connections()
        with self._mu:
            threads = list(self._threads)
        for t in threads:
            if t is not threading.current_thread():
                t.join(5)

    # ------------------------------------------------------------------ connections
    def _conn_main(self, sock: socket.socket) -> None:
        conn = None
        try:
            if self.ssl_context is not None:
                sock.settimeout(10)
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    sock.close()
                    return
                sock.settimeout(None)
            conn = Connection(sock)
            with self._mu:
                self._conns.add(conn)
            if self._stopping:
                return
            rfile = sock.makefile("rb", buffering=65536)
            conn.rfile = rfile
            while not conn.closed:
                req = self._read_request(rfile, conn)
                if req is None:
                    break
                self.handle(req)
                if not req.keep_alive:
                    break
        except (OSError, ValueError):
            pass
        finally:
            if conn is not None:
                with self._mu:
                    self._conns.discard(conn)
            try:
                sock.close()
            except OSError:
                pass
            with self._mu:
                self._threads.discard(threading.current_thread())

    def _read_request(self, rfile, conn: Connection) -> Request | None:
        line = rfile.readline(MAX_HEADER)
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(MAX_HEADER)
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3:
            conn.send_response(400, [("Content-Type", "text/plain")], [b"bad request line"], keep_alive=False)
            return None
        method, target, _version = parts
        headers: dict[str, str] = {}
        total = 0
        while True:
            h = rfile.readline(MAX_HEADER)
            total += len(h)
            if not h or total > MAX_HEADER:
                return None
            if h in (b"\r\n", b"\n"):
                break
            k, _, v = h.decode("latin-1").partition(":")
            k = k.strip().lower()
            v = v.strip()
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        body = b""
        if headers.get("expect", "").lower() == "100-continue":
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline(MAX_HEADER) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(rfile.read(size))
                rfile.readline(16)
            body = b"".join(chunks)
        elif headers.get("content-length"):
            n = int(headers["content-length"])
            if n > MAX_BODY:
                return None
            body = rfile.read(n)
        req = Request(method.upper(), target, headers, body, conn)
        conn.gzip = accepts_gzip(headers.get("accept-encoding", ""))
        conn.head = req.method == "HEAD"
        if _version.upper() == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive":
            req.keep_alive = False
        return req

    def handle(self, req: Request) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
