"""The window's initial sync, several times: the median and range of ``bench_gui.py``'s sync.

Why this exists: single runs of the 150,000-object sync on the 2-core VM this project is
measured on differ by up to 50%, and the CPU time the same work takes differs by up to 45%
between runs (``bench_gui`` reports it as ``sync_cpu_s``), so one run says little. This runs
``bench_gui.py --views --sync-only`` ``--repeat`` times, each in a fresh process on a fresh
demo cluster, and prints every run and the median and range of the sync time and of its CPU.

    xvfb-run -a .venv/bin/python benchmarks/bench_sync.py [--objects 150000] [--repeat 5]
        [--compare-huge-pages] [--json FILE]

``--compare-huge-pages``: each round runs the sync twice, as the app runs (huge pages where
they help, ``kmon.huge_pages``) and without them (``GLIBC_TUNABLES=glibc.malloc.hugetlb=0``),
alternating, and summarises each.

Target (issue 14): at 150,000 objects the sync to a populated tree takes at most 8 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_gui import write_json  # noqa: E402


WITHOUT_HUGE_PAGES = "glibc.malloc.hugetlb=0"


def one_sync(objects: int, client_go: str | None = None, tunables: str | None = None) -> dict:
    """One ``bench_gui`` run measuring the sync; its JSON report. ``tunables``: the run's
    ``GLIBC_TUNABLES`` (None: this process's environment)."""
    with tempfile.TemporaryDirectory(prefix="kmon-bench-sync-") as tmp:
        out = os.path.join(tmp, "sync.json")
        cmd = [sys.executable, str(HERE / "bench_gui.py"), "--views", "--sync-only", "--objects", str(objects),
               "--json", out]
        if client_go:
            cmd += ["--client-go", client_go]
        env = dict(os.environ) if tunables is None else {**os.environ, "GLIBC_TUNABLES": tunables}
        r = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True, timeout=1800, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"bench_gui failed ({r.returncode}): {r.stderr[-2000:]}")
        with open(out) as f:
            return json.load(f)


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": min(values), "max": max(values)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=150_000, help="about how many objects the cluster holds")
    ap.add_argument("--repeat", type=int, default=5, help="how many syncs, each in a fresh process")
    ap.add_argument("--client-go", metavar="VERSION", help="the informer path to run (bench_gui's option)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--compare-huge-pages", action="store_true",
                    help="alternate runs as the app runs and without huge pages; summarise each")
    args = ap.parse_args(argv)
    variants = [("as the app runs", None)] + ([("without huge pages", WITHOUT_HUGE_PAGES)]
                                              if args.compare_huge_pages else [])
    runs: dict[str, list[dict]] = {label: [] for label, _ in variants}
    for i in range(args.repeat):
        for label, tunables in variants:
            r = one_sync(args.objects, args.client_go, tunables)
            cpu = r.get("sync_cpu_s", {})
            run = {"initial_sync_s": r["initial_sync_s"], "objects_in_tree": r["objects_in_tree"],
                   "user_s": cpu.get("user"), "system_s": cpu.get("system"),
                   "rss_after_sync_mb": r["rss_after_sync_mb"], "load_average": r["load_average_1_5_15"][0],
                   "glibc_tunables": r.get("glibc_tunables", "")}
            runs[label].append(run)
            print(f"run {i + 1}/{args.repeat} ({label}; GLIBC_TUNABLES={run['glibc_tunables'] or '-'}): sync "
                  f"{run['initial_sync_s']} s ({run['objects_in_tree']:,} objects), CPU user {run['user_s']} s + "
                  f"kernel {run['system_s']} s, RSS {run['rss_after_sync_mb']} MB, load {run['load_average']}",
                  flush=True)
    result: dict = {"objects": args.objects}
    for label, _ in variants:
        rs = runs[label]
        part = {"runs": rs, "initial_sync_s": summary([r["initial_sync_s"] for r in rs]),
                "cpu_user_s": summary([r["user_s"] for r in rs if r["user_s"] is not None] or [0.0]),
                "cpu_kernel_s": summary([r["system_s"] for r in rs if r["system_s"] is not None] or [0.0])}
        if label == variants[0][0]:
            result.update(part)
        else:
            result[label.replace(" ", "_")] = part
        s = part["initial_sync_s"]
        print(f"initial sync {label}, {len(rs)} runs: median {s['median']} s, range {s['min']}-{s['max']} s; "
              f"CPU user median {part['cpu_user_s']['median']} s, kernel median {part['cpu_kernel_s']['median']} s")
        if args.objects >= 150_000:
            print(f"  target (<= 8 s at 150,000 objects): {'met in every run' if s['max'] <= 8 else 'missed in some runs'}")
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
