"""``Monitor``: the open contexts, one ``ContextSession`` each, all reporting into one feed.

Why this module exists: a program watching several contexts at once (the demo's two, a
script comparing clusters) needs "open this context (again, if it failed), close that one,
stop them all in parallel" without tracking sessions itself. Opening a context that is
already open returns its session; a failed or stopped one is replaced, which is how a
context is retried. (The desktop app's ``Workspace`` keeps its own sessions, one per root of
its tree.)
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kmon.kube.config import load_kubeconfig
from kmon.monitor.feed import Feed
from kmon.monitor.session import ContextSession, SessionState
from kmon.monitor.session_options import SessionOptions

if TYPE_CHECKING:
    from kmon.cache.stats import InformerStats

__all__ = ["Monitor"]


class Monitor:
    """The open sessions, all reporting into one feed."""

    def __init__(self, feed: Feed | None = None, *, kubeconfig: Any = None) -> None:
        self.feed = feed if feed is not None else Feed()
        self.kubeconfig = kubeconfig
        self._lock = threading.Lock()  # guards _sessions
        self._sessions: dict[str, ContextSession] = {}

    def open_context(self, name: str | None = None, options: SessionOptions | None = None,
                     **overrides: Any) -> ContextSession:
        """Open (and start) a session for context ``name`` (else ``options.context``, else the
        current context) with ``options`` and ``overrides`` as ``ContextSession`` takes them;
        returns the running one if that context is already open (a failed one is replaced,
        so calling this again is how to retry). The kubeconfig defaults to the monitor's."""
        options = replace(options or SessionOptions(), **overrides)
        if options.kubeconfig is None:
            options = replace(options, kubeconfig=self.kubeconfig)
        if name is None:
            name = options.context or load_kubeconfig(options.kubeconfig).context().name
        with self._lock:
            s = self._sessions.get(name)
            if s is not None and s.state not in (SessionState.STOPPING, SessionState.STOPPED, SessionState.FAILED):
                return s
            old = s
            s = ContextSession(name, options, feed=self.feed)
            self._sessions[name] = s
        if old is not None:
            old.stop(0.0)  # a failed or stopped session holds no informers: nothing to wait for
        return s.start()

    def close_context(self, name: str, timeout: float = 1.0) -> bool:
        with self._lock:
            s = self._sessions.pop(name, None)
        return s.stop(timeout) if s is not None else False

    @property
    def sessions(self) -> dict[str, ContextSession]:
        with self._lock:
            return dict(self._sessions)

    def stats(self) -> dict[tuple[str, str], "InformerStats"]:
        """{(context, full_name): stats} of every running resource (for ``SeriesBook.sample_all``)."""
        return {(c, r): st for c, s in self.sessions.items() for r, st in s.stats().items()}

    def close(self, timeout: float = 1.0) -> bool:
        """Stop every session in parallel, within ``timeout`` overall."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        results: list[bool] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(s.stop(timeout)), name=f"kmon-close-{s.context}")
            for s in sessions
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return all(results)

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
