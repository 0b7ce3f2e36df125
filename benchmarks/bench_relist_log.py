"""The event log under client-go 1.36's atomic relist of many objects.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_relist_log.py [--objects N] [--slice S]

An informer on the default path (RealFIFO, atomic) lists ``--objects`` pods (50,000), then
relists them all (a 410 on a busy cluster); the delta records go through the GUI's event log
model in bridge-sized slices (``--slice``, 2,000 items), as ``FeedBridge`` hands them over.
Measured on this thread (best of 3 where it says so):

- per slice: journal rows + filtered index + model signals (the GUI thread's cost per tick);
- reading: ``data()`` for a screenful of rows (what a repaint asks), collapsed;
- opening the relist (50,000 rows inserted under its header) and closing it;
- a filter change by free text matching one object (the relist opens on it);
- memory: bytes per journal row, and the index's size.

The figures are wall clock on whatever machine runs them: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _ms(s: float) -> str:
    return f"{s * 1000:8.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=50_000)
    ap.add_argument("--slice", type=int, default=2_000)
    args = ap.parse_args()

    from driven import Driven, pod
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from kmon.cache.features import FeatureGates
    from kmon.monitor.event_filter import EventFilter
    from kmon.monitor.journal import Journal
    from kmon.ui.event_log_model import COLUMNS, EventLogModel

    app = QApplication.instance() or QApplication([])
    n = args.objects
    d = Driven(FeatureGates())
    d.relist([pod(f"p{i}", rv=str(i + 1)) for i in range(n)], str(n))
    initial = d.take()
    d.relist([pod(f"p{i}", rv=str(i + 1 + (n if i % 10 == 0 else 0))) for i in range(n)], str(2 * n))
    relist = d.take()

    model = EventLogModel(Journal(100_000))
    slices = []
    for batch in (initial, relist):
        for k in range(0, len(batch), args.slice):
            part = batch[k:k + args.slice]
            t0 = time.perf_counter()
            model.append_items(part)
            slices.append(time.perf_counter() - t0)
    slices.sort()
    print(f"{2 * n:,} delta records in slices of {args.slice:,}: rows shown {model.rowCount()}, "
          f"journal {len(model.journal):,}")
    print(f"  per slice (journal + index + model): median {_ms(slices[len(slices) // 2])}, max {_ms(slices[-1])}")

    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole,
             Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole)
    rows = model.rowCount()

    def screenful() -> float:
        t0 = time.perf_counter()
        for r in range(max(0, rows - 40), rows):
            for c in range(len(COLUMNS)):
                idx = model.index(r, c)
                for role in roles:
                    model.data(idx, role)
        return time.perf_counter() - t0

    print(f"  a screenful of data() (40 rows x {len(COLUMNS)} columns x {len(roles)} roles), collapsed: "
          f"{_ms(min(screenful() for _ in range(3)))}")
    header = rows - 1
    opens, closes = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        added = model.set_expanded(header, True)
        opens.append(time.perf_counter() - t0)
        rows = model.rowCount()
        t0 = time.perf_counter()
        model.set_expanded(header, False)
        closes.append(time.perf_counter() - t0)
    print(f"  open the relist ({added:,} rows under its header): {_ms(min(opens))}; close it: {_ms(min(closes))}")
    model.set_expanded(header, True)
    rows = model.rowCount()
    print(f"  a screenful of data(), opened ({rows:,} rows): {_ms(min(screenful() for _ in range(3)))}")
    t0 = time.perf_counter()
    model.set_filter(EventFilter(text=f"p{n - 7}"))
    print(f"  free-text filter matching one object (the relists open on it): {_ms(time.perf_counter() - t0)}, "
          f"{model.rowCount()} rows shown")
    t0 = time.perf_counter()
    model.set_filter(EventFilter())
    print(f"  back to no filter: {_ms(time.perf_counter() - t0)}, {model.rowCount()} rows shown")

    # memory of the rows: build the journal again under tracemalloc
    gc.collect()
    tracemalloc.start()
    j = Journal(100_000)
    base = tracemalloc.get_traced_memory()[0]
    j.append_items(initial)
    j.append_items(relist)
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"  journal memory: {used / len(j):,.0f} bytes per row ({len(j):,} rows; strings are shared "
          f"with the objects where Python shares them)")
    idx = model.index_
    print(f"  filtered index: {idx._seqs.nbytes / 1e6:.1f} MB of sequence numbers, {len(idx.groups)} groups tracked")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
