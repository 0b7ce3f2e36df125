"""Soak: the window open (offscreen) for minutes on a churning cluster that misbehaves every
few seconds. Does kmon stay healthy when things keep going wrong?

The cluster (a ``SimServer`` with a ``Workload`` at ``--rate`` writes/s) runs in a child
process, as a real API server would be elsewhere; every ``--fault-every`` seconds the child
injects the next fault of a rotation: server restart with the revision jumping forward,
compaction + dropped watches, stalled watches on a server that still answers (its health
check, HTTP2_READ_IDLE_TIMEOUT_SECONDS set to 2 s here, is answered: waited out, as client-go
does), a 429 storm with Retry-After, a 500 burst,
the token rotated (401) for a few seconds, 403 on pods for a few seconds, a malformed watch
line, a connection reset inside a 1 MB event. The GUI process runs the app as ``kmon`` does,
with the event log, charts and inspector docked.

The warm-up lasts at least ``--warmup`` seconds, until the event log's ring is full and until
every fault of the rotation has run once, so "flat" measures the steady state of a bounded log
under repeated faults, not its filling or the high-water marks each fault leaves the first time
(measured: the first connection reset inside a 1 MB event raises RSS by 25-45 MB once; later
ones add 0-5 MB). Sampled every 5 s: RSS, thread count, the event log's length and capacity, top-level windows
and visible message boxes, the longest gap of a 10 ms QTimer, deltas applied. Reported (and,
with ``--check``, asserted): after the warm-up RSS and the thread count stay flat (RSS growth
<= ``--max-rss-growth`` MB between the first and the last quarter of the measured time,
thread count back to its warm-up value), no dialog piles up, the log stays within its
capacity, and at the end -- churn stopped, faults cleared -- the tree equals the server
(same keys and resourceVersions for every watched resource).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_soak.py [--minutes 10]
        [--rate 1000] [--fault-every 10] [--pods 2000] [--warmup 30] [--log-capacity 100000]
        [--check] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KMON_WATCH_INACTIVITY_TIMEOUT", "5")
os.environ.setdefault("HTTP2_READ_IDLE_TIMEOUT_SECONDS", "2")  # the health check runs during the stalls
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

RESOURCES = ["pods", "configmaps", "services", "namespaces", "events"]

# The cluster: commands on stdin (one JSON object a line), answers on stdout.
CHILD = textwrap.dedent(
    """
    import json, sys, threading, time
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import write_kubeconfig
    from kmon.sim.workload import Workload
    token = "soak-token-" + "x" * 16
    srv = SimServer(token=token, seed=1, bookmark_interval=2.0).start()
    wl = Workload(srv.store, seed=7, rate=float(sys.argv[2]), namespaces=8, pods=int(sys.argv[1]),
                  configmaps=4, secrets=2, widgets=0, max_events=500, nodes=5)
    wl.populate()
    path = write_kubeconfig(sys.argv[3], [("soak", srv)])
    print(json.dumps({"kubeconfig": path}), flush=True)
    f = srv.faults
    def later(seconds, fn):
        t = threading.Timer(seconds, fn); t.daemon = True; t.start()
    big = (b'{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"d":"'
           + b"A" * 1_000_000)
    FAULTS = {
        # a real restart: refused, 503/429 while starting, a new watch cache (410, relist)
        "restart": lambda: (f.restart(3.0, starting=1.5), f.jump_revision(100_000)),
        # compaction alone is served around by the watch cache: expire it too for the relist
        "compact": lambda: (f.compact(), f.expire_watch_cache(), f.drop_watches()),
        "stall": lambda: f.stall_watches(7.0),
        # failures are counted requests: cleared after 3 s, or the reflectors' backoff would
        # spread them over minutes (the storm would outlast the next faults)
        "429": lambda: (f.fail_next(8, 429, retry_after=1), f.drop_watches(), later(3.0, f.reset)),
        "500": lambda: (f.fail_next(8, 500), f.drop_watches(), later(3.0, f.reset)),
        "401": lambda: (setattr(srv, "token", "rotated"), f.drop_watches(),
                        later(4.0, lambda: setattr(srv, "token", token))),
        "403": lambda: (f.forbid("pods"), f.drop_watches(), later(4.0, lambda: f.allow("pods"))),
        "malformed": lambda: f.send_malformed_line(),
        "reset-mid-event": lambda: f.inject_raw(big, close=True),
    }
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "churn":
            wl.start()
            out = {}
        elif op == "fault":
            FAULTS[cmd["name"]]()
            out = {"fault": cmd["name"]}
        elif op == "writes":
            out = {"writes": wl.writes, "requests": len(srv.requests)}
        elif op == "quiesce":
            wl.stop(); f.reset(); srv.token = token
            out = {}
        elif op == "state":
            st = {}
            for r in cmd["resources"]:
                d = {}
                for o in srv.store.list(r):
                    m = o["metadata"]
                    d[(m["namespace"] + "/" if m.get("namespace") else "") + m["name"]] = m["resourceVersion"]
                st[r] = d
            out = st
        elif op == "methods":
            out = sorted({r.method for r in srv.requests.snapshot()})
        elif op == "stop":
            wl.stop(); srv.stop()
            print("{}", flush=True)
            break
        print(json.dumps(out), flush=True)
    """
)

FAULT_ROTATION = ["restart", "compact", "stall", "429", "500", "401", "403", "malformed", "reset-mid-event"]


class Cluster:
    def __init__(self, pods: int, rate: float, tmp: str) -> None:
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(pods), str(rate), os.path.join(tmp, "kc")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        self.kubeconfig = json.loads(self.proc.stdout.readline())["kubeconfig"]
        self._mu = threading.Lock()

    def call(self, op: str, **kw):
        with self._mu:
            self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        try:
            self.call("stop")
        except Exception:
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def thread_count() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return threading.active_count()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="measured time after the warm-up (default 10)")
    ap.add_argument("--rate", type=float, default=1000.0, help="churn writes/s (default 1000)")
    ap.add_argument("--fault-every", type=float, default=10.0, help="seconds between faults (default 10)")
    ap.add_argument("--pods", type=int, default=2000, help="pods in the cluster (default 2000)")
    ap.add_argument("--warmup", type=float, default=30.0, help="seconds of faults and churn before measuring (default 30)")
    ap.add_argument("--log-capacity", type=int, default=100_000,
                    help="event log capacity (default 100,000, the app's); the warm-up lasts until it is full")
    ap.add_argument("--max-rss-growth", type=float, default=40.0, help="--check: MB allowed (default 40)")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the figures are flat and bounded")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="kmon-soak-")
    print(f"starting cluster: {args.pods} pods, churn {args.rate:.0f} writes/s", flush=True)
    cluster = Cluster(args.pods, args.rate, tmp)

    import asyncio

    import qasync
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from kmon.app_cli import parser
    from kmon.ui.app import build, start_gc_policy
    from kmon.ui.settings import Settings

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = Settings(QSettings(os.path.join(tmp, "kmon.ini"), QSettings.Format.IniFormat))
    settings.q.setValue("log/capacity", int(args.log_capacity))
    ws, win, _ = build(parser().parse_args(["--context", "soak", "--resources", ",".join(RESOURCES)]),
                       settings=settings, kubeconfig=cluster.kubeconfig)
    win.resize(1400, 850)
    win.show()
    start_gc_policy(ws, win)

    phase = {"name": "sync", "t": time.monotonic(), "faults": 0, "next_fault": 0.0}
    t_start = time.monotonic()
    samples: list[dict] = []
    result: dict = {"faults": {}}
    deltas = [0]
    gap = [0.0]
    tick = QElapsedTimer()
    tick.start()

    def on_tick() -> None:
        el = tick.nsecsElapsed() / 1e6
        tick.restart()
        gap[0] = max(gap[0], el)

    def on_applied(items: list) -> None:
        deltas[0] += sum(1 for it in items if getattr(it, "record", None) is not None)

    def sample(now: float) -> None:
        views = win.views
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        samples.append({
            "t": round(now - phase["t"], 1), "rss_mb": round(rss_mb(), 1), "threads": thread_count(),
            "journal": len(views.journal), "journal_capacity": views.journal.capacity,
            "top_level_visible": sum(1 for w in QApplication.topLevelWidgets() if w.isVisible()),
            "message_boxes": len(boxes), "max_tick_gap_ms": round(gap[0], 1), "deltas": deltas[0],
            "tree_objects": len(ws.tree), "errors_shown": len(win.errors.texts()),
            "backoff_s": round(max((st.current_backoff for st in ws.sessions["soak"].stats().values()), default=0), 1),
            # what the collector can no longer reclaim, and which faults ran since the last sample
            "frozen_objects": gc.get_freeze_count(), "gc_objects": len(gc.get_objects()),
            "faults_since": phase.pop("recent", []),
        })
        gap[0] = 0.0

    last_sample = [0.0]

    def inject(now: float) -> None:
        if now >= phase["next_fault"]:
            name = FAULT_ROTATION[phase["faults"] % len(FAULT_ROTATION)]
            phase["faults"] += 1
            phase["next_fault"] = now + args.fault_every
            threading.Thread(target=cluster.call, args=("fault",), kwargs={"name": name}, daemon=True).start()
            result["faults"][name] = result["faults"].get(name, 0) + 1
            phase.setdefault("recent", []).append(name)

    def control() -> None:
        now = time.monotonic()
        if phase["name"] == "sync":
            if ws.all_synced() and ws.bridge.pending() == 0:
                result["initial_sync_s"] = round(now - t_start, 2)
                cluster.call("churn")
                print(f"synced {len(ws.tree):,} objects in {result['initial_sync_s']} s; churn + faults", flush=True)
                phase.update(name="warmup", t=now, next_fault=now + args.fault_every)
            elif now - t_start > 300:
                print("initial sync did not finish in 5 minutes", flush=True)
                app.exit(1)
        elif phase["name"] == "warmup":
            inject(now)
            views = win.views
            filling = len(views.journal) < views.journal.capacity and now - phase["t"] < 600
            # every fault has had its first effect: the first of each leaves a high-water mark
            # (the first 1 MB event: +25-45 MB once) that repeating it does not raise
            rotated = phase["faults"] > len(FAULT_ROTATION)
            if now - phase["t"] >= args.warmup and not filling and rotated:  # steady state
                result["warmup_s"] = round(now - phase["t"], 1)
                w = cluster.call("writes")
                phase.update(name="measure", t=now, writes0=w["writes"], requests0=w["requests"])
                gap[0] = 0.0
                sample(now)
                last_sample[0] = now
        elif phase["name"] == "measure":
            inject(now)
            if now - last_sample[0] >= 5.0:
                sample(now)
                last_sample[0] = now
                if len(samples) % 12 == 0:
                    s = samples[-1]
                    print(f"  {s['t']:6.0f} s  rss {s['rss_mb']} MB  threads {s['threads']}  log {s['journal']:,}"
                          f"  gap {s['max_tick_gap_ms']} ms  deltas {s['deltas']:,}  backoff {s['backoff_s']} s",
                          flush=True)
            if now - phase["t"] >= args.minutes * 60:
                w = cluster.call("writes")
                dt = now - phase["t"]
                result["writes_per_s"] = round((w["writes"] - phase["writes0"]) / dt, 1)
                result["requests_per_s"] = round((w["requests"] - phase["requests0"]) / dt, 1)
                result["deltas_per_s_in_tree"] = round(deltas[0] / max(1e-9, now - t_start), 1)
                cluster.call("quiesce")
                phase.update(name="converge", t=now)
        elif phase["name"] == "converge":
            # faults cleared, churn stopped: the tree must come to equal the server
            ws.bridge.drain()
            state = cluster.call("state", resources=RESOURCES)
            diff = {}
            for r in RESOURCES:
                tree = {n.key: n.rv for n in ws.tree.objects("soak", r) if not n.is_deleted}
                if tree != state[r]:
                    diff[r] = (len(tree), len(state[r]))
            if not diff:
                result["converged_after_s"] = round(now - phase["t"], 1)
                phase.update(name="done")
                app.exit(0)
            elif now - phase["t"] > 120:
                result["converged_after_s"] = None
                result["not_converged"] = diff
                phase.update(name="done")
                app.exit(0)

    ten = QTimer()
    ten.setInterval(10)
    ten.timeout.connect(on_tick)
    ten.start()
    ws.sigApplied.connect(on_applied)
    ctl = QTimer()
    ctl.setInterval(250)
    ctl.timeout.connect(control)
    ctl.start()
    ws.open_context("soak")
    ws.bridge.start()
    with loop:
        rc = app.exec()
    methods = cluster.call("methods")
    ws.close_all(timeout=3.0)
    ws.runner.shutdown(wait=False)
    cluster.stop()
    if rc != 0:
        return rc

    n = len(samples)
    q = max(1, n // 4)
    first, last = samples[:q], samples[-q:]
    rss_growth = statistics.median(s["rss_mb"] for s in last) - statistics.median(s["rss_mb"] for s in first)
    result.update(
        minutes=args.minutes, rate_requested=args.rate, fault_every_s=args.fault_every, pods=args.pods,
        samples=n,
        rss_mb_first_quarter_median=statistics.median(s["rss_mb"] for s in first),
        rss_mb_last_quarter_median=statistics.median(s["rss_mb"] for s in last),
        rss_growth_mb=round(rss_growth, 1),
        rss_mb_min_max=[min(s["rss_mb"] for s in samples), max(s["rss_mb"] for s in samples)],
        threads_first_last=[samples[0]["threads"], samples[-1]["threads"]],
        threads_min_max=[min(s["threads"] for s in samples), max(s["threads"] for s in samples)],
        journal_max=max(s["journal"] for s in samples), journal_capacity=samples[-1]["journal_capacity"],
        message_boxes_max=max(s["message_boxes"] for s in samples),
        top_level_visible_max=max(s["top_level_visible"] for s in samples),
        errors_shown_max=max(s["errors_shown"] for s in samples),
        max_tick_gap_ms=max(s["max_tick_gap_ms"] for s in samples),
        median_of_max_tick_gap_ms=statistics.median(s["max_tick_gap_ms"] for s in samples),
        # how much of the measured time the caches followed the churn: 5 s windows with deltas
        windows_with_deltas=f"{sum(1 for a, b in zip(samples, samples[1:]) if b['deltas'] > a['deltas'])}/{n - 1}",
        backoff_s_max=max(s["backoff_s"] for s in samples),
        request_methods=methods,
        load_average_1_5_15=[round(x, 2) for x in os.getloadavg()],
    )
    problems = []
    if rss_growth > args.max_rss_growth:
        problems.append(f"RSS grew {rss_growth:.1f} MB")
    if statistics.median(s["threads"] for s in last) > statistics.median(s["threads"] for s in first) + 2:
        problems.append(f"threads grew {result['threads_first_last']}")
    if result["journal_max"] > result["journal_capacity"]:
        problems.append("event log beyond its capacity")
    if result["message_boxes_max"] > 0:
        problems.append("message boxes piled up")
    if result["top_level_visible_max"] > 1:
        problems.append(f"{result['top_level_visible_max']} top-level windows visible")
    if result.get("converged_after_s") is None:
        problems.append(f"tree != server after the faults: {result.get('not_converged')}")
    if methods != ["GET"]:
        problems.append(f"non-GET requests: {methods}")
    result["problems"] = problems
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**result, "series": samples}, f, indent=1)
    return 1 if (args.check and problems) else 0


if __name__ == "__main__":
    sys.exit(main())
