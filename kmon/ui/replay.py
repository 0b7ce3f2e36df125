"""``kmon replay FILE``: the desktop app on a recording instead of a cluster.

Why this module exists: an incident is looked at after the fact, with the same views as
live. Replay is just another source of feed items: ``kmon.monitor.replay_source`` plays the
recording into one ``Feed`` per recorded context, the workspace opens those contexts through
``ReplayContext`` (read-only: no informer, no network), and the bridge's batches reach the
tree, the detail pane and every other view exactly as live ones do. This module adds what
only replay has: the controller behind the transport toolbar (``replay_transport``),
seeking (the trees rebuilt from the cache at that moment in one reset, views with history
refilled in bulk through ``Workspace.sigReset``), the docked views fed in recording time,
a banner when the recording is damaged, the recording's header in the status bar, and the
process entry point.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPainter
from PySide6.QtWidgets import QAbstractButton, QLabel, QSizePolicy

from kmon.monitor.replay_source import ReplayContext, ReplaySource
from kmon.monitor.session_options import SessionOptions

from .context_switcher import ContextEntry
from .main_window import MainWindow
from .replay_transport import TransportBar, format_time
from .settings import Settings
from .workspace import Workspace

__all__ = ["ReplayController", "TransportBar", "build_replay", "main", "format_time"]

LIVE_ONLY_TIP = "Verify cache needs a live cluster: this window replays a recording"


class ReplayController(QObject):
    """Drives a ``ReplaySource`` from a QTimer and folds what is due into the workspace.

    Each tick routes the due items into the contexts' feeds and drains the bridge at once
    (one batch, as live). ``seek(t)`` rebuilds the workspace at ``t`` (``reset_to``) and
    playback goes on from there."""

    sigPosition = Signal(float)  # recording time shown now
    sigPlaying = Signal(bool)
    sigSeeked = Signal(float)

    def __init__(self, source: ReplaySource, workspace: Workspace, parent: QObject | None = None, *, interval_ms: int = 100) -> None:
        super().__init__(parent)
        self.source = source
        self.ws = workspace
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self._was_playing = False
        self.seeks = 0

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.source.pause()

    @property
    def playing(self) -> bool:
        return self.source.playing

    def play(self) -> None:
        if self.source.at_end:  # again from the start: the views too
            self.seek(self.source.start_time)
        self.source.play()
        self._changed()

    def pause(self) -> None:
        self.source.pause()
        self._changed()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        self.source.set_speed(speed)

    def tick(self) -> None:
        self.source.tick()
        if self.ws.bridge.pending():
            self.ws.bridge.drain()
        self.sigPosition.emit(self.source.position)
        self._changed()

    def seek(self, t: float) -> None:
        """Show the caches as they were at recording time ``t``; keep playing if playing."""
        caches = self.source.seek(t)
        items = self.source.history_until(self.source.position)
        self.ws.reset_to(caches, items)
        self.seeks += 1
        self.sigSeeked.emit(self.source.position)
        self.sigPosition.emit(self.source.position)

    def _changed(self) -> None:
        playing = self.source.playing
        if playing != self._was_playing:
            self._was_playing = playing
            self.sigPlaying.emit(playing)


def _read_only(win: MainWindow, source: ReplaySource) -> None:
    """Everything that needs a cluster is disabled, with a tooltip saying why."""
    win.switcher.set_entries([ContextEntry(c, server=str(source.context_info(c).get("server") or "")) for c in source.contexts])
    if source.contexts:
        win.switcher.set_current(source.contexts[0])
    win.switcher.setEnabled(False)
    win.switcher.setToolTip("Replaying a recording: its contexts are fixed")
    for a in (win.act_quick, win.act_open, win.act_close):
        a.setEnabled(False)
        a.setToolTip("Replaying a recording: contexts cannot be opened or closed")
    win.picker.list.setEnabled(False)
    win.picker.list.setToolTip("The resources recorded (read-only: starting or stopping a resource needs a live cluster)")

    def hint(*_a: Any) -> None:
        win.picker.hint.setText("Recorded resources (read-only replay)")

    for sig in (win.ws.sigResourcesChanged, win.ws.sigContextState, win.ws.sigContextsChanged):
        sig.connect(hint)
    win.picker.context_box.currentTextChanged.connect(hint)
    hint()
    # live-only controls other windows parts may add: verify (disabled), faults (hidden)
    for a in win.findChildren(QAction):
        if a.text().replace("&", "").lower().startswith("verify"):
            a.setEnabled(False)
            a.setToolTip(LIVE_ONLY_TIP)
    for b in win.findChildren(QAbstractButton):
        if b.text().replace("&", "").lower().startswith("verify"):
            b.setEnabled(False)
            b.setToolTip(LIVE_ONLY_TIP)
    for name in ("faults", "fault_panel", "faultPanel"):
        w = getattr(win, name, None)
        if w is not None and hasattr(w, "setVisible"):
            w.setVisible(False)
    win.detail.fetch.setVisible(False)


def _install_views(win: MainWindow, ws: Workspace, settings: Settings, source: ReplaySource, ctl: ReplayController) -> Any:
    """The docked event log, charts and inspector, fed like live. What differs: the stats
    are folded from the records (``ReplaySource.stats``); the charts take their
    once-a-second samples by recording time as the replay moves (``samples_until``) and
    show time up to the replay position; a seek refills them from the start up to the new
    position through the same fold (``timeline``); recordings have no queue depths, so no
    queue plot."""
    try:
        from .views import install_views
    except ImportError:  # a kmon without the docked views
        return None
    views = install_views(win, ws, settings)
    book, charts = views.book, views.charts
    book.t0 = source.origin
    charts.clock, charts.late = (lambda: source.position), 0.0
    charts.set_queue_shown(False)

    def stats() -> dict:
        return {(ctx, res): st for ctx, s in list(ws.sessions.items()) for res, st in s.stats().items()}

    def sample() -> None:
        """The inspector at the replay position (the stats timer, once a second)."""
        views.inspector.refresh(stats())

    def sample_charts(_t: float = 0.0) -> None:
        for t, samples in source.samples_until(source.position):
            book.sample_all(samples, t)

    def reset(items: list) -> None:
        views.log.model.clear()
        views.log.append_items(items)
        book.clear()
        for records, t, samples in source.timeline(source.position):
            book.ingest_records(records)
            book.sample_all(samples, t)
        sample()  # first: the inspector only annotates rows that exist
        views.inspector.model.ingest(items)
        charts.refresh()

    views.stats_timer.timeout.disconnect()
    views.stats_timer.timeout.connect(sample)
    ctl.sigPosition.connect(sample_charts)
    ctl.sigPlaying.connect(lambda playing: None if playing else sample())  # the end: at once
    views.inspector.model.clock = lambda: source.position  # "synced since", "last event" in recording time
    ws.sigReset.connect(reset)
    views.sample_replay = sample  # type: ignore[attr-defined]
    return views


class ElidedLabel(QLabel):
    """A one-line label that elides its text to the width it gets (the full text stays in
    ``text()``) instead of asking for all of it."""

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(self.fontMetrics().horizontalAdvance("Recording…"))
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        r = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, r.width())
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(r, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


def _header_text(source: ReplaySource) -> tuple[str, str]:
    h = source.header
    parts = []
    for c in source.contexts:
        v = source.server_version(c)
        parts.append(f"{c} ({v})" if v else c)
    started = float(h.get("started") or source.start_time)
    text = f"Recording: {', '.join(parts) or '?'} · started {format_time(started, date=True)}"
    tip = (
        f"File: {source.recording.path}\nkmon {h.get('kmon_version', '?')}, format {h.get('version', '?')}\n"
        f"Resources: {', '.join(h.get('resources') or [])}\nSecret values: {h.get('secret_values', 'masked')}\n"
        + "\n".join(f"{c.get('name')}: {c.get('server', '')}" for c in h.get("contexts") or [])
    )
    return text, tip


def build_replay(source: ReplaySource, *, settings: Settings) -> tuple[Workspace, MainWindow, ReplayController]:
    """The window on a recording: workspace with one read-only root per recorded context,
    transport toolbar, banner for a damaged recording, header in the status bar. The
    controller's timer is not started (``controller.start()``)."""
    # ages, freshness and rates in recording time
    ws = Workspace(options=SessionOptions(resources=()), session_factory=ReplayContext.factory(source), wall_clock=lambda: source.position)
    ws.read_only = True  # type: ignore[attr-defined]
    win = MainWindow(ws, settings, [])
    for c in source.contexts:
        ws.open_context(c)
    ctl = ReplayController(source, ws, win)
    win.replay = ctl  # type: ignore[attr-defined]
    bar = TransportBar(ctl, win)
    win.addToolBarBreak()
    win.addToolBar(bar)
    win.transport = bar  # type: ignore[attr-defined]
    _install_views(win, ws, settings, source, ctl)
    _read_only(win, source)
    name = os.path.basename(source.recording.path)
    win.setWindowTitle(f"kmon — replay — {name}")
    text, tip = _header_text(source)
    # the header is an ordinary status-bar widget on the left: a status message takes its
    # place while shown (never drawn over it), and it elides instead of widening the window
    header = ElidedLabel(text)
    header.setObjectName("replayHeader")
    header.setToolTip(f"{text}\n{tip}")  # the whole line too, when it is elided
    win.status.addWidget(header, 1)
    win.replay_header, win.replay_position = header, bar.time_label  # type: ignore[attr-defined]
    if source.error:  # in the error area, where it stays (a status message would go away)
        last = format_time(source.end_time, date=True)
        win.errors.add(f"Replay of {name} stops at {last}: {source.error}", key="replay-damage")
    win.replay_message = source.error  # type: ignore[attr-defined]
    ctl.sigPosition.emit(source.position)
    return ws, win, ctl


def main(recording_path: str, speed: float = 1.0, *, screenshot: str | None = None, after: float = 5.0, play: bool = True) -> int:
    """Open the replay window on ``recording_path`` at ``speed``; returns the exit status."""
    from kmon.monitor.recording_format import RecordingError

    from .app import _quit_on_sigint, make_app, prepare_screenshot, start_gc_policy

    try:
        source = ReplaySource.open(recording_path, speed)
    except RecordingError as e:
        print(f"kmon replay: {e}", file=sys.stderr)
        return 1
    app, loop = make_app()
    if screenshot:  # never touch the user's settings for a picture
        qs = QSettings(os.path.join(tempfile.mkdtemp(prefix="kmon-shot-"), "kmon.ini"), QSettings.Format.IniFormat)
    else:  # a settings file of its own: replay must not change the live app's last contexts
        qs = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "kmon", "kmon-replay")
    settings = Settings(qs)
    ws, win, ctl = build_replay(source, settings=settings)
    if screenshot:
        win.resize(1600, 900)
    start_gc_policy(ws, win)
    win.show()
    _quit_on_sigint(app)
    ctl.start()
    if play:
        ctl.play()
    if screenshot:
        QTimer.singleShot(int(after * 1000), lambda: prepare_screenshot(win, screenshot, app))
    try:
        with loop:
            rc = app.exec()
    finally:
        ctl.stop()
        if not screenshot:
            win.save_layout()
        ws.close_all(timeout=1.0)
        ws.runner.shutdown(wait=False)
    return rc
