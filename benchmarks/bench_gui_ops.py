"""Speed of the GUI-thread operations the tests check by behaviour, against baselines in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_ops.py [--rows N] [--repeat R]
        [--quick] [--check]

The tests assert *how* these operations work (the event log reads no row for a category
filter and only a tick's own rows per batch; a context switch leaves the old informers to
stop off the GUI thread); this measures how fast they are, where the wall clock is fair:

1. Event log of ``--rows`` rows (100,000): a filter change by type and resource, and by free
   text, against the baseline of a per-row filter over the same rows (``EventFilter.matches``
   in a list comprehension: what a ``QSortFilterProxyModel`` would do); a tick's batch of 200
   rows appended to the full log, against the same batch appended to a log of 1,000 rows
   (O(batch): the ratio stays near 1 however long the log).
2. The feed informer threads put into: 200,000 ``put`` and one ``drain``, against the same
   count of ``deque.append`` and ``list(deque)`` (the container it wraps).
3. A context switch on the demo cluster: the GUI thread's share (the switch signal's handler)
   against the time until the old informer threads have ended (a GUI thread that waited for
   them would take at least that long).

Each figure is the best of ``--repeat`` rounds (the machine is shared). Targets (ratios) are
printed with each figure; ``--check`` exits 1 when one is missed. ``--quick``: 20,000 rows,
one round (a smoke run: figures not meaningful).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmon.monitor.event_filter import EventFilter  # noqa: E402
from kmon.monitor.feed import Feed  # noqa: E402
from kmon.monitor.journal import Journal, JournalRow  # noqa: E402

# ratio targets (kmon / baseline; speed-ups >=, cost ratios <=). Measured on the 2-core
# machine (100,000 rows, best of 3): 3.2-5.4x, 0.6-0.8x, 1.5x, 1.8-2.2x, 11-12x, 0.1x; the targets leave
# room for a shared machine and catch a change of order (a per-row pass, an O(log) batch).
TARGETS = {
    "category_filter_speedup": (">=", 2.0),  # integer codes, vectorised, vs a per-row filter
    "text_filter_speedup": (">=", 0.5),  # a substring per surviving row, as the baseline does
    "batch_full_vs_small_log": ("<=", 3.0),  # O(batch): a full log costs about what a small one does
    "feed_put_vs_deque": ("<=", 5.0),  # a lock and a wake-up around deque.append
    "feed_drain_vs_list": ("<=", 25.0),  # the batch handed over, against copying the deque
    "switch_vs_old_threads_ended": ("<=", 0.5),  # the GUI thread returns long before the old informers end
}


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rows(n: int, start: int = 0) -> list[JournalRow]:
    """The event log test's rows: three types, two resources, four namespaces."""
    return [JournalRow(float(i), "c1", "pods" if i % 3 else "nodes", "delta", ("Added", "Updated", "Deleted")[i % 3],
                       f"ns{i % 4}", f"p{i}", str(i), "") for i in range(start, start + n)]


def bench_event_log(n: int, repeat: int) -> dict[str, float]:
    from kmon.ui.event_log_model import EventLogModel

    data = rows(n)
    categories = EventFilter(hidden_types=frozenset({"Added"}), hidden_resources=frozenset({"nodes"}))
    text = EventFilter(text="p4242")

    def model_filter(flt: EventFilter) -> float:
        model = EventLogModel(Journal(n))
        model.append_rows(data)
        return timed(lambda: model.set_filter(flt))

    def per_row(flt: EventFilter) -> float:
        return timed(lambda: [r for r in data if flt.matches(r)])

    def batch(kept: int) -> float:
        model = EventLogModel(Journal(n))
        model.append_rows(data[:kept])
        model.set_filter(EventFilter(hidden_types=frozenset({"Added"}), text="p4"))
        tick = rows(200, n)
        return timed(lambda: model.append_rows(tick))

    r = {
        "category_filter_s": best(lambda: model_filter(categories), repeat),
        "category_per_row_s": best(lambda: per_row(categories), repeat),
        "text_filter_s": best(lambda: model_filter(text), repeat),
        "text_per_row_s": best(lambda: per_row(text), repeat),
        "batch_full_log_s": best(lambda: batch(n), repeat * 3),
        "batch_small_log_s": best(lambda: batch(1_000), repeat * 3),
    }
    r["category_filter_speedup"] = r["category_per_row_s"] / r["category_filter_s"]
    r["text_filter_speedup"] = r["text_per_row_s"] / r["text_filter_s"]
    r["batch_full_vs_small_log"] = r["batch_full_log_s"] / r["batch_small_log_s"]
    return r


def bench_feed(repeat: int, n: int = 200_000) -> dict[str, float]:
    def feed() -> tuple[float, float]:
        f = Feed()
        put = timed(lambda: [f.put(i) for i in range(n)])
        return put, timed(f.drain)

    def plain() -> tuple[float, float]:
        d: collections.deque = collections.deque()
        put = timed(lambda: [d.append(i) for i in range(n)])
        return put, timed(lambda: list(d))

    kf = [feed() for _ in range(repeat)]
    kd = [plain() for _ in range(repeat)]
    r = {"feed_put_s": min(p for p, _ in kf), "feed_drain_s": min(d for _, d in kf),
         "deque_append_s": min(p for p, _ in kd), "list_of_deque_s": min(d for _, d in kd)}
    r["feed_put_vs_deque"] = r["feed_put_s"] / r["deque_append_s"]
    r["feed_drain_vs_list"] = r["feed_drain_s"] / r["list_of_deque_s"]
    return r


def bench_switch(repeat: int) -> dict[str, float]:
    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from kmon.app_cli import parser
    from kmon.sim.demo import DemoCluster
    from kmon.ui.app import build
    from kmon.ui.settings import Settings

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app, already_running=False)
    asyncio.set_event_loop(loop)
    demo = DemoCluster(churn=40.0, pods=60, bookmark_interval=5.0)
    settings = Settings(QSettings(os.path.join(tempfile.mkdtemp(prefix="kmon-bench-"), "kmon.ini"),
                                  QSettings.Format.IniFormat))
    ws, win, _ = build(parser().parse_args([]), settings=settings, kubeconfig=demo.kubeconfig_path)
    ws.bridge.start()

    def until(cond: Callable[[], bool], timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise RuntimeError("the demo cluster did not sync in time")
            app.processEvents()
            time.sleep(0.005)

    def one(frm: str, to: str) -> tuple[float, float]:
        until(lambda: frm in ws.sessions and ws.all_synced() and not ws.closing)
        old = ws.sessions[frm]
        threads = [h.thread for h in old.resources.values()]
        t0 = time.perf_counter()
        win.switcher.sigSwitch.emit(to)  # as choosing it in the toolbar does
        gui = time.perf_counter() - t0
        until(lambda: not any(t.is_alive() for t in threads))
        return gui, time.perf_counter() - t0

    try:
        ws.open_context("kmon-demo")
        names = ["kmon-demo-2", "kmon-demo"]
        switches = [one(names[i % 2 - 1], names[i % 2]) for i in range(2 * repeat)]
    finally:
        ws.close_all(timeout=3.0)
        ws.runner.shutdown(wait=True)
        demo.stop()
        win.close()
    r = {"switch_gui_thread_s": min(g for g, _ in switches), "old_threads_ended_after_s": min(e for _, e in switches)}
    # a GUI thread that waited for the old informers would return only after they ended (>= 1x)
    r["switch_vs_old_threads_ended"] = min(g / e for g, e in switches)
    return r


def report(results: dict[str, float]) -> bool:
    ok = True
    for key, value in results.items():
        if key in TARGETS:
            op, target = TARGETS[key]
            hit = value >= target if op == ">=" else value <= target
            ok &= hit
            print(f"  {key:28s} {value:8.2f}x  [{op} {target:g}x] {'ok' if hit else 'MISSED'}")
        else:
            print(f"  {key:28s} {value * 1000:8.2f} ms")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=None, help="event log rows (100,000; --quick: 20,000)")
    ap.add_argument("--repeat", type=int, default=None, help="rounds, best kept (3; --quick: 1)")
    ap.add_argument("--quick", action="store_true", help="small and once: a smoke run, figures not meaningful")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    n = args.rows or (20_000 if args.quick else 100_000)
    repeat = args.repeat or (1 if args.quick else 3)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; best of {repeat}")
    ok = True
    print(f"event log, {n:,} rows:")
    ok &= report(bench_event_log(n, repeat))
    print("feed, 200,000 items:")
    ok &= report(bench_feed(repeat))
    print("context switch on the demo cluster:")
    ok &= report(bench_switch(repeat))
    print(f"targets: {'all met' if ok else 'MISSED'}")
    if args.quick:
        print("(--quick: small sizes, figures are a smoke test only)")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    threading.current_thread().name = "bench-gui-ops"
    sys.exit(main())
