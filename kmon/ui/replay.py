"""``kmon replay FILE``: the desktop app on a recording instead of a cluster.

Why this module exists: an incident is looked at after the fact, with the same views as
live. Replay is just another source of feed items: ``kmon.monitor.replay_source`` plays the
recording into one ``Feed`` per recorded context, the workspace opens those contexts through
``ReplayContext`` (read-only: no informer, no network), and the bridge's batches reach the
tree, the detail pane and every other view exactly as live ones do. This module adds what
only replay has: the transport toolbar (play/pause, speed, a time slider over the
recording), seeking (the trees rebuilt from the cache at that moment in one reset, views
with history refilled in bulk through ``Workspace.sigReset``), a banner when the recording
is damaged, the recording's header in the status bar, and the process entry point.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QSlider, QStyle, QToolBar

from kmon.monitor.replay_source import SPEEDS, ReplayContext, ReplaySource

from .context_switcher import ContextEntry
from .main_window import MainWindow
from .settings import Settings
from .workspace import Workspace

__all__ = ["ReplayController", "TransportBar", "build_replay", "main", "format_time"]

LIVE_ONLY_TIP = "Verify cache needs a live cluster: this window replays a recording"
SLIDER_STEPS_PER_SECOND = 10  # slider resolution: 0.1 s of recording time


def format_time(t: float, *, date: bool = False) -> str:
    """A recording time as local wall-clock time (milliseconds; with the date if asked)."""
    base = time.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S", time.localtime(t))
    return f"{base}.{int((t % 1) * 1000):03d}"


def _elapsed(s: float) -> str:
    s = max(0.0, s)
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(s), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _speed_text(x: float) -> str:
    return "max" if x == float("inf") else f"{x:g}×"


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


class TransportBar(QToolBar):
    """Play/pause, speed, and a slider over the recording's span with the time shown."""

    def __init__(self, controller: ReplayController, parent=None) -> None:
        super().__init__("Replay", parent)
        self.setObjectName("replayToolbar")
        self.setMovable(False)
        self.ctl = controller
        src = controller.source
        self._icons = {
            True: self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause),
            False: self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
        }
        self.act_play = QAction(self._icons[False], "Play", self, shortcut=QKeySequence("Space"))
        self.act_play.setToolTip("Play or pause the replay (Space)")
        self.act_play.triggered.connect(controller.toggle)
        self.speed = QComboBox()
        self.speed.setToolTip("Replay speed (recording seconds per second)")
        for x in SPEEDS:
            self.speed.addItem(_speed_text(x), x)
        self.set_speed_shown(src.speed)
        self.speed.activated.connect(lambda i: controller.set_speed(float(self.speed.itemData(i))))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("replaySlider")
        self.slider.setMinimumWidth(360)
        self.slider.setRange(0, max(1, math.ceil((src.end_time - src.start_time) * SLIDER_STEPS_PER_SECOND)))
        self.slider.setPageStep(max(1, self.slider.maximum() // 20))
        self.slider.setToolTip("Drag or click to jump: the tree shows the cache as it was then")
        self.time_label = QLabel("")
        self.time_label.setObjectName("replayTime")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("2026-01-01 00:00:00.000  (+0:00:00 / 0:00:00)") + 8)
        self.addWidget(QLabel(" Replay "))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addAction(self.act_play)
        self.addWidget(self.speed)
        self.addSeparator()
        self.addWidget(self.slider)
        self.addWidget(self.time_label)
        self._programmatic = False
        self.slider.valueChanged.connect(self._value_changed)
        self.slider.sliderReleased.connect(lambda: self._seek_to_slider())
        controller.sigPosition.connect(self.show_position)
        controller.sigPlaying.connect(self._playing)
        self.show_position(src.position)

    def set_speed_shown(self, speed: float) -> None:
        i = self.speed.findData(speed)
        if i < 0:
            self.speed.addItem(_speed_text(speed), speed)
            i = self.speed.count() - 1
        self.speed.setCurrentIndex(i)

    def time_at(self, value: int) -> float:
        return self.ctl.source.start_time + value / SLIDER_STEPS_PER_SECOND

    def value_at(self, t: float) -> int:
        return int(round((t - self.ctl.source.start_time) * SLIDER_STEPS_PER_SECOND))

    def show_position(self, t: float) -> None:
        if not self.slider.isSliderDown():
            self._programmatic = True
            self.slider.setValue(self.value_at(t))
            self._programmatic = False
        self._label(t)

    def _label(self, t: float) -> None:
        src = self.ctl.source
        self.time_label.setText(
            f"{format_time(t, date=True)}  (+{_elapsed(t - src.start_time)} / {_elapsed(src.end_time - src.start_time)})"
        )

    def _value_changed(self, value: int) -> None:
        if self._programmatic:
            return
        if self.slider.isSliderDown():  # dragging: show where; seek on release
            self._label(self.time_at(value))
            return
        self._seek_to_slider()

    def _seek_to_slider(self) -> None:
        self.ctl.seek(self.time_at(self.slider.value()))

    def _playing(self, on: bool) -> None:
        self.act_play.setText("Pause" if on else "Play")
        self.act_play.setIcon(self._icons[on])


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
    """The docked event log, charts and inspector, fed like live; what differs: stats are
    sampled at the replay position (reconstructed from the recorded reflector events), and
    a seek clears them and refills them in bulk with what happened before the new
    position."""
    try:
        from .views import install_views
    except ImportError:  # a kmon without the docked views
        return None
    views = install_views(win, ws, settings)
    views.book.t0 = float(math.floor(source.start_time))

    def sample() -> None:
        stats = {(ctx, res): st for ctx, s in list(ws.sessions.items()) for res, st in s.stats().items()}
        views.book.sample_all(stats, source.position)
        views.inspector.refresh(stats)

    def reset(items: list) -> None:
        views.log.model.clear()
        views.log.append_items(items)
        for ctx in {k[0] for k in views.book.keys()}:
            views.book.remove(ctx)
        views.charts.refresh()  # drops the curves of the series just removed
        views.book.ingest(items)
        sample()  # first: the inspector only annotates rows that exist
        views.inspector.model.ingest(items)
        views.charts.refresh()

    views.stats_timer.timeout.disconnect()
    views.stats_timer.timeout.connect(sample)
    inspector_model = views.inspector.model
    inspector_model.clock = lambda: source.position  # "synced since", "last event" in recording time
    ws.sigReset.connect(reset)
    views.sample_replay = sample  # type: ignore[attr-defined]
    return views


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
    ws = Workspace(options={}, session_factory=ReplayContext.factory(source), wall_clock=lambda: source.position)
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
    header = QLabel(text)
    header.setObjectName("replayHeader")
    header.setToolTip(tip)
    win.status.insertPermanentWidget(0, header)
    position = QLabel("")
    position.setObjectName("replayPosition")
    win.status.insertPermanentWidget(1, position)
    ctl.sigPosition.connect(lambda t: position.setText(f"at {format_time(t)}" + (" · end" if source.at_end else "")))
    win.replay_header, win.replay_position = header, position  # type: ignore[attr-defined]
    if source.error:
        last = format_time(source.end_time, date=True)
        msg = f"Replay of {name} stops at {last}: {source.error}"
        win.errors.add(msg, key="replay-damage")
        win.status.showMessage(f"⚠ {msg}", 60000)
    win.replay_message = source.error  # type: ignore[attr-defined]
    ctl.sigPosition.emit(source.position)
    return ws, win, ctl


def main(recording_path: str, speed: float = 1.0, *, screenshot: str | None = None, after: float = 5.0, play: bool = True) -> int:
    """Open the replay window on ``recording_path`` at ``speed``; returns the exit status."""
    from kmon.monitor.recording import RecordingError

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
