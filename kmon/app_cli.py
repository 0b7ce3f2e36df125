"""``kmon [options]``: open the desktop app (kubectl's spelling for the options).

Why this module exists: parsing and the Qt availability checks must happen before anything
imports Qt, so a machine without Qt's system libraries (or without a display) gets one
message naming what to install (exit status 1) instead of a traceback or Qt's abort. The
app itself is ``kmon.ui.app``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from kmon import __version__, qtplatform
from kmon.monitor.session_args import add_session_arguments

__all__ = ["main", "parser", "check_qt"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon",
        description="Desktop monitor of Kubernetes informer caches: what the cache holds and how it got there.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "headless commands (no display needed; `kmon COMMAND --help` for each):\n"
            "  kmon watch [RESOURCE...]   print every delta and reflector event as it happens\n"
            "  kmon stats [RESOURCE...]   the cache inspector's table, refreshed in the terminal\n"
            "  kmon record -o FILE        record what the informers see, for later replay\n"
            "  kmon replay FILE           replay a recording in the GUI (--to-json for scripts)\n"
            "  kmon compare RESOURCE      what two client-go versions tell handlers (--client-go A --client-go B)\n"
            "  kmon sim --kubeconfig FILE run the embedded demo API server (kubectl works too)"
        ),
    )
    add_session_arguments(p, gui=True)
    p.add_argument("--screenshot", metavar="FILE", help="render the main window to this PNG and exit")
    p.add_argument("--after", metavar="SECONDS", type=float, default=5.0, help="seconds to wait before --screenshot (default 5)")
    p.add_argument("--geometry", metavar="WxH", type=_geometry, help="window size in pixels, e.g. 1280x720 (default: the last one; 1600x900 for --screenshot)")
    p.add_argument("--palette", choices=("system", "light", "dark"), help="colours for this run (default: View ▸ Palette's saved choice)")
    p.add_argument("-V", "--version", action="version", version=f"kmon {__version__}")
    return p


def _geometry(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit() and int(w) >= 320 and int(h) >= 240):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT of at least 320x240, e.g. 1280x720 (got {text!r})")
    return int(w), int(h)


def check_qt() -> str | None:
    """None when Qt can open a window here; otherwise what to tell the user. First the
    platform plugin (Qt aborts the process when it cannot load it: checked without Qt), then
    PySide6's widgets."""
    problem = qtplatform.check()
    if problem:
        return problem
    try:
        importlib.import_module("PySide6.QtWidgets")
    except ImportError as e:
        text = str(e)
        if "No module named" in text:
            return f"kmon: PySide6 is not installed ({text}).\nInstall kmon with its dependencies: pip install kmon"
        return qtplatform.import_problem(text)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.screenshot and args.after < 0:
        parser().error("--after must be >= 0")
    problem = check_qt()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from kmon.ui.app import run

    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
