"""``kmon watch``: print every delta and reflector event as it happens.

Why this module exists: ``kubectl get -w`` shows what the server sent; an operator chasing a
stale cache wants what an *informer* did with it: the initial list, relists and why, 410s,
bookmarks, backoffs and every applied delta with the notification its handlers got (an atomic
relist: its line, then its objects). Output is a terminal table or JSON lines (the
recording's record schema, Secret values masked).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

from kmon.headless.common import (
    EXIT_OK,
    HeadlessError,
    Live,
    options_from_args,
    run_main,
    signals_stop,
    write_stdout,
)
from kmon.monitor.session_args import add_session_arguments

__all__ = ["main", "parser"]

DRAIN_INTERVAL = 0.1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon watch",
        description=(
            "Run informers and print every applied delta, reflector event (lists, relists, "
            "watch starts/ends, bookmarks, 410s, errors, backoffs) and session event. "
            "Ctrl+C stops (exit 0)."
        ),
        epilog=(
            "JSON keys (one object per line): kind (delta|reflector|session), time (epoch s), "
            "context, resource, type (delta type, reflector event or session state); deltas: "
            "namespace, name, key, resource_version, initial, final_state_unknown, notification "
            "(what the handlers received: on_add, on_update (resync), on_delete (tombstone)...), "
            "old_resource_version, group (an atomic relist's or resync's type, version and "
            "counts), object (Secret values masked); reflector: resource_version, detail; session: level, "
            "message, detail. See docs/recording-format.md. Exit status: 0 stopped (signal, "
            "--duration, or the reader closed the pipe), 1 error (also when every informer failed "
            "for good: the server rejected the request itself), 2 usage."
        ),
    )
    add_session_arguments(p, gui=False)
    p.add_argument("-o", "--output", choices=("table", "json"), default="table", help="output format (default: table)")
    p.add_argument("--no-headers", action="store_true", help="table: do not print the column titles")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(argv) if argv is not None else None)
    if args.duration is not None and args.duration <= 0:
        parser().error("--duration must be > 0")
    return run_main("watch", lambda: _watch(args))


def _watch(args: argparse.Namespace) -> int:
    live = Live(options_from_args(args, "kmon watch"), command="kmon watch")
    out = sys.stdout
    out.flush()
    if args.output == "json":
        from kmon.headless.render import json_line

        def emit(items: list) -> None:
            if items:
                write_stdout(b"".join(json_line(it) + b"\n" for it in items))
    else:
        from kmon.headless.render import EventTable, use_color

        table = EventTable(color=use_color(out))

        def emit(items: list) -> None:
            if items:
                write_stdout("".join(line + "\n" for line in table.lines(items)).encode())

    with signals_stop(live.stop) as stop:
        try:
            if not live.open():
                return EXIT_OK  # stopped while connecting
            if args.output == "table" and not args.no_headers:
                write_stdout((table.header() + "\n").encode())
            deadline = time.monotonic() + args.duration if args.duration else None
            failed = None
            while not stop.wait(DRAIN_INTERVAL):
                emit(live.feed.drain())
                failed = live.all_failed()
                if failed or (deadline is not None and time.monotonic() >= deadline):
                    break
            live.close()
            emit(live.feed.drain())  # what happened while stopping (watch ends, "stopped")
        finally:
            live.close()
    if failed:
        raise HeadlessError(f"nothing left to watch: {failed}")
    return EXIT_OK
