"""Fault injection (``srv.faults``); also reachable over HTTP as
``POST /_kmon/faults/<name>?...`` (bearer token required).

Every public method of ``Faults`` is a fault (``FAULT_NAMES``; ``call_fault`` maps an admin
request onto one); the first line of its docstring is its help text. What the server must
apply to the requests it serves (failures, HTML pages, forbidden resources, a stall) waits
in ``Faults.pending``.
"""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any, Callable, Protocol, Sequence

from kmon.sim import resources as R
from kmon.sim.storage import Store
from kmon.sim.watch_cache import WatchCache

# faults that close the admin request's own connection: the answer goes out first
ANSWER_FIRST = frozenset({"refuse_connections", "restart"})
_ALIASES = {"resource": "resource_plural"}  # admin query names that differ from parameter names


class UnknownFault(LookupError):
    pass


class FaultableWatch(Protocol):
    """What a fault does to an open watch stream (``kmon.sim.watch.WatchStream``)."""

    def drop(self) -> None: ...

    def queue_malformed(self) -> None: ...

    def queue_raw(self, data: bytes, close: bool) -> None: ...


class OpenWatches(Protocol):
    """The server's open watch streams (``kmon.sim.watch.WatchRegistry``)."""

    def all(self) -> Sequence[FaultableWatch]: ...


class ServerLife(Protocol):
    """The server's life (``kmon.sim.lifecycle.Lifecycle``)."""

    def restart(self, seconds: float, starting: float) -> None: ...

    def refuse(self, seconds: float) -> None: ...


class Pending:
    """Faults waiting for the requests they apply to, thread-safe: ``Faults`` adds them, the
    server takes them as it serves (``take_failure``, ``take_html``, ``is_forbidden``,
    ``stalled_until``)."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._fail: list[tuple[int, float | None]] = []  # fail_next: (code, retry after)
        self._html: list[int] = []  # html_next: status codes of the next HTML error pages
        self._forbidden: set[tuple[str, str]] = set()  # (plural, group)
        self._stall_until = 0.0  # time.monotonic() until which watches write nothing

    # what the server takes
    def take_failure(self) -> tuple[int, float | None] | None:
        with self._mu:
            return self._fail.pop(0) if self._fail else None

    def take_html(self) -> int | None:
        with self._mu:
            return self._html.pop(0) if self._html else None

    def is_forbidden(self, resource_plural: str, group: str) -> bool:
        return (resource_plural, group) in self._forbidden

    def stalled_until(self) -> float:
        """``time.monotonic()`` until which watch streams write nothing (past: not stalled)."""
        return self._stall_until

    # what the faults add
    def add_failures(self, n: int, code: int, retry_after: float | None) -> None:
        with self._mu:
            self._fail.extend([(code, retry_after)] * n)

    def add_html(self, n: int, code: int) -> None:
        with self._mu:
            self._html.extend([code] * n)

    def forbid(self, resource_plural: str, group: str) -> None:
        with self._mu:
            self._forbidden.add((resource_plural, group))

    def allow(self, resource_plural: str | None, group: str) -> None:
        with self._mu:
            if resource_plural is None:
                self._forbidden.clear()
            else:
                self._forbidden.discard((resource_plural, group))

    def stall(self, until: float) -> None:
        self._stall_until = until

    def clear(self) -> None:
        with self._mu:
            self._fail.clear()
            self._html.clear()
            self._forbidden.clear()
        self._stall_until = 0.0


class Faults:
    def __init__(self, store: Store, cache: WatchCache, watches: OpenWatches, lifecycle: ServerLife) -> None:
        self._store, self._cache, self._watches, self._life = store, cache, watches, lifecycle
        self.pending = Pending()

    # ---------------------------------------------------------------- storage and watch cache
    def compact(self, revision: int | None = None) -> int:
        """Compact storage (etcd) history up to a revision (default: now); the watch cache still serves.

        Lists at an exact older revision and continue tokens the watch cache's window no
        longer reaches get 410 Expired; watches are served by the watch cache and do not
        notice. Returns the compacted revision."""
        return self._store.compact(revision)

    def expire_watch_cache(self, resource: str | None = None) -> int:
        """Expire the watch cache's history (one resource or all): a watch from an older version gets 410.

        As a burst of writes pushes old events out of the cache's window (the revision moves
        on by one, for writes elsewhere): every version before now is too old. Open watches
        carry on; the next watch from an older version (a reflector's watch restart before
        its resource's next event) gets HTTP 200 then ERROR 410 "too old resource version",
        and the informer relists. Returns the oldest version still servable."""
        self._store.jump_revision(1)
        return self._cache.expire(R.lookup(resource) if resource else None)

    def jump_revision(self, delta: int) -> int:
        """Move the global revision forward by ``delta`` with no events. Returns it."""
        return self._store.jump_revision(delta)

    # ---------------------------------------------------------------- the server's life
    def restart(self, seconds: float = 3.0, starting: float = 1.5) -> None:
        """Restart the API server: refused for ``seconds``, then 503/429 while starting; its watch cache starts empty.

        Every connection closes now; connections are refused for ``seconds``; then for
        ``starting`` seconds the server answers 503 (paths not installed yet, the first
        third) and 429 "storage is (re)initializing" to watches and cache-served lists. Its
        watch cache starts at the current revision: a watch from an older version gets 410
        and the informer relists. Returns immediately."""
        self._life.restart(float(seconds), float(starting))

    def refuse_connections(self, seconds: float) -> None:
        """Refuse connections for ``seconds`` (a network fault); the server keeps its watch cache.

        The listener and every open connection close now; connections attempted meanwhile
        get ECONNREFUSED; then the same port listens again, with the same watch cache (as
        when a load balancer or tunnel in front goes away; ``restart`` is a real restart).
        Returns immediately."""
        self._life.refuse(float(seconds))

    # ---------------------------------------------------------------- watches
    def _each_watch(self, act: Callable[[FaultableWatch], None]) -> int:
        streams = self._watches.all()
        for s in streams:
            act(s)
        self._store.wake()
        return len(streams)

    def drop_watches(self) -> int:
        """Close every open watch connection abruptly (no terminating chunk). Returns how many."""
        return self._each_watch(lambda s: s.drop())

    def stall_watches(self, seconds: float) -> None:
        """Open (and newly opened) watches write nothing -- not even bookmarks -- for ``seconds``.

        Events are delivered afterwards."""
        self.pending.stall(time.monotonic() + float(seconds))
        self._store.wake()

    def send_malformed_line(self) -> int:
        """Every open watch writes one line that is not valid JSON (then continues). Returns how many."""
        return self._each_watch(lambda s: s.queue_malformed())

    def inject_raw(self, data: bytes, close: bool = False) -> int:
        """Every open watch writes ``data`` verbatim as one chunk; with ``close``, then closes abruptly.

        Any bytes: a partial line, non-UTF-8, an HTML page... Returns how many watches got it."""
        return self._each_watch(lambda s: s.queue_raw(data, close))

    # ---------------------------------------------------------------- requests
    def fail_next(self, n: int, code: int = 500, retry_after: float | None = None) -> None:
        """The next ``n`` API requests (not /healthz, not /_kmon) answer ``code`` with a Status body.

        A 429 carries ``Retry-After`` (``retry_after``, default 1 s)."""
        ra = retry_after if retry_after is not None else (1 if code == 429 else None)
        self.pending.add_failures(int(n), int(code), ra)

    def html_next(self, n: int = 1, code: int = 502) -> None:
        """The next ``n`` API requests answer an HTML error page with ``code``, as a proxy in front would."""
        self.pending.add_html(int(n), int(code))

    def forbid(self, resource_plural: str, group: str = "") -> None:
        """Every request on that resource answers 403 Forbidden (RBAC-style message)."""
        self.pending.forbid(resource_plural, group)

    def allow(self, resource_plural: str | None = None, group: str = "") -> None:
        """Undo ``forbid`` for one resource, or for all with no argument."""
        self.pending.allow(resource_plural, group)

    def reset(self) -> None:
        """Clear pending failures, forbids and stalls."""
        self.pending.clear()
        self._store.wake()


FAULT_NAMES = frozenset(n for n, f in vars(Faults).items() if callable(f) and not n.startswith("_"))


def bind_fault(faults: Faults, name: str, query: dict[str, str], body: bytes | None = None) -> Callable[[], Any]:
    """Fault ``name`` bound to arguments from an admin request's query (converted to the
    parameters' types) and its body (the parameter typed ``bytes``, e.g. ``inject_raw``'s
    data), checked but not applied yet. UnknownFault: no such fault; ValueError or
    TypeError: a bad or missing argument."""
    fn = getattr(faults, name, None) if name in FAULT_NAMES else None
    if fn is None:
        raise UnknownFault(name)
    sig = inspect.signature(fn)
    kwargs: dict[str, Any] = {p.name: body or b"" for p in sig.parameters.values() if str(p.annotation) == "bytes"}
    for key, value in query.items():
        pname = key if key in sig.parameters else _ALIASES.get(key, key)
        p = sig.parameters.get(pname)
        if p is not None:
            kwargs[pname] = _convert(value, p)
    for pname, p in sig.parameters.items():  # required numbers the admin API always defaulted
        if pname not in kwargs and p.default is inspect.Parameter.empty and pname in _ADMIN_DEFAULTS:
            kwargs[pname] = _ADMIN_DEFAULTS[pname]
    sig.bind(**kwargs)
    return lambda: fn(**kwargs)


def call_fault(faults: Faults, name: str, query: dict[str, str], body: bytes | None = None) -> Any:
    """Apply fault ``name`` with arguments from an admin request (see ``bind_fault``)."""
    return bind_fault(faults, name, query, body)()


_ADMIN_DEFAULTS: dict[str, Any] = {"seconds": 5.0, "n": 1, "delta": 1000}


def _convert(value: str, p: inspect.Parameter) -> Any:
    ann = str(p.annotation)
    if value == "" and "None" in ann:
        return None
    if ann.startswith("int"):
        return int(value)
    if ann.startswith("float"):
        return float(value)
    if ann.startswith("bool"):
        return value.lower() in ("1", "true", "yes")
    if ann.startswith("bytes"):
        return value.encode()
    return value
