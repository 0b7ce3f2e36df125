"""Helpers of the hostile-environment suite (no pytest, no Qt): a sim with churn and a
session on it, condition waits with deadlines, and the checks every fault scenario makes."""

from __future__ import annotations

import threading
import time
from typing import Any, Iterable

from kmon.cache.options import InformerOptions
from kmon.monitor.feed import Feed, SessionItem
from kmon.monitor.journal import Journal
from kmon.monitor.session import ContextSession
from kmon.sim import SimServer
from kmon.sim.kubeconfig import write_kubeconfig
from kmon.sim.workload import Workload
from stallproxy import StallProxy
from waiting import wait_for

TOKEN = "s3cr3t-hostile-token-value"
RESOURCES = ["pods", "configmaps", "services", "namespaces"]
# what the store and kmon call each resource: (store identifier, URL plural)
PLURAL = {"pods": "pods", "configmaps": "configmaps", "services": "services", "namespaces": "namespaces",
          "secrets": "secrets", "deployments.apps": "deployments"}


class Ticker:
    """A thread that must keep ticking every 10 ms: proves nothing blocks the process (the
    headless analogue of the GUI's 10 ms QTimer). ``max_gap`` is the longest pause seen."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.ticks = 0
        self.max_gap = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, name="test-ticker", daemon=True)
        self._t.start()

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.period):
            now = time.monotonic()
            self.max_gap = max(self.max_gap, now - last)
            last = now
            self.ticks += 1

    def stop(self) -> None:
        self._stop.set()
        self._t.join(2)


class SimEnv:
    """A sim (bearer token, small churning workload), its kubeconfig, and sessions on it.
    With ``stall_proxy`` the kubeconfig reaches the sim through ``self.proxy``, a relay that
    can go silent (``stallproxy.StallProxy``: a stalled server as kmon sees it)."""

    def __init__(self, tmp_path, *, tls: bool = False, churn: float = 20.0, pods: int = 20,
                 bookmark_interval: float = 0.5, stall_proxy: bool = False, **sim_kw: Any) -> None:
        self.tmp_path = tmp_path
        self.srv = SimServer(token=TOKEN, tls=tls, seed=1, bookmark_interval=bookmark_interval, **sim_kw).start()
        self.workload = Workload(self.srv.store, seed=5, rate=churn, namespaces=2, pods=pods, configmaps=3,
                                 secrets=2, widgets=0, max_events=30, nodes=2)
        self.workload.populate()
        self.proxy = StallProxy(self.srv) if stall_proxy else None
        server = self.proxy.server() if self.proxy is not None else self.srv
        self.kubeconfig = str(write_kubeconfig(tmp_path / "kubeconfig", [("sim", server)]))
        self.sessions: list[ContextSession] = []
        self.feed = Feed()
        self.journal = Journal(capacity=20_000)
        self._churning = False

    def churn(self) -> "SimEnv":
        if not self._churning:
            self.workload.start()
            self._churning = True
        return self

    def session(self, resources: Iterable[str] = RESOURCES, *, inactivity: float | None = None,
                health_check: Any = None, **informer_options: Any) -> ContextSession:
        opts = InformerOptions(**{"min_watch_timeout": 300.0, **informer_options})
        s = ContextSession("sim", kubeconfig=self.kubeconfig, feed=self.feed, resources=list(resources),
                           informer=opts, watch_inactivity_timeout=inactivity, health_check=health_check)
        self.sessions.append(s)
        s.start()
        assert s.wait_ready(15), s.error
        assert s.wait_synced(20), {k: v.as_dict() for k, v in s.stats().items()}
        names = list(resources)
        wait_for(lambda: len(self.srv.watches) >= len(names) * len(self.sessions), 10, "every watch open")
        self.wait_watches_settled(s)
        return s

    def wait_watches_settled(self, session: ContextSession, timeout: float = 10.0) -> None:
        """Until each of the session's watches has been open for over a second: a watch that
        ends within a second of starting with nothing received is a "very short watch" (an
        error, as in client-go), which a test dropping watches must not provoke. (Waiting for
        something to arrive would not do: a quiet resource's watch gets nothing, not even
        bookmarks, as on a real server.)

        The second counts on the client's clock, as the reflector counts it: a WatchList's
        watch starts when its initial events are in, which on a busy machine is well after
        the server opened the stream. The reflector says "watching" only after that start, so
        a second after every resource is seen watching, each watch has lived one."""
        want = len(session.resources)
        watching: list[float] = []

        def settled() -> bool:
            if not watching:
                if sum(1 for st in session.stats().values() if st.state == "watching") < want:
                    return False
                watching.append(time.monotonic())
            return (time.monotonic() - watching[0] > 1.0 and len(self.srv.watches) >= want
                    and all(time.monotonic() - w.started > 1.0 for w in self.srv.watches.all()))

        wait_for(settled, timeout, "every watch open for over a second")

    def drain(self) -> list[Any]:
        items = self.feed.drain()
        self.journal.append_items(items)
        self.items = getattr(self, "items", []) + items
        return items

    def messages(self, resource: str | None = None) -> list[SessionItem]:
        self.drain()
        return [i for i in self.items if isinstance(i, SessionItem) and (resource is None or i.resource == resource)]

    # --- checks ---------------------------------------------------------------------------
    def server_state(self, resource: str) -> dict[str, str]:
        out = {}
        for o in self.srv.store.list(resource):
            m = o["metadata"]
            key = f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]
            out[key] = m["resourceVersion"]
        return out

    @staticmethod
    def cache_state(session: ContextSession, resource: str) -> dict[str, str]:
        h = session.resources[resource]
        out = {}
        for o in h.informer.indexer.list():
            m = o["metadata"]
            key = f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]
            out[key] = m["resourceVersion"]
        return out

    def converged(self, session: ContextSession, resource: str) -> bool:
        return self.cache_state(session, resource) == self.server_state(resource)

    def wait_converged(self, session: ContextSession, resources: Iterable[str] = RESOURCES,
                       timeout: float = 30.0) -> None:
        """Pause churn, wait until every cache equals the server (same keys and RVs), resume."""
        was = self._churning
        if was:
            self.workload.stop()
            self._churning = False
        try:
            for r in resources:
                wait_for(lambda: self.converged(session, r), timeout,
                         f"{r}: cache == server (cache {len(self.cache_state(session, r))}, "
                         f"server {len(self.server_state(r))}, stats {session.stats()[r].as_dict()})")
        finally:
            if was:
                self.churn()

    def requests_for(self, plural: str, since: float, until: float | None = None) -> list[Any]:
        until = until if until is not None else time.time() + 1
        return [r for r in self.srv.requests.snapshot()
                if since <= r.time <= until and r.path.rstrip("/").split("/")[-1] == plural]

    def stats(self, session: ContextSession, resource: str) -> dict[str, Any]:
        return session.stats()[resource].as_dict()

    def close(self) -> None:
        for s in self.sessions:
            s.stop(3.0)
        if self._churning:
            self.workload.stop()
        if self.proxy is not None:
            self.proxy.close()
        self.srv.stop()
