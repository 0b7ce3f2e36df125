"""Benchmark of the GUI thread's fold: what turning a drained batch of deltas into the views'
state costs per delta (no Qt, no network).

    .venv/bin/python benchmarks/bench_fold.py [--objects N] [--batch B] [--rounds R]

Folds an initial list of N RawObject pods (the demo's realistic pods, in batches of B as the
bridge hands them over), then N watch updates of them, into a fresh ``ViewState`` (object
tree, per-object history, resource states), ``Journal`` (the event log's rows) and
``SeriesBook`` (the charts), and prints microseconds per delta for each, best of R rounds.
The history's entries are made when read: the figures include one read at the end of
each phase, as a selected object's history pane would do.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_pipeline import make_pods  # noqa: E402

from kmon.cache.delta_fifo import DeltaType  # noqa: E402
from kmon.cache.events import DeltaRecord  # noqa: E402
from kmon.cache.raw_object import RawObject  # noqa: E402
from kmon.monitor.feed import DeltaItem  # noqa: E402
from kmon.monitor.journal import Journal  # noqa: E402
from kmon.monitor.timeseries import SeriesBook  # noqa: E402
from kmon.monitor.view_state import ViewState  # noqa: E402


class _Quiet:
    def on_context_state(self, *a): ...
    def on_resources_changed(self, *a): ...
    def on_message(self, *a): ...


def _items(n: int) -> tuple[list[DeltaItem], list[DeltaItem]]:
    now = time.time()
    initial, updates = [], []
    for i, d in enumerate(make_pods(n)):
        p = RawObject(orjson.dumps(d))
        m = d["metadata"]
        key = f"{m['namespace']}/{m['name']}"
        initial.append(DeltaItem("c", "pods", DeltaRecord(DeltaType.Replaced, key, p, None, m["resourceVersion"],
                                                         now, True)))
        m["resourceVersion"] = rv = str(10_000_000 + i)
        q = RawObject(orjson.dumps(d))
        updates.append(DeltaItem("c", "pods", DeltaRecord(DeltaType.Updated, key, q, p, rv, now + 1 + i * 1e-4, False)))
    return initial, updates


def _run(phases: list[list[DeltaItem]], batch: int) -> dict[str, list[float]]:
    vs, journal, book = ViewState(), Journal(), SeriesBook()
    vs.add_context("c")
    quiet = _Quiet()
    out: dict[str, list[float]] = {"view state": [], "journal": [], "charts": []}
    for items in phases:
        for name, fold in (("view state", lambda b: vs.apply(b, quiet)), ("journal", journal.append_items),
                           ("charts", book.ingest)):
            t = time.perf_counter()
            for i in range(0, len(items), batch):
                fold(items[i:i + batch])
            if name == "view state":
                len(vs.history)  # one read: the history makes its entries
            out[name].append((time.perf_counter() - t) / len(items) * 1e6)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    initial, updates = _items(args.objects)
    gc.collect()
    gc.freeze()
    best: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        got = _run([initial, updates], args.batch)
        for name, v in got.items():
            best[name] = v if name not in best else [min(a, b) for a, b in zip(best[name], v)]
    print(f"{args.objects:,} pods, batches of {args.batch:,}, best of {args.rounds}: microseconds per delta")
    print(f"{'':12s} {'initial list':>14s} {'watch updates':>14s}")
    for name, (a, b) in best.items():
        print(f"{name:12s} {a:14.2f} {b:14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
