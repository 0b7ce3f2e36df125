"""Random pod churn on a sim store, and the convergence check the informer tests share."""

from __future__ import annotations

import random
import threading
from typing import Any

from kmon.cache.keys import meta_namespace_key
from waiting import wait_for

from .conftest import ensure_namespace, make_pod

NAMESPACES = ("default", "team-a", "team-b")


class Churn:
    """Creates, updates and deletes pods at about ``rate`` operations per second."""

    def __init__(self, store: Any, *, seed: int = 0, rate: float = 200.0, max_pods: int = 60) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.rate = rate
        self.max_pods = max_pods
        self.ops = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: list[tuple[str, str]] = []
        self._n = 0
        for ns in NAMESPACES:
            ensure_namespace(store, ns)

    def populate(self, n: int) -> None:
        for _ in range(n):
            self._create()

    def _create(self) -> None:
        ns = self.rng.choice(NAMESPACES)
        name = f"pod-{self._n}"
        self._n += 1
        self.store.create("pods", make_pod(name, ns, labels={"app": self.rng.choice(["web", "db"])}), ns)
        self._live.append((ns, name))

    def step(self) -> None:
        r = self.rng.random()
        try:
            if not self._live or (r < 0.4 and len(self._live) < self.max_pods):
                self._create()
            elif r < 0.8:
                ns, name = self.rng.choice(self._live)
                obj = self.store.get("pods", name, ns)
                obj["metadata"].setdefault("labels", {})["gen"] = str(self.ops)
                obj["metadata"]["resourceVersion"] = None
                self.store.update("pods", obj, ns)
            else:
                ns, name = self._live.pop(self.rng.randrange(len(self._live)))
                self.store.delete("pods", name, ns)
        except Exception:
            pass  # a racing fault (or conflict) is fine: the server state is the truth
        self.ops += 1

    def start(self) -> "Churn":
        def loop() -> None:
            while not self._stop.wait(1.0 / self.rate):
                self.step()

        self._thread = threading.Thread(target=loop, name="churn", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


def server_state(store: Any) -> dict[str, str]:
    return {meta_namespace_key(o): o["metadata"]["resourceVersion"] for o in store.list("pods")}


def cache_state(informer: Any) -> dict[str, str]:
    return {meta_namespace_key(o): o["metadata"]["resourceVersion"] for o in informer.indexer.list()}


def wait_converged(informer: Any, store: Any, timeout: float = 20.0) -> None:
    """Wait until the indexer holds exactly the server's objects at the same versions."""

    def converged() -> bool:
        return informer.has_synced() and cache_state(informer) == server_state(store)

    def difference() -> str:
        want, have = server_state(store), cache_state(informer)
        missing = sorted(set(want) - set(have))[:5]
        extra = sorted(set(have) - set(want))[:5]
        stale = sorted(k for k in set(want) & set(have) if want[k] != have[k])[:5]
        return (f"the cache to converge: missing {missing}, extra {extra}, stale {stale}; "
                f"stats {informer.stats().as_dict()}")

    wait_for(converged, timeout, difference, step=0.05)
