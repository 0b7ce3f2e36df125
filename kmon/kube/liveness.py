"""How kmon tells a dead or stalled connection from a watch that is merely quiet.

Why this module exists: on a real cluster most resources are idle, and kube-apiserver sends
an idle watch nothing at all -- its periodic bookmark only goes out once that resource's
watch cache has moved past the watch's version (on a quiet cluster the first one came after
151 s). A rule "no byte for N seconds means dead" therefore calls healthy watches dead. Two
mechanisms replace it, each for the failure it can see:

- **Dead connections** (laptop sleep, NAT or VPN drop, the peer rebooted): TCP keepalive on
  every connection of the pool, as client-go dials (``net.Dialer{KeepAlive: 30s}``). The
  kernel probes a connection idle for ``KEEPALIVE_IDLE`` s every ``KEEPALIVE_INTERVAL`` s and
  fails it after ``KEEPALIVE_COUNT`` unanswered probes (or at once on a reset from a peer that
  forgot it): about a minute, without a byte of HTTP. The blocked read then fails and the
  watch is re-opened from its last resourceVersion.
- **Stalled servers** (the process stopped or wedged while its kernel still answers the
  probes): every watch carries its own deadline, ``timeoutSeconds``, and kmon picks it below
  its inactivity limit (``watch_timeout_within``). A healthy server ends the stream at that
  deadline even when it had nothing to say (the watch then closes normally and is re-opened),
  so a stream that stays silent past the inactivity limit has outlived its own deadline:
  that is a fault, reported as one. A healthy idle watch is never reported.

The inactivity limit (``DEFAULT_INACTIVITY_TIMEOUT``, ``$KMON_WATCH_INACTIVITY_TIMEOUT``) is
also the read timeout of lists.
"""

from __future__ import annotations

import random
import socket
from typing import Any

from kmon.env import WATCH_INACTIVITY_TIMEOUT

__all__ = [
    "DEFAULT_INACTIVITY_TIMEOUT",
    "KEEPALIVE_COUNT",
    "KEEPALIVE_IDLE",
    "KEEPALIVE_INTERVAL",
    "enable_keepalive",
    "keepalive_socket_options",
    "watch_timeout_within",
]

DEFAULT_INACTIVITY_TIMEOUT: float = WATCH_INACTIVITY_TIMEOUT.default  # 90 s
KEEPALIVE_IDLE = 30  # s of silence before the first probe (client-go's dialer: 30 s)
KEEPALIVE_INTERVAL = 10  # s between probes
KEEPALIVE_COUNT = 3  # unanswered probes before the kernel gives the connection up
# a watch's timeoutSeconds is at most this share of the inactivity limit: the rest is the
# margin for the server's own latency (admission queueing, a slow close) before kmon calls
# the silence a fault
_DEADLINE_SHARE = 2.0 / 3.0


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


def watch_timeout_within(requested: float | None, inactivity: float | None) -> int | None:
    """The ``timeoutSeconds`` to send with a watch: ``requested`` (client-go's random
    [5, 10] min) when it ends well within the inactivity limit, else a random whole number
    of seconds in [1/3, 2/3] of the limit (jittered as client-go jitters, so the watches of
    many resources do not all end together). None: let the server choose (no limit set and
    none requested)."""
    if inactivity is None or inactivity <= 0:
        return int(requested) if requested else None
    cap = max(1, int(inactivity * _DEADLINE_SHARE))
    if requested and int(requested) <= cap:
        return max(1, int(requested))
    low = max(1, cap // 2)
    return random.randint(low, cap)
