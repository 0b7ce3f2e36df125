"""``kmon sim``: run two demo clusters and write a kubeconfig pointing at them."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from kmon.sim.kubeconfig import write_kubeconfig
from kmon.sim.server import SimServer
from kmon.sim.workload import NAMESPACE_POOL, Workload

CLUSTERS = ("kmon-demo", "kmon-demo-2")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kmon sim", description="Run two simulated Kubernetes API servers "
                                "(contexts kmon-demo and kmon-demo-2) with churning demo workloads.")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig file to write (two contexts; current: kmon-demo)")
    p.add_argument("--port", type=int, default=0, help="port of kmon-demo (kmon-demo-2 uses PORT+1); 0 = ephemeral")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--token", default="t0ken", help="bearer token both servers require")
    p.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True,
                   help="serve HTTPS with a self-signed CA whose data goes into the kubeconfig (default); "
                   "kubectl sends bearer tokens only over TLS, so --no-tls serves the Python client only")
    p.add_argument("--churn", type=float, default=20.0, help="writes per second per cluster (0 = static)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pods", type=int, default=300, help="pods per cluster (about)")
    p.add_argument("--namespaces", type=int, default=4, help="application namespaces per cluster")
    p.add_argument("--bookmark-interval", type=float, default=60.0,
                   help="seconds from a watch's start to its first bookmark and between bookmarks, as "
                   "kube-apiserver (60); a quiet resource's watch gets none")
    return p


def start_clusters(args: argparse.Namespace) -> list[tuple[str, SimServer, Workload]]:
    half = len(NAMESPACE_POOL) // 2
    pools = (NAMESPACE_POOL[:half], NAMESPACE_POOL[half:])
    out = []
    for i, name in enumerate(CLUSTERS):
        port = args.port + i if args.port else 0
        srv = SimServer(token=args.token, tls=args.tls, bookmark_interval=args.bookmark_interval,
                        seed=args.seed + i, host=args.host, port=port)
        n = max(0, min(args.namespaces, len(pools[i])))
        wl = Workload(srv.store, seed=args.seed + i, rate=args.churn, namespaces=pools[i][:n],
                      pods=args.pods, node_prefix="node" if i == 0 else "worker")
        wl.populate()
        srv.start()
        wl.start()
        out.append((name, srv, wl))
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()

    def on_signal(signum, frame):  # noqa: ARG001
        stop.set()

    prev = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    clusters = []
    from kmon.cache import gcguard

    gcguard.install_policy()  # this process is the sim: its store is frozen as it grows (see Workload)
    try:
        clusters = start_clusters(args)
        write_kubeconfig(args.kubeconfig, [(n, s) for n, s, _ in clusters], current=CLUSTERS[0])
        for n, s, w in clusters:
            print(f"{n}: {s.url} (namespaces: {', '.join(w.namespaces)}; {s.store.count('pods')} pods; "
                  f"churn {w.rate:g} writes/s)", flush=True)
        if not args.tls:
            print("note: kubectl sends bearer tokens only over HTTPS; without --tls only the Python client works",
                  flush=True)
        print(f"kubeconfig: {args.kubeconfig} (current context {CLUSTERS[0]}); Ctrl+C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for _, s, w in clusters:
            w.stop()
            s.stop()
        for s, h in prev.items():
            signal.signal(s, h)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
