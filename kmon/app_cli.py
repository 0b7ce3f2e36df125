"""``kmon [options]``: open the desktop app (kubectl's spelling for the options).

Why this module exists: parsing and the Qt availability check must happen before anything
imports Qt, so a machine without Qt's system libraries gets a sentence naming the packages
to install (exit status 2) instead of a traceback. The app itself is ``kmon.ui.app``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "parser", "check_qt"]

_DEBIAN_PACKAGES = "libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3"
_DISPLAY_PACKAGES = "libxcb-cursor0 libxkbcommon-x11-0"


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
            "  kmon sim --kubeconfig FILE run the embedded demo API server (kubectl works too)"
        ),
    )
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context to open (default: the last one, else the current one)")
    ns = p.add_mutually_exclusive_group()
    ns.add_argument("-n", "--namespace", metavar="NS", help="watch only this namespace")
    ns.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace (the default)")
    p.add_argument("-l", "--selector", metavar="SELECTOR", help="label selector for every informer (e.g. app=web,tier!=db)")
    p.add_argument("--resources", metavar="LIST", help="comma-separated resources to watch (e.g. pods,deploy,svc)")
    p.add_argument("--metadata-only", action="store_true", help="cache object metadata only (PartialObjectMetadata)")
    p.add_argument("--demo", action="store_true", help="open the embedded demo cluster (two churning contexts)")
    p.add_argument("--screenshot", metavar="FILE", help="render the main window to this PNG and exit")
    p.add_argument("--after", metavar="SECONDS", type=float, default=5.0, help="seconds to wait before --screenshot (default 5)")
    return p


def check_qt() -> str | None:
    """None when PySide6's widgets load; otherwise what to tell the user."""
    try:
        importlib.import_module("PySide6.QtWidgets")
    except ImportError as e:
        text = str(e)
        if "No module named" in text:
            return f"kmon: PySide6 is not installed ({text}).\nInstall kmon with its dependencies: pip install kmon"
        return (
            f"kmon: Qt cannot start: {text}\n"
            "Qt's system libraries are missing. On Debian/Ubuntu install them with:\n"
            f"  sudo apt-get install {_DEBIAN_PACKAGES}\n"
            "and, to show windows on a real X11/Wayland display, also:\n"
            f"  sudo apt-get install {_DISPLAY_PACKAGES}\n"
            "(Fedora: mesa-libGL mesa-libEGL libxkbcommon fontconfig dbus-libs xcb-util-cursor)"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.screenshot and args.after < 0:
        parser().error("--after must be >= 0")
    problem = check_qt()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from kmon.ui.app import run

    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
