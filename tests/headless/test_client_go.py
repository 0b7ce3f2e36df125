"""``--client-go`` and ``KUBE_FEATURE_*`` in the headless commands, and the path each informer
runs in ``kmon stats`` (table, JSON)."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from kmon.cache.features import GATES, FeatureGates
from kmon.headless import stats
from kmon.headless.common import options_from_args
from kmon.headless.render import STATS_COLUMNS, stats_record, stats_rows, stats_table

from .conftest import run_kmon
from .test_stats_render import _columns, _informer

pytestmark = pytest.mark.timeout(60)

LATEST = "RealFIFO (atomic, batched, unlocking)"


@pytest.fixture
def no_feature_variables(monkeypatch):
    for gate in GATES:
        monkeypatch.delenv(f"KUBE_FEATURE_{gate}", raising=False)
    return monkeypatch


def test_the_gates_are_resolved_once_and_ignored_variables_said_on_stderr(no_feature_variables, capsys):
    no_feature_variables.setenv("KUBE_FEATURE_InOrderInformers", "false")
    no_feature_variables.setenv("KUBE_FEATURE_WatchListClient", "nope")
    opts = options_from_args(stats.parser().parse_args(["pods"]), "kmon stats")
    gates = opts.informer.features
    assert gates == FeatureGates() and gates.profile == ""  # 1.36 locks InOrderInformers; "nope" is no boolean
    assert capsys.readouterr().err.splitlines() == [
        "kmon stats: warning: KUBE_FEATURE_InOrderInformers=false ignored: InOrderInformers is locked to true in "
        "client-go 1.36",
        "kmon stats: warning: KUBE_FEATURE_WatchListClient='nope' is not a boolean (true/false, 1/0, t/f); "
        "WatchListClient stays true",
    ]
    opts = options_from_args(stats.parser().parse_args(["pods", "--client-go", "1.35"]), "kmon stats")
    gates = opts.informer.features  # 1.35 does not lock it: the environment turns it off
    assert gates.profile == "1.35" and not gates.in_order_informers and gates.source("InOrderInformers") == "environment"
    assert "InOrderInformers" not in capsys.readouterr().err


def test_stats_rows_say_the_path_of_each_informer():
    current = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "false"})
    informers = {
        "pods": _informer("pods", queue=LATEST, initial_sync="LIST (WatchList failed: 400 Bad Request)",
                          features=current),
        "nodes": _informer("nodes", queue="DeltaFIFO", initial_sync="LIST", features=FeatureGates.for_client_go("1.32")),
        "old": _informer("old", queue="", initial_sync="", features=None),
    }
    rows = {r[0]: dict(zip(STATS_COLUMNS, r)) for r in stats_rows(informers, now=1000.0)}
    assert [rows["pods"][c] for c in ("QUEUE", "INITIAL SYNC", "GATES")] == [
        LATEST, "LIST (WatchList failed: 400 Bad Request)", "1.36 · WatchList off (env)"]
    assert [rows["nodes"][c] for c in ("QUEUE", "INITIAL SYNC", "GATES")] == ["DeltaFIFO", "LIST", "1.32"]
    assert [rows["old"][c] for c in ("QUEUE", "INITIAL SYNC", "GATES")] == ["-", "-", "-"]
    lines = stats_table(stats_rows(informers, now=1000.0), width=200)
    assert all(len(ln) <= 200 for ln in lines)
    queue = _columns(lines[0]).index("QUEUE")
    cells = [_columns(ln)[queue] for ln in lines[1:]]
    assert cells[:2] == ["DeltaFIFO", "-"] and cells[2].startswith("RealFIFO") and cells[2].endswith("…")  # cut first
    assert _columns(stats_table(stats_rows(informers, now=1000.0))[3])[STATS_COLUMNS.index("QUEUE")] == LATEST


def test_stats_record_is_every_counter_and_the_gates_with_their_sources():
    gates = FeatureGates.from_env({"KUBE_FEATURE_AtomicFIFO": "0"}, "1.36")
    rec = stats_record({"pods": _informer("pods", queue="RealFIFO (batched)", initial_sync="WatchList", features=gates,
                                          last_error="Authorization: Bearer abc.def.ghi")},
                       context="c", server="https://x", last_end={"pods": "expired"}, now=5.0)
    rec = orjson.loads(orjson.dumps(rec))
    assert (rec["kind"], rec["time"], rec["context"], rec["server"]) == ("stats", 5.0, "c", "https://x")
    (pods,) = rec["informers"]
    assert (pods["resource"], pods["queue"], pods["initial_sync"], pods["last_watch_end"], pods["synced_at"]) == (
        "pods", "RealFIFO (batched)", "WatchList", "expired", None)
    assert pods["store_size"] == 1234 and "abc.def.ghi" not in pods["last_error"]
    assert pods["features"] == {
        "profile": "1.36", "chosen": True,
        "gates": {"InOrderInformers": {"enabled": True, "source": "profile"},
                  "InOrderInformersBatchProcess": {"enabled": True, "source": "profile"},
                  "AtomicFIFO": {"enabled": False, "source": "environment"},
                  "UnlockWhileProcessingFIFO": {"enabled": True, "source": "profile"},
                  "WatchListClient": {"enabled": True, "source": "profile"}},
    }
    assert stats_record({"pods": replace(_informer("pods"), features=None)}, context="c", server="")[
        "informers"][0]["features"] is None


def test_stats_once_as_json_with_a_client_go_profile(sim, workload, kubeconfig):
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "pods", "configmaps", "--once", "-o", "json",
                   "--client-go", "1.32", env_extra={"KUBE_FEATURE_WatchListClient": "maybe"})
    assert out.returncode == 0, out.stderr
    assert out.stderr.decode().splitlines() == [
        "kmon stats: warning: KUBE_FEATURE_WatchListClient='maybe' is not a boolean (true/false, 1/0, t/f); "
        "WatchListClient stays false"]
    (line,) = out.stdout.decode().splitlines()
    rec = orjson.loads(line)
    assert rec["kind"] == "stats" and [i["resource"] for i in rec["informers"]] == ["configmaps", "pods"]
    for inf in rec["informers"]:
        assert inf["synced"] and inf["queue"] and inf["initial_sync"]
        m = inf["metrics"]  # measured as client-go measures them; 1.32's store has no version
        assert m["informer_processing_latency_seconds"]["count"] >= 1 and m["informer_store_resource_version"] is None
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "pods", "--once", "--client-go", "1.2")
    assert out.returncode == 2 and b"argument --client-go: client-go 1.2 is older than kmon can behave as" in out.stderr


def test_stats_record_carries_the_informer_metrics_by_their_prometheus_names():
    from kmon.cache.informer_metrics import LatencyHistogram

    h = LatencyHistogram()
    for s in (0.0001, 0.002, 0.3):
        h.observe(s)
    st = replace(_informer("pods"), queue_depth=7, store_resource_version="123", processing_latency=h.snapshot())
    rec = orjson.loads(orjson.dumps(stats_record({"pods": st}, context="c", server="")))
    m = rec["informers"][0]["metrics"]
    assert m["informer_queued_items"] == 7 and m["informer_store_resource_version"] == 123
    lat = m["informer_processing_latency_seconds"]
    assert lat["count"] == 3 and abs(lat["sum"] - 0.3021) < 1e-9 and lat["last"] == 0.3
    assert lat["buckets"]["0.0001"] == 1 and lat["buckets"]["0.0025"] == 2 and lat["buckets"]["+Inf"] == 3
    assert "processing_latency" not in rec["informers"][0]  # said once, by its metric name
    none = stats_record({"pods": _informer("pods")}, context="c", server="")["informers"][0]["metrics"]
    assert none == {"informer_queued_items": 0, "informer_processing_latency_seconds": None,
                    "informer_store_resource_version": None}
