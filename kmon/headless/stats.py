"""``kmon stats``: the cache inspector's table in a terminal.

Why this module exists: "is my informer healthy?" is one glance at state, synced
resourceVersion, relists, watch restarts and why they ended, queue depth and store size. The
table is redrawn in place on a terminal and appended (with a timestamp line) otherwise, so
``kmon stats > log`` keeps a history; ``--once`` prints it after the initial sync and exits.
Each row also says the path the informer runs (client-go's queue, how its initial state came,
its feature gates), said once in the title when every informer runs the same. ``-o json``
prints one JSON object per refresh instead (``render.stats_record``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Sequence

from kmon.headless.common import (
    EXIT_ERROR,
    EXIT_OK,
    Live,
    options_from_args,
    run_main,
    signals_stop,
    write_stdout,
)
from kmon.monitor.session_args import add_session_arguments

__all__ = ["StatsTracker", "main", "parser"]

SYNC_TIMEOUT = 30.0
_HOME_CLEAR = "\x1b[H\x1b[2J"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon stats",
        description="Show each informer's statistics (state, synced RV, lists, watches, queue, store, errors), refreshed.",
        epilog=(
            "Columns: RESOURCE, STATE, SYNCED RV (last synced resourceVersion), FLAGS (unavailable: the "
            "last list failed; paginated: the last list came in pages), LISTS, RELISTS, WATCHES (started / "
            "ended, \"open\" while one is; a WatchList's stream is one watch) and LAST END (why the last one "
            "ended), BOOKMARKS, QUEUED (informer_queued_items: deltas waiting in a "
            "RealFIFO, keys in a DeltaFIFO), STORE "
            "(objects cached), QUEUE (DeltaFIFO, or RealFIFO and its modes), INITIAL SYNC (LIST, WatchList, "
            "or LIST and why WatchList failed), GATES (client-go profile and the KUBE_FEATURE_* variables "
            "that changed a gate), BACKOFF (current delay), SYNCED FOR, LAST EVENT (time since), LAST ERROR. "
            "Rows fit the terminal ($COLUMNS, else its width): the last error is cut with \"…\" and "
            "BOOKMARKS, LISTS, FLAGS, GATES, SYNCED FOR, BACKOFF, INITIAL SYNC, LAST END, QUEUE, QUEUED, "
            "WATCHES... are left out, in that order, as the width requires; -o wide, a pipe or a file get "
            "every column. -o json: one object per refresh (kind \"stats\", time, context, server, "
            "informers: every counter, queue, initial_sync, features: profile and each gate's value "
            "and source, and metrics: informer_queued_items, informer_processing_latency_seconds (count, sum, "
            "last, cumulative buckets) and informer_store_resource_version, as client-go 1.36 measures them). Exit status: 0, or 1 when --once found an informer not synced after 30 s or on errors."
        ),
    )
    add_session_arguments(p, gui=False)
    p.add_argument("--interval", type=float, default=2.0, metavar="S", help="seconds between refreshes (default 2)")
    p.add_argument("--once", action="store_true", help="print once after the initial sync and exit")
    p.add_argument(
        "-o", "--output", choices=("table", "wide", "json"), default="table",
        help="table: fit the terminal (default); wide: every column, whole, however long the lines; "
             "json: one JSON object per refresh",
    )
    return p


class StatsTracker:
    """What the stats alone do not say, followed from the feed: each resource's last watch
    end reason and when it first synced."""

    def __init__(self) -> None:
        self.last_end: dict[str, str] = {}
        self.synced_at: dict[str, float] = {}

    def update(self, items: list[Any]) -> None:
        from kmon.monitor.feed import ReflectorItem

        for it in items:
            if isinstance(it, ReflectorItem):
                kind = getattr(it.event.kind, "value", it.event.kind)
                if kind == "WatchEnded":
                    self.last_end[it.resource] = str((it.event.detail or {}).get("reason") or "?")
                elif kind == "ListFinished":
                    self.synced_at.setdefault(it.resource, it.event.time)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(argv) if argv is not None else None)
    if args.interval <= 0:
        parser().error("--interval must be > 0")
    return run_main("stats", lambda: _stats(args))


def _render(live: Live, tracker: StatsTracker, stats: dict[str, Any], color: bool, width: int | None, *,
            as_json: bool = False) -> list[str]:
    from kmon.headless.render import stats_record, stats_rows, stats_table

    tracker.update(live.feed.drain())
    if as_json:
        from kmon.monitor.recording_format import dumps_record

        record = stats_record(stats, context=live.context, server=live.server, last_end=tracker.last_end,
                              synced_at=tracker.synced_at)
        return [dumps_record(record).decode()]
    rows = stats_rows(stats, last_end=tracker.last_end, synced_at=tracker.synced_at)
    return stats_table(rows, color=color, width=width)


def _title(live: Live, stats: dict[str, Any]) -> str:
    """The live table's first line; the client-go path when every informer runs the same."""
    from kmon.monitor.path_text import context_profile

    same = context_profile(st.features for st in stats.values())
    return f"kmon stats: context {live.context}, server {live.server}" + (f", {same}" if same else "")


def _stats(args: argparse.Namespace) -> int:
    from kmon.headless.render import truncate, use_color

    live = Live(options_from_args(args, "kmon stats"), command="kmon stats")
    out = sys.stdout
    as_json = args.output == "json"
    tty = (use_color(out) or _isatty(out)) and not as_json
    color = use_color(out) and not as_json
    tracker = StatsTracker()
    with signals_stop(live.stop) as stop:
        try:
            if not live.open():
                return EXIT_OK
            if args.once:
                synced = live.wait_synced(SYNC_TIMEOUT)
                if stop.is_set():
                    return EXIT_OK
                lines = _render(live, tracker, live.session.stats(), color, _width(args, out), as_json=as_json)
                write_stdout(("\n".join(lines) + "\n").encode())
                if not synced:
                    print(f"kmon stats: not every informer synced within {SYNC_TIMEOUT:g} s", file=sys.stderr)
                    return EXIT_ERROR
                return EXIT_OK
            while True:
                width = _width(args, out)  # read each time: the terminal may be resized
                stats = live.session.stats()
                lines = _render(live, tracker, stats, color, width, as_json=as_json)
                stamp = time.strftime("%H:%M:%S")
                title = _title(live, stats)
                if as_json:
                    text = lines[0] + "\n"
                elif tty:
                    head = truncate(f"{title}  {stamp}  (Ctrl+C to stop)", width or 0)
                    text = _HOME_CLEAR + f"{head}\n\n" + "\n".join(lines) + "\n"
                else:
                    text = f"# {stamp} {title}\n" + "\n".join(lines) + "\n\n"
                write_stdout(text.encode())
                if stop.wait(args.interval):
                    break
        finally:
            live.close()
    return EXIT_OK


def _width(args: argparse.Namespace, stream: Any) -> int | None:
    from kmon.headless.render import output_width

    return None if args.output in ("wide", "json") else output_width(stream)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
