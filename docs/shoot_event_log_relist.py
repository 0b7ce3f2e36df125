"""The README's picture of the event log with an atomic relist open (docs/screenshot-event-log-relist.png):

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/shoot_event_log_relist.py --demo \
        --screenshot docs/screenshot-event-log-relist.png --after 9 --palette light --geometry 1920x1080 --roomy --changes

kmon --demo stages a 410 and a relist for screenshots; this opens the newest pods relist in the
event log and selects it. ``--roomy``: the log gets most of the bottom; ``--changes``: resync
notifications hidden, so the relist opens on what it changed."""
import sys

import kmon.ui.app as A

_orig = A.prepare_screenshot


def _prepare(win, path, app):
    log = win.views.log
    m = log.model
    if "--changes" in OPTIONS:  # the relist's changes only: resync notifications hidden
        log.filters.note_actions["on_update (resync)"].setChecked(False)
        log.apply_filter()
    best = None
    for r in range(m.rowCount()):
        row = m.row_at(r)
        if row is not None and row.members and row.type == "ReplacedAll" and not row.detail.startswith("initial"):
            score = (row.resource == "pods", r)
            if best is None or score > best[0]:
                best = (score, r)
    _orig(win, path, app)  # (expands the tree, selects a pod; shoots 300 ms later)
    if best is not None:
        r = best[1]
        log.set_expanded(r, True)
        log.view.scrollTo(m.index(r, 0), log.view.ScrollHint.PositionAtTop)
        v = win.views
        if "--roomy" in OPTIONS:  # the README's picture: the log gets most of the bottom
            from PySide6.QtCore import Qt
            w, h = win.width(), win.height()
            win.resizeDocks([v.dock_log, v.dock_charts], [int(w * 0.72), int(w * 0.28)], Qt.Orientation.Horizontal)
            win.resizeDocks([v.dock_log, v.dock_inspector], [int(h * 0.36), int(h * 0.14)], Qt.Orientation.Vertical)
            log.view.scrollTo(m.index(r, 0), log.view.ScrollHint.PositionAtTop)
        log.view.setFocus()


OPTIONS = [a for a in sys.argv if a in ("--roomy", "--changes")]
sys.argv = [a for a in sys.argv if a not in OPTIONS]
A.prepare_screenshot = _prepare
from kmon.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
