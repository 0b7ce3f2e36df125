from kmon.monitor.summary import created_epoch, format_age, summarize


def test_pod_summary():
    pod = {"kind": "Pod", "spec": {"containers": [{}, {}]},
           "status": {"phase": "Running", "containerStatuses": [
               {"ready": True, "restartCount": 2}, {"ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}
    assert summarize(pod) == "CrashLoopBackOff, 1/2 ready, 2 restarts"
    pod["status"]["containerStatuses"][1] = {"ready": True}
    assert summarize(pod) == "Running, 2/2 ready, 2 restarts"
    pod["metadata"] = {"deletionTimestamp": "2024-01-01T00:00:00Z"}
    assert summarize(pod).startswith("Terminating")


def test_workloads_nodes_misc():
    assert summarize({"kind": "Deployment", "spec": {"replicas": 3},
                      "status": {"readyReplicas": 2, "updatedReplicas": 3}}) == "2/3 ready, 3 up-to-date"
    assert summarize({"spec": {"replicas": 1}, "status": {}}, "replicasets.apps") == "0/1 ready"
    node = {"kind": "Node", "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    assert summarize(node) == "NotReady"
    node["status"]["conditions"][0]["status"] = "True"
    node["spec"] = {"unschedulable": True}
    assert summarize(node) == "Ready,SchedulingDisabled"
    assert summarize({"kind": "ConfigMap", "data": {"a": "1", "b": "2"}}) == "2 keys"
    assert summarize({"kind": "Service", "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1",
                                                  "ports": [{"port": 80}]}}) == "ClusterIP 10.0.0.1 80/TCP"
    assert summarize({"kind": "Namespace", "status": {"phase": "Active"}}) == "Active"
    assert summarize({"kind": "Event", "type": "Normal", "reason": "Pulled", "message": "ok", "count": 3}) == "Normal Pulled: ok (x3)"
    # metadata-only objects and junk never raise
    assert summarize({"metadata": {"name": "x"}}, "pods") == ""
    assert summarize(None) == "" and summarize({"kind": "Pod", "status": "weird"}) == ""


def test_age():
    assert format_age(5) == "5s" and format_age(150) == "2m30s" and format_age(600) == "10m"
    assert format_age(3 * 3600 + 60) == "3h1m" and format_age(20 * 3600) == "20h"
    assert format_age(3 * 86400) == "3d" and format_age(800 * 86400) == "2y70d"
    assert format_age(None) == ""
    assert created_epoch({"metadata": {"creationTimestamp": "1970-01-01T00:01:00Z"}}) == 60.0
    assert created_epoch({"metadata": {}}) is None
