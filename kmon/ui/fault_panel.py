"""Demo fault buttons: break the demo cluster on purpose and watch the reflector recover.

Why this module exists: relists, 410s, backoffs and watch restarts are what kmon explains,
and on a healthy cluster they are rare. On the demo cluster (``kmon --demo``) this toolbar
acts on the selected context's ``SimServer`` through ``srv.faults``, which answers as a real
kube-apiserver does -- so each button does what its label and tooltip say, and the status
bar then says what happened and what to look for:

- Compact storage: etcd's history goes, but the watch cache still serves watches, continue
  tokens and recent Exact lists -- no 410, no relist (as on a real cluster, where this
  happens every 5 minutes).
- Expire watch cache: the cache's history goes; open watches carry on, the next watch
  restart from an older version gets 410 and its informer relists.
- Expire + drop watches: the same, and every watch restarts now: 410 and relists at once.
- Drop watches: every watch restarts from its last version, served by the watch cache.
- Restart (3 s): refused for 3 s, then 503/429 while starting; the restarted server's watch
  cache starts empty, so every informer relists.
- Stall watches, 429 burst, malformed line.

Shown only in demo mode. Fault calls return at once, but run on the task runner all the same
(they take the sim's locks).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QToolButton

__all__ = ["FAULTS", "DemoFault", "FaultPanel"]


class DemoFault(NamedTuple):
    id: str
    text: str  # the button's label
    tooltip: str
    action: Callable[[Any], Any]  # on srv.faults; returns what ``outcome`` describes
    outcome: Callable[[Any], str]  # the status bar's account of what happened and what to expect


def _expire_and_drop(f: Any) -> tuple[int, int]:
    oldest = f.expire_watch_cache()
    return oldest, f.drop_watches()


FAULTS: tuple[DemoFault, ...] = (
    DemoFault("compact", "Compact storage",
              "Compact the server's storage (etcd) history, as kube-apiserver does every 5 minutes.\n"
              "The watch cache still serves watches, continue tokens and recent lists,\n"
              "so informers see nothing: no 410, no relist.",
              lambda f: f.compact(),
              lambda r: f"storage compacted up to revision {r}; the watch cache still serves: no 410, no relist"),
    DemoFault("expire", "Expire watch cache",
              "Drop the watch cache's history, as a burst of writes pushes it out.\n"
              "Open watches carry on; a watch that restarts from an older version gets 410 Expired\n"
              "and its informer relists (at the next watch restart: 'Expire + drop watches' shows it now).",
              lambda f: f.expire_watch_cache(),
              lambda r: f"watch cache expired (oldest version now {r}): the next watch restart from an older "
                        "version gets 410 and relists"),
    DemoFault("expire-drop", "Expire + drop watches",
              "Expire the watch cache, then close every watch: each informer re-watches from its last\n"
              "version, gets 410 Expired and relists now.",
              _expire_and_drop,
              lambda r: f"watch cache expired and {r[1]} watches dropped: expect 410 and a relist on each"),
    DemoFault("drop", "Drop watches",
              "Close every open watch abruptly: each reflector re-watches from its last version,\n"
              "served by the watch cache: no relist.",
              lambda f: f.drop_watches(),
              lambda r: f"{r} watches dropped: they resume from their last version, no relist"),
    DemoFault("restart", "Restart (3 s)",
              "Restart the API server: connections refused for 3 s, then 503 and 429 'storage is\n"
              "(re)initializing' while it starts. Its watch cache starts empty at the current version,\n"
              "so every informer's watch gets 410 and relists.",
              lambda f: f.restart(3.0, starting=1.5),
              lambda _r: "restarting: refused for 3 s, then 503/429 while starting, then 410 and a relist on each"),
    DemoFault("stall", "Stall watches (10 s)",
              "Open watches send nothing (not even bookmarks) for 10 s; their events follow afterwards.",
              lambda f: f.stall_watches(10.0),
              lambda _r: "watches stalled for 10 s"),
    DemoFault("429", "429 burst",
              "The next 5 requests answer 429 Too Many Requests (Retry-After 1 s).",
              lambda f: f.fail_next(5, 429),
              lambda _r: "the next 5 requests answer 429"),
    DemoFault("malformed", "Malformed line",
              "Every open watch writes one line that is not JSON.",
              lambda f: f.send_malformed_line(),
              lambda r: f"{r} watches sent a malformed line"),
)
_BY_ID = {f.id: f for f in FAULTS}


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
        self.last_outcome = ""  # the status bar's last account (what a user reads)
        for fault in FAULTS:
            b = QToolButton()
            b.setText(fault.text)
            b.setToolTip(fault.tooltip)
            b.setObjectName(f"fault-{fault.id}")
            b.clicked.connect(lambda _c=False, fid=fault.id: self.inject(fid))
            self.addWidget(b)
            self.buttons[fault.id] = b

    def set_context(self, context: str) -> None:
        i = self.context.findText(context)
        if i >= 0:
            self.context.setCurrentIndex(i)

    def inject(self, fid: str, context: str | None = None):
        """Apply fault ``fid`` to ``context``'s server (default: the chosen one); returns the task."""
        ctx = context or self.context.currentText()
        srv = self.demo.servers.get(ctx)
        fault = _BY_ID[fid]
        if srv is None:
            return None

        def done(result: Any) -> None:
            self.last_outcome = f"demo fault on {ctx}: {fault.text} — {fault.outcome(result)}"
            win = self.window()
            if hasattr(win, "statusBar"):
                win.statusBar().showMessage(self.last_outcome, 10000)
            self.sigInjected.emit(ctx, fid)

        return self.ws.runner.run(fault.action, srv.faults, what=f"demo fault {fault.text} on {ctx}", on_done=done)
