"""``kmon stats`` and the table renderers."""

from __future__ import annotations

import re
import time

import pytest

from kmon.cache.delta_fifo import DeltaType
from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.cache.stats import InformerStats
from kmon.headless.render import STATS_COLUMNS, EventTable, stats_rows, stats_table, truncate
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
    # a narrow terminal takes from NAMESPACE/NAME first (down to 24), then NOTIFICATION
    assert table.widths[3] == max(24, 44 if width >= 149 else 44 - (149 - width))
    assert table.widths[5:] == ([21 if width >= 129 else 21 - (129 - width)] if width >= 117 else [])
    for ln in lines:
        assert len(ln) <= width, ln
        for s in starts:
            assert ln[s - 2:s] == "  " and ln[s] != " ", (ln, s)
    assert "…" in lines[1] and (lines[1].rstrip().endswith("initial list") or "on_add (initial" in lines[1])
    assert lines[1][starts[2]:starts[3]].rstrip().endswith("-abcde")  # names keep their end
    assert "on_delete (tombstone)" in lines[2] and "rv 6 → 7" in lines[3]
    if width >= 117:
        assert "deleted while not w" in lines[2] and "on_update " in lines[3]
    else:  # no NOTIFICATION column: it starts DETAIL
        assert "on_update · rv 6 → 7" in lines[3]
    assert "backoff 1.6 s" in lines[5] and "c: cannot connect" in lines[6]
    raw = table.lines(_items())
    assert any("\x1b[" in ln for ln in raw) is color


def test_event_table_says_notifications_and_an_atomic_relist_then_its_objects():
    from driven import Driven, pod

    from kmon.cache.features import FeatureGates

    table = EventTable(width=300)
    d = Driven(FeatureGates())
    d.relist([pod("a", rv="1"), pod("b", rv="2")], "2")
    initial = d.take()
    lines = table.lines(initial[:1]) + table.lines(initial[1:])  # a relist over two drains: one header
    d.relist([pod("a", rv="5"), pod("c", rv="6")], "6")
    lines += table.lines(d.take())
    cells = [[c.strip() for c in ln.split("  ") if c.strip()] for ln in lines]
    assert [c[2:] for c in cells] == [
        ["ReplacedAll", "-", "2", "-", "initial list: ReplacedAll at rv 2: 0 deleted, 0 updated, 2 added, 0 unchanged"],
        ["└ Replaced", "default/a", "1", "on_add (initial list)", "initial list"],
        ["└ Replaced", "default/b", "2", "on_add (initial list)", "initial list"],
        ["ReplacedAll", "-", "6", "-", "ReplacedAll at rv 6: 1 deleted, 1 updated, 1 added, 0 unchanged"],
        ["└ Deleted", "default/b", "2", "on_delete (tombstone)", "deleted while not watching (final state unknown)"],
        ["└ Replaced", "default/a", "5", "on_update", "updated rv 1 → 5"],
        ["└ Replaced", "default/c", "6", "on_add", "added"],
    ]


def test_helpers():
    assert truncate("abcdef", 4) == "abc…" and truncate("abcdef", 4, middle=True) == "a…ef" and truncate("ab", 4) == "ab"
    # ages as kubectl (and the GUI's Age column) say them
    rows = stats_rows({"pods": _informer("pods", last_event_time=935.0)}, synced_at={"pods": 1000.0 - 3700}, now=1000.0)
    cells = dict(zip(STATS_COLUMNS, rows[0]))
    assert (cells["SYNCED FOR"], cells["LAST EVENT"]) == ("61m", "65s")
    unsynced = stats_rows({"pods": _informer("pods", synced=False, last_event_time=None)}, now=1000.0)[0]
    assert (unsynced[STATS_COLUMNS.index("SYNCED FOR")], unsynced[STATS_COLUMNS.index("LAST EVENT")]) == ("no", "-")


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
    assert out.returncode == 1 and out.stderr.decode() == 'error: the server doesn\'t have a resource type "nosuchthings"\n'
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "pods", "nosuchthings", "--once")
    assert out.returncode == 0, out.stderr
    assert out.stderr.decode().splitlines()[-1] == "kmon stats: continuing with pods", out.stderr
    assert [ln.split()[0] for ln in out.stdout.decode().splitlines()] == ["RESOURCE", "pods"]
    out = run_kmon("stats", "--kubeconfig", kubeconfig, "--interval", "0")
    assert out.returncode == 2 and b"--interval" in out.stderr


FORBIDDEN = ('403 Forbidden: configmaps is forbidden: User "system:serviceaccount:monitoring:kmon" cannot list '
             'resource "configmaps" in API group "" at the cluster scope')


def _informer(name, state="watching", error="", **kw):
    base = dict(
        name=name, state=state, lists=3, relists=1, last_relist_reason="", list_duration_last=0.1,
        list_duration_total=0.3, list_items_last=10, list_items_total=30, pages_total=3, pages_last=1,
        watches_started=4, watches_ended={}, events={}, bookmarks=12, expired=0, errors={}, current_backoff=0.0,
        last_synced_version="123456", unavailable=False, paginated=True, queue_depth=0, store_size=1234,
        synced=True, last_event_time=995.0, last_error=error, deltas_processed=100, handler_errors=0,
    )
    return InformerStats(**{**base, **kw})


def _stats():
    return {
        "configmaps": _informer("configmaps", "backing-off", FORBIDDEN, current_backoff=1.6, unavailable=True,
                                synced=False),
        "deployments.apps": _informer("deployments.apps"),
        "pods": _informer("pods"),
        "widgets.demo.kmon.io": _informer("widgets.demo.kmon.io"),
    }


def _columns(header: str) -> list[str]:
    return re.split(r"\s{2,}", header.strip())


@pytest.mark.parametrize("width", [80, 120, 200])
def test_stats_rows_fit_the_terminal_and_never_wrap(width):
    """kmon issue 10, point 18: rows were ~150 columns wide whatever the terminal."""
    rows = stats_rows(_stats(), last_end={"pods": "expired", "configmaps": "error"}, synced_at={"pods": 900.0}, now=1000.0)
    lines = stats_table(rows, width=width)
    assert all(len(ln) <= width for ln in lines), [len(ln) for ln in lines]
    shown = _columns(lines[0])
    assert shown[:2] == ["RESOURCE", "STATE"] and shown[-1] == "LAST ERROR"
    # every cell of a shown column starts where its title does
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", lines[0])]
    assert len(starts) == len(shown)
    for ln in lines[1:]:
        for s in starts[1:]:
            assert ln[s - 2:s] == "  " and ln[s] != " ", (ln, s)
    cm = next(ln for ln in lines if ln.startswith("configmaps"))
    err = cm[starts[-1]:]
    assert err.startswith("403 Forbidden: configmaps")
    if width < 200:
        assert err.endswith("…")  # cut, not wrapped
    # the least telling columns go first (STATS_FIT_STEPS), as the width requires
    if width == 80:
        assert shown == ["RESOURCE", "STATE", "SYNCED RV", "LAST EVENT", "LAST ERROR"]
        assert lines[-1].startswith("widgets….kmon.io")  # cut in the middle: the group's end stays
    elif width == 120:
        assert shown == ["RESOURCE", "STATE", "SYNCED RV", "RELISTS", "STORE", "LAST EVENT", "LAST ERROR"]
    else:  # (the path columns, the same on every row here, give way before the counters)
        assert shown == [c for c in STATS_COLUMNS if c not in ("BOOKMARKS", "LISTS", "FLAGS", "GATES")]
        assert lines[-1].startswith("widgets.demo.kmon.io  ")
    # without a width (a pipe, -o wide): every column, the error whole
    full = stats_table(rows)
    assert _columns(full[0]) == list(STATS_COLUMNS) and FORBIDDEN in full[1]


def _in_terminal(*args: str, columns: int) -> list[str]:
    """``kmon ARGS`` with stdout on a pseudo-terminal ``columns`` wide: its output lines."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from .conftest import REPO, kmon_env

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "kmon", *args], stdout=slave, stderr=subprocess.PIPE, cwd=REPO,
                            env={**kmon_env(), "NO_COLOR": "1"})
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(30) == 0, proc.stderr.read()
    return out.decode().replace("\r\n", "\n").splitlines()


def test_stats_fits_a_real_terminal_and_keeps_every_column_in_a_pipe(sim, workload, kubeconfig):
    lines = _in_terminal("stats", "--kubeconfig", kubeconfig, "--once", "pods", "deploy", "configmaps", columns=80)
    assert lines[0].startswith("RESOURCE") and len(lines) == 4
    assert all(len(ln) <= 80 for ln in lines), lines
    assert "BOOKMARKS" not in lines[0] and "LAST ERROR" in lines[0]
    wide = _in_terminal("stats", "--kubeconfig", kubeconfig, "--once", "-o", "wide", "pods", columns=80)
    assert _columns(wide[0]) == list(STATS_COLUMNS)
    piped = run_kmon("stats", "--kubeconfig", kubeconfig, "--once", "pods")
    assert _columns(piped.stdout.decode().splitlines()[0]) == list(STATS_COLUMNS)
    narrow = run_kmon("stats", "--kubeconfig", kubeconfig, "--once", "pods", env_extra={"COLUMNS": "80"})
    assert all(len(ln) <= 80 for ln in narrow.stdout.decode().splitlines())


def test_the_watches_column_says_started_ended_and_whether_one_is_open():
    from kmon.headless.render import STATS_COLUMNS, stats_rows

    rows = stats_rows({"pods": _informer("pods", watches_started=3, watches_ended={"expired": 1, "closed": 1}),
                       "nodes": _informer("nodes", state="stopped", watches_started=2,
                                          watches_ended={"closed": 1, "stopped": 1})}, now=1000.0)
    col = STATS_COLUMNS.index("WATCHES")
    assert [r[col] for r in rows] == ["2 / 2", "3 / 2 · open"]
