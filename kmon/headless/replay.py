"""``kmon replay FILE``: look at a recording again.

Why this module exists: ``--to-json`` prints a recording for scripts (the header, then one
JSON object per record with the keys of ``kmon watch -o json``, then the footer), streaming,
so a recording larger than memory still prints. Without ``--to-json`` the GUI replay
(``kmon.ui.replay.main(path, speed)``) opens, when this kmon has it.

Exit status: 0 the whole recording was printed; 1 it could not be read at all (missing,
not a recording, unsupported version); 2 usage, or the GUI replay is not available; 3 the
recording is damaged or incomplete: everything before the damage was printed and stderr
names where reading stopped.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Sequence

from kmon.headless.common import EXIT_DAMAGED, EXIT_OK, EXIT_USAGE, HeadlessError, run_main, write_stdout

__all__ = ["main", "parser"]

GUI_MODULE = "kmon.ui.replay"
_BATCH = 512


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon replay",
        description="Replay a recording made by `kmon record`: in the GUI, or as JSON lines with --to-json.",
        epilog=(
            "Exit status: 0 complete, 1 unreadable, 2 usage or GUI replay unavailable, 3 damaged or "
            "incomplete recording (printed up to the damage; stderr says where)."
        ),
    )
    p.add_argument("file", metavar="FILE", help="recording file")
    p.add_argument("--to-json", action="store_true", help="print the header and every record as JSON lines")
    p.add_argument("--speed", type=float, default=1.0, metavar="X", help="GUI replay speed (default 1)")
    p.add_argument("--screenshot", metavar="PNG", help="GUI: render the replay window to this PNG and exit")
    p.add_argument("--after", type=float, default=5.0, metavar="S", help="seconds of replay before --screenshot (default 5)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(argv) if argv is not None else None)
    if args.speed <= 0:
        parser().error("--speed must be > 0")
    if args.after < 0:
        parser().error("--after must be >= 0")
    extra = {"screenshot": args.screenshot, "after": args.after} if args.screenshot else {}
    return run_main("replay", lambda: _to_json(args.file) if args.to_json else _gui(args.file, args.speed, **extra))


def _open(path: str):
    from kmon.monitor.recording_format import RecordingError
    from kmon.monitor.recording_reader import RecordingReader

    try:
        return RecordingReader(path)
    except RecordingError as e:
        raise HeadlessError(str(e)) from None


def _to_json(path: str) -> int:
    from kmon.monitor.recording_format import dumps_record

    reader = _open(path)
    write_stdout(dumps_record(reader.header) + b"\n")
    batch: list[bytes] = []
    for rec in reader:
        batch.append(dumps_record(rec))
        if len(batch) >= _BATCH:
            batch.append(b"")
            write_stdout(b"\n".join(batch))
            batch = []
    if batch:
        batch.append(b"")
        write_stdout(b"\n".join(batch))
    if reader.footer is not None:
        write_stdout(dumps_record(reader.footer) + b"\n")
    if reader.error:
        print(f"kmon replay: {reader.path}: {reader.error}", file=sys.stderr)
        return EXIT_DAMAGED
    return EXIT_OK


def _gui(path: str, speed: float, **extra: object) -> int:
    reader = _open(path)  # a clear message now rather than in a window
    reader.close()
    try:
        found = importlib.util.find_spec(GUI_MODULE) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        print("replay in the GUI is not available yet; use --to-json", file=sys.stderr)
        return EXIT_USAGE
    from kmon.app_cli import check_qt

    problem = check_qt()  # a sentence naming what to install rather than a traceback
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(GUI_MODULE)
    return int(module.main(path, speed, **extra) or 0)
