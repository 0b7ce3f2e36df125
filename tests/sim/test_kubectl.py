"""kubectl against the sim (TLS: kubectl sends bearer tokens only over TLS)."""

import os
import shutil
import subprocess
import pytest

from kmon.sim import SimServer
from kmon.sim.kubeconfig import write_kubeconfig
from kmon.sim.workload import Workload
from waiting import wait_for


pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")


@pytest.fixture(scope="module")
def kube(tmp_path_factory):
    d = tmp_path_factory.mktemp("kubectl")
    with SimServer(tls=True, seed=2) as s:
        Workload(s.store, seed=2, pods=20, namespaces=2, rate=0).populate()
        kc = write_kubeconfig(d / "kubeconfig", [("kmon-demo", s)], current="kmon-demo")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(d), "KUBECONFIG": str(kc)}
        yield s, env


def kubectl(env, *args, stdin=None, timeout=30):
    return subprocess.run(["kubectl", *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


def test_get_pods_all_namespaces(kube):
    s, env = kube
    r = kubectl(env, "get", "pods", "-A")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"] and len(lines) == 1 + s.store.count("pods")
    r = kubectl(env, "get", "wd", "-A", "-o", "name")
    assert r.returncode == 0 and r.stdout.count("widget.demo.kmon.io/") == s.store.count("widgets.demo.kmon.io")


def test_api_resources(kube):
    _, env = kube
    r = kubectl(env, "api-resources")
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:]}
    assert rows["widgets"][1:] == ["wd", "demo.kmon.io/v1", "true", "Widget"]
    assert rows["deployments"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert rows["nodes"][1:] == ["no", "v1", "false", "Node"]


def test_apply_and_delete(kube):
    s, env = kube
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: default\ndata:\n  k: one\n"
    r = kubectl(env, "apply", "-f", "-", stdin=cm)
    assert r.returncode == 0 and "configmap/applied created" in r.stdout, r.stderr
    r = kubectl(env, "apply", "-f", "-", stdin=cm.replace("one", "two"))
    assert r.returncode == 0 and "configured" in r.stdout, r.stderr
    obj = s.store.get("configmaps", "applied", "default")
    assert obj["data"] == {"k": "two"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in obj["metadata"]["annotations"]
    r = kubectl(env, "delete", "configmap", "applied", "-n", "default")
    assert r.returncode == 0 and "deleted" in r.stdout, r.stderr
    assert s.store.list("configmaps", "default", field_selector="metadata.name=applied") == []
    methods = {rec.method for rec in s.requests}
    assert {"POST", "PATCH", "DELETE"} <= methods


def test_get_pods_watch(kube):
    s, env = kube
    proc = subprocess.Popen(["kubectl", "get", "pods", "-A", "-w"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        header = proc.stdout.readline()
        assert header.split()[:2] == ["NAMESPACE", "NAME"]
        for _ in range(s.store.count("pods")):
            proc.stdout.readline()
        wait_for(lambda: any(r.query.get("watch") for r in s.requests), timeout=10)
        p = s.store.list("pods")[0]
        p["metadata"].setdefault("annotations", {})["seen"] = "yes"
        s.store.update("pods", p)
        row = proc.stdout.readline()
        assert p["metadata"]["name"] in row
    finally:
        proc.kill()
        proc.wait(10)


def test_kubectl_against_kmon_sim_cli(tmp_path):
    """The kubeconfig `kmon sim` writes works for kubectl as it is (TLS is on by default)."""
    import signal
    import sys

    kc = tmp_path / "kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "kmon", "sim", "--kubeconfig", str(kc), "--pods", "20",
                             "--churn", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(3):
            proc.stdout.readline()
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
        for ctx in ("kmon-demo", "kmon-demo-2"):
            out = kubectl(env, "--kubeconfig", str(kc), "--context", ctx, "get", "pods", "-A")
            assert out.returncode == 0, out.stderr
            assert out.stdout.split()[:2] == ["NAMESPACE", "NAME"] and len(out.stdout.splitlines()) > 10
        res = kubectl(env, "--kubeconfig", str(kc), "api-resources")
        assert res.returncode == 0, res.stderr
        assert "widgets" in res.stdout and "deployments" in res.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_explain_uses_the_served_openapi(kube):
    _, env = kube
    r = kubectl(env, "explain", "pods.spec.containers")
    assert r.returncode == 0, r.stderr
    assert "FIELD: containers <[]Container>" in r.stdout and "imagePullPolicy\t<string>" in r.stdout
    r = kubectl(env, "explain", "deployments.spec.strategy")
    assert r.returncode == 0 and "rollingUpdate" in r.stdout, r.stderr


def test_apply_server_side_and_dry_run_server(kube):
    s, env = kube
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  k: one\n"
    r = kubectl(env, "apply", "--server-side", "-f", "-", stdin=cm)
    assert r.returncode == 0 and "configmap/ssa serverside-applied" in r.stdout, r.stderr
    r = kubectl(env, "apply", "--server-side", "-f", "-", stdin=cm.replace("one", "two"))
    assert r.returncode == 0, r.stderr
    stored = s.store.get("configmaps", "ssa", "default")
    assert stored["data"] == {"k": "two"}
    assert [(e["manager"], e["operation"]) for e in stored["metadata"]["managedFields"]] == [("kubectl", "Apply")]
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: dry\n  namespace: default\nspec:\n  containers:\n"
           "  - name: c\n    image: nginx:1.27\n")
    r = kubectl(env, "apply", "--dry-run=server", "-f", "-", stdin=pod)
    assert r.returncode == 0 and "pod/dry created (server dry run)" in r.stdout, r.stderr
    assert s.store.list("pods", "default", field_selector="metadata.name=dry") == []


def test_created_pod_shows_pending_and_matches_field_selectors(kube):
    s, env = kube
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: fresh\n  namespace: default\nspec:\n  containers:\n"
           "  - name: c\n    image: nginx:1.27\n")
    r = kubectl(env, "create", "-f", "-", stdin=pod)
    assert r.returncode == 0, r.stderr
    r = kubectl(env, "get", "pods", "-n", "default", "--field-selector=status.phase=Pending,"
                "spec.schedulerName=default-scheduler")
    assert r.returncode == 0 and r.stdout.split("\n")[1].split()[:3] == ["fresh", "0/1", "Pending"], r.stdout
    r = kubectl(env, "delete", "pod", "fresh", "-n", "default")  # unscheduled: gone at once
    assert r.returncode == 0 and s.store.list("pods", "default", field_selector="metadata.name=fresh") == []


def test_auth_whoami_and_can_i(kube):
    _, env = kube
    r = kubectl(env, "auth", "whoami")
    assert r.returncode == 0 and "kmon" in r.stdout, r.stderr
    r = kubectl(env, "auth", "can-i", "list", "pods")
    assert r.returncode == 0 and r.stdout.strip() == "yes", r.stderr
