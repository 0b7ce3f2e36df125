"""``kmon compare RESOURCE --client-go A --client-go B``: what a controller's handlers hear
under two client-go versions, side by side on the same cluster, and where it differs.

Why this module exists: upgrading client-go changes the informer path under a controller
(DeltaFIFO to the in-order RealFIFO, LIST to WatchList, per-object relists to one atomic
``ReplacedAll``); this command runs both paths on one resource over the same stretch of time
and prints the handler notifications each delivered, the differences a controller author
cares about, and whether both caches ended equal to the server. ``--demo`` runs it on the
embedded cluster, provoking a relist partway (``--relist-after``) so the paths' differences
show. The work is ``kmon.monitor.compare_run``; the words ``kmon.monitor.compare_text``.

``KUBE_FEATURE_*`` variables apply to both sides by default, each read as that client-go
version reads them (a gate the version does not have is not read; a locked one is ignored),
as both controllers would run in this environment; ``--feature-env a|b|none`` applies them to
one side only or to neither (the versions' own defaults).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any, Sequence

from kmon.headless.common import EXIT_ERROR, EXIT_OK, HeadlessError, run_main, signals_stop, write_stdout
from kmon.monitor.session_args import add_session_arguments, client_go_version

__all__ = ["main", "parser"]

SYNC_TIMEOUT = 60.0
DEFAULT_SECONDS = 30.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon compare", conflict_handler="resolve",
        description=(
            "Run one resource under two client-go versions side by side (two informers on the same "
            "cluster, started and stopped together) and print the handler notifications each delivered "
            "(on_add, on_update, on_delete), where they differ and why, and whether both caches ended "
            "equal to the server. Ctrl+C ends the stretch early and prints the comparison."
        ),
        epilog=(
            "Example: kmon compare pods --client-go 1.32 --client-go 1.36 --demo. Differences: resync "
            "deliveries, relists' resync-like updates of unchanged objects, versions skipped by a relist, "
            "deletes heard as DeletedFinalStateUnknown, recreated objects, deletes of uncached objects "
            "(RealFIFO), objects only one side heard of, and notifications in another order across objects "
            "(DeltaFIFO pops per object, RealFIFO in arrival order, a 1.36 relist deletions first). "
            "Calls are aligned per object by resourceVersion, not by wall time; the run ends with a cut "
            "where both sides agree, and the caches are checked against the server at that version. "
            "KUBE_FEATURE_<Gate> variables apply to both sides unless --feature-env says otherwise. "
            "Exit status: 0 compared and the caches agree, 1 could not compare or a cache disagrees, 2 usage."
        ),
    )
    add_session_arguments(p, gui=False)
    p.add_argument("--client-go", metavar="VERSION", action="append", type=client_go_version, default=[],
                   help="a client-go minor to run (1.28 and later); give exactly two: A, then B "
                        "(e.g. --client-go 1.32 --client-go 1.36)")
    p.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, metavar="N",
                   help=f"how long to run both after they synced (default {DEFAULT_SECONDS:g})")
    p.add_argument("--resync", type=float, default=0.0, metavar="SECONDS",
                   help="each informer's resync period (default 0: none; client-go's minimum is 1 s)")
    p.add_argument("--relist-after", type=float, default=None, metavar="S",
                   help="--demo only: provoke a relist on both sides S seconds into the run (a 2 s gap "
                        "then 410 Expired; default: a third of --seconds; 0: none)")
    p.add_argument("--feature-env", choices=("both", "a", "b", "none"), default="both",
                   help="which side the KUBE_FEATURE_* variables apply to (default: both, as two controllers "
                        "in this environment would read them)")
    p.add_argument("--limit", type=int, default=40, metavar="N",
                   help="text: show at most N differing notifications (default 40; -o json has all)")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")
    return p


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if len(args.client_go) != 2:
        p.error(f"give exactly two --client-go versions (A and B), not {len(args.client_go)}: "
                "e.g. --client-go 1.32 --client-go 1.36")
    if len(args.resources) != 1:
        p.error(f"compare one resource at a time, not {len(args.resources)} ({', '.join(args.resources)})")
    if args.seconds <= 0:
        p.error("--seconds must be > 0")
    if args.resync < 0:
        p.error("--resync must be >= 0")
    if args.limit < 0:
        p.error("--limit must be >= 0")
    if args.relist_after is not None:
        if not args.demo:
            p.error("--relist-after needs --demo: kmon never writes to a cluster, and only the embedded one "
                    "can be made to relist")
        if args.relist_after < 0 or args.relist_after >= args.seconds:
            p.error("--relist-after must be between 0 and --seconds")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(list(argv) if argv is not None else None)
    _check(p, args)
    return run_main("compare", lambda: _compare(args))


def _open(args: argparse.Namespace, stop: threading.Event) -> tuple[Any, Any, Any, str]:
    """(demo cluster or None, API client, resource, context name); ``HeadlessError`` with the
    reason when the context or resource cannot be used."""
    from kmon.kube.api_client import api_client_for
    from kmon.kube.config import KubeconfigError, load_kubeconfig
    from kmon.kube.discovery import UnknownResourceError, discover, resolve
    from kmon.monitor.error_text import describe_error
    from kmon.monitor.preflight import preflight_problems

    problems = preflight_problems(args.selector, args.field_selector)
    if problems:
        raise HeadlessError("\n".join(problems))
    demo, kubeconfig, context = None, args.kubeconfig, args.context
    if args.demo:
        from kmon.sim.demo import DemoCluster

        demo = DemoCluster()
        kubeconfig, context = demo.kubeconfig_path, context or "kmon-demo"
    try:
        try:
            cfg = load_kubeconfig(kubeconfig)
            context = cfg.context(context).name
        except KubeconfigError as e:
            raise HeadlessError(f"kubeconfig: {e}") from None
        client = api_client_for(context, cfg)
        try:
            resource = resolve(discover(client), args.resources[0])
        except UnknownResourceError as e:
            raise HeadlessError(f"{e}" + (f" ({e.hint})" if e.hint else "")) from None
        except Exception as e:
            raise HeadlessError(f"context {context}: {describe_error(e)}") from None
        return demo, client, resource, context
    except BaseException:
        if demo is not None:
            demo.stop()
        raise


def _compare(args: argparse.Namespace) -> int:
    from kmon.kube.api_client import close_client
    from kmon.kube.informers import ListWatchOptions
    from kmon.monitor.compare_demo import relist_provoker
    from kmon.monitor.compare_run import CompareOptions, CompareRun, compare_gates

    gates, warnings = compare_gates(args.client_go, args.feature_env)
    for w in warnings:
        print(f"kmon compare: warning: {w}", file=sys.stderr)
    stop = threading.Event()
    with signals_stop(stop):
        demo, client, resource, context = _open(args, stop)
        run = None
        try:
            provoke = None
            relist_after = args.relist_after
            if demo is not None:
                relist_after = args.seconds / 3 if relist_after is None else relist_after
                provoke = relist_provoker(demo.servers[context], resource.full_name, stop=stop) if relist_after else None
            lw = ListWatchOptions(namespace=args.namespace if not args.all_namespaces else None,
                                  label_selector=args.selector, field_selector=args.field_selector,
                                  metadata_only=args.metadata_only)
            options = CompareOptions((gates[0], gates[1]), resync_period=args.resync, list_watch=lw)
            run = CompareRun(client, resource, options, provoke=provoke)
            _say(f"{resource.full_name} on {context}: starting {run.labels[0]} and {run.labels[1]}")
            run.start()
            if not run.wait_synced(SYNC_TIMEOUT, stop):
                failed = run.failures()
                if stop.is_set() and not failed:
                    return EXIT_OK
                raise HeadlessError("; ".join(failed) or f"the informers did not sync within {SYNC_TIMEOUT:g} s")
            begin = run.elapsed()
            _say(f"both synced; comparing for {args.seconds:g} s (Ctrl+C ends early)")
            if provoke is not None and not stop.wait(relist_after):
                _say("provoking a relist on both sides (watch cache expired, watches stalled then dropped)")
                run.provoke()
            stop.wait(max(0.0, begin + args.seconds - run.elapsed()))
            comparison = run.finish()
            extra = {"resource": resource.full_name, "context": context, "seconds": round(run.cut_at or 0.0, 3)}
            if args.output == "json":
                from kmon.monitor.recording_format import dumps_record
                from kmon.monitor.compare_text import record

                write_stdout(dumps_record(record(comparison, **extra)) + b"\n")
            else:
                from kmon.headless.compare_render import report

                write_stdout(("\n".join(report(comparison, limit=args.limit, **extra)) + "\n").encode())
            return EXIT_OK if comparison.caches.equal else EXIT_ERROR
        finally:
            if run is not None:
                run.stop()
            close_client(client)
            if demo is not None:
                demo.stop()


def _say(text: str) -> None:
    print(f"kmon compare: {text}", file=sys.stderr, flush=True)
