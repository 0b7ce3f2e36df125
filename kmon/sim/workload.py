"""Workload generator: populates a store with a realistic cluster and churns it.

All randomness comes from ``random.Random(seed)``: the same seed on a fresh store yields
the same objects (names, labels, content, uids when the store has the same seed) and the
same sequence of churn writes for the same number of ``step()`` calls; only timestamps
differ between runs.

The workload plays the controllers and kubelets of the demo cluster. Pods it removes (a
replaced pod, a scale-down) are deleted as on a real cluster: first marked Terminating
(``deletionTimestamp``, grace = the pod's ``terminationGracePeriodSeconds``; one MODIFIED),
then, ``TERMINATION_STEPS`` churn operations later (a few seconds at the default rate: its
containers stopped well within the grace period), deleted by their kubelet (DELETED).
``start()`` churns at ``rate`` writes/s on a thread (``kmon.sim.churn.ChurnThread``).
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections import deque
from typing import Sequence

from kmon.cache import gcguard
from kmon.sim import deletion, managed_fields
from kmon.sim import resources as R
from kmon.sim import objects as O
from kmon.sim.churn import ChurnThread
from kmon.sim.storage import Store, StoreError

log = logging.getLogger(__name__)

NAMESPACE_POOL = ["shop", "payments", "search", "identity", "analytics", "media", "billing", "platform",
                  "ingest", "ml-serving", "catalog", "checkout", "observability", "messaging", "edge",
                  "reporting", "inventory", "growth", "support", "data-lake"]
ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
# churn operation -> weight
OPS = [("pod_status", 35), ("pod_replace", 15), ("event", 25), ("configmap", 8), ("widget", 7),
       ("node_heartbeat", 5), ("scale", 5)]
_OP_NAMES = [o for o, _ in OPS]
_OP_CUM = list(itertools.accumulate(w for _, w in OPS))


_APPLY = "kubectl-client-side-apply"  # how the demo's applications were deployed


def _by(manager: str, resource: str, obj: dict) -> dict:
    """``obj`` with the managedFields entry its writer would have left (the API records one
    for every write; the workload writes through the store, so it records its own)."""
    managed_fields.record(None, obj, R.lookup(resource), manager, "Update", None, O.ts())
    return obj


class Workload:
    def __init__(self, store: Store, seed: int = 1, rate: float = 50.0, namespaces: int | Sequence[str] = 4,
                 pods: int = 200, deployments: int | None = None, nodes: int = 6, configmaps: int = 3,
                 secrets: int = 2, widgets: int = 4, max_events: int = 300, node_prefix: str = "node") -> None:
        """``namespaces``: a count (names drawn from ``NAMESPACE_POOL``) or explicit names;
        ``pods``: about how many pods in total (spread over ``deployments`` deployments,
        default ``pods // 6``); ``configmaps``/``secrets``/``widgets``: per namespace;
        ``max_events``: events kept (oldest deleted beyond); ``rate``: churn writes/s."""
        self.store = store
        self.rng = random.Random(seed)
        self._churner = ChurnThread(self._churn, lambda: self.writes, rate, self.MAX_BATCH)
        if isinstance(namespaces, int):
            self.namespaces = sorted(self.rng.sample(NAMESPACE_POOL, min(namespaces, len(NAMESPACE_POOL))))
        else:
            self.namespaces = list(namespaces)
        self.pods_target = max(0, int(pods))
        self.n_deployments = max(1, deployments if deployments is not None else max(1, self.pods_target // 6)) if self.pods_target else 0
        self.n_nodes, self.n_configmaps, self.n_secrets, self.n_widgets = nodes, configmaps, secrets, widgets
        self.max_events = max_events
        self.node_prefix = node_prefix
        self.writes = 0
        self._nodes: list[tuple[str, str]] = []  # (name, ip)
        self._deploys: list[dict] = []  # {"ns", "name", "rs", "app", "replicas", "pods": [names]}
        self._events: deque[tuple[str, str]] = deque()
        # every pod as [deployment, name] for O(1) random picks; index by (namespace, name)
        self._pods: list[tuple[dict, str]] = []
        self._pod_pos: dict[tuple[str, str], int] = {}
        self._steps = 0  # churn operations so far (the clock of pending terminations)
        self._terminating: deque[tuple[int, str, str]] = deque()  # (due step, namespace, name)
        self._cms: list[tuple[str, str]] = []
        self._widgets: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        ops = {"pod_status": self._op_pod_status, "pod_replace": self._op_pod_replace, "event": self._op_event,
               "configmap": self._op_configmap, "widget": self._op_widget, "node_heartbeat": self._op_node_heartbeat,
               "scale": self._op_scale}
        self._ops = [ops[name] for name in _OP_NAMES]  # in OPS order, for the weighted pick

    # ---------------------------------------------------------------- populate
    def populate(self) -> None:
        """Create the initial objects synchronously (the cyclic collector paused: 50,000 pods
        are millions of short-lived containers; with the process-wide GC policy installed,
        ``kmon.cache.gcguard``, what the store keeps is frozen afterwards)."""
        before = self.writes
        with gcguard.paused():
            self._populate()
        gcguard.policy.note_deltas(self.writes - before)

    def _populate(self) -> None:
        st, rng = self.store, self.rng
        for ns in ["default", "kube-system", *self.namespaces]:
            try:
                st.create("namespaces", _by("kubectl-create", "namespaces", O.namespace(ns, rng)))
            except StoreError as e:
                if e.code != 409:
                    raise
        if self.n_widgets:
            try:
                st.create("customresourcedefinitions.apiextensions.k8s.io",
                          _by("kubectl-client-side-apply", "customresourcedefinitions.apiextensions.k8s.io", O.widget_crd()))
            except StoreError as e:
                if e.code != 409:
                    raise
        for i in range(self.n_nodes):
            n = O.node(f"{self.node_prefix}-{ZONES[i % 3][-2:]}-{O.rand_str(rng, 5)}", rng, ZONES[i % 3])
            st.create("nodes", _by("kubelet", "nodes", n), copy=False)
            self._nodes.append((n["metadata"]["name"], n["status"]["addresses"][0]["address"]))
        ns_list = self.namespaces or ["default"]
        apps = list(O.APPS)
        per = [self.pods_target // self.n_deployments + (1 if i < self.pods_target % self.n_deployments else 0)
               for i in range(self.n_deployments)]
        used: set[tuple[str, str]] = set()
        for i in range(self.n_deployments):
            ns = ns_list[i % len(ns_list)]
            app = rng.choice(apps)
            name = app
            while (ns, name) in used:
                name = f"{app}-{O.rand_str(rng, 3)}"
            used.add((ns, name))
            self._create_deployment(ns, name, app, per[i])
        for ns in ns_list:
            for j in range(self.n_configmaps):
                cm = st.create("configmaps", _by(_APPLY, "configmaps", O.configmap(f"settings-{j}", ns, rng)))
                self._cms.append((ns, cm["metadata"]["name"]))
            for j in range(self.n_secrets):
                st.create("secrets", _by(_APPLY, "secrets", O.secret(f"credentials-{j}", ns, rng)))
            for j in range(self.n_widgets):
                w = st.create("widgets.demo.kmon.io",
                              _by(_APPLY, "widgets.demo.kmon.io", O.widget(f"widget-{O.rand_str(rng, 4)}", ns, rng)))
                self._widgets.append((ns, w["metadata"]["name"]))
        for d in self._deploys[: min(len(self._deploys), 20)]:
            if d["pods"]:
                self._emit_event(d["ns"], d["pods"][0])

    def _create_deployment(self, ns: str, name: str, app: str, replicas: int) -> None:
        st, rng = self.store, self.rng
        tmpl = O.pod_template_spec(rng, app)
        dep = st.create("deployments.apps", _by(_APPLY, "deployments.apps", O.deployment(name, ns, rng, app, replicas, tmpl)),
                        copy=False)
        pod_hash = O.rand_str(rng, 10)
        rs = st.create("replicasets.apps", _by("kube-controller-manager", "replicasets.apps",
                                                 O.replicaset(f"{name}-{pod_hash}", ns, dep, pod_hash, replicas)), copy=False)
        image, port, _ = O.APPS[app]
        st.create("services", _by(_APPLY, "services", O.service(name, ns, rng, app, port)), copy=False)
        d = {"ns": ns, "name": name, "rs": rs, "app": app, "replicas": replicas, "pods": []}
        self._deploys.append(d)
        for _ in range(replicas):
            self._new_pod(d)
        self.writes += 3

    def _new_pod(self, d: dict) -> dict:
        node_name, ip = self.rng.choice(self._nodes) if self._nodes else ("", "")
        p = self.store.create("pods", O.pod(self.rng, d["rs"], node_name, ip), copy=False)
        self._add_pod(d, p["metadata"]["name"])
        self.writes += 1
        return p

    def _add_pod(self, d: dict, name: str) -> None:
        d["pods"].append(name)
        self._pod_pos[(d["ns"], name)] = len(self._pods)
        self._pods.append((d, name))

    def _forget_pod(self, d: dict, name: str) -> None:
        """Drop a pod from the workload's bookkeeping (swap-remove: O(1))."""
        try:
            d["pods"].remove(name)
        except ValueError:
            pass
        i = self._pod_pos.pop((d["ns"], name), None)
        if i is None:
            return
        last = self._pods.pop()
        if i < len(self._pods):
            self._pods[i] = last
            self._pod_pos[(last[0]["ns"], last[1])] = i

    def _emit_event(self, ns: str, pod_name: str) -> None:
        try:
            p = self.store.get("pods", pod_name, ns)
        except StoreError:
            return
        ev = self.store.create("events", _by("kubelet", "events", O.event(self.rng, p)), copy=False)
        self._events.append((ns, ev["metadata"]["name"]))
        self.writes += 1
        while len(self._events) > self.max_events:
            ens, en = self._events.popleft()
            try:
                self.store.delete("events", en, ens)
                self.writes += 1
            except StoreError:
                pass

    # ---------------------------------------------------------------- churn
    def step(self, n: int = 1) -> int:
        """Perform ``n`` churn operations synchronously; returns the number of writes."""
        before = self.writes
        with self._lock:
            for _ in range(n):
                self._steps += 1
                self._finish_terminations()
                op = self.rng.choices(self._ops, cum_weights=_OP_CUM)[0]
                try:
                    op()
                except StoreError as e:  # objects removed behind our back (tests, faults)
                    log.debug("workload op %s: %s", op.__name__, e)
        return self.writes - before

    TERMINATION_STEPS = 120  # churn operations between a pod's Terminating mark and its removal

    def _terminate_pod(self, ns: str, name: str) -> None:
        """Delete a pod as the API and its kubelet would: Terminating now, gone later (a pod on
        no node: at once)."""
        try:
            p = self.store.get("pods", name, ns)
        except StoreError:
            return
        grace = (p.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        bound = bool((p.get("spec") or {}).get("nodeName"))
        deletion.mark_terminating(self.store, "pods", p, grace if bound else 0)
        self.writes += 1
        if bound:
            self._terminating.append((self._steps + self.TERMINATION_STEPS, ns, name))
        else:
            self.store.delete("pods", name, ns)
            self.writes += 1

    def _finish_terminations(self) -> None:
        q = self._terminating
        while q and q[0][0] <= self._steps:
            _, ns, name = q.popleft()
            try:
                self.store.delete("pods", name, ns)
                self.writes += 1
            except StoreError:
                pass  # removed behind our back (tests, faults)

    def _pick_pod(self) -> tuple[dict, str] | None:
        if not self._pods:
            return None
        return self._pods[self.rng.randrange(len(self._pods))]

    def _op_pod_status(self) -> None:
        pick = self._pick_pod()
        if pick is None:
            return
        d, name = pick
        rng = self.rng
        try:
            p = self.store.get("pods", name, d["ns"])
        except StoreError:
            self._forget_pod(d, name)
            return
        kind = rng.randint(0, 2)
        st = p["status"]
        if kind == 0:  # readiness flip
            ready = not all(c["status"] == "True" for c in st["conditions"] if c["type"] == "Ready")
            for c in st["conditions"]:
                if c["type"] in ("Ready", "ContainersReady"):
                    c["status"] = "True" if ready else "False"
                    c["lastTransitionTime"] = O.ts()
            for cs in st["containerStatuses"]:
                cs["ready"] = ready
        elif kind == 1:  # a container restart
            cs = rng.choice(st["containerStatuses"])
            cs["restartCount"] += 1
            cs["lastState"] = {"terminated": {"exitCode": rng.choice([1, 137, 143]), "reason": rng.choice(["Error", "OOMKilled"]),
                                              "startedAt": cs["state"].get("running", {}).get("startedAt", O.ts()), "finishedAt": O.ts()}}
            cs["state"] = {"running": {"startedAt": O.ts()}}
        else:  # annotation touch
            p["metadata"].setdefault("annotations", {})["kmon.io/heartbeat"] = str(rng.randint(0, 1 << 30))
        self.store.update("pods", p, d["ns"], copy=False)
        self.writes += 1

    def _op_pod_replace(self) -> None:
        pick = self._pick_pod()
        if pick is None:
            return
        d, name = pick
        self._forget_pod(d, name)
        self._terminate_pod(d["ns"], name)
        p = self._new_pod(d)
        if self.rng.random() < 0.5:
            self._emit_event(d["ns"], p["metadata"]["name"])

    def _op_event(self) -> None:
        pick = self._pick_pod()
        if pick is not None:
            self._emit_event(pick[0]["ns"], pick[1])

    def _op_configmap(self) -> None:
        if self._cms:
            ns, name = self.rng.choice(self._cms)
            self.store.patch("configmaps", name, {"data": {"revision": str(self.rng.randint(0, 1 << 20))}}, ns)
            self.writes += 1

    def _op_widget(self) -> None:
        if self._widgets:
            ns, name = self.rng.choice(self._widgets)
            self.store.patch("widgets.demo.kmon.io", name, {"spec": {"size": self.rng.randint(1, 10)},
                                                            "status": {"phase": self.rng.choice(["Ready", "Resizing"])}}, ns)
            self.writes += 1

    def _op_node_heartbeat(self) -> None:
        if self._nodes:
            name, _ = self.rng.choice(self._nodes)
            n = self.store.get("nodes", name)
            for c in n["status"]["conditions"]:
                c["lastHeartbeatTime"] = O.ts()
            n["metadata"].setdefault("annotations", {})["kmon.io/heartbeat"] = str(self.rng.randint(0, 1 << 30))
            self.store.update("nodes", n, copy=False)
            self.writes += 1

    def _op_scale(self) -> None:
        if not self._deploys:
            return
        d = self.rng.choice(self._deploys)
        delta = self.rng.choice([-1, 1])
        new = max(1, min(8, d["replicas"] + delta))
        if new == d["replicas"]:
            return
        d["replicas"] = new
        ns = d["ns"]
        status = {"replicas": new, "updatedReplicas": new, "readyReplicas": new, "availableReplicas": new}
        self.store.patch("deployments.apps", d["name"], {"spec": {"replicas": new}, "status": status}, ns)
        self.store.patch("replicasets.apps", d["rs"]["metadata"]["name"],
                         {"metadata": {"annotations": {"deployment.kubernetes.io/desired-replicas": str(new)}},
                          "spec": {"replicas": new}, "status": {**status, "fullyLabeledReplicas": new}}, ns)
        self.writes += 2
        while len(d["pods"]) < new:
            self._new_pod(d)
        while len(d["pods"]) > new:
            name = d["pods"][self.rng.randrange(len(d["pods"]))]
            self._forget_pod(d, name)
            self._terminate_pod(ns, name)

    # ---------------------------------------------------------------- the churn thread
    MAX_BATCH = 64  # writes per hold of the store's lock (watchers and lists wait meanwhile)

    @property
    def rate(self) -> float:
        """Churn writes/s of ``start()`` (may change while churning)."""
        return self._churner.rate

    @rate.setter
    def rate(self, value: float) -> None:
        self._churner.rate = float(value)

    @property
    def achieved_rate(self) -> float:
        """Writes/s measured over the last ~1 s of churn."""
        return self._churner.achieved_rate

    @property
    def churning(self) -> bool:
        return self._churner.running

    @property
    def churner(self) -> ChurnThread:
        """The churn thread (its ``run(clock, stop)`` drives the churn on a caller's clock)."""
        return self._churner

    def start(self) -> "Workload":
        """Churn on a background thread at ``rate`` writes/s (0 = not at all): paced by
        ``kmon.sim.churn.ChurnThread``, in batches under one hold of the store's lock."""
        self._churner.start()
        return self

    def stop(self) -> None:
        self._churner.stop()

    def _churn(self, writes: int) -> int:
        """About ``writes`` store writes (whole operations) under one hold of the store's
        lock; returns the number done."""
        before = self.writes
        with self.store.lock:
            for _ in range(4 * writes + 4):  # bounded: some operations write nothing
                if self.writes - before >= writes or self._churner.stopping:
                    break
                self.step(1)
        return self.writes - before
