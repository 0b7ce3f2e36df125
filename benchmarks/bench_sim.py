"""Benchmark of kmon.sim: big lists, watch streaming, and the workload's churn.

    .venv/bin/python benchmarks/bench_sim.py [--quick] [--pods N] [--strict]
        [--churn-seconds S] [--churn-rate R] [--watchers N]

Targets (2-core machine): a 50,000-pod list (unpaged, and paged by 500) in under 3 s
each; at least 20,000 watch events/s to one watcher; the workload generator (``Workload``
with 50,000 pods, its own process, watchers reading in another process) sustains at least
3,000 writes/s flat out, and its paced churn achieves the requested rate (2,000/s by
default) within 5 %. ``--quick`` uses 5,000 pods (smoke test); ``--strict`` exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmon.sim import SimServer  # noqa: E402
from kmon.sim import objects as O  # noqa: E402
from kmon.sim.workload import Workload  # noqa: E402

LIST_TARGET_S = 3.0
WATCH_TARGET_EPS = 20_000.0
CHURN_TARGET_WPS = 3_000.0
CHURN_ACCURACY = 0.05
WATCH_RESOURCES = ["pods", "events", "deployments.apps", "replicasets.apps", "services", "configmaps",
                   "nodes", "namespaces"]

# A watcher process: one watch per resource given, counts lines; prints the count per
# resource when stdin closes. Kept out of the sim's process so it does not take its GIL.
WATCHER = """
import http.client, sys, threading
host, port, token, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
paths = sys.argv[5:]
counts = [0] * len(paths)
def run(i, path):
    c = http.client.HTTPConnection(host, port, timeout=600)
    c.request("GET", path + "?watch=1&resourceVersion=" + rev, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    print("open", flush=True)
    try:
        while True:
            b = r.read1(1 << 20)
            if not b:
                break
            counts[i] += b.count(b"\\n")
    except Exception:
        pass
for i, p in enumerate(paths):
    threading.Thread(target=run, args=(i, p), daemon=True).start()
sys.stdin.read()
print(" ".join(map(str, counts)), flush=True)
"""
_CONT = re.compile(rb'"continue":"([^"]+)"')


def make_pods(n: int, namespaces: list[str], seed: int = 7):
    """Yield ``n`` realistic pods, fast: 64 generated templates cloned with new names."""
    rng = random.Random(seed)
    templates = []
    apps = list(O.APPS)
    for i in range(64):
        ns = namespaces[i % len(namespaces)]
        app = apps[i % len(apps)]
        tmpl = O.pod_template_spec(rng, app)
        dep = O.deployment(app, ns, rng, app, 3, tmpl)
        dep["metadata"]["uid"] = f"00000000-0000-4000-8000-{i:012d}"
        rs = O.replicaset(f"{app}-{O.rand_str(rng, 10)}", ns, dep, O.rand_str(rng, 10), 3)
        rs["metadata"]["uid"] = f"00000000-0000-4000-9000-{i:012d}"
        templates.append(orjson.dumps(O.pod(rng, rs, f"node-{i % 20}", f"10.0.0.{i % 250 + 2}")))
    for i in range(n):
        p = orjson.loads(templates[i % len(templates)])
        m = p["metadata"]
        m["name"] = f"{m['generateName']}{i:06d}"
        m["namespace"] = namespaces[i % len(namespaces)]
        yield p


def _conn(srv: SimServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(srv.host, srv.port, timeout=60)


def _get(conn: http.client.HTTPConnection, path: str, token: str) -> bytes:
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"GET {path}: {resp.status} {body[:300]!r}")
    return body


def bench_list(srv: SimServer, n: int) -> dict:
    conn = _conn(srv)
    t0 = time.perf_counter()
    body = _get(conn, "/api/v1/pods", srv.token)
    t_full = time.perf_counter() - t0
    items = body.count(b'"kind":"Pod"')
    assert items == n, (items, n)
    size = len(body)
    del body
    t0 = time.perf_counter()
    cont, pages, got, psize = "", 0, 0, 0
    while True:
        body = _get(conn, "/api/v1/pods?limit=500" + (f"&continue={cont}" if cont else ""), srv.token)
        pages += 1
        psize += len(body)
        got += body.count(b'"kind":"Pod"')
        m = _CONT.search(body, 0, 400)
        if not m:
            break
        cont = m.group(1).decode()
    t_paged = time.perf_counter() - t0
    assert got == n, (got, n)
    conn.close()
    return {"items": n, "bytes": size, "full_s": t_full, "paged_s": t_paged, "pages": pages, "paged_bytes": psize}


def bench_watch_replay(srv: SimServer, from_rv: int, expect: int) -> dict:
    """Watch from an old revision: the server streams ``expect`` events from history."""
    conn = _conn(srv)
    conn.request("GET", f"/api/v1/pods?watch=1&resourceVersion={from_rv}&timeoutSeconds=120",
                 headers={"Authorization": f"Bearer {srv.token}"})
    t0 = time.perf_counter()
    resp = conn.getresponse()
    assert resp.status == 200, resp.status
    lines, nbytes = 0, 0
    while lines < expect:
        chunk = resp.read1(1 << 20)
        if not chunk:
            break
        nbytes += len(chunk)
        lines += chunk.count(b"\n")
    dt = time.perf_counter() - t0
    conn.close()
    return {"events": lines, "seconds": dt, "eps": lines / dt, "mbps": nbytes / dt / 1e6}


def bench_watch_live(srv: SimServer, n_writes: int) -> dict:
    """One watcher while a thread writes as fast as the store allows."""
    st = srv.store
    names = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in st.list("pods")[:200]]
    conn = _conn(srv)
    rv0 = st.revision
    conn.request("GET", f"/api/v1/pods?watch=1&resourceVersion={rv0}&timeoutSeconds=120",
                 headers={"Authorization": f"Bearer {srv.token}"})
    resp = conn.getresponse()

    def writer():
        for i in range(n_writes):
            ns, name = names[i % len(names)]
            st.patch("pods", name, {"metadata": {"annotations": {"kmon.io/bench": str(i)}}}, ns)

    t0 = time.perf_counter()
    th = threading.Thread(target=writer)
    th.start()
    lines = 0
    while lines < n_writes:
        chunk = resp.read1(1 << 20)
        if not chunk:
            break
        lines += chunk.count(b"\n")
    dt = time.perf_counter() - t0
    th.join()
    conn.close()
    return {"events": lines, "seconds": dt, "eps": lines / dt}


def _start_watchers(srv: SimServer, n: int) -> subprocess.Popen:
    from kmon.sim import resources as R

    paths = []
    for name in WATCH_RESOURCES[:max(0, n)]:
        r = R.lookup(name)
        paths.append(f"/api/v1/{r.plural}" if not r.group else f"/apis/{r.group}/{r.version}/{r.plural}")
    proc = subprocess.Popen([sys.executable, "-c", WATCHER, srv.host, str(srv.port), srv.token,
                             str(srv.store.revision), *paths], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for _ in paths:
        proc.stdout.readline()
    deadline = time.monotonic() + 10
    while len(srv.watches) < len(paths) and time.monotonic() < deadline:
        time.sleep(0.01)
    return proc


def _stop_watchers(proc: subprocess.Popen) -> list[int]:
    out, _ = proc.communicate("", timeout=30)
    return [int(x) for x in out.split()]


def bench_churn(pods: int, seconds: float, rate: float, watchers: int) -> dict:
    """``Workload`` with ``pods`` pods in this process, ``watchers`` watches (pods first)
    read by another process: writes/s flat out, then paced at ``rate``. The process-wide GC
    policy is installed, as in ``kmon sim`` and the demo."""
    from kmon.cache import gcguard

    gcguard.install_policy()
    with SimServer(token="bench") as srv:
        wl = Workload(srv.store, seed=1, rate=rate, pods=pods, namespaces=4)
        t0 = time.perf_counter()
        wl.populate()
        t_pop = time.perf_counter() - t0
        out = {"pods": srv.store.count("pods"), "populate_s": t_pop, "watchers": watchers}
        # flat out: the churn thread's batches back to back
        proc = _start_watchers(srv, watchers)
        rev0, w0, t0 = srv.store.revision, wl.writes, time.perf_counter()
        cpu0 = time.process_time()
        while time.perf_counter() - t0 < seconds:
            gcguard.policy.note_deltas(wl._churn(wl.MAX_BATCH))
            time.sleep(0)
        dt = time.perf_counter() - t0
        out["max_wps"] = (wl.writes - w0) / dt
        out["max_cpu"] = (time.process_time() - cpu0) / dt
        srv.store.wait_for_revision(srv.store.revision, 0)
        time.sleep(0.5)  # let the watchers drain
        counts = _stop_watchers(proc)
        out["max_events_watched"] = counts
        out["max_pod_writes"] = sum(1 for ev in srv.store.events_after(rev0)[0] if ev.rkey == "pods")
        # paced by the churn thread (token bucket)
        proc = _start_watchers(srv, watchers)
        rev0 = srv.store.revision
        samples = []
        wl.start()
        t0, w0, cpu0 = time.perf_counter(), wl.writes, time.process_time()
        while time.perf_counter() - t0 < seconds:
            time.sleep(1.0)
            samples.append(wl.achieved_rate)
        dt = time.perf_counter() - t0
        wl.stop()
        out["paced_wps"] = (wl.writes - w0) / dt
        out["paced_cpu"] = (time.process_time() - cpu0) / dt
        out["paced_per_s"] = [round(x) for x in samples[1:]]
        time.sleep(0.5)
        out["paced_events_watched"] = _stop_watchers(proc)
        out["paced_pod_writes"] = sum(1 for ev in srv.store.events_after(rev0)[0] if ev.rkey == "pods")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="5,000 pods (smoke test)")
    ap.add_argument("--pods", type=int, default=0)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--churn-seconds", type=float, default=0.0, help="seconds of each churn measurement "
                    "(default 10; 3 with --quick)")
    ap.add_argument("--churn-rate", type=float, default=2000.0, help="requested paced churn, writes/s")
    ap.add_argument("--watchers", type=int, default=1, help="watches during the churn figure (pods first)")
    args = ap.parse_args(argv)
    n = args.pods or (5_000 if args.quick else 50_000)
    namespaces = [f"bench-{i}" for i in range(10)]
    with SimServer(token="bench", history_limit=max(200_000, 3 * n)) as srv:
        for ns in namespaces:
            srv.store.create("namespaces", {"metadata": {"name": ns}})
        rv0 = srv.store.revision
        t0 = time.perf_counter()
        gc.disable()  # millions of short-lived dicts: generational GC would dominate set-up
        try:
            srv.store.bulk_load("pods", make_pods(n, namespaces))
        finally:
            gc.enable()
        t_load = time.perf_counter() - t0
        print(f"kmon.sim benchmark: {n} pods (generated and bulk-loaded in {t_load:.2f} s)")
        lst = bench_list(srv, n)
        mb = lst["bytes"] / 1e6
        print(f"  list unpaged : {lst['full_s']:.3f} s  {n / lst['full_s']:,.0f} items/s  "
              f"{mb / lst['full_s']:,.0f} MB/s  ({mb:.1f} MB)")
        print(f"  list paged   : {lst['paged_s']:.3f} s  {n / lst['paged_s']:,.0f} items/s  "
              f"{lst['paged_bytes'] / 1e6 / lst['paged_s']:,.0f} MB/s  ({lst['pages']} pages of 500)")
        rep = bench_watch_replay(srv, rv0, n)
        print(f"  watch replay : {rep['events']} events in {rep['seconds']:.3f} s  {rep['eps']:,.0f} events/s  "
              f"{rep['mbps']:,.0f} MB/s")
        live = bench_watch_live(srv, min(n, 20_000))
        print(f"  watch live   : {live['events']} events in {live['seconds']:.3f} s  {live['eps']:,.0f} events/s "
              f"(writer-bound: store.patch on another thread)")
    cs = args.churn_seconds or (3.0 if args.quick else 10.0)
    ch = bench_churn(n, cs, args.churn_rate, args.watchers)
    print(f"  churn        : Workload with {ch['pods']} pods (populated in {ch['populate_s']:.1f} s), "
          f"{ch['watchers']} watcher(s) in another process")
    print(f"    flat out   : {ch['max_wps']:,.0f} writes/s (sim process CPU {ch['max_cpu']:.2f} cores); "
          f"watched {ch['max_events_watched']} of {ch['max_pod_writes']} pod events")
    print(f"    paced      : requested {args.churn_rate:,.0f} writes/s, achieved {ch['paced_wps']:,.0f} writes/s "
          f"(CPU {ch['paced_cpu']:.2f} cores; per second {ch['paced_per_s']}); "
          f"watched {ch['paced_events_watched']} of {ch['paced_pod_writes']} pod events")
    scale = n / 50_000
    ok_churn = ch["max_wps"] >= CHURN_TARGET_WPS
    ok_paced = abs(ch["paced_wps"] - args.churn_rate) <= CHURN_ACCURACY * args.churn_rate
    ok_full = lst["full_s"] < LIST_TARGET_S * scale
    ok_paged = lst["paged_s"] < LIST_TARGET_S * scale
    ok_watch = rep["eps"] >= WATCH_TARGET_EPS
    label = "targets" if n == 50_000 else f"targets scaled to {n} pods"
    print(f"{label}: list unpaged < {LIST_TARGET_S * scale:.2f} s: {'met' if ok_full else 'NOT met'}; "
          f"list paged < {LIST_TARGET_S * scale:.2f} s: {'met' if ok_paged else 'NOT met'}; "
          f"watch >= {WATCH_TARGET_EPS:,.0f} events/s: {'met' if ok_watch else 'NOT met'}; "
          f"churn >= {CHURN_TARGET_WPS:,.0f} writes/s: {'met' if ok_churn else 'NOT met'}; "
          f"paced churn within {CHURN_ACCURACY:.0%} of {args.churn_rate:,.0f}/s: {'met' if ok_paced else 'NOT met'}")
    if args.strict and not (ok_full and ok_paged and ok_watch and ok_churn and ok_paced):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
