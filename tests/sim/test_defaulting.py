"""Defaulting on create, as kube-apiserver 1.36 did for the same requests: pods get their
policies, scheduler, grace period, pull policy, phase Pending and QoS class; services a
cluster IP; a Secret's stringData becomes base64 data; objects get managedFields."""

import base64

import kubernetes

from .helpers import get, request

PODS = "/api/v1/namespaces/default/pods"


def _create_pod(srv, name, image="nginx:1.27", **spec):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "main", "image": image}], **spec}}
    status, _, obj = request(srv, "POST", PODS, body, headers={"User-Agent": "kubectl/v1.36.2 (linux/amd64)"})
    assert status == 201, obj
    return obj


def test_pod_defaults_and_initial_status(srv):
    p = _create_pod(srv, "web")
    spec, c = p["spec"], p["spec"]["containers"][0]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["schedulerName"], spec["terminationGracePeriodSeconds"]) == \
        ("Always", "ClusterFirst", "default-scheduler", 30)
    assert spec["securityContext"] == {} and spec["enableServiceLinks"] is True
    assert spec["serviceAccountName"] == "default" and spec["priority"] == 0
    assert {t["key"] for t in spec["tolerations"]} == {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}
    assert (c["imagePullPolicy"], c["terminationMessagePath"], c["terminationMessagePolicy"], c["resources"]) == \
        ("IfNotPresent", "/dev/termination-log", "File", {})
    assert p["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert _create_pod(srv, "latest", image="nginx")["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert _create_pod(srv, "tagged", image="nginx:latest")["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    # what is stored is what was answered
    assert srv.store.get("pods", "web")["status"]["phase"] == "Pending"


def test_qos_classes(srv):
    def with_resources(name, resources):
        body = {"metadata": {"name": name},
                "spec": {"containers": [{"name": "main", "image": "nginx:1", "resources": resources}]}}
        return request(srv, "POST", PODS, body)[2]

    g = with_resources("g", {"limits": {"cpu": "1", "memory": "1Gi"}})
    assert g["status"]["qosClass"] == "Guaranteed"
    assert g["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert with_resources("b", {"requests": {"cpu": "100m"}})["status"]["qosClass"] == "Burstable"


def test_field_selectors_match_defaulted_pods(srv):
    """30 pods created as kubectl would: the field selectors kmon and kubectl use match all."""
    for i in range(30):
        _create_pod(srv, f"p-{i:02d}")
    for fs in ("status.phase=Pending", "spec.schedulerName=default-scheduler", "spec.restartPolicy=Always"):
        status, _, body = get(srv, f"/api/v1/pods?fieldSelector={fs}")
        assert status == 200 and len(body["items"]) == 30, fs


def test_service_gets_a_cluster_ip_and_port_defaults(srv):
    body = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    status, _, svc = request(srv, "POST", "/api/v1/namespaces/default/services", body)
    assert status == 201
    spec = svc["spec"]
    ip = spec["clusterIP"]
    a, b, _, _ = (int(x) for x in ip.split("."))
    assert a == 10 and 96 <= b <= 111 and spec["clusterIPs"] == [ip]
    assert (spec["type"], spec["sessionAffinity"], spec["ipFamilies"], spec["ipFamilyPolicy"]) == \
        ("ClusterIP", "None", ["IPv4"], "SingleStack")
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert svc["status"] == {"loadBalancer": {}}
    body = {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    np_ = request(srv, "POST", "/api/v1/namespaces/default/services", body)[2]
    assert 30000 <= np_["spec"]["ports"][0]["nodePort"] <= 32767 and np_["spec"]["externalTrafficPolicy"] == "Cluster"


def test_secret_string_data_becomes_base64_data(srv, api):
    core = kubernetes.client.CoreV1Api(api)
    s = core.create_namespaced_secret("default", {"metadata": {"name": "db"}, "stringData": {"password": "hunter2"},
                                                  "data": {"user": base64.b64encode(b"admin").decode()}})
    assert s.type == "Opaque" and s.string_data is None
    assert s.data == {"password": base64.b64encode(b"hunter2").decode(), "user": base64.b64encode(b"admin").decode()}
    assert "stringData" not in srv.store.get("secrets", "db")


def test_managed_fields_record_the_writer(srv):
    status, _, cm = request(srv, "POST", "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create",
                            {"metadata": {"name": "c", "labels": {"a": "b"}}, "data": {"k": "v"}})
    assert status == 201
    [entry] = cm["metadata"]["managedFields"]
    assert entry["manager"] == "kubectl-create" and entry["operation"] == "Update" and entry["apiVersion"] == "v1"
    assert entry["fieldsType"] == "FieldsV1" and entry["time"]
    assert entry["fieldsV1"] == {"f:data": {".": {}, "f:k": {}}, "f:metadata": {"f:labels": {".": {}, "f:a": {}}}}
    # another manager changing one field takes it over; the user agent names it when no fieldManager is given
    status, _, cm = request(srv, "PATCH", "/api/v1/namespaces/default/configmaps/c", {"data": {"k": "w"}},
                            headers={"Content-Type": "application/merge-patch+json",
                                     "User-Agent": "kmon-editor/1.0 (linux)"})
    by = {e["manager"]: e["fieldsV1"] for e in cm["metadata"]["managedFields"]}
    assert by["kmon-editor"] == {"f:data": {"f:k": {}}}
    assert by["kubectl-create"] == {"f:data": {".": {}}, "f:metadata": {"f:labels": {".": {}, "f:a": {}}}}


def test_deployment_defaults(srv):
    body = {"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {
        "metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}
    status, _, d = request(srv, "POST", "/apis/apps/v1/namespaces/default/deployments", body)
    assert status == 201
    spec = d["spec"]
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (1, 10, 600)
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert "status" not in d or d["status"] == {}
