"""Builders of realistic Kubernetes objects for the workload generator (all randomness
from the ``random.Random`` passed in, so content is reproducible from a seed)."""

from __future__ import annotations

import base64
import random
import time

from kmon.sim.storage import now_rfc3339

APPS = {
    # app name: (image, port, tier)
    "web": ("nginx:1.27.2", 8080, "frontend"),
    "frontend": ("ghcr.io/kmon-demo/frontend:2.14.0", 3000, "frontend"),
    "api": ("ghcr.io/kmon-demo/api:1.42.1", 8080, "backend"),
    "checkout": ("ghcr.io/kmon-demo/checkout:0.9.3", 8443, "backend"),
    "cart": ("ghcr.io/kmon-demo/cart:3.1.0", 7070, "backend"),
    "auth": ("quay.io/keycloak/keycloak:25.0", 8080, "backend"),
    "search": ("opensearchproject/opensearch:2.17.0", 9200, "data"),
    "worker": ("ghcr.io/kmon-demo/worker:1.8.7", 9000, "backend"),
    "redis": ("redis:7.4.1", 6379, "data"),
    "postgres": ("postgres:16.4", 5432, "data"),
    "kafka": ("bitnami/kafka:3.8.0", 9092, "data"),
    "ingest": ("ghcr.io/kmon-demo/ingest:0.22.0", 8081, "backend"),
    "billing": ("ghcr.io/kmon-demo/billing:5.0.2", 8080, "backend"),
    "notifier": ("ghcr.io/kmon-demo/notifier:1.3.0", 8080, "backend"),
    "gateway": ("envoyproxy/envoy:v1.31.2", 10000, "edge"),
    "metrics": ("prom/prometheus:v2.54.1", 9090, "observability"),
    "grafana": ("grafana/grafana:11.2.2", 3000, "observability"),
    "recommender": ("ghcr.io/kmon-demo/recommender:0.4.1", 50051, "backend"),
}
SIDECARS = [("istio-proxy", "docker.io/istio/proxyv2:1.23.2", 15090), ("log-shipper", "fluent/fluent-bit:3.1.9", 2020),
            ("metrics-exporter", "prom/statsd-exporter:v0.27.1", 9102)]
ALPHANUM = "bcdfghjklmnpqrstvwxz2456789"
HEX = "0123456789abcdef"


def rand_str(rng: random.Random, n: int, alphabet: str = ALPHANUM) -> str:
    if alphabet is HEX:  # container ids, image digests: one draw instead of n
        return f"{rng.getrandbits(4 * n):0{n}x}"
    return "".join(rng.choices(alphabet, k=n))


def ts(offset: float = 0.0) -> str:
    return now_rfc3339(time.time() + offset)


def namespace(name: str, rng: random.Random) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"team": rng.choice(["platform", "payments", "growth", "core", "data"])}},
            "spec": {"finalizers": ["kubernetes"]}}


def node(name: str, rng: random.Random, zone: str) -> dict:
    cpu, mem = rng.choice([(4, 16), (8, 32), (16, 64)])
    ip = f"10.0.{rng.randint(0, 15)}.{rng.randint(2, 250)}"
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": zone[:-1],
            "node.kubernetes.io/instance-type": f"m6i.{ {4: 'xlarge', 8: '2xlarge', 16: '4xlarge'}[cpu] }"},
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": f"10.244.{rng.randint(0, 255)}.0/24", "providerID": f"aws:///{zone}/i-{rand_str(rng, 17, HEX)}"},
        "status": {
            "capacity": {"cpu": str(cpu), "memory": f"{mem * 1024 * 1024}Ki", "pods": "110", "ephemeral-storage": "104845292Ki"},
            "allocatable": {"cpu": f"{cpu * 1000 - 90}m", "memory": f"{mem * 1024 * 1024 - 700000}Ki", "pods": "110"},
            "conditions": [
                {"type": t, "status": "False", "reason": f"KubeletHas{r}", "message": m,
                 "lastHeartbeatTime": ts(), "lastTransitionTime": ts(-86400)}
                for t, r, m in (("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
                                ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                                ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"))
            ] + [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                  "lastHeartbeatTime": ts(), "lastTransitionTime": ts(-86400)}],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.32.0", "kubeProxyVersion": "v1.32.0", "osImage": "Ubuntu 24.04.1 LTS",
                         "containerRuntimeVersion": "containerd://1.7.22", "kernelVersion": "6.8.0-1016-aws",
                         "operatingSystem": "linux", "architecture": "amd64",
                         "machineID": rand_str(rng, 32, HEX), "systemUUID": rand_str(rng, 32, HEX), "bootID": rand_str(rng, 32, HEX)},
        },
    }


def _container(rng: random.Random, name: str, image: str, port: int, main: bool) -> dict:
    env = [{"name": "LOG_LEVEL", "value": rng.choice(["info", "debug", "warn"])},
           {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}]
    if main:
        env += [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{name}-db", "key": "url"}}},
                {"name": "FEATURE_FLAGS", "value": ",".join(rng.sample(["beta-ui", "fast-path", "new-pricing", "dark-mode", "v2-api"], 2))},
                {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}}]
    cpu = rng.choice([50, 100, 250, 500])
    mem = rng.choice([64, 128, 256, 512])
    c = {
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http" if main else "metrics", "containerPort": port, "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": {"cpu": f"{cpu}m", "memory": f"{mem}Mi"},
                      "limits": {"cpu": f"{cpu * 4}m", "memory": f"{mem * 2}Mi"}},
        "volumeMounts": [{"name": "kube-api-access", "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
    }
    if main:
        c["volumeMounts"].append({"name": "config", "mountPath": "/etc/app"})
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"}, "initialDelaySeconds": 10,
                              "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": port}, "periodSeconds": 5}
    else:
        del c["resources"]["limits"]
    return c


def pod_template_spec(rng: random.Random, app: str) -> dict:
    image, port, tier = APPS[app]
    containers = [_container(rng, app, image, port, True)]
    for sc in rng.sample(SIDECARS, rng.choice((0, 0, 1, 1, 1, 2))):
        containers.append(_container(rng, sc[0], sc[1], sc[2], False))
    return {
        "metadata": {"labels": {"app": app, "tier": tier, "version": f"v{rng.randint(1, 5)}"},
                     "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(port)}},
        "spec": {
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}}],
            "containers": containers, "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst", "serviceAccountName": app, "securityContext": {"runAsNonRoot": True},
            "schedulerName": "default-scheduler",
        },
    }


def deployment(name: str, ns: str, rng: random.Random, app: str, replicas: int, template: dict) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": dict(template["metadata"]["labels"]),
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}, "template": template,
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                 "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
                   "availableReplicas": replicas,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                   "message": "Deployment has minimum availability.", "lastUpdateTime": ts(), "lastTransitionTime": ts()}]},
    }


def replicaset(name: str, ns: str, deploy: dict, pod_hash: str, replicas: int) -> dict:
    tmpl = orjson_copy(deploy["spec"]["template"])
    tmpl["metadata"]["labels"]["pod-template-hash"] = pod_hash
    labels = dict(tmpl["metadata"]["labels"])
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                     "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                                     "deployment.kubernetes.io/revision": "1"},
                     "ownerReferences": [owner_ref("apps/v1", "Deployment", deploy)]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": labels["app"], "pod-template-hash": pod_hash}},
                 "template": tmpl},
        "status": {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
                   "availableReplicas": replicas, "observedGeneration": 1},
    }


def owner_ref(api_version: str, kind: str, owner: dict) -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"].get("uid", ""), "controller": True, "blockOwnerDeletion": True}


def orjson_copy(obj):
    import orjson

    return orjson.loads(orjson.dumps(obj))


def pod(rng: random.Random, rs: dict, node_name: str, host_ip: str) -> dict:
    ns = rs["metadata"]["namespace"]
    tmpl = rs["spec"]["template"]
    name = f"{rs['metadata']['name']}-{rand_str(rng, 5)}"
    spec = orjson_copy(tmpl["spec"])
    spec["nodeName"] = node_name
    api_vol = f"kube-api-access-{rand_str(rng, 5)}"
    spec["volumes"].append({"name": api_vol, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}})
    for c in spec["containers"]:
        for m in c["volumeMounts"]:
            if m["name"] == "kube-api-access":
                m["name"] = api_vol
    spec["tolerations"] = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                           {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
    spec.update({"priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority"})
    pod_ip = f"10.244.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
    started = ts(-rng.randint(60, 86400))
    statuses = []
    for c in spec["containers"]:
        statuses.append({"name": c["name"], "state": {"running": {"startedAt": started}}, "lastState": {},
                         "ready": True, "restartCount": 0, "image": c["image"],
                         "imageID": f"{c['image'].split(':')[0]}@sha256:{rand_str(rng, 64, HEX)}",
                         "containerID": f"containerd://{rand_str(rng, 64, HEX)}", "started": True})
    conds = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": started}
             for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")]
    labels = dict(tmpl["metadata"]["labels"])
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "generateName": rs["metadata"]["name"] + "-", "namespace": ns, "labels": labels,
            "annotations": {**tmpl["metadata"].get("annotations", {}), "kmon.io/build": rand_str(rng, 12, HEX)},
            "ownerReferences": [owner_ref("apps/v1", "ReplicaSet", rs)],
            "managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": started,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
                                                                     "f:ownerReferences": {".": {}, f'k:{{"uid":"{rs["metadata"].get("uid", "")}"}}': {}}},
                                                        "f:spec": {"f:containers": {}, "f:nodeName": {}}}},
                {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": started, "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:startTime": {}}},
                 "subresource": "status"},
            ],
        },
        "spec": spec,
        "status": {"phase": "Running", "conditions": conds, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
                   "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": started, "containerStatuses": statuses,
                   "qosClass": "Burstable"},
    }


def service(name: str, ns: str, rng: random.Random, app: str, port: int) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {"type": rng.choice(["ClusterIP", "ClusterIP", "ClusterIP", "NodePort"]), "selector": {"app": app},
                     "clusterIP": f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                     "ports": [{"name": "http", "port": 80, "targetPort": port, "protocol": "TCP"}],
                     "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"},
            "status": {"loadBalancer": {}}}


def configmap(name: str, ns: str, rng: random.Random) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": {"kmon.io/demo": "true"}},
            "data": {"app.yaml": f"replicas: {rng.randint(1, 9)}\nlogLevel: {rng.choice(['info', 'debug'])}\ntimeoutMs: {rng.randint(100, 5000)}\n",
                     "feature-flags": ",".join(rng.sample(["beta-ui", "fast-path", "new-pricing", "dark-mode"], 2))}}


def secret(name: str, ns: str, rng: random.Random) -> dict:
    def b64(s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "type": "Opaque",
            "data": {"username": b64(rng.choice(["app", "svc", "admin"])), "password": b64(rand_str(rng, 24)),
                     "url": b64(f"postgres://app:{rand_str(rng, 12)}@postgres.{ns}:5432/app")}}


def widget(name: str, ns: str, rng: random.Random) -> dict:
    return {"apiVersion": "demo.kmon.io/v1", "kind": "Widget",
            "metadata": {"name": name, "namespace": ns, "labels": {"color": rng.choice(["red", "green", "blue"])}},
            "spec": {"size": rng.randint(1, 10), "shape": rng.choice(["round", "square", "hex"])},
            "status": {"phase": "Ready", "observedGeneration": 1}}


def widget_crd() -> dict:
    """The CustomResourceDefinition that makes the API serve widgets (as a cluster has one
    for every custom resource type it serves)."""
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}, "shape": {"type": "string"}}},
        "status": {"type": "object", "properties": {"phase": {"type": "string"},
                                                    "observedGeneration": {"type": "integer"}}}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.demo.kmon.io"},
            "spec": {"group": "demo.kmon.io", "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                               "shortNames": ["wd"], "categories": ["all", "kmon"]},
                     "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": schema}}],
                     "conversion": {"strategy": "None"}},
            "status": {"acceptedNames": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                                         "listKind": "WidgetList", "shortNames": ["wd"], "categories": ["all", "kmon"]},
                       "storedVersions": ["v1"],
                       "conditions": [{"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": ts()}
                                      for t, r, m in (("NamesAccepted", "NoConflicts", "no conflicts found"),
                                                      ("Established", "InitialNamesAccepted",
                                                       "the initial names have been accepted"))]}}


EVENT_REASONS = [("Normal", "Scheduled", "Successfully assigned {ns}/{name} to {node}", "default-scheduler"),
                 ("Normal", "Pulled", "Container image already present on machine", "kubelet"),
                 ("Normal", "Started", "Started container {c}", "kubelet"),
                 ("Warning", "BackOff", "Back-off restarting failed container {c} in pod {name}", "kubelet"),
                 ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "kubelet"),
                 ("Normal", "Killing", "Stopping container {c}", "kubelet")]


def event(rng: random.Random, pod_obj: dict) -> dict:
    m = pod_obj["metadata"]
    typ, reason, msg, comp = rng.choice(EVENT_REASONS)
    node_name = pod_obj.get("spec", {}).get("nodeName", "")
    c = pod_obj["spec"]["containers"][0]["name"] if pod_obj.get("spec", {}).get("containers") else "main"
    now = ts()
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{m['name']}.{rand_str(rng, 16, HEX)}", "namespace": m["namespace"]},
            "involvedObject": {"kind": "Pod", "namespace": m["namespace"], "name": m["name"], "uid": m.get("uid", ""),
                               "apiVersion": "v1", "resourceVersion": m.get("resourceVersion", "")},
            "reason": reason, "message": msg.format(ns=m["namespace"], name=m["name"], node=node_name, c=c),
            "source": {"component": comp, **({"host": node_name} if comp == "kubelet" else {})},
            "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": typ, "eventTime": None,
            "reportingComponent": comp, "reportingInstance": node_name}
