"""Two embedded clusters to watch: what ``kmon --demo`` and the integration tests run against.

Why this module exists: kmon must be explorable without a cluster, and the interesting
things (churn, relists, several contexts) need a live server. ``DemoCluster`` starts two
``SimServer``s with different content (a shop-like cluster and a data-platform-like one),
populates and churns them with ``kmon.sim.workload.Workload``, and writes a kubeconfig with
contexts ``kmon-demo`` (current) and ``kmon-demo-2`` into a private temporary directory.
Everything is local (127.0.0.1); ``stop()`` stops the churn and the servers and removes
the directory.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import Sequence

from kmon.sim.kubeconfig import write_kubeconfig
from kmon.sim.server import SimServer
from kmon.sim.workload import Workload

__all__ = ["CONTEXTS", "DemoCluster", "DemoSpec"]

CONTEXTS = ("kmon-demo", "kmon-demo-2")


@dataclass(frozen=True)
class DemoSpec:
    """What one demo cluster holds."""

    context: str
    namespaces: tuple[str, ...]
    node_prefix: str
    seed_offset: int
    pods_share: float  # of DemoCluster's ``pods``


SPECS = (
    DemoSpec("kmon-demo", ("shop", "payments", "monitoring"), "node", 0, 1.0),
    DemoSpec("kmon-demo-2", ("search", "analytics", "ml-serving", "identity"), "worker", 101, 0.6),
)


class DemoCluster:
    """Two churning sims and a kubeconfig for them (started by the constructor).

    ``churn``: writes per second per cluster (0 = static); ``pods``: about how many pods the
    first cluster holds (the second 60% of it); ``seed``: content is reproducible from it;
    ``tls``: serve HTTPS with a self-signed CA (written into the kubeconfig);
    ``bookmark_interval``: kube-apiserver's bookmark frequency (60 s): a watch's first bookmark
    is due that long after it starts, and comes only once its resource changed -- so a quiet
    resource's watch stays silent, as on a real cluster.
    """

    def __init__(
        self,
        churn: float = 20.0,
        pods: int = 120,
        seed: int = 1,
        *,
        tls: bool = False,
        bookmark_interval: float = 60.0,
        directory: str | os.PathLike[str] | None = None,
        specs: Sequence[DemoSpec] = SPECS,
    ) -> None:
        self.churn = float(churn)
        self.seed = seed
        self._lock = threading.Lock()  # guards _paused, _stopped and the workloads' start/stop
        self._paused = False
        self._stopped = False
        self.servers: dict[str, SimServer] = {}
        self.workloads: dict[str, Workload] = {}
        self._own_dir = directory is None
        self.directory = tempfile.mkdtemp(prefix="kmon-demo-") if directory is None else os.fspath(directory)
        try:
            for spec in specs:
                srv = SimServer(
                    token=secrets.token_urlsafe(24),
                    tls=tls,
                    bookmark_interval=bookmark_interval,
                    seed=seed + spec.seed_offset,
                )
                srv.start()
                self.servers[spec.context] = srv
                wl = Workload(
                    srv.store,
                    seed=seed + spec.seed_offset,
                    rate=self.churn if self.churn > 0 else 1.0,
                    namespaces=list(spec.namespaces),
                    pods=max(0, int(round(pods * spec.pods_share))),
                    node_prefix=spec.node_prefix,
                )
                wl.populate()
                self.workloads[spec.context] = wl
            self.kubeconfig_path = write_kubeconfig(
                os.path.join(self.directory, "kubeconfig"),
                [(c, s) for c, s in self.servers.items()],
                current=specs[0].context,
            )
            if self.churn > 0:
                for wl in self.workloads.values():
                    wl.start()
            else:
                self._paused = True
        except BaseException:
            self.stop()
            raise

    # --- churn ----------------------------------------------------------------------------
    @property
    def contexts(self) -> list[str]:
        return list(self.servers)

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    def pause(self) -> None:
        """Stop churning (the servers keep serving)."""
        with self._lock:
            if self._paused or self._stopped:
                return
            self._paused = True
            for wl in self.workloads.values():
                wl.stop()

    def resume(self) -> None:
        """Churn again (at ``churn`` writes/s; nothing happens when ``churn`` is 0)."""
        with self._lock:
            if not self._paused or self._stopped or self.churn <= 0:
                return
            self._paused = False
            for wl in self.workloads.values():
                wl.rate = self.churn
                wl.start()

    def set_churn(self, rate: float) -> None:
        """Change the churn rate (writes/s per cluster); 0 pauses."""
        self.pause()
        self.churn = float(rate)
        if rate > 0:
            self.resume()

    def achieved_churn(self) -> dict[str, float]:
        """Writes/s each cluster's workload achieved over its last second of churn (0 when
        paused or static): what the demo really produces, next to the ``churn`` asked for."""
        with self._lock:
            if self._paused or self._stopped:
                return {c: 0.0 for c in self.workloads}
            return {c: round(wl.achieved_rate, 1) for c, wl in self.workloads.items()}

    def step(self, n: int = 1) -> None:
        """Apply ``n`` churn writes to every cluster now (useful while paused)."""
        for wl in self.workloads.values():
            wl.step(n)

    # --- life -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop churn and servers and remove the kubeconfig directory. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            workloads = list(self.workloads.values())
            servers = list(self.servers.values())
        for wl in workloads:
            try:
                wl.stop()
            except Exception:
                pass
        for srv in servers:
            try:
                srv.stop()
            except Exception:
                pass
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    close = stop

    def __enter__(self) -> "DemoCluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        urls = ", ".join(f"{c}={s.url}" for c, s in self.servers.items())
        return f"<DemoCluster {urls} churn={self.churn:g}/s{' paused' if self._paused else ''}>"
