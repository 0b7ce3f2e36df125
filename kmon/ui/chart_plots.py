"""The charts' drawing surface: four pyqtgraph plots on one time axis and their curves.

Why this module exists: ``ChartsView`` decides what to show and when; this module owns how
it is drawn. Drawing rules (the 100,000-point figures of the issue): every curve is created
once per series and fed with ``setData``, never recreated; plots clip to the view and
downsample in "peak" mode; pens are 1 px cosmetic; grids are off (they belong to the axes,
so every curve update would repaint them). The plots share one X axis (linked), shown under
the last plot only. No legend is drawn inside a plot (it would cover the lines): the series
list and the legend label beside the plots explain the colours.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from kmon.monitor.timeseries import DELTA_TYPES, ResourceSeries

from .chart_series_list import series_label
from .chart_theme import MARKER_LABEL, MARKER_SHAPE, ChartTheme

__all__ = ["PlotStack", "SeriesCurves", "ffill"]

_AXIS_WIDTH = 62


def ffill(a: np.ndarray) -> np.ndarray:
    """Carry the last finite value forward over NaNs (leading NaNs stay)."""
    if not len(a):
        return a
    ok = np.isfinite(a)
    if ok.all():
        return a.copy()
    idx = np.where(ok, np.arange(len(a)), 0)
    np.maximum.accumulate(idx, out=idx)
    out = a[idx]
    out[: int(np.argmax(ok)) if ok.any() else len(a)] = np.nan
    return out


def _fast(curve: Any) -> Any:
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")
    return curve


class SeriesCurves:
    """The curves of one (context, resource): created once, fed with setData."""

    def __init__(self, plots: "PlotStack") -> None:
        self.rv = _fast(plots.p_rv.plot())
        self.size = _fast(plots.p_size.plot())
        self.queue = _fast(plots.p_queue.plot())
        self.markers = pg.ScatterPlotItem(hoverable=True, tip=lambda x, y, data: data, pxMode=True)
        plots.p_rv.addItem(self.markers)
        self._placed = ((plots.p_rv, self.rv), (plots.p_size, self.size), (plots.p_queue, self.queue),
                        (plots.p_rv, self.markers))
        self.version: tuple = ()
        self.marker_version: tuple = ()
        self.markers_ahead = False
        self.colour = QColor()
        self.style = Qt.PenStyle.SolidLine

    def set_pen(self, colour: QColor, style: Qt.PenStyle) -> None:
        if colour == self.colour and style == self.style:
            return
        self.colour, self.style = QColor(colour), style
        pen = pg.mkPen(colour, width=1, style=style)
        for c in (self.rv, self.size, self.queue):
            c.setPen(pen)

    def set_visible(self, on: bool) -> None:
        for _plot, it in self._placed:
            it.setVisible(on)

    def remove(self) -> None:
        for plot, it in self._placed:
            plot.removeItem(it)

    def draw(self, s: ResourceSeries, n: int, theme: ChartTheme) -> None:
        """Show the first ``n`` buckets of ``s`` (only what changed since the last call):
        gaps carried forward, markers on the resourceVersion line."""
        book = s.book
        m = min(n, len(s))
        version = (m, book.resolution, book.generation)
        mversion = (len(s.markers), s.markers[-1].time if s.markers else 0.0, book.resolution, book.generation)
        if version == self.version and mversion == self.marker_version:
            return
        self.version = version
        x = s.x()[:m]
        rv = ffill(s.rv[:m]) if s.rv_numeric else np.full(m, np.nan)
        self.rv.setData(x, rv, connect="finite")
        self.size.setData(x, ffill(s.size[:m]), connect="finite")
        self.queue.setData(x, ffill(s.queue[:m]), connect="finite")
        if mversion == self.marker_version and not self.markers_ahead:
            return
        self.marker_version = mversion
        if not s.markers:
            self.markers.clear()
            return
        mt = np.fromiter((mk.time for mk in s.markers), dtype=np.float64, count=len(s.markers))
        # a marker past the plotted seconds sits on the curve's last value for now: place it
        # again once its second is plotted
        self.markers_ahead = not len(x) or float(mt.max()) >= float(x[-1]) + book.resolution
        finite = np.isfinite(rv)
        my = np.interp(mt, x[finite], rv[finite]) if finite.any() else np.zeros(len(mt))
        label = series_label((s.context, s.resource), True)
        spots = []
        for mk, yy, xx in zip(s.markers, my.tolist(), mt.tolist()):
            sym, _hue, size, _glyph = MARKER_SHAPE.get(mk.kind, ("o", "", 8, ""))
            col = theme.markers.get(mk.kind, theme.foreground)
            spots.append({
                "pos": (xx, yy), "symbol": sym, "size": size, "brush": pg.mkBrush(col), "pen": pg.mkPen(col, width=1),
                "data": f"{MARKER_LABEL.get(mk.kind, mk.kind)} — {label}\n"
                        f"{time.strftime('%H:%M:%S', time.localtime(mk.time))}  {mk.text}",
            })
        self.markers.setData(spots)


class PlotStack(pg.GraphicsLayoutWidget):
    """resourceVersion, events/s, cache size and queue depth, top to bottom."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("chartPlots")
        self.ci.setContentsMargins(2, 2, 6, 2)
        self.ci.setSpacing(10)  # room between one plot's lowest tick label and the next one's highest
        self.plots: list[pg.PlotItem] = []
        self._label_colour: str | None = None
        self.p_rv = self._plot("resourceVersion", 0)
        self.p_events = self._plot("events/s", 1)
        self.p_size = self._plot("cache size", 2)
        self.p_queue = self._plot("queue", 3)
        for p in self.plots[:-1]:  # one time axis, at the bottom (hidden axes cost no paint)
            p.hideAxis("bottom")
        for row, stretch in enumerate((3, 2, 2, 2)):
            self.ci.layout.setRowStretchFactor(row, stretch)
        self.queue_shown = True
        self.type_curves: dict[str, Any] = {t: _fast(self.p_events.plot()) for t in DELTA_TYPES}
        self.note = pg.TextItem("", anchor=(0, 0))
        self.note.setParentItem(self.p_rv.vb)
        self.note.setPos(8, 4)

    # a plot shorter than its vertical title shows the short one (the full one in the tooltip)
    SHORT_TITLES = {"resourceVersion": "RV", "events/s": "ev/s", "cache size": "size", "queue": "queue"}

    def _plot(self, title: str, row: int) -> pg.PlotItem:
        p = self.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        p.setLabel("left", title)
        p.kmon_title = title  # type: ignore[attr-defined]
        p.getAxis("left").setToolTip(title)
        p.vb.sigResized.connect(lambda _vb: self.fit_titles())
        p.setClipToView(True)
        p.setDownsampling(auto=True, mode="peak")
        p.setMenuEnabled(False)
        p.getAxis("left").setWidth(_AXIS_WIDTH)
        p.vb.setAutoVisible(y=True)
        p.vb.disableAutoRange()  # following at first: ranges set by the view
        if self.plots:
            p.setXLink(self.plots[0])
        self.plots.append(p)
        return p

    def fit_titles(self) -> None:
        """Each plot's vertical title, shortened where the plot is too short for it."""
        metrics = self.fontMetrics()
        for p in self.plots:
            title = p.kmon_title
            if metrics.horizontalAdvance(title) + 12 > p.vb.height() > 0:
                title = self.SHORT_TITLES.get(title, title)
            if title != p.getAxis("left").labelText:
                p.setLabel("left", title, **({"color": self._label_colour} if self._label_colour else {}))

    def set_queue_shown(self, on: bool) -> None:
        """Show or drop the queue-depth plot (a recording has no queue to plot); the time
        axis moves to whichever plot is last."""
        if on == self.queue_shown:
            return
        self.queue_shown = on
        if on:
            self.addItem(self.p_queue, row=3, col=0)
            self.p_size.hideAxis("bottom")
        else:
            self.removeItem(self.p_queue)
            self.p_size.showAxis("bottom")
        self.ci.layout.setRowStretchFactor(3, 2 if on else 0)

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
