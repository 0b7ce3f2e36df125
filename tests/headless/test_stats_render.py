"""``kmon stats`` and the table renderers."""

from __future__ import annotations

import re
import time

import pytest

from kmon.cache.delta_fifo import DeltaType
from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.headless.render import EventTable, age, truncate
from kmon.monitor.feed import DeltaItem, ReflectorItem, SessionItem

from .conftest import run_kmon

pytestmark = pytest.mark.timeout(60)

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _items():
    t = time.time()
    long_ns, long_name = "a-namespace-with-a-rather-long-name", "frontend-" + "x" * 60 + "-abcde"
    pod = {"metadata": {"name": long_name, "namespace": long_ns, "resourceVersion": "123456789012345"}}
    return [
        DeltaItem("c", "pods", DeltaRecord(DeltaType.Added, f"{long_ns}/{long_name}", pod, None, "123456789012345", t, True)),
        DeltaItem("c", "deployments.apps.with.a.long.group", DeltaRecord(
            DeltaType.Deleted, "ns/d", DeletedFinalStateUnknown("ns/d", None), None, "", t, False)),
        DeltaItem("c", "nodes", DeltaRecord(DeltaType.Updated, "node-1", {"metadata": {"name": "node-1", "resourceVersion": "7"}},
                                            {"metadata": {"name": "node-1", "resourceVersion": "6"}}, "7", t, False)),
        ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.Relist, t, "", {"reason": "watch expired (410) " * 20})),
        ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.Backoff, t, "", {"delay": 1.6})),
        SessionItem("c", None, "error", "c: cannot connect: connection refused", "failed", t),
    ]


@pytest.mark.parametrize("color,width", [(False, 140), (True, 140), (False, 110)])
def test_event_table_columns_never_move(color, width):
    table = EventTable(width=width, color=color)
    lines = [ANSI.sub("", ln) for ln in [table.header(), *table.lines(_items())]]
    starts, pos = [], 0
    for w in table.widths:
        pos += w + 2
        starts.append(pos)
    assert table.widths[3] == (44 if width >= 126 else 44 - (126 - width))
    for ln in lines:
        assert len(ln) <= width, ln
        for s in starts:
            assert ln[s - 2:s] == "  " and ln[s] != " ", (ln, s)
    assert "…" in lines[1] and lines[1].rstrip().endswith("initial list")
    assert lines[1][starts[2]:starts[3]].rstrip().endswith("-abcde")  # names keep their end
    assert "deleted while not w" in lines[2] and "rv 6 → 7" in lines[3]
    assert "backoff 1.6 s" in lines[5] and "c: cannot connect" in lines[6]
    raw = table.lines(_items())
    assert any("\x1b[" in ln for ln in raw) is color


def test_helpers():
    assert truncate("abcdef", 4) == "abc…" and truncate("abcdef", 4, middle=True) == "a…ef" and truncate("ab", 4) == "ab"
    assert [age(x) for x in (None, 5, 65, 3700, 90000)] == ["-", "5s", "1m05s", "1h01m", "1d01h"]


def test_stats_once_prints_one_row_per_informer(sim, workload, kubeconfig):
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "pods", "configmaps", "deploy", "--once")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert "\x1b[" not in out.stdout.decode()
    head = lines[0].split("  ")
    assert lines[0].startswith("RESOURCE") and "SYNCED RV" in lines[0] and "LAST ERROR" in lines[0]
    assert [ln.split()[0] for ln in lines[1:]] == ["configmaps", "deployments.apps", "pods"]
    watches_col = lines[0].index("WATCHES")
    for ln in lines[1:]:
        cells = ln.split()
        assert cells[1] == "watching"  # synced: the list is done (never "listing")...
        assert int(ln[watches_col:].split()[0]) >= 1  # ...and --once waited for the watch
        assert len(ln) <= len(lines[0]) + 60
    store_col = lines[0].index("STORE")
    assert lines[3][store_col:].split()[0] == str(sim.store.count("pods"))
    assert head[0] == "RESOURCE"


def test_stats_errors(tmp_path, kubeconfig):
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "nosuchthings", "--once")
    assert out.returncode == 1 and out.stderr.decode().startswith("kmon stats: nosuchthings: the server doesn't have")
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "--interval", "0")
    assert out.returncode == 2 and b"--interval" in out.stderr
