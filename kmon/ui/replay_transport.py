"""The replay's transport toolbar: play/pause, speed, and a time slider over the recording.

Why this module exists: moving through a recording is what a replay is for, and it must
behave like every media player: a click on the slider's groove jumps to the time under the
pointer (Qt's default would step one page), dragging shows the time under the handle and
seeks once on release, the arrow keys step one second and Page Up/Down a tenth of the
recording (at least a second, at most a minute), Home/End go to either end. The label
beside the slider says where the replay is, and "end" once everything was replayed.
"""

from __future__ import annotations

import math
import time
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QStyle, QStyleOptionSlider, QToolBar

from kmon.monitor.replay_source import SPEEDS

__all__ = ["SeekSlider", "TransportBar", "format_time", "elapsed_text", "STEPS_PER_SECOND"]

STEPS_PER_SECOND = 10  # slider resolution: 0.1 s of recording time


def format_time(t: float, *, date: bool = False) -> str:
    """A recording time as local wall-clock time (milliseconds; with the date if asked)."""
    base = time.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S", time.localtime(t))
    return f"{base}.{int((t % 1) * 1000):03d}"


def elapsed_text(s: float) -> str:
    s = max(0.0, s)
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(s), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _speed_text(x: float) -> str:
    return "max" if x == float("inf") else f"{x:g}×"


class Controller(Protocol):
    """What the toolbar drives (``kmon.ui.replay.ReplayController``)."""

    source: Any
    sigPosition: Any
    sigPlaying: Any

    def toggle(self) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    def seek(self, t: float) -> None: ...


class SeekSlider(QSlider):
    """A horizontal slider whose groove jumps to the click (then drags from there)."""

    def __init__(self, parent=None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)

    def _option(self) -> QStyleOptionSlider:
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        return opt

    def _on_handle(self, pos) -> bool:
        hit = self.style().hitTestComplexControl(QStyle.ComplexControl.CC_Slider, self._option(), pos, self)
        return hit == QStyle.SubControl.SC_SliderHandle

    def value_at_x(self, x: float) -> int:
        """The value under horizontal position ``x`` (widget coordinates)."""
        opt = self._option()
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        pos = int(round(x - groove.x() - handle.width() / 2))
        return QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), max(0, min(span, pos)), span,
                                              opt.upsideDown)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - jump, then drag from there
        pos = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton and not self._on_handle(pos):
            # down first: the jump shows at once and seeks once, on release
            self.setSliderDown(True)
            self.setValue(self.value_at_x(event.position().x()))
            if not self._on_handle(pos):  # clamped at an end: no drag, seek on release
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        if self.isSliderDown():  # pressed beside the handle and released without a drag
            self.setSliderDown(False)


class TransportBar(QToolBar):
    """Play/pause, speed, and a slider over the recording's span with the time shown."""

    def __init__(self, controller: Controller, parent=None) -> None:
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
        self.slider = SeekSlider()
        self.slider.setObjectName("replaySlider")
        self.slider.setMinimumWidth(240)
        span = max(0.0, src.end_time - src.start_time)
        self.slider.setRange(0, max(1, math.ceil(span * STEPS_PER_SECOND)))
        self.slider.setSingleStep(STEPS_PER_SECOND)  # arrow keys: one second
        page = min(60.0, max(1.0, round(span / 10)))
        self.slider.setPageStep(int(page * STEPS_PER_SECOND))
        self.slider.setToolTip(
            "Click or drag to jump: the views show the caches as they were then\n"
            f"← → one second, Page Up/Down {elapsed_text(page)}, Home/End the start/end"
        )
        self.time_label = QLabel("")
        self.time_label.setObjectName("replayTime")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance(
            "2026-01-01 00:00:00.000  (+0:00:00 / 0:00:00) · end") + 8)
        self.addWidget(QLabel(" Replay "))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addAction(self.act_play)
        self.addWidget(self.speed)
        self.addSeparator()
        self.addWidget(self.slider)
        self.addWidget(self.time_label)
        self._programmatic = False
        self.slider.valueChanged.connect(self._value_changed)
        self.slider.sliderReleased.connect(self._seek_to_slider)
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
        return self.ctl.source.start_time + value / STEPS_PER_SECOND

    def value_at(self, t: float) -> int:
        return int(round((t - self.ctl.source.start_time) * STEPS_PER_SECOND))

    def show_position(self, t: float) -> None:
        if not self.slider.isSliderDown():
            self._programmatic = True
            self.slider.setValue(self.value_at(t))
            self._programmatic = False
        self._label(t)

    def _label(self, t: float) -> None:
        src = self.ctl.source
        end = " · end" if src.at_end and not self.slider.isSliderDown() else ""
        self.time_label.setText(
            f"{format_time(t, date=True)}  (+{elapsed_text(t - src.start_time)} / "
            f"{elapsed_text(src.end_time - src.start_time)}){end}"
        )

    def _value_changed(self, value: int) -> None:
        if self._programmatic:
            return
        if self.slider.isSliderDown():  # dragging: show where; seek on release
            self._label(self.time_at(value))
            return
        self._seek_to_slider()  # keys, wheel

    def _seek_to_slider(self) -> None:
        self.ctl.seek(self.time_at(self.slider.value()))

    def _playing(self, on: bool) -> None:
        self.act_play.setText("Pause" if on else "Play")
        self.act_play.setIcon(self._icons[on])
