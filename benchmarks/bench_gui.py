"""GUI responsiveness under load: the window on a demo cluster with many objects and heavy churn.

What it measures (defaults: 50,000 objects, 2,000 writes/s, 60 s):
- GUI thread stalls: the drift of a 10 ms QTimer (how late each tick fires), p50/p99/max;
- cache -> tree lag: for every watch delta, the time between the informer applying it to its
  indexer (``DeltaRecord.time``) and the tree model having applied it (end of the bridge's
  batch), p50/p99/max;
- memory: RSS sampled every second; after the warm-up it must stay flat;
- the initial sync (list of every object into the tree) and the bridge's batch sizes.

The cluster (``kmon.sim.demo.DemoCluster``, first context only) runs in a child process
— in real use the API server is elsewhere, and its Python threads must not share the GUI
process's GIL — with the process-wide GC policy (its store is frozen as it grows). The
report says how many writes/s the sim achieved and how much CPU it used (2,000/s of 50,000
objects: ~0.3 cores; it sustains ~8,000/s flat out, see ``bench_sim.py``), and the load
average (the machine is shared: a busy machine shows up as run-queue time in the stalls).
``--synthetic`` replaces cluster and informers by a thread putting pod deltas straight into
the feed at ``--rate``: the GUI's own capacity.
Targets: p99 stall <= 50 ms, p99 lag <= 250 ms, RSS flat after warm-up. The view shows the
window with one namespace's pods expanded (capped at 1,000 rows, see ``tree_model``).

Where stalls come from (``stalls_over_50ms_by_cause``): for every tick more than 50 ms
late, the GUI thread's CPU time and run-queue wait (``/proc/self/task/<tid>/schedstat``)
split it into bridge batch applies, GC passes, other GUI-thread work (Qt painting, layout,
timers), run-queue wait (other processes had the cores) and blocked time (the GIL held by
informer threads). ``--stall-stacks`` also samples the GUI thread's Python stack every 2 ms
and lists the functions seen inside stalls.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--seconds 60]
        [--objects 50000] [--rate 2000] [--warmup 5] [--quick] [--synthetic] [--views]
        [--stall-stacks] [--json FILE]

It runs as the app does: first started again with huge pages where that helps
(``kmon.huge_pages``); ``GLIBC_TUNABLES=glibc.malloc.hugetlb=0`` measures without. The
report's ``glibc_tunables`` says which.

``--views`` docks the event log, charts and cache inspector (as the app does) and shows
them all; the warm-up then also lasts until the event log's ring is full, so "RSS flat"
measures the steady state of a bounded log, not its filling.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from kmon.cache import gcguard
    from kmon.sim.demo import SPECS, DemoCluster
    gcguard.install_policy()  # this process is the API server: its store is frozen as it grows
    pods, rate = int(sys.argv[1]), float(sys.argv[2])
    t0 = time.monotonic()
    d = DemoCluster(churn=0, pods=pods, specs=SPECS[:1], bookmark_interval=15.0)
    st = next(iter(d.servers.values())).store
    n = sum(st.count(r) for r in ("namespaces", "nodes", "pods", "services", "configmaps", "secrets", "events",
                                  "deployments.apps", "replicasets.apps", "widgets.demo.kmon.io"))
    print(d.kubeconfig_path, round(time.monotonic() - t0, 1), n, flush=True)
    sys.stdin.readline()  # "go": start churning
    d.set_churn(rate)
    t1, c1 = time.monotonic(), time.process_time()
    w0 = sum(w.writes for w in d.workloads.values())
    sys.stdin.readline()  # "stop"
    w1 = sum(w.writes for w in d.workloads.values())
    t2, c2 = time.monotonic(), time.process_time()
    print(round((w1 - w0) / max(1e-9, t2 - t1), 1), round((c2 - c1) / max(1e-9, t2 - t1), 2), flush=True)
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


def cached_objects(ws) -> int:
    """How many objects the informers of every open context hold."""
    return sum(len(h.informer.indexer) for s in ws.sessions.values() if s is not None
               for h in s.resources.values() if h.informer is not None)


def write_json(result: dict, path: str | None) -> None:
    """The report as JSON into ``path`` (``--json``; nothing when None)."""
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=2)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def attribute_stalls(stalls, applies, gcs) -> dict:
    """Where the time of the stalled ticks (> 50 ms late; the interval between two ticks of
    the 10 ms timer) went, from the GUI thread's schedstat and the bench's own timings:
    ``batch_apply`` (``Workspace.apply_batch``: tree, history, views), ``gc`` (collector
    passes), ``other_cpu`` (the GUI thread running anything else: Qt painting and layout,
    timers, views' own refreshes), ``runqueue`` (runnable but not scheduled: the machine's
    other processes) and ``blocked`` (neither running nor runnable: waiting for the GIL held
    by informer threads). Each stall also counts once for its largest part."""
    parts = ("batch_apply", "gc", "other_cpu", "runqueue", "blocked")
    total = dict.fromkeys(parts, 0.0)
    count = dict.fromkeys(parts, 0)

    def overlap(events, lo, hi):
        tot = 0.0
        for end, dur in events:
            if end < lo or end - dur > hi:
                continue
            tot += min(end, hi) - max(end - dur, lo)
        return tot

    for end, el, cpu, runq in stalls:
        lo = end - el
        a, g = overlap(applies, lo, end), overlap(gcs, lo, end)
        a, g = min(a, cpu), min(g, max(0.0, cpu - a))  # applies and GC passes run on the GUI thread
        part = {"batch_apply": a, "gc": g, "other_cpu": max(0.0, cpu - a - g), "runqueue": runq,
                "blocked": max(0.0, el - cpu - runq)}
        for k, v in part.items():
            total[k] += v
        count[max(part, key=part.get)] += 1
    return {"stalls": len(stalls), "total_ms": round(sum(el for _, el, _, _ in stalls) * 1000),
            **{k: {"ms": round(total[k] * 1000), "largest_in": count[k]} for k in parts}}


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the repository


def stall_stacks(stalls, samples) -> dict:
    """GUI-thread stack samples taken inside stalled ticks: how often each function was on
    the stack (inclusive) and innermost (self), top 15 of each."""
    import bisect
    from collections import Counter

    times = [t for t, _ in samples]
    incl, leaf, n = Counter(), Counter(), 0
    for end, el, _, _ in stalls:
        for i in range(bisect.bisect_left(times, end - el), bisect.bisect_right(times, end)):
            st = samples[i][1]
            n += 1
            if st:
                leaf[st[0]] += 1
            for fn in set(st):
                incl[fn] += 1
    return {"samples_in_stalls": n, "inclusive": dict(incl.most_common(25)), "innermost": dict(leaf.most_common(15))}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, help="measured time after warm-up (60; --quick: 8)")
    ap.add_argument("--objects", type=int, help="about how many objects the cluster holds (50,000; --quick: 5,000)")
    ap.add_argument("--rate", type=float, help="churn writes per second (2,000; --quick: 500)")
    ap.add_argument("--warmup", type=float, help="seconds after the initial sync before measuring (5; --quick: 2)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 5,000 objects, 500 writes/s, 8 s "
                    "(options given explicitly win)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--stall-stacks", action="store_true",
                    help="sample the GUI thread's Python stack every 2 ms (a thread: costs some GIL) and "
                         "report the functions seen during stalls")
    ap.add_argument("--synthetic", action="store_true",
                    help="no API server: a thread feeds deltas straight into the bridge at --rate "
                         "(the GUI's own capacity, when the machine cannot run a sim that fast)")
    ap.add_argument("--views", action="store_true",
                    help="with the event log, charts and cache inspector docked and visible (kmon.ui.views)")
    ap.add_argument("--client-go", metavar="VERSION",
                    help="the informer path to run, as the app's --client-go (default: the app's, client-go 1.36)")
    ap.add_argument("--sync-only", action="store_true",
                    help="stop once the initial sync is done: report it alone (bench_sync.py repeats it)")
    args = ap.parse_args(argv)
    for name, full, quick in (("seconds", 60.0, 8.0), ("objects", 50_000, 5_000), ("rate", 2000.0, 500.0),
                              ("warmup", 5.0, 2.0)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)

    if args.synthetic:
        child = None
        kubeconfig = None
        synth = Synthetic(args.objects, args.rate)
        n_objects = args.objects
    else:
        synth = None
        pods = max(10, int(args.objects / 1.5))  # + a deployment, replicaset and service per 6 pods
        print(f"starting demo cluster: ~{args.objects:,} objects ({pods:,} pods), churn {args.rate:,.0f} writes/s", flush=True)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(pods), str(args.rate)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        kubeconfig, populate_s, n_objects = child.stdout.readline().split()
        print(f"cluster populated in {populate_s}s: {int(n_objects):,} objects", flush=True)

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
    app_args = ["--context", "kmon-demo"] + (["--client-go", args.client_go] if args.client_go else [])
    ws, win, _ = build(parser().parse_args(app_args), settings=settings, kubeconfig=kubeconfig,
                       session_factory=synth.session if synth else None, views=args.views)
    win.resize(1600, 900)
    win.show()
    start_gc_policy(ws, win)  # as the app does

    phase = {"name": "sync", "t": time.monotonic()}
    t_start = time.monotonic()
    usage_at_start = resource.getrusage(resource.RUSAGE_SELF)
    drift: list[float] = []
    lags: list[float] = []
    batch_sizes: list[int] = []
    apply_ms: list[float] = []
    rss: list[tuple[float, float]] = []
    result: dict = {"glibc_tunables": os.environ.get("GLIBC_TUNABLES", "")}

    tick = QElapsedTimer()
    tick.start()

    sched_path = f"/proc/self/task/{threading.get_native_id()}/schedstat"
    last_sched = [0, 0]

    def on_tick() -> None:
        el = tick.nsecsElapsed() / 1e6
        tick.restart()
        try:  # the GUI thread's CPU time and run-queue wait (ns) since the last tick
            with open(sched_path) as f:
                cpu_ns, runq_ns = (int(x) for x in f.read().split()[:2])
        except OSError:
            cpu_ns = runq_ns = 0
        d_cpu, d_runq = (cpu_ns - last_sched[0]) / 1e9, (runq_ns - last_sched[1]) / 1e9
        last_sched[:] = cpu_ns, runq_ns
        if phase["name"] == "measure":
            drift.append(max(0.0, el - 10.0))
            drift_own.append(max(0.0, el - 10.0 - d_runq * 1000))
            if el - 10.0 > 50.0:
                stall_at.append((time.perf_counter(), el / 1000, d_cpu, d_runq))

    reflector_kinds: dict[str, int] = {}
    drift_own: list[float] = []  # drift minus the GUI thread's run-queue wait in that tick
    # stall attribution: (perf_counter at the end, seconds) of stalled ticks, batch applies, GC passes
    stall_at: list[tuple[float, float]] = []
    apply_at: list[tuple[float, float]] = []
    gc_at: list[tuple[float, float]] = []
    cpu_at_start: list[float] = []
    gc_pauses: list[tuple[int, float]] = []  # (generation, seconds) during the measurement
    gc_start = [0.0]

    def on_gc(ev: str, info: dict) -> None:
        if ev == "start":
            gc_start[0] = time.perf_counter()
        elif phase["name"] == "measure":
            gc_pauses.append((info["generation"], time.perf_counter() - gc_start[0]))
            gc_at.append((time.perf_counter(), gc_pauses[-1][1]))

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
    pass_ms: list[float] = []  # the bridge's passes (chunks emitted in one event-loop pass), seconds

    def on_applied(_items: list) -> None:
        if phase["name"] == "measure":
            apply_ms.append(ws.bridge.last_apply * 1000)
            apply_at.append((time.perf_counter(), ws.bridge.last_apply))
            views = getattr(win, "views", None)
            if views is not None:
                views_ms.append(views.ingest_ms)

    def control() -> None:
        now = time.monotonic()
        if phase["name"] == "sync":
            # synced: every informer synced *and* the tree holds what their caches hold (an
            # informer counts as synced once its queue handed the initial items over, which
            # can be a moment before its handlers, and so the tree, have them all)
            synced = len(ws.tree) >= synth.n if synth else ws.all_synced() and len(ws.tree) >= cached_objects(ws)
            if synced and ws.bridge.pending() == 0:
                if synth:
                    gc.collect(1)  # no informers to wait for: freeze now, as the app
                    gc.freeze()  # does once every context synced
                    ws._frozen = True
                result["initial_sync_s"] = round(now - t_start, 2)
                result["objects_in_tree"] = len(ws.tree)
                result["rss_after_sync_mb"] = round(rss_mb(), 1)
                # where the sync's time went: this process's CPU (user, kernel) and the fresh
                # pages it touched (each a page fault the kernel zeroes: on a VM not cheap)
                u = resource.getrusage(resource.RUSAGE_SELF)
                result["sync_cpu_s"] = {"user": round(u.ru_utime - usage_at_start.ru_utime, 2),
                                        "system": round(u.ru_stime - usage_at_start.ru_stime, 2),
                                        "minor_faults": u.ru_minflt - usage_at_start.ru_minflt}
                # expand one busy namespace's pods so visible rows repaint under churn
                ctx = ws.tree.context("kmon-demo")
                for ns in ctx.children:
                    if ns.child("pods") is not None:
                        win.tree.expand_node(ctx)
                        win.tree.expand_node(ns)
                        win.tree.expand_node(ns.child("pods"))
                        break
                if args.sync_only:
                    print(f"synced {len(ws.tree):,} objects in {result['initial_sync_s']}s", flush=True)
                    phase.update(name="done", t=now)
                    app.exit(0)
                    return
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
            cpu_at_start.extend((time.thread_time(), time.process_time(), time.perf_counter()))
            ws.bridge.pass_log = pass_ms
            if prof is not None:
                prof.enable()
        elif phase["name"] == "measure":
            rss.append((now - phase["t"], rss_mb()))
            if now - phase["t"] >= args.seconds:
                t0_, p0_, w0_ = cpu_at_start
                dt_ = time.perf_counter() - w0_
                result["gui_thread_cpu_cores"] = round((time.thread_time() - t0_) / dt_, 2)
                result["gui_process_cpu_cores"] = round((time.process_time() - p0_) / dt_, 2)
                phase.update(name="done", t=now)
                if prof is not None:
                    prof.disable()
                app.exit(0)

    prof = None
    if os.environ.get("KMON_BENCH_PROFILE"):  # profile the GUI thread while measuring (development)
        import cProfile

        prof = cProfile.Profile()
    samples: list[tuple[float, tuple[str, ...]]] = []
    if args.stall_stacks:
        main_ident = threading.main_thread().ident

        def sampler() -> None:
            while phase["name"] != "done":
                time.sleep(0.002)
                if phase["name"] != "measure":
                    continue
                f = sys._current_frames().get(main_ident)
                stack = []
                while f is not None and len(stack) < 40:
                    co = f.f_code
                    stack.append(f"{os.path.relpath(co.co_filename, ROOT) if co.co_filename.startswith(ROOT) else os.path.basename(co.co_filename)}:{co.co_name}")
                    f = f.f_back
                samples.append((time.perf_counter(), tuple(stack)))

        threading.Thread(target=sampler, name="bench-stall-sampler", daemon=True).start()
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
    with loop:
        rc = app.exec()
    if prof is not None:
        import pstats

        pstats.Stats(prof).sort_stats(os.environ.get("KMON_BENCH_PROFILE_SORT", "cumulative")).print_stats(45)
    delivered = len(lags)
    if synth:
        achieved, child_cpu = synth.stop(), None
    else:
        child.stdin.write(("go\n" if phase["name"] == "sync" or args.sync_only else "") + "stop\n")
        child.stdin.flush()
        achieved, child_cpu = (float(x) for x in (child.stdout.readline().split() or (0, 0)))
    paths = sorted({f"{st.queue}, {st.initial_sync}" for s in ws.sessions.values() if s is not None
                    for st in s.stats().values()})  # what the informers ran, before they stop
    ws.close_all(timeout=3.0)
    ws.runner.shutdown(wait=False)
    if child is not None:
        child.wait(30)
    if rc != 0:
        return rc
    if args.sync_only:
        result.update(mode="demo cluster in a child process" if child is not None else "synthetic feed",
                      informer_path=paths, cluster_objects=int(n_objects) if child is not None else args.objects,
                      load_average_1_5_15=[round(x, 2) for x in os.getloadavg()])
        print(json.dumps(result, indent=2), flush=True)
        write_json(result, args.json)
        return 0

    half = [m for t, m in rss if t >= args.seconds / 2]
    first = [m for t, m in rss if t < args.seconds / 2]
    result.update(
        mode="synthetic feed" if synth else "demo cluster in a child process",
        informer_path=paths,
        seconds=args.seconds,
        churn_requested=args.rate,
        churn_achieved_writes_per_s=achieved,
        cluster_objects=int(n_objects) if child is not None else args.objects,
        sim_process_cpu_cores=child_cpu,
        load_average_1_5_15=[round(x, 2) for x in os.getloadavg()],
        deltas_per_s_in_tree=round(delivered / args.seconds, 1),
        stall_ms={"p50": round(pct(drift, 50), 2), "p99": round(pct(drift, 99), 2), "max": round(max(drift or [0]), 2)},
        # an estimate of the stalls on an idle machine: each tick's drift minus the time the GUI
        # thread sat runnable in the run queue (other processes had both cores)
        stall_ms_without_runqueue={"p50": round(pct(drift_own, 50), 2), "p99": round(pct(drift_own, 99), 2),
                                   "max": round(max(drift_own or [0]), 2),
                                   "over_50ms": sum(1 for d in drift_own if d > 50)},
        lag_ms={"p50": round(pct(lags, 50) * 1000, 1), "p99": round(pct(lags, 99) * 1000, 1), "max": round(max(lags or [0]) * 1000, 1)},
        batch_items={"p50": pct(batch_sizes, 50), "max": max(batch_sizes or [0])},
        # one event-loop pass of the bridge: a tick's items, or the slice of them that fit its budget
        bridge_pass_ms={"p50": round(pct(pass_ms, 50) * 1000, 2), "p99": round(pct(pass_ms, 99) * 1000, 2),
                        "max": round(max(pass_ms or [0]) * 1000, 2), "n": len(pass_ms)},
        batch_apply_ms={"p50": round(pct(apply_ms, 50), 2), "p99": round(pct(apply_ms, 99), 2), "max": round(max(apply_ms or [0]), 2)},
        rss_mb={"after_warmup": round(rss[0][1], 1) if rss else None, "first_half_mean": round(sum(first) / max(1, len(first)), 1),
                "second_half_mean": round(sum(half) / max(1, len(half)), 1),
                "end": round(rss[-1][1], 1) if rss else None},
        reflector_events_during_measurement=reflector_kinds,
        gc_pauses_ms={
            f"gen{g}": {"n": sum(1 for x, _ in gc_pauses if x == g),
                        "max": round(max((d for x, d in gc_pauses if x == g), default=0) * 1000, 1)}
            for g in (0, 1, 2)
        },
        # the bridge emits a tick's items in slices of ~10 ms (batch_apply_ms is per slice):
        # ticks whose backlog needed more than one slice
        bridge_slices_continued=ws.bridge.slices,
        gc_frozen_objects=gc.get_freeze_count(),
        stalls_over_50ms=sum(1 for d in drift if d > 50),
        stalls_over_50ms_by_cause=attribute_stalls(stall_at, apply_at, gc_at),
    )
    if args.stall_stacks:
        result["stall_stacks"] = stall_stacks(stall_at, samples)
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
    if child is not None:  # the sim keeps the churn asked of it (a slow sim would flatter every figure)
        result["targets"]["churn_0.8-1.1x_asked"] = 0.8 <= achieved / args.rate <= 1.1
    print(json.dumps(result, indent=2))
    print(f"summary: {result['deltas_per_s_in_tree']:,.0f} deltas/s into the tree (churn {args.rate:,.0f}/s asked, "
          f"{result['churn_achieved_writes_per_s']:,.0f}/s achieved); stall p50/p99/max "
          f"{result['stall_ms']['p50']}/{result['stall_ms']['p99']}/{result['stall_ms']['max']} ms "
          f"({result['stalls_over_50ms']} ticks > 50 ms late; without run-queue wait p99 "
          f"{result['stall_ms_without_runqueue']['p99']} ms) "
          f"(p99 <= 50: {'met' if ok_stall else 'MISSED'}); lag p50/p99/max "
          f"{result['lag_ms']['p50']}/{result['lag_ms']['p99']}/{result['lag_ms']['max']} ms "
          f"(p99 <= 250: {'met' if ok_lag else 'MISSED'}); RSS after warm-up {result['rss_mb']['after_warmup']} MB, "
          f"halves {result['rss_mb']['first_half_mean']} -> {result['rss_mb']['second_half_mean']} MB, end "
          f"{result['rss_mb']['end']} MB (flat: {'met' if ok_mem else 'MISSED'}); "
          f"load average {result['load_average_1_5_15'][0]}", flush=True)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    from kmon import huge_pages

    huge_pages.restart_with_huge_pages()  # as kmon's entry point does
    sys.exit(main())
