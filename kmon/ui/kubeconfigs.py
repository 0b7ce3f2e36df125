"""The kubeconfig files of the window: loading, reloading, reconnecting, watching.

Why this module exists: a context whose server got a new certificate authority, or whose
token was rotated by a cloud CLI, fails until the kubeconfig is read again. ``Kubeconfigs``
owns the list of files the window merges (``--kubeconfig``, else ``$KUBECONFIG`` or
``~/.kube/config``, plus files added with File ▸ Open kubeconfig…), the ``KubeConfig``
loaded from them (handed to every new session through ``Workspace.options``), and:

- ``reload()``: re-read every file; reconnect each open context whose session failed or
  whose every resource fails, or whose kubeconfig entries changed (its context, cluster or
  user entry, or a certificate, key or token file they name); leave healthy contexts and
  their caches alone;
- ``reconnect(context)``: re-read the files, then a new session for that context only;
- a ``QFileSystemWatcher`` on the files (and their folders: editors replace files, and a
  missing ``~/.kube/config`` may appear) that emits ``sigChangedOnDisk`` when a file's
  content differs from what was loaded — the window offers the reload, it never reloads
  on its own;
- ``open_demo()``: the embedded demo cluster, started off the GUI thread, added as a file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from kmon.kube.config import KubeconfigError, default_kubeconfig_paths, load_kubeconfig

from .context_switcher import ContextEntry, entries_of

__all__ = ["Kubeconfigs", "ReloadReport", "fingerprint"]

_PATH_FIELDS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")
# watched for changes beside the kubeconfig files (not tokenFile: projected tokens rotate
# hourly, and the client reads the file again by itself)
_WATCHED_FIELDS = ("certificate-authority", "client-certificate", "client-key")


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def fingerprint(cfg: Any, context: str) -> str | None:
    """What a session of ``context`` was built from: its context, cluster and user entries
    and the content of the files they name (None when the context is not in ``cfg``)."""
    if cfg is None:
        return None
    entries = cfg.entries
    ctx = entries.get("contexts", {}).get(context)
    if ctx is None:
        return None
    body = ctx[0]
    cluster = entries.get("clusters", {}).get(str(body.get("cluster") or ""), ({}, ""))[0]
    user = entries.get("users", {}).get(str(body.get("user") or ""), ({}, ""))[0]
    files = {f: _digest(v) for part in (cluster, user) for f, v in part.items() if f in _PATH_FIELDS and isinstance(v, str)}
    return json.dumps([body, cluster, user, files], sort_keys=True, default=str)


@dataclass
class ReloadReport:
    reconnected: list[tuple[str, str]] = field(default_factory=list)  # (context, why)
    kept: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # open, but no longer in the kubeconfig
    error: str = ""

    def text(self) -> str:
        if self.error:
            return f"Kubeconfig not reloaded: {self.error}"
        parts = ["Kubeconfig reloaded"]
        if self.reconnected:
            parts.append("reconnected " + ", ".join(f"{c} ({why})" for c, why in self.reconnected))
        if self.kept:
            n = len(self.kept)
            parts.append(f"kept {n} healthy context{'s' if n != 1 else ''} as {'they were' if n != 1 else 'it was'}")
        if self.missing:
            parts.append("no longer in the kubeconfig: " + ", ".join(self.missing))
        return "; ".join(parts)


class Kubeconfigs(QObject):
    sigEntries = Signal(list)  # list[ContextEntry] after each load
    sigChangedOnDisk = Signal(list)  # files whose content differs from the loaded one ([]: none)
    sigMessage = Signal(str, str)  # level, text
    sigDemo = Signal(object)  # the DemoCluster started by open_demo()

    def __init__(self, workspace, files: list[str] | None = None, *, watch: bool = True,
                 debounce_ms: int = 300, parent: QObject | None = None) -> None:
        """``files``: the files named on the command line (``--kubeconfig``, the demo's);
        None: kubectl's (``$KUBECONFIG``, else ``~/.kube/config``)."""
        super().__init__(parent or workspace)
        self.ws = workspace
        self.explicit = [os.path.abspath(os.path.expanduser(f)) for f in files] if files else None
        self.added: list[str] = []
        self.cfg: Any = None
        self.error = ""
        self.entries: list[ContextEntry] = []
        self.current: str | None = None
        self.demo: Any = None
        self._demo_task: Any = None
        self.opened_with: dict[str, str | None] = {}  # open context -> fingerprint
        self._loaded: dict[str, str | None] = {}  # file -> digest when last loaded
        self._dismissed: dict[str, str | None] | None = None
        self.changed_on_disk: list[str] = []
        self.watcher = QFileSystemWatcher(self) if watch else None
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        self._check.setInterval(debounce_ms)
        self._check.timeout.connect(self.check_disk)
        if self.watcher is not None:
            self.watcher.fileChanged.connect(lambda _p: self._check.start())
            self.watcher.directoryChanged.connect(lambda _p: self._check.start())
        workspace.sigContextsChanged.connect(self._contexts_changed)
        self.load()

    # ------------------------------------------------------------------ files
    def paths(self) -> list[str]:
        """Every file merged, in order (missing ones included: they are watched)."""
        base = self.explicit if self.explicit is not None else default_kubeconfig_paths()[0]
        return list(base) + [p for p in self.added if p not in base]

    def files_in_use(self) -> list[str]:
        return list(self.cfg.files) if self.cfg is not None else []

    def searched(self) -> list[str]:
        """Where kmon looked for a kubeconfig, one line per place, for people
        ("$KUBECONFIG: not set", "~/.kube/config: /home/me/.kube/config does not exist")."""
        def state(p: str) -> str:
            return p if os.path.exists(p) else f"{p} does not exist"

        if self.explicit is not None:
            return [state(p) for p in self.paths()]
        env = os.environ.get("KUBECONFIG", "")
        lines = [f"$KUBECONFIG: {env}" if env.strip() else "$KUBECONFIG: not set"]
        if env.strip():
            return lines + [state(p) for p in self.paths()]
        return lines + [f"~/.kube/config: {state(self.paths()[0])}"] + [state(p) for p in self.paths()[1:]]

    def watched(self) -> list[str]:
        """The kubeconfig files, and the certificate and key files their entries name."""
        out = self.paths()
        if self.cfg is not None:
            for kind in ("clusters", "users"):
                for body, _file in self.cfg.entries.get(kind, {}).values():
                    for f in _WATCHED_FIELDS:
                        v = body.get(f)
                        if isinstance(v, str) and v and v not in out:
                            out.append(v)
        return out

    def _snapshot(self) -> dict[str, str | None]:
        return {p: _digest(p) for p in self.watched()}

    def load(self) -> bool:
        """Read every file now; on success the new ``KubeConfig`` is what sessions opened
        from now on use, and ``sigEntries`` tells the switchers. A failure keeps the last
        good one and sets ``error``."""
        paths = self.paths()
        arg: Any = paths[0] if self.explicit is not None and len(paths) == 1 else paths
        try:
            cfg = load_kubeconfig(arg)
        except Exception as e:  # (KubeconfigError, or anything a broken file provokes): shown
            self.error = str(e) or type(e).__name__
            self._loaded = self._snapshot()
            self._watch()
            return False
        self.cfg, self.error = cfg, ""
        snapshot = self._snapshot()  # (with the files the new entries name)
        self.ws.options = replace(self.ws.options, kubeconfig=cfg)
        self.entries = entries_of(cfg)
        self.current = cfg.current_context or None
        self._loaded = snapshot
        self._dismissed = None
        self._watch()
        self._offer([])
        self.sigEntries.emit(list(self.entries))
        return True

    def add_file(self, path: str) -> list[str]:
        """Merge ``path`` after the files already read; returns its contexts' names (raises
        ``KubeconfigError`` when it cannot be read). Contexts it shares a name with an
        earlier file keep the earlier file's (kubectl's rule) and are named in a warning."""
        path = os.path.abspath(os.path.expanduser(path))
        try:
            own = load_kubeconfig(path)
        except KubeconfigError:
            raise
        except Exception as e:
            raise KubeconfigError(str(e) or type(e).__name__, file=path) from e
        new = path not in self.paths()
        if new:
            self.added.append(path)
        if not self.load():  # another file broke meanwhile
            if new:
                self.added.remove(path)
            raise KubeconfigError(self.error)
        names = own.context_names()
        shadowed = [c.name for c in self.cfg.contexts if c.name in names and c.file != path]
        if shadowed:
            self.sigMessage.emit("warning", f"{path}: context{'s' if len(shadowed) > 1 else ''} "
                                 f"{', '.join(shadowed)} already defined by an earlier file, which wins")
        return names

    # ------------------------------------------------------------------ reload / reconnect
    def _contexts_changed(self, names: list[str]) -> None:
        for n in names:
            if n not in self.opened_with:
                self.opened_with[n] = fingerprint(self.cfg, n)
        for n in list(self.opened_with):
            if n not in names:
                del self.opened_with[n]

    def _unhealthy(self, context: str) -> str:
        cs = self.ws.states.contexts.get(context)
        if cs is not None and cs.state == "failed":
            return "failed"
        states = self.ws.states.of_context(context)
        if states and all(s.state == "error" for s in states):
            return "failing"
        return ""

    def reload(self) -> ReloadReport:
        """Re-read every file; reconnect the open contexts that failed or changed."""
        report = ReloadReport()
        if not self.load():
            report.error = self.error
            self.sigMessage.emit("error", report.text())
            return report
        known = set(self.cfg.context_names())
        for ctx in self.ws.open_contexts():
            if ctx not in known:
                report.missing.append(ctx)
                continue
            fp = fingerprint(self.cfg, ctx)
            why = "changed" if fp != self.opened_with.get(ctx) else self._unhealthy(ctx)
            if why:
                self.ws.reconnect(ctx)
                self.opened_with[ctx] = fp
                report.reconnected.append((ctx, why))
            else:
                report.kept.append(ctx)
        self.sigMessage.emit("warning" if report.missing else "info", report.text())
        return report

    def reconnect(self, context: str) -> None:
        """A new session for ``context`` from the files as they are now."""
        if not self.load():
            self.sigMessage.emit("error", f"kubeconfig: {self.error} (reconnecting {context} with the last kubeconfig read)")
        self.ws.reconnect(context)
        self.opened_with[context] = fingerprint(self.cfg, context)
        self.sigMessage.emit("info", f"Reconnecting {context}")

    # ------------------------------------------------------------------ watching
    def _watch(self) -> None:
        if self.watcher is None:
            return
        files = set(self.watcher.files())
        dirs = set(self.watcher.directories())
        for p in self.watched():
            if os.path.isfile(p) and p not in files:
                self.watcher.addPath(p)  # (again: an editor that replaces the file drops it)
            d = os.path.dirname(p)
            if os.path.isdir(d) and d not in dirs:
                self.watcher.addPath(d)
                dirs.add(d)

    def check_disk(self) -> list[str]:
        """Compare the files with what was loaded; emit ``sigChangedOnDisk`` with the ones
        that differ (once per change; not again after ``dismiss`` until they change again)."""
        self._watch()
        now = self._snapshot()
        changed = [p for p, d in now.items() if d != self._loaded.get(p)]
        if now == self._dismissed:
            changed = []
        self._offer(changed)
        return changed

    def _offer(self, changed: list[str]) -> None:
        if changed != self.changed_on_disk:
            self.changed_on_disk = changed
            self.sigChangedOnDisk.emit(list(changed))

    def dismiss(self) -> None:
        """Do not offer the reload again until the files change again."""
        self._dismissed = self._snapshot()
        self._offer([])

    # ------------------------------------------------------------------ demo
    def open_demo(self) -> None:
        """Start the embedded demo cluster off the GUI thread, add its kubeconfig and open
        its first context (the window's fault toolbar follows ``sigDemo``)."""
        if self.demo is not None:
            self.ws.open_context(self.demo.contexts[0])
            return
        if self._demo_task is not None:  # (a second click while it starts)
            return
        from kmon.sim.demo import DemoCluster

        self.sigMessage.emit("info", "Starting the demo cluster…")

        def started(demo: Any) -> None:
            self._demo_task = None
            self.demo = demo
            self.add_file(demo.kubeconfig_path)
            self.sigDemo.emit(demo)
            self.ws.open_context(demo.contexts[0])
            self.sigMessage.emit("info", f"Demo cluster started: contexts {', '.join(demo.contexts)}")

        self._demo_task = self.ws.runner.run(DemoCluster, what="starting the demo cluster", on_done=started)
        self._demo_task.add_done_callback(lambda t: setattr(self, "_demo_task", None))

    def stop_demo(self) -> None:
        if self.demo is not None:
            self.demo.stop()
            self.demo = None
