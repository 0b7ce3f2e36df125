"""Command-line entry point.

``kmon [options]`` opens the desktop app; ``kmon SUBCOMMAND ...`` runs a headless command.
Subcommands are imported lazily so that the headless ones never import Qt.
"""

from __future__ import annotations

import importlib
import sys

# subcommand -> module with a ``main(argv) -> int``
SUBCOMMANDS = {
    "sim": "kmon.sim.cli",
    "watch": "kmon.headless.watch",
    "stats": "kmon.headless.stats",
    "record": "kmon.headless.record",
    "replay": "kmon.headless.replay",
    "compare": "kmon.headless.compare",
}


def main(argv: list[str] | None = None) -> int:
    """Run ``argv`` (None: this program's command line, which may first start the process
    again with huge pages, see ``kmon.huge_pages``)."""
    if argv is None:
        from kmon import huge_pages

        huge_pages.restart_with_huge_pages()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]])
        return int(module.main(argv[1:]) or 0)
    from kmon import app_cli

    return int(app_cli.main(argv) or 0)
