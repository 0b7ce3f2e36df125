"""The Compare window's choices: context, resource, the two client-go versions (each named with
the path it runs), how long, the resync period, provoking a relist on the demo, and Start.

Why this module exists: the window (``compare_window``) is about running and showing; the
widgets that say what to run, and filling the resource list from a context's session, are
built here onto it (``build_choices``), in two rows that fit a 1280-pixel screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton

from kmon.cache.features import LATEST, OLDEST, FeatureGates

__all__ = ["build_choices", "fill_resources", "profile_label"]


def profile_label(version: str) -> str:
    """"1.32 — DeltaFIFO · LIST", "1.36 — RealFIFO atomic, batched · WatchList"."""
    g = FeatureGates.for_client_go(version)
    modes = [m for m, on in (("atomic", g.atomic_fifo), ("batched", g.in_order_informers_batch_process)) if on]
    queue = "RealFIFO" + (f" {', '.join(modes)}" if modes else "") if g.in_order_informers else "DeltaFIFO"
    return f"{version} — {queue} · {'WatchList' if g.watch_list_client else 'LIST'}"


def build_choices(win: Any) -> tuple[QHBoxLayout, QHBoxLayout]:
    """Create the choice widgets as attributes of ``win`` (``context``, ``resource``,
    ``side_a``, ``side_b``, ``seconds``, ``resync``, ``relist``, ``status``,
    ``provoke_button``, ``start_button``); returns their two rows (what, then how)."""
    win.context = QComboBox()
    win.context.setToolTip("The context both informers run on (its API client and namespace/selectors)")
    win.resource = QComboBox()
    win.resource.setToolTip("The resource both informers watch")
    versions = ["%d.%d" % (LATEST[0], m) for m in range(LATEST[1], OLDEST[1] - 1, -1)]
    win.side_a, win.side_b = QComboBox(), QComboBox()
    for combo, side in ((win.side_a, "A"), (win.side_b, "B")):
        for v in versions:
            combo.addItem(profile_label(v), v)
        combo.setToolTip(f"Side {side}: the client-go version whose informer path it runs "
                         "(KUBE_FEATURE_* variables apply on top, as that version reads them)")
    for combo, chars in ((win.context, 10), (win.resource, 12), (win.side_a, 16), (win.side_b, 16)):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(chars)
    win.side_a.setCurrentIndex(win.side_a.findData("1.32"))
    win.side_b.setCurrentIndex(0)
    win.seconds = QDoubleSpinBox()
    win.seconds.setRange(2, 3600)
    win.seconds.setDecimals(0)
    win.seconds.setValue(30)
    win.seconds.setSuffix(" s")
    win.seconds.setToolTip("How long both run side by side after they synced (Stop ends it earlier)")
    win.resync = QDoubleSpinBox()
    win.resync.setRange(0, 600)
    win.resync.setDecimals(0)
    win.resync.setSpecialValueText("off")
    win.resync.setSuffix(" s")
    win.resync.setToolTip("Each informer's resync period, to compare resync deliveries (off: none)")
    win.relist = QCheckBox("Provoke a relist")
    win.relist.setToolTip("Demo cluster only: a third of the way in, expire the watch cache, stall the "
                           "watches 2 s and drop them, so both sides relist (kmon never writes to a real cluster)")
    win.start_button = QPushButton("Start")
    win.start_button.setMinimumWidth(win.fontMetrics().horizontalAdvance("Stop and compare") + 24)
    win.start_button.setDefault(True)
    win.provoke_button = QPushButton("Relist now")
    win.provoke_button.setToolTip("Demo cluster only: make both sides relist now")
    choose = QHBoxLayout()
    choose.setSpacing(6)
    for text, widget, stretch in (("Context", win.context, 2), ("Resource", win.resource, 2),
                                  ("client-go A", win.side_a, 3), ("vs B", win.side_b, 3)):
        choose.addWidget(QLabel(text))
        choose.addWidget(widget, stretch)
    win.status = QLabel("")
    win.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    run = QHBoxLayout()
    run.setSpacing(6)
    for text, widget in (("Run for", win.seconds), ("Resync", win.resync)):
        run.addWidget(QLabel(text))
        run.addWidget(widget)
    run.addWidget(win.relist)
    run.addSpacing(12)
    run.addWidget(win.status, 1)
    run.addWidget(win.provoke_button)
    run.addWidget(win.start_button)

    return choose, run


def fill_resources(combo: QComboBox, ws: Any, context: str, preferred: str | None = None) -> None:
    """The resources of ``context``'s session: the running ones first, then the others it
    serves (listable), keeping ``preferred`` (else the current choice, else pods) selected."""
    session = ws.session(context) if context else None
    current = preferred or combo.currentText() or "pods"
    running = sorted(ws.running_resources(context)) if session is not None else []
    others = sorted({r.full_name for r in (session.available_resources if session is not None else [])
                     if r.listable} - set(running))
    combo.clear()
    combo.addItems(running)
    if running and others:
        combo.insertSeparator(len(running))
    combo.addItems(others)
    i = combo.findText(current)
    combo.setCurrentIndex(i if i >= 0 else 0)
