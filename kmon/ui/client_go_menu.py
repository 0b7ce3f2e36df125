"""The per-context client-go profile menu: which client-go version's informer path a context runs.

Why this module exists: an operator comparing kmon's cache with their controller's must run
what their controller runs, and controllers of one cluster are built with different client-go
versions. Each open context therefore has its own choice — "1.36 (default) / 1.35 / 1.33 /
1.32 / Other…" — in the Context menu (for the selected context) and in the context's tree row
menu. A choice is saved per context (``Settings.set_client_go``) and restarts that context's
informers under the new profile off the GUI thread (``Workspace.set_client_go``); a version
kmon cannot run as is said in the error area and changes nothing.
"""

from __future__ import annotations

import argparse

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu

from kmon.cache.features import GATES, LATEST, FeatureGates
from kmon.monitor.path_text import SHORT_NAMES
from kmon.monitor.session_args import client_go_version

__all__ = ["ClientGoMenu", "PROFILES", "profile_label"]

_LATEST = "%d.%d" % LATEST
# what the menu offers besides Other…: None is the latest kmon knows (client-go's default now)
PROFILES: tuple[str | None, ...] = (None, "1.35", "1.33", "1.32")


def profile_label(version: str | None) -> str:
    """"1.36 (default)" for None, else the version."""
    return f"{_LATEST} (default)" if version is None else version


def _summary(version: str | None) -> str:
    """What that client-go version's defaults turn on, for a tooltip."""
    gates = FeatureGates.for_client_go(version or _LATEST)
    on = [SHORT_NAMES[g] for g in GATES if gates.enabled(g)]
    off = [SHORT_NAMES[g] for g in GATES if not gates.enabled(g)]
    parts = ([f"on: {', '.join(on)}"] if on else []) + ([f"off: {', '.join(off)}"] if off else [])
    classic = "" if gates.in_order_informers else " (DeltaFIFO, LIST then WATCH: the classic path)"
    return f"client-go {gates.profile}{classic} — " + " · ".join(parts) + "; KUBE_FEATURE_* variables apply on top"


class ClientGoMenu:
    """Fills a menu with one context's client-go choices (``fill``) and applies a choice."""

    def __init__(self, win) -> None:
        self.win = win
        self.dialog: QInputDialog | None = None

    def fill(self, menu: QMenu, context: str) -> QMenu:
        """(Re)fill ``menu`` for ``context`` ("": disabled), the current choice checked."""
        ws = self.win.ws
        menu.clear()
        menu.setToolTipsVisible(True)
        current = ws.client_go_of(context) if context else None
        group = QActionGroup(menu)
        for version in PROFILES:
            a = menu.addAction(profile_label(version))
            a.setCheckable(True)
            a.setChecked(current == version or (version is None and current == _LATEST))
            a.setToolTip(_summary(version))
            group.addAction(a)
            a.triggered.connect(lambda _=False, v=version: self.choose(context, v))
        known = current is None or current == _LATEST or current in PROFILES
        other = menu.addAction("Other…" if known else f"Other ({current})…")
        other.setCheckable(True)
        other.setChecked(not known)
        other.setToolTip("Any client-go minor from 1.28 on, e.g. 1.34")
        group.addAction(other)
        other.triggered.connect(lambda _=False: self.ask(context))
        menu.setEnabled(bool(context) and not ws.read_only)
        return menu

    def choose(self, context: str, version: str | None) -> bool:
        """Save ``version`` for ``context`` and restart its informers under it (True), unless
        it already runs it."""
        if not context:
            return False
        self.win.errors.remove(f"client-go:{context}")
        self.win.settings.set_client_go(context, version)
        return self.win.ws.set_client_go(context, version)

    def ask(self, context: str) -> QInputDialog:
        """A non-modal dialog asking for any version; ``choose_text`` on OK."""
        if self.dialog is not None:
            self.dialog.deleteLater()
        dlg = self.dialog = QInputDialog(self.win)
        dlg.setWindowTitle(f"client-go profile of {context}")
        dlg.setLabelText(f"Run the informers of {context} as client-go (1.28 or later, e.g. 1.34):")
        dlg.setTextValue(self.win.ws.client_go_of(context) or _LATEST)
        dlg.textValueSelected.connect(lambda text: self.choose_text(context, text))
        dlg.open()
        return dlg

    def choose_text(self, context: str, text: str) -> bool:
        """A typed version: ``choose`` it, or say in the error area why kmon cannot run as it."""
        try:
            version = client_go_version(text)
        except argparse.ArgumentTypeError as e:
            self.win.errors.add(f"{context}: {e}", key=f"client-go:{context}")
            return False
        return self.choose(context, None if version == _LATEST else version)
