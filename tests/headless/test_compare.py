"""``kmon compare RESOURCE --client-go A --client-go B``: usage errors, which side the
``KUBE_FEATURE_*`` variables apply to, and runs against a sim and the demo cluster (text and
JSON, a provoked relist, resync deliveries)."""

from __future__ import annotations

import orjson
import pytest

from kmon.cache.features import GATES
from kmon.monitor.compare_run import compare_gates

from .conftest import run_kmon

pytestmark = pytest.mark.timeout(90)

TWO = ("--client-go", "1.32", "--client-go", "1.36")


@pytest.mark.parametrize("args, said", [
    (("pods", "--client-go", "1.32"), "give exactly two --client-go versions (A and B), not 1"),
    (("pods", *TWO, "--client-go", "1.35"), "give exactly two --client-go versions (A and B), not 3"),
    (("pods", "svc", *TWO), "compare one resource at a time, not 2 (pods, svc)"),
    (("pods", *TWO, "--relist-after", "3"), "--relist-after needs --demo"),
    (("pods", *TWO, "--demo", "--seconds", "5", "--relist-after", "9"), "--relist-after must be between 0 and --seconds"),
    (("pods", *TWO, "--seconds", "0"), "--seconds must be > 0"),
    (("pods", "--client-go", "1.27", "--client-go", "1.36"), "older than kmon can behave as"),
])
def test_usage_errors_exit_2_with_a_sentence(args, said):
    r = run_kmon("compare", *args)
    assert r.returncode == 2, r
    assert said in r.stderr.decode()


def test_feature_variables_apply_to_the_sides_asked_for():
    env = {"KUBE_FEATURE_WatchListClient": "false", "KUBE_FEATURE_InOrderInformers": "false"}
    (a, b), warnings = compare_gates(["1.35", "1.36"], "both", env)
    assert not a.in_order_informers and not a.watch_list_client  # 1.35 lets both be changed
    assert b.in_order_informers and not b.watch_list_client  # 1.36 locks InOrderInformers
    assert warnings == ["B (1.36): KUBE_FEATURE_InOrderInformers=false ignored: InOrderInformers is locked to "
                        "true in client-go 1.36"]
    (a, b), _ = compare_gates(["1.35", "1.36"], "b", env)
    assert a.in_order_informers and a.watch_list_client and not b.watch_list_client
    (a, b), warnings = compare_gates(["1.35", "1.36"], "none", env)
    assert a.watch_list_client and b.watch_list_client and warnings == []
    assert all(g.source(gate) != "environment" for g in (a, b) for gate in GATES)


def test_compares_a_resource_of_a_sim_as_text_and_json(kubeconfig, workload):
    r = run_kmon("compare", "pods", "--kubeconfig", str(kubeconfig), *TWO, "--seconds", "1")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    lines = out.splitlines()
    assert lines[0].startswith("kmon compare pods on sim: client-go 1.32 vs 1.36")
    assert any(line.split() == ["queue", "DeltaFIFO", "RealFIFO", "(atomic,", "batched,", "unlocking)"] for line in lines)
    assert any(line.split()[:3] == ["initial", "sync", "LIST"] and line.split()[-1] == "WatchList" for line in lines)
    assert "Caches: both informer caches and both handler views equal the server" in out
    assert lines[-1].startswith("Verdict: 1.32 and 1.36 ")
    assert "starting 1.32 and 1.36" in r.stderr.decode()
    r = run_kmon("compare", "pods", "--kubeconfig", str(kubeconfig), "--client-go", "1.36", "--client-go", "1.36",
                 "--seconds", "1", "-o", "json")
    assert r.returncode == 0, r.stderr
    rec = orjson.loads(r.stdout)
    assert rec["kind"] == "compare" and (rec["a"]["label"], rec["b"]["label"]) == ("A 1.36", "B 1.36")
    assert rec["caches"]["equal"] and rec["caches"]["server_checked"]
    assert rec["a"]["counts"]["on_add initial"] == rec["b"]["counts"]["on_add initial"] > 0


def test_an_unknown_resource_is_kubectls_sentence(kubeconfig):
    r = run_kmon("compare", "nosuchthing", "--kubeconfig", str(kubeconfig), *TWO, "--seconds", "1")
    assert r.returncode == 1
    assert 'the server doesn\'t have a resource type "nosuchthing"' in r.stderr.decode()


def test_demo_provokes_a_relist_on_both_sides_and_resyncs_are_counted():
    r = run_kmon("compare", "pods", "--demo", *TWO, "--seconds", "6", "--relist-after", "1", "--resync", "1",
                 "-o", "json", timeout=80)
    assert r.returncode == 0, r.stderr
    rec = orjson.loads(r.stdout)
    for side in ("a", "b"):
        assert rec[side]["relists"], rec[side]  # the provoked one, after the initial list
        assert rec[side]["counts"].get("on_update resync", 0) > 0
    assert rec["notes"][0].startswith("relist provoked at +")
    assert rec["caches"]["equal"], rec["caches"]
    assert "provoking a relist on both sides" in r.stderr.decode()
