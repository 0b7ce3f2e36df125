"""Defaulting, as kube-apiserver applies it before it stores an object.

``apply_defaults`` is what the API's defaulting functions (``SetDefaults_*`` of
pkg/apis/core/v1, apps/v1, batch/v1) do on every write; ``on_create`` adds what only a
create does: the pod's initial status (``phase: Pending`` and its ``qosClass``), a service's
cluster IP (and node ports), a Secret's ``stringData`` folded into base64 ``data``, and what
the default admission plugins set on a new pod (service account, priority, the not-ready /
unreachable tolerations). Values the writer gave are never replaced. Every function works in
place on a decoded object and is cheap on an object that is already complete (the demo's).
"""

from __future__ import annotations

import base64
import hashlib

from kmon.sim.catalog import Resource

_PROBE = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
_DEFAULT_MODE = 420  # 0644
_TOLERATIONS = [{"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                for k in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")]


def _d(obj: dict, key: str, value) -> None:
    if obj.get(key) is None:
        obj[key] = value


def _image_pull_policy(image: str) -> str:
    name = (image or "").rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.rpartition(":")[2] if ":" in name else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(p: object) -> None:
    if isinstance(p, dict):
        for k, v in _PROBE.items():
            _d(p, k, v)
        if isinstance(p.get("httpGet"), dict):
            _d(p["httpGet"], "scheme", "HTTP")


def _container(c: object) -> None:
    if not isinstance(c, dict):
        return
    _d(c, "terminationMessagePath", "/dev/termination-log")
    _d(c, "terminationMessagePolicy", "File")
    _d(c, "imagePullPolicy", _image_pull_policy(c.get("image") or ""))
    _d(c, "resources", {})
    res = c["resources"]
    if isinstance(res, dict) and isinstance(res.get("limits"), dict):
        req = res.setdefault("requests", {})
        if isinstance(req, dict):
            for k, v in res["limits"].items():  # limits without requests: requests = limits
                req.setdefault(k, v)
    for p in c.get("ports") or ():
        if isinstance(p, dict):
            _d(p, "protocol", "TCP")
    for e in c.get("env") or ():
        ref = ((e or {}).get("valueFrom") or {}).get("fieldRef") if isinstance(e, dict) else None
        if isinstance(ref, dict):
            _d(ref, "apiVersion", "v1")
    for k in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(k))


def _volume(v: object) -> None:
    if not isinstance(v, dict):
        return
    for k in ("configMap", "secret", "projected", "downwardAPI"):
        if isinstance(v.get(k), dict):
            _d(v[k], "defaultMode", _DEFAULT_MODE)
    if isinstance(v.get("hostPath"), dict):
        _d(v["hostPath"], "type", "")


def pod_spec(spec: object) -> None:
    """SetDefaults_PodSpec and the container/volume defaults under it."""
    if not isinstance(spec, dict):
        return
    _d(spec, "dnsPolicy", "ClusterFirst")
    _d(spec, "restartPolicy", "Always")
    _d(spec, "terminationGracePeriodSeconds", 30)
    _d(spec, "securityContext", {})
    _d(spec, "schedulerName", "default-scheduler")
    _d(spec, "enableServiceLinks", True)
    for k in ("containers", "initContainers"):
        for c in spec.get(k) or ():
            _container(c)
    for v in spec.get("volumes") or ():
        _volume(v)


def qos_class(spec: dict) -> str:
    """BestEffort (no requests or limits), Guaranteed (every container's cpu and memory
    limits equal its requests), Burstable otherwise -- the kubelet's and apiserver's rule."""
    containers = [c for k in ("containers", "initContainers") for c in spec.get(k) or () if isinstance(c, dict)]
    anything, guaranteed = False, True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if any(k in req or k in lim for k in ("cpu", "memory")):
            anything = True
        for k in ("cpu", "memory"):
            if k not in lim or req.get(k, lim[k]) != lim[k]:
                guaranteed = False
    if not anything:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _template(tmpl: object) -> None:
    if isinstance(tmpl, dict):
        pod_spec(tmpl.get("spec"))


def _spec(obj: dict) -> dict | None:
    s = obj.get("spec")
    return s if isinstance(s, dict) else None


def _service(spec: dict) -> None:
    _d(spec, "type", "ClusterIP")
    _d(spec, "sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        _d(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        _d(spec, "externalTrafficPolicy", "Cluster")
    for p in spec.get("ports") or ():
        if isinstance(p, dict):
            _d(p, "protocol", "TCP")
            if p.get("targetPort") is None and p.get("port") is not None:
                p["targetPort"] = p["port"]


def _rolling_update(spec: dict, field: str, defaults: dict) -> None:
    """``spec.<field>`` defaults to RollingUpdate with ``defaults`` as its parameters."""
    strategy = spec.setdefault(field, {})
    if isinstance(strategy, dict):
        _d(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate" and isinstance(strategy.setdefault("rollingUpdate", {}), dict):
            for k, v in defaults.items():
                _d(strategy["rollingUpdate"], k, v)


def apply_defaults(res: Resource, obj: dict) -> None:
    """The defaults of every write (create, update, patch): fields the writer left out."""
    key, spec = res.key, _spec(obj)
    if key == "pods":
        pod_spec(spec)
    elif key == "services" and spec is not None:
        _service(spec)
    elif key == "secrets":
        _d(obj, "type", "Opaque")
    elif spec is None:
        return
    elif key in ("deployments.apps", "replicasets.apps", "statefulsets.apps", "replicationcontrollers"):
        _d(spec, "replicas", 1)
        _template(spec.get("template"))
        if key == "deployments.apps":
            _rolling_update(spec, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})
            _d(spec, "revisionHistoryLimit", 10)
            _d(spec, "progressDeadlineSeconds", 600)
        elif key == "statefulsets.apps":
            _d(spec, "podManagementPolicy", "OrderedReady")
            _rolling_update(spec, "updateStrategy", {"partition": 0})
            _d(spec, "revisionHistoryLimit", 10)
            _d(spec, "persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    elif key == "daemonsets.apps":
        _template(spec.get("template"))
        _rolling_update(spec, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})
        _d(spec, "revisionHistoryLimit", 10)
    elif key == "jobs.batch":
        _job(spec)
    elif key == "cronjobs.batch":
        _d(spec, "concurrencyPolicy", "Allow")
        _d(spec, "suspend", False)
        _d(spec, "successfulJobsHistoryLimit", 3)
        _d(spec, "failedJobsHistoryLimit", 1)
        jt = spec.get("jobTemplate")
        if isinstance(jt, dict) and isinstance(jt.get("spec"), dict):
            _job(jt["spec"])


def _job(spec: dict) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _d(spec, "parallelism", 1)
    _d(spec, "backoffLimit", 6)
    _d(spec, "completionMode", "NonIndexed")
    _d(spec, "suspend", False)
    _d(spec, "podReplacementPolicy", "TerminatingOrFailed")
    _template(spec.get("template"))


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def _allocate_cluster_ip(meta: dict) -> str:
    n = 2 + _hash(f"{meta.get('namespace')}/{meta.get('name')}/{meta.get('uid')}") % ((1 << 20) - 2)
    return f"10.{96 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"  # within 10.96.0.0/12, never .0.0 / .0.1


def on_create(res: Resource, obj: dict) -> None:
    """Defaults of a create (after ``metadata.uid`` is set), then ``apply_defaults``."""
    key, spec, meta = res.key, _spec(obj), obj.get("metadata") or {}
    if key == "secrets" and isinstance(obj.get("stringData"), dict):
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        for k, v in obj.pop("stringData").items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj["data"] = data
    apply_defaults(res, obj)
    if key == "pods" and spec is not None:
        _d(spec, "serviceAccountName", "default")  # ServiceAccount admission
        _d(spec, "serviceAccount", spec["serviceAccountName"])
        if spec.get("priorityClassName") is None:  # Priority admission
            _d(spec, "priority", 0)
        _d(spec, "preemptionPolicy", "PreemptLowerPriority")
        tolerations = spec.setdefault("tolerations", [])  # DefaultTolerationSeconds admission
        if isinstance(tolerations, list):
            for t in _TOLERATIONS:
                if not any(isinstance(x, dict) and x.get("key") == t["key"] for x in tolerations):
                    tolerations.append(dict(t))
        status = obj.get("status")
        if not isinstance(status, dict) or not status.get("phase"):
            obj["status"] = {"phase": "Pending", **(status if isinstance(status, dict) else {})}
        obj["status"].setdefault("qosClass", qos_class(spec))
    elif key == "services" and spec is not None:
        obj.setdefault("status", {"loadBalancer": {}})
        if spec.get("type") == "ExternalName":
            return
        if not spec.get("clusterIP"):
            spec["clusterIP"] = _allocate_cluster_ip(meta)
        _d(spec, "clusterIPs", [spec["clusterIP"]])
        _d(spec, "ipFamilies", ["IPv4"])
        _d(spec, "ipFamilyPolicy", "SingleStack")
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            for i, p in enumerate(spec.get("ports") or ()):
                if isinstance(p, dict) and not p.get("nodePort"):
                    p["nodePort"] = 30000 + (_hash(f"{meta.get('uid')}/{i}") % 2768)
    elif key == "jobs.batch" and spec is not None and not spec.get("manualSelector"):
        uid, name = meta.get("uid", ""), meta.get("name", "")
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        tmpl = spec.setdefault("template", {})
        if isinstance(tmpl, dict):
            tm = tmpl.setdefault("metadata", {})
            if isinstance(tm, dict):
                tm.setdefault("labels", {}).update(labels)
