"""Is the cache right? A fresh list from the server compared with an informer's indexer.

Why this module exists: kmon's promise is "the tree always equals the cache"; verifying is
how a user checks that the cache equals the *cluster*. We read a consistent snapshot
(resourceVersion "": as fresh as etcd at the time of the request -- kube-apiserver 1.31+
serves it from its watch cache once that cache has caught up with etcd's current revision
(ConsistentListFromCache; from etcd itself before, or when the feature is off); paged, so
continue tokens keep it one snapshot) through the informer's own ListerWatcher (same
selectors, same metadata-only mode) and compare keys and resourceVersions with the indexer.

A cache under churn lags the server by a few milliseconds, so a single comparison can show
differences that are only in flight. ``verify_informer`` therefore waits for the informer
to catch up with the snapshot's version (when versions are numeric) and, if differences
remain, compares again with a new snapshot; only differences seen in every attempt are
reported. An object the cache lost for good shows up every time. ``verify_reported`` also
says the outcome (as a session does, through its ``emit``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from kmon.cache.errors import is_expired
from kmon.cache.listwatch import ListOptions
from kmon.cache.raw_object import RawObject
from kmon.monitor.error_text import describe_error
from kmon.monitor.timeseries import parse_rv

__all__ = ["VerifyResult", "list_consistent", "verify_informer", "verify_reported"]

# (resource, level, message, state, detail): how a session says things (ContextSession._emit)
Emit = Callable[[str, str, str, str, Any], None]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Differences between the server and the cache. ``missing``: keys the server has and
    the cache lacks; ``extra``: keys only the cache has; ``stale``: ``(key, cached_rv,
    server_rv)`` for objects whose versions differ."""

    missing: list[str]
    extra: list[str]
    stale: list[tuple[str, str, str]]
    checked_at: float = field(default_factory=time.time)
    server_rv: str = ""
    server_count: int = 0
    cache_count: int = 0
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.stale)

    def summary(self) -> str:
        if self.ok:
            return f"cache matches the server: {self.server_count} objects at resourceVersion {self.server_rv}"
        parts = []
        for label, seq in (("missing", self.missing), ("extra", self.extra), ("stale", self.stale)):
            if seq:
                parts.append(f"{len(seq)} {label}")
        examples = [*self.missing[:3], *self.extra[:3], *(k for k, _a, _b in self.stale[:3])][:5]
        return (
            f"cache differs from the server at resourceVersion {self.server_rv}: {', '.join(parts)}"
            f" (e.g. {', '.join(examples)})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "missing": list(self.missing),
            "extra": list(self.extra),
            "stale": [list(s) for s in self.stale],
            "checked_at": self.checked_at,
            "server_rv": self.server_rv,
            "server_count": self.server_count,
            "cache_count": self.cache_count,
            "attempts": self.attempts,
        }


def _key(obj: dict[str, Any]) -> str:
    md = obj.get("metadata") or {}
    ns = md.get("namespace") or ""
    return f"{ns}/{md.get('name', '')}" if ns else str(md.get("name", ""))


def _rv(obj: Any) -> str:
    if obj.__class__ is RawObject:
        return obj.resource_version
    if isinstance(obj, dict):
        return str((obj.get("metadata") or {}).get("resourceVersion") or "")
    return ""


def list_consistent(list_watcher: Any, *, page_size: int = 500, attempts: int = 3) -> tuple[dict[str, str], str]:
    """{key: resourceVersion} of a consistent paged list (resourceVersion ""), and the list's
    resourceVersion. A continue token that expires mid-way (410) restarts the list."""
    last_err: BaseException | None = None
    for _ in range(max(1, attempts)):
        found: dict[str, str] = {}
        opts = ListOptions(resource_version="", limit=page_size)
        rv = ""
        try:
            while True:
                page = list_watcher.list(opts)
                for obj in page.items:
                    found[_key(obj)] = _rv(obj)
                rv = rv or page.resource_version
                if not page.continue_:
                    return found, page.resource_version or rv
                opts = ListOptions(limit=page_size, continue_=page.continue_)
        except Exception as e:
            if not is_expired(e):
                raise
            last_err = e
    assert last_err is not None
    raise last_err


class _Diff:
    """Differences of one comparison; ``&`` keeps what both saw."""

    __slots__ = ("missing", "extra", "stale", "cache_count")

    def __init__(self, missing: set[str], extra: set[str], stale: dict[str, tuple[str, str]], cache_count: int) -> None:
        self.missing, self.extra, self.stale, self.cache_count = missing, extra, stale, cache_count

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.stale)

    def __and__(self, newer: "_Diff") -> "_Diff":
        return _Diff(
            self.missing & newer.missing,
            self.extra & newer.extra,
            {k: v for k, v in newer.stale.items() if k in self.stale},
            newer.cache_count,
        )


def _compare(server: dict[str, str], server_rv: str, indexer: Any) -> _Diff:
    snap = parse_rv(server_rv)
    cached: dict[str, str] = {}
    for key in indexer.list_keys():
        obj, exists = indexer.get_by_key(key)
        if exists:
            cached[key] = _rv(obj)

    def newer_than_snapshot(rv: str) -> bool:
        v = parse_rv(rv)
        return snap is not None and v is not None and v > snap

    missing = {k for k in server if k not in cached}
    extra = {k for k, rv in cached.items() if k not in server and not newer_than_snapshot(rv)}
    stale = {
        k: (cached[k], srv)
        for k, srv in server.items()
        if k in cached and cached[k] != srv and not newer_than_snapshot(cached[k])
    }
    return _Diff(missing, extra, stale, len(cached))


_QUIET = 0.25  # seconds without processing after which an informer counts as caught up


def _wait_caught_up(informer: Any, server_rv: str, timeout: float, stop: Callable[[], bool]) -> None:
    """Wait (bounded) until the informer has processed everything up to ``server_rv``, or
    has had nothing to process for a moment (a quiet resource's version does not advance
    with the cluster's)."""
    target = parse_rv(server_rv)
    start = time.monotonic()
    deadline = start + timeout
    last_processed, last_change = None, start
    while time.monotonic() < deadline and not stop():
        try:
            st = informer.stats()
        except Exception:
            return
        now = time.monotonic()
        queue = getattr(st, "queue_depth", 0)
        have = parse_rv(getattr(st, "last_synced_version", ""))
        if not queue and (target is None or (have is not None and have >= target)):
            return
        processed = getattr(st, "deltas_processed", None)
        if processed != last_processed:
            last_processed, last_change = processed, now
        elif not queue and now - last_change >= _QUIET:
            return
        time.sleep(0.02)


def verify_informer(
    informer: Any,
    list_watcher: Any | None = None,
    *,
    page_size: int = 500,
    attempts: int = 3,
    settle: float = 2.0,
    stop: Callable[[], bool] = lambda: False,
) -> VerifyResult:
    """Compare ``informer``'s indexer with a fresh consistent list from ``list_watcher``
    (default: ``informer.list_watcher``). Blocking: call it off the GUI thread.

    A clean first comparison returns at once. Otherwise, up to ``attempts`` snapshots: wait
    (at most ``settle`` s) for the informer to catch up, compare again, list anew; a
    difference is reported only if every comparison saw it. Raises what the list raises
    (``ApiStatusError``, ``OSError``).
    """
    lw = list_watcher if list_watcher is not None else informer.list_watcher
    indexer = informer.indexer
    server, server_rv = list_consistent(lw, page_size=page_size)
    diff = _compare(server, server_rv, indexer)
    n = 1
    while diff and not stop():
        _wait_caught_up(informer, server_rv, settle, stop)
        diff = diff & _compare(server, server_rv, indexer)
        if not diff or n >= max(1, attempts) or stop():
            break
        server, server_rv = list_consistent(lw, page_size=page_size)
        n += 1
        diff = diff & _compare(server, server_rv, indexer)
    return VerifyResult(
        missing=sorted(diff.missing),
        extra=sorted(diff.extra),
        stale=sorted((k, c, srv) for k, (c, srv) in diff.stale.items()),
        checked_at=time.time(),
        server_rv=server_rv,
        server_count=len(server),
        cache_count=diff.cache_count,
        attempts=n,
    )


def verify_reported(informer: Any, list_watcher: Any, full_name: str, emit: Emit, *,
                    stop: Callable[[], bool] = lambda: False, **options: Any) -> VerifyResult:
    """``verify_informer`` with its outcome said through ``emit``: state "verified" (info when
    the cache matches, a warning naming the differences otherwise; the result as ``detail``),
    or "verify-failed" with why, and the error raised again."""
    try:
        result = verify_informer(informer, list_watcher, stop=stop, **options)
    except Exception as e:
        emit(full_name, "error", f"{full_name}: verify failed: {describe_error(e)}", "verify-failed", None)
        raise
    emit(full_name, "info" if result.ok else "warning", f"{full_name}: {result.summary()}", "verified", result.as_dict())
    return result
