"""Server-side printing (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``), the
columns kubectl shows for ``kubectl get``. Rows carry the object as PartialObjectMetadata
(the apiserver's default ``includeObject=Metadata``)."""

from __future__ import annotations

import calendar
import time
from typing import Callable

import orjson

from kmon.monitor.summary import format_age

from kmon.sim.resources import Resource
from kmon.sim.storage import Entry


def _since(ts: str | None) -> int | None:
    if not ts:
        return None
    try:
        return int(time.time() - calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def _age(ts: str | None) -> str:
    s = _since(ts)
    return "<unknown>" if s is None else format_age(s)  # apimachinery's HumanDuration


def _col(name: str, type_: str = "string", priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": type_, "format": fmt, "description": name, "priority": priority}


def _pod(o: dict) -> list:
    spec, st = o.get("spec") or {}, o.get("status") or {}
    cs = st.get("containerStatuses") or []
    ready = sum(1 for c in cs if c.get("ready"))
    restarts = str(sum(int(c.get("restartCount", 0)) for c in cs))
    last = max((t for c in cs if (t := ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))),
               default=None)
    if last and _since(last) is not None:
        restarts += f" ({_age(last)} ago)"
    phase = st.get("phase", "Unknown")
    if (o["metadata"]).get("deletionTimestamp"):
        phase = "Terminating"
    return [ready and f"{ready}/{len(spec.get('containers') or [])}" or f"0/{len(spec.get('containers') or [])}",
            phase, restarts, _age(o["metadata"].get("creationTimestamp")), st.get("podIP", "<none>"),
            spec.get("nodeName", "<none>"), "<none>", "<none>"]


def _deploy(o: dict) -> list:
    spec, st = o.get("spec") or {}, o.get("status") or {}
    return [f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", st.get("updatedReplicas", 0),
            st.get("availableReplicas", 0), _age(o["metadata"].get("creationTimestamp"))]


def _rs(o: dict) -> list:
    spec, st = o.get("spec") or {}, o.get("status") or {}
    return [spec.get("replicas", 0), st.get("replicas", 0), st.get("readyReplicas", 0),
            _age(o["metadata"].get("creationTimestamp"))]


def _svc(o: dict) -> list:
    spec = o.get("spec") or {}
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or []) or "<none>"
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), "<none>", ports,
            _age(o["metadata"].get("creationTimestamp"))]


def _node(o: dict) -> list:
    conds = (o.get("status") or {}).get("conditions") or []
    ready = next((c.get("status") for c in conds if c.get("type") == "Ready"), "Unknown")
    info = (o.get("status") or {}).get("nodeInfo") or {}
    return ["Ready" if ready == "True" else "NotReady", "<none>", _age(o["metadata"].get("creationTimestamp")),
            info.get("kubeletVersion", "")]


def _event(o: dict) -> list:
    io = o.get("involvedObject") or {}
    return [_age(o.get("lastTimestamp") or o["metadata"].get("creationTimestamp")), o.get("type", ""),
            o.get("reason", ""), f"{(io.get('kind') or '').lower()}/{io.get('name', '')}", o.get("message", "")]


def _ns(o: dict) -> list:
    return [(o.get("status") or {}).get("phase", "Active"), _age(o["metadata"].get("creationTimestamp"))]


def _data(o: dict) -> list:
    return [len(o.get("data") or {}), _age(o["metadata"].get("creationTimestamp"))]


def _secret(o: dict) -> list:
    return [o.get("type", "Opaque"), len(o.get("data") or {}), _age(o["metadata"].get("creationTimestamp"))]


def _default(o: dict) -> list:
    return [_age(o["metadata"].get("creationTimestamp"))]


_AGE = _col("Age")
COLUMNS: dict[str, tuple[list[dict], Callable[[dict], list]]] = {
    "pods": ([_col("Ready"), _col("Status"), _col("Restarts", "string"), _AGE, _col("IP", priority=1),
              _col("Node", priority=1), _col("Nominated Node", priority=1), _col("Readiness Gates", priority=1)], _pod),
    "deployments.apps": ([_col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"), _AGE], _deploy),
    "replicasets.apps": ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"), _AGE], _rs),
    "services": ([_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"), _AGE], _svc),
    "nodes": ([_col("Status"), _col("Roles"), _AGE, _col("Version")], _node),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")], _event),
    "namespaces": ([_col("Status"), _AGE], _ns),
    "configmaps": ([_col("Data", "integer"), _AGE], _data),
    "secrets": ([_col("Type"), _col("Data", "integer"), _AGE], _secret),
}
_NAME = _col("Name", fmt="name")


def wants_table(accept: str) -> bool:
    """True when the first acceptable alternative of ``accept`` is a meta.k8s.io Table."""
    for alt in accept.split(","):
        parts = [p.strip() for p in alt.split(";")]
        if parts[0].lower() not in ("application/json", "*/*", "application/*"):
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        return kv.get("as") == "Table" and kv.get("g") == "meta.k8s.io" and kv.get("v") in ("v1", "v1beta1")
    return False


def table(res: Resource, entries: list[Entry], list_meta: dict | None = None, with_columns: bool = True) -> bytes:
    cols, fn = COLUMNS.get(res.key, ([_AGE], _default))
    rows = []
    for e in entries:
        o = e.obj()
        rows.append({"cells": [o["metadata"].get("name", ""), *fn(o)],
                     "object": orjson.Fragment(e.meta_raw())})
    doc = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta or {},
           "columnDefinitions": [_NAME, *cols] if with_columns else [], "rows": rows}
    return orjson.dumps(doc)
