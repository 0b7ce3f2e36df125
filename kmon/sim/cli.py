"""``kmon sim``: run two demo clusters and write a kubeconfig pointing at them.

Its ``--help`` lists the faults each server accepts over HTTP, generated from the public,
documented methods of ``kmon.sim.faults.Faults`` so that it cannot fall behind them.
"""

from __future__ import annotations

import argparse
import inspect
import re
import signal
import sys
import textwrap
import threading

from kmon.sim.kubeconfig import write_kubeconfig
from kmon.sim.server import SimServer
from kmon.sim.workload import NAMESPACE_POOL, Workload

DEFAULT_PREFIX = "kmon-demo"
# HTTP spellings of method parameters that differ from the Python names
_HTTP_PARAM = {"resource_plural": "resource"}


def cluster_names(prefix: str = DEFAULT_PREFIX) -> tuple[str, str]:
    """The context (and cluster; the user adds ``-user``) names of the two servers."""
    return prefix, prefix + "-2"


def fault_catalog() -> list[tuple[str, str, str]]:
    """``(name, parameters, summary)`` of every fault: the public, documented methods of
    ``Faults`` (undocumented ones are the server's hooks), as ``POST /_kmon/faults/<name>``
    takes them."""
    from kmon.sim.faults import Faults

    out = []
    for name, fn in inspect.getmembers(Faults, inspect.isfunction):
        doc = inspect.getdoc(fn)
        if name.startswith("_") or not doc:
            continue
        params = []
        for prm in list(inspect.signature(fn).parameters.values())[1:]:
            if "bytes" in str(prm.annotation):
                params.append("<request body: the bytes>")
                continue
            key = _HTTP_PARAM.get(prm.name, prm.name)
            if prm.default is inspect.Parameter.empty:
                params.append(f"{key}={key.upper()}")
            elif prm.default in (None, "", False):
                params.append(f"[{key}={'true' if prm.default is False else key.upper()}]")
            else:
                params.append(f"[{key}={prm.default}]")
        summary = re.split(r"(?<=\.)\s", " ".join(doc.split()), maxsplit=1)[0].replace("``", "")
        out.append((name, " ".join(params), summary))
    return out


def _fault_help() -> str:
    lines = [
        "faults: each server injects one on POST /_kmon/faults/NAME?PARAM=VALUE&... (bearer token: --token), e.g.",
        '  curl -k -X POST -H "Authorization: Bearer t0ken" "https://127.0.0.1:PORT/_kmon/faults/fail_next?n=3&code=429"',
    ]
    for name, params, summary in fault_catalog():
        lines.append(f"  {name} {params}".rstrip())
        lines.append(textwrap.fill(summary, 100, initial_indent=" " * 6, subsequent_indent=" " * 6))
    return "\n".join(lines)


def _name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a usable context name (letters, digits, '.', '_', '-')")
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon sim", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_fault_help(),
        description="Run two simulated Kubernetes API servers (contexts kmon-demo and kmon-demo-2, "
                    "or PREFIX and PREFIX-2) with churning demo workloads.")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig file to write (two contexts; current: the first)")
    p.add_argument("--context-prefix", metavar="PREFIX", type=_name, default=DEFAULT_PREFIX,
                   help="name the contexts, clusters and users PREFIX and PREFIX-2 (users: ...-user), so that "
                   "kubeconfigs of several sims merge with KUBECONFIG=a:b (default: kmon-demo)")
    p.add_argument("--port", type=int, default=0, help="port of the first server (the second uses PORT+1); 0 = ephemeral")
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
    for i, name in enumerate(cluster_names(getattr(args, "context_prefix", DEFAULT_PREFIX))):
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
        current = clusters[0][0]
        write_kubeconfig(args.kubeconfig, [(n, s) for n, s, _ in clusters], current=current)
        for n, s, w in clusters:
            print(f"{n}: {s.url} (namespaces: {', '.join(w.namespaces)}; {s.store.count('pods')} pods; "
                  f"churn {w.rate:g} writes/s)", flush=True)
        if not args.tls:
            print("note: kubectl sends bearer tokens only over HTTPS; without --tls only the Python client works",
                  flush=True)
        print(f"kubeconfig: {args.kubeconfig} (current context {current}); Ctrl+C to stop", flush=True)
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
