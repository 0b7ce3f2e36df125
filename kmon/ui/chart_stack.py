"""The charts' plots: five pyqtgraph plots on one time axis, which of them are shown, their
axes, titles and colours, and the Plots menu.

Plots, top to bottom: resourceVersion (per series the reflector's last synced version as a
line, the store's -- ``informer_store_resource_version`` -- sampled at the same instant as a
wide faded band behind it, each list's and bookmark's version as a point, relists, 410s,
watch restarts and errors as markers), events/s per delta type, cache size,
``informer_queued_items`` and ``informer_processing_latency_seconds`` (per series the slowest
pop of each sample interval as a line, the median as a faded band; log scale, ticked at whole
decades as durations: pops take microseconds to seconds). The metric plots carry their
Prometheus name in their top-left corner. A faded band is always a series' companion line,
in its colour (``chart_plots.SeriesCurves`` draws them).

Which plots show: those the user wants (the Plots menu), a recording can fill, and that fit
at ``PlotStack.MIN_PLOT_HEIGHT`` each, by priority; the plots share one X axis (linked),
shown under the last plot only. No legend is drawn inside a plot (it would cover the
lines): the series list and the legend label beside the plots explain the colours.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QMenu, QToolButton

from kmon.cache.informer_metrics import PROCESSING_LATENCY, QUEUED_ITEMS
from kmon.monitor.timeseries import DELTA_TYPES

from .chart_plots import faded, fast
from .chart_theme import ChartTheme

__all__ = ["PlotStack", "duration_text", "fit_y", "plots_button"]

_AXIS_WIDTH = 62


def duration_text(seconds: float) -> str:
    """A latency tick's label: "20 µs", "1 ms", "0.5 s"."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


class _LatencyAxis(pg.AxisItem):
    """A log axis ticked at whole decades only, labelled as durations (pyqtgraph's own
    labels each power of ten's multiples, which collide on a 60 px plot)."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 - pyqtgraph's name
        lo, hi = math.ceil(minVal - 1e-9), math.floor(maxVal + 1e-9)
        if hi < lo:
            return [(None, [])]
        stride = max(1, math.ceil((hi - lo + 1) * 16 / max(size, 1.0)))
        return [(None, list(range(lo, hi + 1, stride)))]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802
        return [duration_text(10.0 ** v) for v in values]


def fit_y(plot: pg.PlotItem, curves: list, x0: float, x1: float, from_zero: bool) -> None:
    """Fit ``plot``'s Y range to what ``curves`` show between ``x0`` and ``x1`` (numpy on the
    arrays the curves hold: pyqtgraph's auto-range asks every curve for its bounds on every
    paint). Counts and rates start at 0; a log plot fits the decades in view."""
    log = plot.vb.state["logMode"][1]
    lo, hi = math.inf, -math.inf
    for c in curves:
        x, y = c.xData, c.yData
        if x is None or y is None or not len(x):
            continue
        i0, i1 = np.searchsorted(x, [x0, x1])
        seg = y[max(0, i0 - 1): i1 + 1]
        seg = seg[np.isfinite(seg)]
        if log:  # the view's range is in decades
            seg = np.log10(seg[seg > 0])
        if len(seg):
            lo, hi = min(lo, float(seg.min())), max(hi, float(seg.max()))
    if log:
        if hi == -math.inf:
            return
        want = [math.floor(lo - 0.05), max(math.ceil(hi + 0.05), math.floor(lo - 0.05) + 1)]
    elif from_zero:
        want = [0.0, max(4.0, hi * 1.12) if hi > -math.inf else 4.0]
    elif hi > -math.inf:
        pad = max(1.0, (hi - lo) * 0.06)
        want = [lo - pad, hi + pad]
    else:
        return
    if plot.vb.viewRange()[1] != want:
        plot.setYRange(*want, padding=0)


def plots_button(stack: "PlotStack") -> QToolButton:
    """"Plots": a checkable entry per plot (all but the resourceVersion one), saying which
    are left out and why (no room in a short dock, not in a recording)."""
    button = QToolButton()
    button.setText("Plots")
    button.setToolTip("Choose the plots to show (a short dock shows the most telling ones that fit)")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    for name, (title, _short, metric, _stretch) in stack.PLOTS.items():
        if name == "rv":
            continue
        action = menu.addAction(metric or title)
        action.setCheckable(True)
        action.setChecked(stack.wanted[name])
        action.setData(name)
        action.toggled.connect(lambda on, n=name: stack.set_wanted(n, on))

    def update() -> None:
        for a in menu.actions():
            name = a.data()
            why = stack.why_hidden(name)
            title, _short, metric, _stretch = stack.PLOTS[name]
            a.setText((metric or title) + (f"  ({why})" if why and why != "off" else ""))
            a.setEnabled(stack.available[name])

    menu.aboutToShow.connect(update)
    button.setMenu(menu)
    return button


class PlotStack(pg.GraphicsLayoutWidget):
    """The plots of ``PLOTS``, top to bottom. Which are shown: those the user wants
    (``set_wanted``, the Plots menu) and a recording can fill (``set_queue_shown``), as many
    as fit at ``MIN_PLOT_HEIGHT`` each, by ``PRIORITY``: a short dock (1280x720) leaves out
    the least telling plot rather than squeezing every one below readability."""

    # name -> (axis title, its short form for a short plot, the Prometheus metric it shows, row stretch)
    PLOTS = {
        "rv": ("resourceVersion", "RV", "", 3),
        "events": ("events/s", "ev/s", "", 2),
        "size": ("cache size", "size", "", 2),
        "queue": ("queued items", "queued", QUEUED_ITEMS, 2),
        "latency": ("latency (s)", "s", PROCESSING_LATENCY, 2),
    }
    PRIORITY = ("rv", "events", "latency", "queue", "size")  # what stays when room is short
    LIVE_ONLY = ("queue", "latency")  # what a recording cannot reproduce
    MIN_PLOT_HEIGHT = 56  # px, axis ticks included
    _TIME_AXIS = 28  # px under the last plot
    _ready = False

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("chartPlots")
        self.ci.setContentsMargins(2, 2, 6, 2)
        self.ci.setSpacing(10)  # room between one plot's lowest tick label and the next one's highest
        self.plots: list[pg.PlotItem] = []
        self.by_name: dict[str, pg.PlotItem] = {}
        self.names: dict[str, pg.TextItem] = {}  # the metric name in a plot's corner
        self._label_colour: str | None = None
        for name in self.PLOTS:
            self._plot(name)
        self.p_rv, self.p_events, self.p_size, self.p_queue, self.p_latency = self.plots
        self.p_latency.setLogMode(y=True)
        self.wanted = dict.fromkeys(self.PLOTS, True)
        self.available = dict.fromkeys(self.PLOTS, True)
        self.shown: dict[str, bool] = {}
        self._layout()
        self._ready = True
        self.type_curves: dict[str, Any] = {t: fast(self.p_events.plot()) for t in DELTA_TYPES}
        self.note = pg.TextItem("", anchor=(0, 0))
        self.note.setParentItem(self.p_rv.vb)
        self.note.setPos(8, 4)

    def _plot(self, name: str) -> pg.PlotItem:
        title, _short, metric, _stretch = self.PLOTS[name]
        axes = {"bottom": pg.DateAxisItem(orientation="bottom")}
        if name == "latency":
            axes["left"] = _LatencyAxis(orientation="left")
        p = pg.PlotItem(axisItems=axes)
        p.setLabel("left", title)
        p.kmon_title = title  # type: ignore[attr-defined]
        left = p.getAxis("left")
        left.setToolTip(f"{metric}: {title}" if metric else title)
        left.enableAutoSIPrefix(False)  # "(x0.001)" in a 60 px title helps no one
        p.vb.sigResized.connect(lambda _vb: self.fit_titles())
        p.setClipToView(True)
        p.setDownsampling(auto=True, mode="peak")
        p.setMenuEnabled(False)
        left.setWidth(_AXIS_WIDTH)
        p.vb.setAutoVisible(y=True)
        p.vb.disableAutoRange()  # following at first: ranges set by the view
        if metric:
            label = pg.TextItem(metric, anchor=(0, 0))
            label.setParentItem(p.vb)
            label.setPos(6, 2)
            self.names[name] = label
        if self.plots:
            p.setXLink(self.plots[0])
        self.plots.append(p)
        self.by_name[name] = p
        return p

    def room(self) -> int:
        """How many plots fit the widget's height at ``MIN_PLOT_HEIGHT`` (at least one)."""
        h = self.height()
        return len(self.PLOTS) if h <= 0 else max(1, (h - self._TIME_AXIS) // self.MIN_PLOT_HEIGHT)

    def _layout(self) -> None:
        """Show the plots wanted, available and fitting, in rows, the time axis under the last."""
        candidates = [n for n in self.PRIORITY if self.wanted[n] and self.available[n]]
        keep = set(candidates[: self.room()])
        shown = {n: n in keep for n in self.PLOTS}
        if shown == self.shown:
            return
        self.shown = shown
        for p in self.plots:
            if p.scene() is not None:
                self.removeItem(p)
        rows = [n for n in self.PLOTS if shown[n]]
        for row in range(len(self.PLOTS)):
            self.ci.layout.setRowStretchFactor(row, 0)
        for row, name in enumerate(rows):
            p = self.by_name[name]
            self.addItem(p, row=row, col=0)
            self.ci.layout.setRowStretchFactor(row, self.PLOTS[name][3])
            if name == rows[-1]:
                p.showAxis("bottom")
            else:  # one time axis, at the bottom (hidden axes cost no paint)
                p.hideAxis("bottom")
        # re-adding rows shrinks the layout to its minimum: give it the view's size again
        pg.GraphicsLayoutWidget.resizeEvent(self, None)

    def resizeEvent(self, event) -> None:  # noqa: N802 - more or less room: more or fewer plots
        super().resizeEvent(event)
        if self._ready:  # (pyqtgraph resizes during construction)
            self._layout()

    def set_wanted(self, name: str, on: bool) -> None:
        """The user wants this plot or not (the resourceVersion plot always stays: the
        markers and the time axis' link live there)."""
        if name != "rv":
            self.wanted[name] = on
            self._layout()

    def why_hidden(self, name: str) -> str:
        """"" when shown, else why not: "not recorded", "no room" or "off"."""
        if self.shown[name]:
            return ""
        return "not recorded" if not self.available[name] else ("no room" if self.wanted[name] else "off")

    @property
    def queue_shown(self) -> bool:
        return self.available["queue"]

    def set_queue_shown(self, on: bool) -> None:
        """Offer the plots a recording cannot fill (queued items, latency) or not."""
        for name in self.LIVE_ONLY:
            self.available[name] = on
        self._layout()

    def fit_titles(self) -> None:
        """Each plot's vertical title, shortened where the plot is too short for it."""
        metrics = self.fontMetrics()
        for name, p in self.by_name.items():
            title = p.kmon_title
            if metrics.horizontalAdvance(title) + 12 > p.vb.height() > 0:
                title = self.PLOTS[name][1]
            if title != p.getAxis("left").labelText:
                p.setLabel("left", title, **({"color": self._label_colour} if self._label_colour else {}))

    def apply_theme(self, theme: ChartTheme) -> None:
        self.setBackground(theme.background)
        axis_pen = pg.mkPen(theme.foreground, width=1)
        for p in self.plots:
            for side in ("left", "bottom"):
                ax = p.getAxis(side)
                ax.setPen(axis_pen)
                ax.setTextPen(axis_pen)
        self._label_colour = theme.foreground.name()
        self.fit_titles()
        for t, c in self.type_curves.items():
            c.setPen(pg.mkPen(theme.types[t], width=1))
        self.note.setColor(theme.note)
        for label in self.names.values():
            label.setColor(theme.muted)
            label.fill = pg.mkBrush(faded(theme.background))
