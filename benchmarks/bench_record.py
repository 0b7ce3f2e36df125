"""Can ``kmon record`` keep up? Recording throughput against a baseline in the same run.

    .venv/bin/python benchmarks/bench_record.py [--events N] [--rate R] [--seconds S] [--quick] [--strict]

Realistic pod deltas (the sim workload's 3-7 KB pods, each update with a new
resourceVersion and status, a few Secrets mixed in so masking runs) go through the recording
machinery: ``record_from_item`` (masking included) -> orjson -> gzip -> file, with the
writer's once-a-second sync flush.

1. Max sustainable rate: every event written as fast as possible in drain-sized batches
   (``RecordingWriter.write_items``), against the baseline of bare ``orjson.dumps`` of the
   same (already built) records. Reports events/s, the ratio to the baseline, and file bytes
   per event.
2. Paced: a producer puts events into a ``Feed`` at ``--rate`` (default 5,000/s) for
   ``--seconds``; a recorder thread drains every 0.2 s and writes, as ``Recorder`` does.
   Reports the recorder's busy fraction (< 1 means it keeps up), the largest backlog, and how
   long after the producer stopped the last event was on disk.

``--strict`` exits 1 when the max sustainable rate is below ``--rate``. ``--quick`` is a
smoke run (small, no verdict).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmon.cache.delta_fifo import DeltaType  # noqa: E402
from kmon.cache.events import DeltaRecord  # noqa: E402
from kmon.monitor.feed import DeltaItem, Feed  # noqa: E402
from kmon.monitor.recording_format import make_header, record_from_item  # noqa: E402
from kmon.monitor.recording_reader import read_recording  # noqa: E402
from kmon.monitor.recording_writer import RecordingWriter  # noqa: E402


def realistic_objects(pods: int) -> tuple[list[dict], list[dict]]:
    from kmon.sim.storage import Store
    from kmon.sim.workload import Workload

    store = Store()
    Workload(store, seed=7, pods=pods, namespaces=4, secrets=2).populate()
    return store.list("pods"), store.list("secrets")


def make_items(n: int, pods: list[dict], secrets: list[dict]) -> list[DeltaItem]:
    """``n`` Updated deltas: pods (every 50th a Secret) each with a fresh rv and status."""
    items = []
    t = time.time()
    for i in range(n):
        rv = str(100_000 + i)
        if i % 50 == 49 and secrets:
            base, res = secrets[i % len(secrets)], "secrets"
            obj = {**base, "metadata": {**base["metadata"], "resourceVersion": rv}}
        else:
            base, res = pods[i % len(pods)], "pods"
            status = dict(base.get("status") or {})
            status["conditions"] = [
                {**c, "lastTransitionTime": f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"}
                for c in status.get("conditions") or []
            ]
            status["phase"] = ("Running", "Pending", "Running", "Succeeded")[i % 4]
            obj = {**base, "metadata": {**base["metadata"], "resourceVersion": rv}, "status": status}
        m = obj["metadata"]
        key = f"{m['namespace']}/{m['name']}"
        items.append(DeltaItem("bench", res, DeltaRecord(DeltaType.Updated, key, obj, base, rv, t + i * 1e-4, False)))
    return items


def header() -> dict:
    return make_header(contexts=[{"name": "bench", "server": "https://bench", "server_version": None}],
                       resources=["pods", "secrets"])


def bench_max(items: list[DeltaItem], path: str, batch: int) -> dict:
    records = [record_from_item(it) for it in items]
    t0 = time.perf_counter()
    raw = 0
    for r in records:
        raw += len(orjson.dumps(r)) + 1
    baseline = len(records) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    w = RecordingWriter(path, header())
    for i in range(0, len(items), batch):
        w.write_items(items[i:i + batch])
    w.close()
    elapsed = time.perf_counter() - t0
    size = os.path.getsize(path)
    rec = read_recording(path)
    assert rec.complete and len(rec.records) == len(items), rec.error
    return {
        "events": len(items),
        "baseline_orjson_events_per_s": round(baseline),
        "record_events_per_s": round(len(items) / elapsed),
        "ratio_to_baseline": round(len(items) / elapsed / baseline, 3),
        "raw_json_bytes_per_event": round(raw / len(items)),
        "file_bytes_per_event": round(size / len(items), 1),
        "compression": round(raw / size, 1),
    }


def bench_paced(items: list[DeltaItem], path: str, rate: float, seconds: float) -> dict:
    feed = Feed()
    w = RecordingWriter(path, header())
    total = int(rate * seconds)
    busy = 0.0
    high = 0
    done = threading.Event()
    produced_end = [0.0]

    def produce() -> None:
        start = time.monotonic()
        sent = 0
        n = len(items)
        while sent < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            if due > sent:
                feed.extend([items[i % n] for i in range(sent, due)])
                sent = due
            else:
                time.sleep(0.002)
        produced_end[0] = time.monotonic()
        done.set()

    producer = threading.Thread(target=produce, name="bench-producer")
    t_start = time.monotonic()
    producer.start()
    while True:
        finished = done.is_set()
        time.sleep(0.2)
        high = max(high, len(feed))
        t0 = time.perf_counter()
        w.write_items(feed.drain())
        w.flush_if_due()
        busy += time.perf_counter() - t0
        if finished and not len(feed):
            break
    w.flush()
    on_disk = time.monotonic()
    producer.join()
    w.close()
    wall = on_disk - t_start
    return {
        "rate": rate,
        "events": total,
        "recorder_busy_fraction": round(busy / wall, 3),
        "max_backlog_events": high,
        "last_event_on_disk_after_s": round(on_disk - produced_end[0], 2),
        "file_bytes_per_event": round(os.path.getsize(path) / total, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=30_000)
    p.add_argument("--rate", type=float, default=5_000.0)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--pods", type=int, default=300)
    p.add_argument("--quick", action="store_true", help="smoke run: small and short")
    p.add_argument("--strict", action="store_true", help="exit 1 if the max rate is below --rate")
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.seconds, args.pods = 2_000, 0.6, 60
    pods, secrets = realistic_objects(args.pods)
    items = make_items(args.events, pods, secrets)
    with tempfile.TemporaryDirectory(prefix="kmon-bench-") as d:
        m = bench_max(items, os.path.join(d, "max.kmonrec"), batch=max(1, int(args.rate * 0.2)))
        print(f"max sustainable: {m['record_events_per_s']:,} events/s "
              f"(baseline orjson.dumps: {m['baseline_orjson_events_per_s']:,} events/s, ratio {m['ratio_to_baseline']}); "
              f"{m['raw_json_bytes_per_event']:,} JSON bytes/event -> {m['file_bytes_per_event']} file bytes/event "
              f"(x{m['compression']})")
        pc = bench_paced(items, os.path.join(d, "paced.kmonrec"), args.rate, args.seconds)
        print(f"paced at {pc['rate']:,.0f} events/s for {args.seconds:g} s: recorder busy {pc['recorder_busy_fraction']:.0%}, "
              f"max backlog {pc['max_backlog_events']:,} events, last event on disk {pc['last_event_on_disk_after_s']} s "
              f"after the producer stopped, {pc['file_bytes_per_event']} file bytes/event")
    print(orjson.dumps({"max": m, "paced": pc}).decode())
    ok = m["record_events_per_s"] >= args.rate and pc["recorder_busy_fraction"] < 1.0
    if not args.quick:
        print("keeps up with {:,.0f} events/s: {}".format(args.rate, "yes" if ok else "NO"))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
