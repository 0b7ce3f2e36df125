"""GUI responsiveness under load: the window on a demo cluster with many objects and heavy churn.

What it measures (defaults: 50,000 objects, 2,000 writes/s, 60 s):
- GUI thread stalls: the drift of a 10 ms QTimer (how late each tick fires), p50/p99/max;
- cache -> tree lag: for every watch delta, the time between the informer applying it to its
  indexer (``DeltaRecord.time``) and the tree model having applied it (end of the bridge's
  batch), p50/p99/max;
- memory: RSS sampled every second; after the warm-up it must stay flat;
- the initial sync (list of every object into the tree) and the bridge's batch sizes.

The cluster (``kmon.monitor.demo.DemoCluster``, first context only) runs in a child process
— in real use the API server is elsewhere, and its Python threads must not share the GUI
process's GIL. The report says how many writes/s the sim actually achieved: on a 2-core
machine it tops out well below 2,000/s. ``--synthetic`` replaces cluster and informers by a
thread putting pod deltas straight into the feed at ``--rate``: the GUI's own capacity.
Targets: p99 stall <= 50 ms, p99 lag <= 250 ms, RSS flat after warm-up. The view shows the
window with one namespace's pods expanded (capped at 1,000 rows, see ``tree_model``).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--seconds 60]
        [--objects 50000] [--rate 2000] [--quick] [--synthetic] [--views] [--json FILE]

``--views`` docks the event log, charts and cache inspector (as the app does) and shows
them all; the warm-up then also lasts until the event log's ring is full, so "RSS flat"
measures the steady state of a bounded log, not its filling.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD = textwrap.dedent(
    """
    import sys, time
    from kmon.monitor.demo import SPECS, DemoCluster
    pods, rate = int(sys.argv[1]), float(sys.argv[2])
    t0 = time.monotonic()
    d = DemoCluster(churn=0, pods=pods, specs=SPECS[:1], bookmark_interval=15.0)
    print(d.kubeconfig_path, round(time.monotonic() - t0, 1), flush=True)
    sys.stdin.readline()  # "go": start churning
    d.set_churn(rate)
    t1 = time.monotonic(); w0 = sum(w.writes for w in d.workloads.values())
    sys.stdin.readline()  # "stop"
    w1 = sum(w.writes for w in d.workloads.values())
    print(round((w1 - w0) / max(1e-9, time.monotonic() - t1), 1), flush=True)
    d.stop()
    """
)


class Synthetic:
    """Deltas without an API server: ``n`` pod-like objects, then ``rate`` changes/s (80 %
    updates, 10 % deletions, 10 % creations) put into the context's feed by a thread, each
    stamped with the time it was "applied to the indexer"."""

    def __init__(self, n: int, rate: float) -> None:
        import random
        import threading

        self.n, self.rate = n, rate
        self.rng = random.Random(1)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="bench-synthetic", daemon=True)
        self.feed = None
        self.objs: dict[str, dict] = {}
        self.rv = 0
        self.sent = 0
        self.t0 = 0.0

    def _pod(self, ns: str, name: str) -> dict:
        from kmon.sim import objects as O

        self.rv += 1
        return {
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "resourceVersion": str(self.rv),
                         "uid": f"uid-{name}", "creationTimestamp": O.ts(),
                         "labels": {"app": name.rsplit("-", 2)[0], "tier": "backend", "pod-template-hash": "abc123"},
                         "annotations": {"prometheus.io/scrape": "true"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u"}]},
            "spec": {"nodeName": "node-1", "containers": [
                {"name": "main", "image": "registry/app:1.0", "ports": [{"containerPort": 8080}],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                 "env": [{"name": f"E{i}", "value": str(i)} for i in range(5)]}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                       "conditions": [{"type": t, "status": "True"} for t in ("Ready", "ContainersReady", "PodScheduled")],
                       "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0,
                                              "state": {"running": {"startedAt": O.ts()}}}]},
        }

    def session(self, name: str, feed, **_kw):
        self.feed = feed
        bench = self

        class Session:
            state, resources, available_resources = "ready", {}, []

            def start(self):
                bench.populate()
                return self

            def stop(self, timeout=1.0):
                return True

        return Session()

    def _item(self, t: str, key: str, obj: dict, initial: bool = False):
        from kmon.cache.events import DeltaRecord
        from kmon.monitor.feed import DeltaItem

        return DeltaItem("kmon-demo", "pods", DeltaRecord(t, key, obj, None, obj["metadata"]["resourceVersion"], time.time(), initial))

    def populate(self) -> None:
        items = []
        for i in range(self.n):
            ns = f"ns-{i % 4}"
            name = f"app{i % 500}-{i:06d}-x"
            o = self._pod(ns, name)
            self.objs[f"{ns}/{name}"] = o
            items.append(self._item("Replaced", f"{ns}/{name}", o, True))
        self.feed.extend(items)

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.thread.start()

    def _run(self) -> None:
        tick = 0.01
        keys = list(self.objs)
        nxt = time.monotonic()
        while not self.stop_event.is_set():
            batch = []
            for _ in range(max(1, int(self.rate * tick))):
                r = self.rng.random()
                if r < 0.8 or len(keys) < 10:
                    k = self.rng.choice(keys)
                    o = self.objs[k]
                    self.rv += 1
                    new = {**o, "metadata": {**o["metadata"], "resourceVersion": str(self.rv)},
                           "status": {**o["status"], "phase": self.rng.choice(["Running", "Pending"])}}
                    self.objs[k] = new
                    batch.append(self._item("Updated", k, new))
                elif r < 0.9:
                    i = self.rng.randrange(len(keys))
                    k = keys[i]
                    keys[i] = keys[-1]
                    keys.pop()
                    batch.append(self._item("Deleted", k, self.objs.pop(k)))
                else:
                    ns, name = f"ns-{self.rng.randrange(4)}", f"app{self.rng.randrange(500)}-{self.rng.randrange(10**6):06d}-y"
                    k = f"{ns}/{name}"
                    if k in self.objs:
                        continue
                    self.objs[k] = o = self._pod(ns, name)
                    keys.append(k)
                    batch.append(self._item("Added", k, o))
            self.feed.extend(batch)
            self.sent += len(batch)
            nxt += tick
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop_event.wait(delay)

    def stop(self) -> float:
        self.stop_event.set()
        self.thread.join(5)
        return round(self.sent / max(1e-9, time.monotonic() - self.t0), 1)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="measured time after warm-up")
    ap.add_argument("--objects", type=int, default=50_000, help="about how many objects the cluster holds")
    ap.add_argument("--rate", type=float, default=2000.0, help="churn writes per second")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds after the initial sync before measuring")
    ap.add_argument("--quick", action="store_true", help="smoke test: 5,000 objects, 500 writes/s, 8 s")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--synthetic", action="store_true",
                    help="no API server: a thread feeds deltas straight into the bridge at --rate "
                         "(the GUI's own capacity, when the machine cannot run a sim that fast)")
    ap.add_argument("--views", action="store_true",
                    help="with the event log, charts and cache inspector docked and visible (kmon.ui.views)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.objects, args.rate, args.warmup = 8.0, 5_000, 500.0, 2.0

    if args.synthetic:
        child = None
        kubeconfig = None
        synth = Synthetic(args.objects, args.rate)
    else:
        synth = None
        pods = max(10, int(args.objects / 1.34))  # deployments + replicasets + events + ... ~ +34 %
        print(f"starting demo cluster: ~{args.objects:,} objects ({pods:,} pods), churn {args.rate:,.0f} writes/s", flush=True)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(pods), str(args.rate)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        kubeconfig, populate_s = child.stdout.readline().split()
        print(f"cluster populated in {populate_s}s", flush=True)

    import asyncio

    import qasync
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from kmon.app_cli import parser
    from kmon.ui.app import build, start_gc_policy
    from kmon.ui.settings import Settings

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    tmp = tempfile.mkdtemp(prefix="kmon-bench-")
    settings = Settings(QSettings(os.path.join(tmp, "kmon.ini"), QSettings.Format.IniFormat))
    ws, win, _ = build(parser().parse_args(["--context", "kmon-demo"]), settings=settings, kubeconfig=kubeconfig,
                       session_factory=synth.session if synth else None, views=args.views)
    win.resize(1600, 900)
    win.show()
    start_gc_policy(ws, win)  # as the app does

    phase = {"name": "sync", "t": time.monotonic()}
    t_start = time.monotonic()
    drift: list[float] = []
    lags: list[float] = []
    batch_sizes: list[int] = []
    apply_ms: list[float] = []
    rss: list[tuple[float, float]] = []
    result: dict = {}

    tick = QElapsedTimer()
    tick.start()

    def on_tick() -> None:
        el = tick.nsecsElapsed() / 1e6
        tick.restart()
        if phase["name"] == "measure":
            drift.append(max(0.0, el - 10.0))

    reflector_kinds: dict[str, int] = {}
    gc_pauses: list[tuple[int, float]] = []  # (generation, seconds) during the measurement
    gc_start = [0.0]

    def on_gc(ev: str, info: dict) -> None:
        if ev == "start":
            gc_start[0] = time.perf_counter()
        elif phase["name"] == "measure":
            gc_pauses.append((info["generation"], time.perf_counter() - gc_start[0]))

    gc.callbacks.append(on_gc)

    def on_batch(items: list) -> None:
        if phase["name"] != "measure":
            return
        now = time.time()
        n = 0
        for it in items:
            rec = getattr(it, "record", None)
            if rec is not None:
                if not rec.is_in_initial_list:
                    lags.append(now - rec.time)
                    n += 1
            elif getattr(it, "event", None) is not None:
                k = str(it.event.kind)
                reflector_kinds[k] = reflector_kinds.get(k, 0) + 1
        batch_sizes.append(len(items))

    views_ms: list[float] = []
    chart_ms: list[float] = []

    def on_applied(_items: list) -> None:
        if phase["name"] == "measure":
            apply_ms.append(ws.bridge.last_apply * 1000)
            views = getattr(win, "views", None)
            if views is not None:
                views_ms.append(views.ingest_ms)

    def control() -> None:
        now = time.monotonic()
        if phase["name"] == "sync":
            synced = len(ws.tree) >= synth.n if synth else ws.all_synced()
            if synced and ws.bridge.pending() == 0:
                if synth:
                    gc.collect(1)  # no informers to wait for: freeze now, as the app
                    gc.freeze()  # does once every context synced
                    ws._frozen = True
                result["initial_sync_s"] = round(now - t_start, 2)
                result["objects_in_tree"] = len(ws.tree)
                result["rss_after_sync_mb"] = round(rss_mb(), 1)
                # expand one busy namespace's pods so visible rows repaint under churn
                ctx = ws.tree.context("kmon-demo")
                for ns in ctx.children:
                    if ns.child("pods") is not None:
                        win.tree.expand_node(ctx)
                        win.tree.expand_node(ns)
                        win.tree.expand_node(ns.child("pods"))
                        break
                print(f"synced {len(ws.tree):,} objects in {result['initial_sync_s']}s; churning", flush=True)
                if synth:
                    synth.start()
                else:
                    child.stdin.write("go\n")
                    child.stdin.flush()
                phase.update(name="warmup", t=now)
            elif now - t_start > 600:
                print("initial sync did not finish in 10 minutes", flush=True)
                app.exit(1)
        elif phase["name"] == "warmup" and now - phase["t"] >= args.warmup:
            views = getattr(win, "views", None)
            if views is not None and len(views.journal) < views.journal.capacity and now - phase["t"] < 300:
                return  # the log's ring still filling: not the steady state yet
            if views is not None:
                result["views_warmup_s"] = round(now - phase["t"], 1)
            phase.update(name="measure", t=now)
        elif phase["name"] == "measure":
            rss.append((now - phase["t"], rss_mb()))
            if now - phase["t"] >= args.seconds:
                phase.update(name="done", t=now)
                app.exit(0)

    if args.views:  # the charts' own repaint cost, per refresh
        win.views.charts.timer.timeout.connect(
            lambda: chart_ms.append(win.views.charts.last_update_ms) if phase["name"] == "measure" else None)

    ten = QTimer()
    ten.setInterval(10)
    ten.timeout.connect(on_tick)
    ten.start()
    ws.bridge.sigBatch.connect(on_batch)  # connected after the workspace: runs after the tree applied
    ws.sigApplied.connect(on_applied)
    ctl = QTimer()
    ctl.setInterval(250)
    ctl.timeout.connect(control)
    ctl.start()
    for c in ("kmon-demo",):
        ws.open_context(c)
    ws.bridge.start()
    prof = None
    if os.environ.get("KMON_BENCH_PROFILE"):  # profile the GUI thread (for development)
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    with loop:
        rc = app.exec()
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    delivered = len(lags)
    if synth:
        achieved = synth.stop()
    else:
        child.stdin.write("stop\n")
        child.stdin.flush()
        achieved = float(child.stdout.readline() or 0)
    ws.close_all(timeout=3.0)
    ws.runner.shutdown(wait=False)
    if child is not None:
        child.wait(30)
    if rc != 0:
        return rc

    half = [m for t, m in rss if t >= args.seconds / 2]
    first = [m for t, m in rss if t < args.seconds / 2]
    result.update(
        mode="synthetic feed" if synth else "demo cluster in a child process",
        seconds=args.seconds,
        churn_requested=args.rate,
        churn_achieved_writes_per_s=achieved,
        deltas_per_s_in_tree=round(delivered / args.seconds, 1),
        stall_ms={"p50": round(pct(drift, 50), 2), "p99": round(pct(drift, 99), 2), "max": round(max(drift or [0]), 2)},
        lag_ms={"p50": round(pct(lags, 50) * 1000, 1), "p99": round(pct(lags, 99) * 1000, 1), "max": round(max(lags or [0]) * 1000, 1)},
        batch_items={"p50": pct(batch_sizes, 50), "max": max(batch_sizes or [0])},
        batch_apply_ms={"p50": round(pct(apply_ms, 50), 2), "p99": round(pct(apply_ms, 99), 2), "max": round(max(apply_ms or [0]), 2)},
        rss_mb={"first_half_mean": round(sum(first) / max(1, len(first)), 1),
                "second_half_mean": round(sum(half) / max(1, len(half)), 1),
                "end": round(rss[-1][1], 1) if rss else None},
        reflector_events_during_measurement=reflector_kinds,
        gc_pauses_ms={
            f"gen{g}": {"n": sum(1 for x, _ in gc_pauses if x == g),
                        "max": round(max((d for x, d in gc_pauses if x == g), default=0) * 1000, 1)}
            for g in (0, 1, 2)
        },
        stalls_over_50ms=sum(1 for d in drift if d > 50),
    )
    if args.views:
        v = win.views
        result.update(
            views_ingest_ms={"p50": round(pct(views_ms, 50), 2), "p99": round(pct(views_ms, 99), 2),
                             "max": round(max(views_ms or [0]), 2)},
            chart_refresh_ms={"p50": round(pct(chart_ms, 50), 2), "p99": round(pct(chart_ms, 99), 2),
                              "max": round(max(chart_ms or [0]), 2)},
            event_log={"rows": v.log.model.rowCount(), "capacity": v.journal.capacity, "recorded": v.journal.total},
            inspector_rows=v.inspector.model.rowCount(),
        )
    ok_stall = result["stall_ms"]["p99"] <= 50
    ok_lag = result["lag_ms"]["p99"] <= 250
    growth = result["rss_mb"]["second_half_mean"] - result["rss_mb"]["first_half_mean"]
    ok_mem = growth <= max(25.0, 0.05 * result["rss_mb"]["first_half_mean"])
    result["targets"] = {"p99_stall<=50ms": ok_stall, "p99_lag<=250ms": ok_lag, "rss_flat": ok_mem}
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
