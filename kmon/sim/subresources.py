"""Subresources beyond ``/status`` and ``/finalize`` (those are writes.py's): ``pods/log``,
``pods/eviction``, ``pods/binding`` (and the ``bindings`` resource), ``*/scale``,
``serviceaccounts/token``; the streaming ones (``exec``, ``attach``, ``portforward``) and
``proxy`` answer as kube-apiserver does to a client that cannot upgrade or reach a backend.
``ephemeralcontainers``, ``resize`` and ``approval`` are reads and writes of their object
(writes.py limits what they change)."""

from __future__ import annotations

import hashlib
import time

import orjson

from kmon.sim import deletion
from kmon.sim.catalog import BUILTIN, Resource
from kmon.sim.errors import StoreError
from kmon.sim.storage import Store, now_rfc3339

# served here; every other subresource goes through the ordinary get / write paths
SERVED = frozenset({"log", "eviction", "binding", "scale", "token", "exec", "attach", "portforward", "proxy"})


_POD = next(r for r in BUILTIN if r.key == "pods")


class Answer:
    __slots__ = ("code", "body", "content_type")

    def __init__(self, code: int, body, content_type: str = "application/json") -> None:
        self.code, self.body, self.content_type = code, body, content_type


def _success(code: int = 201) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}


def _log(store: Store, ns: str, name: str, q: dict) -> Answer:
    pod = store.get("pods", name, ns)
    containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or ()]
    container = q.get("container") or ""
    if not container:
        if len(containers) != 1:
            raise StoreError(400, "BadRequest", f"a container name must be specified for pod {name}, choose one of: "
                             f"[{' '.join(containers)}]")
        container = containers[0]
    elif container not in containers:
        raise StoreError(400, "BadRequest", f"container {container} is not valid for pod {name}")
    statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or ()}
    running = (statuses.get(container) or {}).get("state", {}).get("running")
    if not running:
        raise StoreError(400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: '
                         "ContainerCreating")
    started = running.get("startedAt") or now_rfc3339()
    seed = int(hashlib.sha256(f"{ns}/{name}/{container}".encode()).hexdigest()[:8], 16)
    lines = [f"{started} INFO starting {container}", f"{started} INFO listening on :{8000 + seed % 1000}"]
    lines += [f"{started} INFO request id={(seed * (i + 7)) % 100000:05d} status=200 duration={(seed >> i) % 90 + 3}ms"
              for i in range(20)]
    tail = q.get("tailLines")
    if tail and tail.isdigit():
        lines = lines[-int(tail):] if int(tail) else []
    return Answer(200, ("\n".join(lines) + "\n").encode() if lines else b"", "text/plain")


def _bind(store: Store, ns: str, name: str, body: dict) -> Answer:
    target = (body or {}).get("target") or {}
    node = target.get("name")
    if not node:
        raise StoreError(422, "Invalid", f'Binding "{name}" is invalid: target.name: Required value',
                         details={"name": name, "kind": "Binding"},
                         causes=[{"reason": "FieldValueRequired", "message": "Required value", "field": "target.name"}])
    with store.lock:
        pod = store.get("pods", name, ns)
        if (pod.get("spec") or {}).get("nodeName"):
            raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is '
                             f"already assigned to node \"{pod['spec']['nodeName']}\"",
                             details={"name": name, "kind": "pods/binding"})
        pod["spec"]["nodeName"] = node
        conds = [c for c in (pod.setdefault("status", {}).get("conditions") or ()) if c.get("type") != "PodScheduled"]
        conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": now_rfc3339()})
        pod["status"]["conditions"] = conds
        store.update("pods", pod, ns, copy=False)
    return Answer(201, _success())


def _scale(store: Store, res: Resource, ns: str | None, name: str, method: str, body) -> Answer:
    with store.lock:
        obj = store.get(res, name, ns)
        if method in ("PUT", "PATCH"):
            spec = (body or {}).get("spec") or {}
            if "replicas" in spec:
                obj.setdefault("spec", {})["replicas"] = spec["replicas"]
                obj = store.update(res, obj, ns, copy=False)
    meta = obj["metadata"]
    sel = ((obj.get("spec") or {}).get("selector") or {})
    labels = sel.get("matchLabels", sel) if isinstance(sel, dict) else {}
    return Answer(200, {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                   "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if isinstance(v, str))}})


def _token(store: Store, ns: str, name: str, body) -> Answer:
    store.get("serviceaccounts", name, ns)
    seconds = int(((body or {}).get("spec") or {}).get("expirationSeconds") or 3600)
    token = "kmon-sim." + hashlib.sha256(f"{ns}/{name}/{time.time()}".encode()).hexdigest()
    return Answer(201, {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                        "metadata": {"name": name, "namespace": ns, "creationTimestamp": None},
                        "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": seconds},
                        "status": {"token": token, "expirationTimestamp": now_rfc3339(time.time() + seconds)}})


def serve(store: Store, res: Resource, method: str, ns: str | None, name: str, sub: str, q: dict,
          body: bytes) -> Answer:
    """Answer a request to ``<res>/<name>/<sub>`` (``sub`` in SERVED)."""
    doc = orjson.loads(body) if body and method in ("POST", "PUT", "PATCH") else None
    if res.key == "bindings":  # POST .../namespaces/<ns>/bindings: the pod is the binding's name
        res, name = _POD, ((doc or {}).get("metadata") or {}).get("name") or ""
    if sub == "log":
        return _log(store, ns or "", name, q)
    if sub == "eviction":
        deletion.delete(store, res, name, ns, deletion.DeleteOptions(
            grace=((doc or {}).get("deleteOptions") or {}).get("gracePeriodSeconds")))
        return Answer(201, _success())
    if sub == "binding":
        return _bind(store, ns or "", name, doc)
    if sub == "scale":
        return _scale(store, res, ns, name, method, doc)
    if sub == "token":
        return _token(store, ns or "", name, doc)
    if sub == "proxy":
        raise StoreError(503, "ServiceUnavailable", f'no endpoints available for {res.singular} "{name}"')
    raise StoreError(400, "BadRequest", "Upgrade request required")
