"""Demo fault buttons: break the demo cluster on purpose and watch the reflector recover.

Why this module exists: relists, 410s, backoffs and watch restarts are what kmon explains,
and on a healthy cluster they are rare. On the demo cluster (``kmon --demo``) this toolbar
acts on the selected context's ``SimServer`` through ``srv.faults``: compaction (the next
watch resume gets 410 and the informer relists), dropped watches, a restart (connections
refused for 3 s), stalled watches (10 s, no bookmarks), a burst of 429s, a malformed line.
Shown only in demo mode. Fault calls return at once, but run on the task runner all the same
(they take the sim's locks).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QToolButton

__all__ = ["FAULTS", "FaultPanel"]

# (id, button text, tooltip, action on srv.faults)
FAULTS: tuple[tuple[str, str, str, Callable[[Any], Any]], ...] = (
    ("compact", "Compact", "Compact the server's history: watches resuming from an old version get 410 Gone "
     "and the informer relists", lambda f: f.compact()),
    ("drop", "Drop watches", "Close every open watch abruptly: the reflector re-watches from its last version",
     lambda f: f.drop_watches()),
    ("restart", "Restart (3 s)", "Refuse connections for 3 s, like an API server restart: watch ends, "
     "errors and backoff, then recovery", lambda f: f.refuse_connections(3.0)),
    ("stall", "Stall watches (10 s)", "Open watches send nothing (not even bookmarks) for 10 s",
     lambda f: f.stall_watches(10.0)),
    ("429", "429 burst", "The next 5 requests answer 429 Too Many Requests (Retry-After 1 s)",
     lambda f: f.fail_next(5, 429)),
    ("malformed", "Malformed line", "Every open watch writes one line that is not JSON",
     lambda f: f.send_malformed_line()),
)


class FaultPanel(QToolBar):
    sigInjected = Signal(str, str)  # context, fault id

    def __init__(self, demo: Any, workspace, parent=None) -> None:
        super().__init__("Demo faults", parent)
        self.setObjectName("faultToolbar")
        self.demo = demo
        self.ws = workspace
        self.addWidget(QLabel(" Demo faults on "))
        self.context = QComboBox()
        self.context.setToolTip("The demo cluster to break")
        self.context.addItems(list(demo.servers))
        self.addWidget(self.context)
        self.buttons: dict[str, QToolButton] = {}
        for fid, text, tip, action in FAULTS:
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setObjectName(f"fault-{fid}")
            b.clicked.connect(lambda _c=False, fid=fid, action=action: self.inject(fid, action))
            self.addWidget(b)
            self.buttons[fid] = b

    def set_context(self, context: str) -> None:
        i = self.context.findText(context)
        if i >= 0:
            self.context.setCurrentIndex(i)

    def inject(self, fid: str, action: Callable[[Any], Any] | None = None, context: str | None = None):
        """Apply fault ``fid`` to ``context``'s server (default: the chosen one); returns the task."""
        ctx = context or self.context.currentText()
        srv = self.demo.servers.get(ctx)
        if srv is None:
            return None
        if action is None:
            action = next(a for f, _t, _tip, a in FAULTS if f == fid)
        label = next(t for f, t, _tip, _a in FAULTS if f == fid)

        def done(_r: Any) -> None:
            self.sigInjected.emit(ctx, fid)
            win = self.window()
            if hasattr(win, "statusBar"):
                win.statusBar().showMessage(f"demo fault on {ctx}: {label}", 6000)

        return self.ws.runner.run(action, srv.faults, what=f"demo fault {label} on {ctx}", on_done=done)
