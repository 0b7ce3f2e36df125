"""How kmon tells a dead or stalled connection from a watch that is merely quiet.

Why this module exists: on a real cluster most resources are idle, and kube-apiserver sends
an idle watch nothing at all -- its periodic bookmark only goes out once that resource's
watch cache has moved past the watch's version (on a quiet cluster the first one came after
151 s). A rule "no byte for N seconds means dead" therefore calls healthy watches dead, and
client-go has no such rule: its watches stay open for the ``timeoutSeconds`` the reflector
chose (5-10 minutes; kmon sends that choice unchanged). What client-go does instead, kmon
ports, one mechanism per failure:

- **Dead connections** (laptop sleep, NAT or VPN drop, the peer rebooted): TCP keepalive on
  every connection of the pool, as client-go dials (``net.Dialer{KeepAlive: 30s}``). The
  kernel probes a connection idle for ``KEEPALIVE_IDLE`` s every ``KEEPALIVE_INTERVAL`` s and
  fails it after ``KEEPALIVE_COUNT`` unanswered probes (or at once on a reset from a peer that
  forgot it): about a minute, without a byte of HTTP. The blocked read then fails and the
  watch is re-opened from its last resourceVersion.
- **Stalled servers** (the process stopped or wedged while its kernel still answers the
  probes): client-go talks HTTP/2 to kube-apiserver, and its transport runs a health check
  (k8s.io/apimachinery pkg/util/net/http.go, golang.org/x/net/http2): after
  ``ReadIdleTimeout`` without a frame on the connection (30 s, ``$HTTP2_READ_IDLE_TIMEOUT_SECONDS``)
  it sends a PING, and without an answer within ``PingTimeout`` (15 s,
  ``$HTTP2_PING_TIMEOUT_SECONDS``) it closes the connection, failing every watch on it.
  kmon speaks HTTP/1.1, one connection per watch, so ``HealthChecker`` ports the behaviour,
  not the frames: one per API client (per context), shared by all its watches. When a watch
  has read nothing for ``read_idle`` s (the checker's last answer counts as heard, as a
  PING's answer is a frame), the checker sends one ``GET /livez`` on its own connection with
  ``ping_timeout`` s for the whole exchange, and its answer serves every watch idle
  meanwhile: 60 idle watches cost one request per ``read_idle``, not 60. Any HTTP answer,
  even an error status, means the server is serving: idle watches stay open and nothing is
  reported. No answer: every watch of that client that stayed idle is ended with a
  ``TimeoutError`` saying so, which the reflector reports as a silent connection and
  re-watches from its last version. ``/livez`` is readable by everyone
  (system:public-info-viewer) and exempt from API Priority and Fairness (the "probes"
  FlowSchema), so a busy server answers it as promptly as it would a PING.
- **Last resort**: a watch's socket read timeout is its own ``timeoutSeconds`` plus the
  inactivity limit (``DEFAULT_INACTIVITY_TIMEOUT``, ``$KMON_WATCH_INACTIVITY_TIMEOUT``,
  90 s), so a stream still silent that long after its deadline is ended even on a server
  that answers the health check (a wedged watch handler). The inactivity limit is also the
  read timeout of lists and of a watch's response headers.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from kmon import env
from kmon.kube import _http

__all__ = [
    "DEFAULT_INACTIVITY_TIMEOUT",
    "KEEPALIVE_COUNT",
    "KEEPALIVE_IDLE",
    "KEEPALIVE_INTERVAL",
    "PROBE_PATH",
    "HealthCheck",
    "HealthChecker",
    "checker_for",
    "enable_keepalive",
    "keepalive_socket_options",
    "last_resort_timeout",
]

log = logging.getLogger("kmon.kube.liveness")

DEFAULT_INACTIVITY_TIMEOUT: float = env.WATCH_INACTIVITY_TIMEOUT.default  # 90 s
KEEPALIVE_IDLE = 30  # s of silence before the first probe (client-go's dialer: 30 s)
KEEPALIVE_INTERVAL = 10  # s between probes
KEEPALIVE_COUNT = 3  # unanswered probes before the kernel gives the connection up
# the longest timeoutSeconds kube-apiserver picks for a watch that asked for none
# (2 x --min-request-timeout, 1800 s by default)
SERVER_MAX_WATCH_TIMEOUT = 3600
PROBE_PATH = "/livez"


def keepalive_socket_options() -> list[tuple[int, int, int]]:
    """urllib3 ``socket_options`` turning TCP keepalive on (with urllib3's own default,
    TCP_NODELAY, kept: urllib3 replaces its defaults with the list it is given). Options a
    platform lacks are left out (macOS spells the idle time TCP_KEEPALIVE)."""
    options: list[tuple[int, int, int]] = [
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    ]
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    if idle is not None:
        options.append((socket.IPPROTO_TCP, idle, KEEPALIVE_IDLE))
    if hasattr(socket, "TCP_KEEPINTVL"):
        options.append((socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE_INTERVAL))
    if hasattr(socket, "TCP_KEEPCNT"):
        options.append((socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE_COUNT))
    return options


def enable_keepalive(api_client: Any) -> None:
    """Make every connection the official client's pool opens from now on use TCP keepalive
    (idempotent; works whatever the client version, through urllib3's pool keywords)."""
    pool = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
    kw = getattr(pool, "connection_pool_kw", None)
    if isinstance(kw, dict) and not kw.get("socket_options"):
        kw["socket_options"] = keepalive_socket_options()


def last_resort_timeout(timeout_seconds: int | None, inactivity: float | None) -> float | None:
    """The socket read timeout of a watch: its own deadline (or the longest a server picks
    when it asked for none) plus the inactivity limit; None when there is no limit."""
    if inactivity is None or inactivity <= 0:
        return None
    return float(timeout_seconds or SERVER_MAX_WATCH_TIMEOUT) + inactivity


@dataclass(frozen=True)
class HealthCheck:
    """client-go's HTTP/2 health check settings: after ``read_idle`` s without a byte the
    server is asked whether it is alive (0: never), and has ``ping_timeout`` s to answer."""

    read_idle: float = env.HTTP2_READ_IDLE_TIMEOUT.default  # 30 s
    ping_timeout: float = env.HTTP2_PING_TIMEOUT.default  # 15 s

    @property
    def enabled(self) -> bool:
        return self.read_idle > 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, strict: bool = True) -> "HealthCheck":
        """The settings client-go would use: ``$HTTP2_READ_IDLE_TIMEOUT_SECONDS`` and
        ``$HTTP2_PING_TIMEOUT_SECONDS`` (a ping timeout of 0 means the default, as in
        golang.org/x/net/http2). ``strict``: ``kmon.env.EnvError`` for an unusable value;
        otherwise the default stands in (the session reports the value)."""
        def read(var: env.Var) -> float:
            return var.read(environ) if strict else var.read_or_default(environ)

        return cls(read(env.HTTP2_READ_IDLE_TIMEOUT), read(env.HTTP2_PING_TIMEOUT) or env.HTTP2_PING_TIMEOUT.default)


class Watched(Protocol):
    """What the health checker needs of a watch (``watchstream.RestWatch``)."""

    last_read: float  # time.monotonic() of the last byte read (or of the response headers)

    @property
    def path(self) -> str: ...

    def fail(self, message: str) -> bool:
        """End the watch with ``TimeoutError(message)``; False if it is already over."""
        ...


def _seconds(s: float) -> str:
    return f"{s:.0f}" if s >= 10 else f"{s:.1f}"


class HealthChecker:
    """The health check of one API client's watches (see the module doc): ``add`` a watch
    when it opens, ``discard`` it when it ends; a daemon thread runs while any is open."""

    def __init__(self, api_client: Any, check: HealthCheck, *,
                 probe: Callable[[float], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.check = check
        client = weakref.ref(api_client) if probe is None else None
        self._probe = probe or (lambda timeout: _http.probe(client(), PROBE_PATH, timeout=timeout))
        self._clock = clock
        self._cond = threading.Condition()  # guards _watches and _thread
        self._watches: set[Watched] = set()
        self._thread: threading.Thread | None = None
        self._last_answer = float("-inf")  # when the server last answered a probe
        self.probes = 0  # probes sent
        self.unanswered = 0  # probes the server did not answer

    def add(self, w: Watched) -> None:
        with self._cond:
            self._watches.add(w)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kmon-health-check", daemon=True)
                self._thread.start()
            self._cond.notify()

    def discard(self, w: Watched) -> None:
        with self._cond:
            self._watches.discard(w)
            self._cond.notify()

    def _run(self) -> None:
        idle = self.check.read_idle
        while True:
            with self._cond:
                while True:
                    if not self._watches:
                        self._thread = None  # a later add() starts another
                        return
                    now = self._clock()
                    heard = self._last_answer
                    due_at = min(max(w.last_read, heard) for w in self._watches) + idle
                    if due_at <= now:
                        break
                    self._cond.wait(due_at - now)
                due = [w for w in self._watches if max(w.last_read, heard) + idle <= now]
            try:
                self._check(due)
            except Exception as e:  # e.g. the credential plugin failed: cannot tell, end nothing
                log.warning("health check could not ask the server: %s", e)
                self._last_answer = self._clock()

    def _ask(self) -> OSError | None:
        """Probe once (twice if the first attempt failed fast, not by timing out: a pooled
        connection the server had closed); the error when the server did not answer."""
        ping = self.check.ping_timeout
        start = self._clock()
        err: OSError | None = None
        for _ in range(2):
            self.probes += 1
            try:
                self._probe(ping - (self._clock() - start))
                return None
            except OSError as e:
                err = e
            if isinstance(err, TimeoutError) or self._clock() - start >= ping * 0.9:
                break
        return err

    def _check(self, due: list[Watched]) -> None:
        sent = self._clock()
        err = self._ask()
        if err is None:
            self._last_answer = self._clock()
            return
        self.unanswered += 1
        if isinstance(err, TimeoutError):
            what = f"no answer from the server's health check within {self.check.ping_timeout:g} s"
        else:
            what = f"the server's health check failed ({err})"
        now = self._clock()
        with self._cond:
            stalled = [w for w in due if w in self._watches and w.last_read <= sent]
            self._watches.difference_update(stalled)
        for w in stalled:
            w.fail(f"{what} (watch idle for {_seconds(now - w.last_read)} s): "
                   f"the server stalled or the connection is lost ({w.path})")


_checkers: "weakref.WeakKeyDictionary[Any, dict[HealthCheck, HealthChecker]]" = weakref.WeakKeyDictionary()
_checkers_lock = threading.Lock()


def checker_for(api_client: Any, check: HealthCheck) -> HealthChecker | None:
    """The health checker of ``api_client`` with these settings, shared by all its watches
    (created on first use); None when the check is turned off."""
    if not check.enabled:
        return None
    with _checkers_lock:
        try:
            per_client = _checkers.setdefault(api_client, {})
        except TypeError:  # a client that cannot be weakly referenced: its own checker
            return HealthChecker(api_client, check)
        c = per_client.get(check)
        if c is None:
            c = per_client[check] = HealthChecker(api_client, check)
        return c
