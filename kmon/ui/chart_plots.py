"""The curves of one charted series on the charts' plots (``chart_stack.PlotStack``).

Per series: on the resourceVersion plot the reflector's last synced version as a line, the
store's (``informer_store_resource_version``) as a wide faded band behind it, list and
bookmark versions as points, relists/410s/watch restarts/errors as markers on the line; its
cache size and queued items as lines; its processing latency's slowest pop per interval as a
line and median as a faded band. A faded band is always a series' companion line, in its
colour.

Why this module exists: ``ChartsView`` decides what to show and when; ``chart_stack`` lays
the plots out; this module owns how a series is drawn on them. Drawing rules (the
100,000-point figures of the issue): every curve is created once per series and fed with
``setData``, never recreated; plots clip to the view and downsample in "peak" mode; pens are
1 px cosmetic (the bands excepted); grids are off (they belong to the axes, so every curve
update would repaint them).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from kmon.monitor.timeseries import ResourceSeries

from .chart_series_list import series_label
from .chart_theme import MARKER_LABEL, MARKER_SHAPE, POINT_LABEL, POINT_SHAPE, ChartTheme

__all__ = ["SeriesCurves", "faded", "fast", "ffill"]

_BAND_WIDTH = 5  # px: a series' companion line (the store's version, the median latency)
_FADED_ALPHA = 85
_LATENCY_FLOOR = 1e-7  # s: the log axis cannot show 0 (a fake clock's pops)


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


def fast(curve: Any) -> Any:
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")
    return curve


def _points_of(s: ResourceSeries, label: str, colour: QColor, background: QColor) -> list[dict]:
    """The scatter spots of a series' list (filled squares) and bookmark (hollow diamonds)
    versions, with their tooltips."""
    spots = []
    for p in s.points:
        sym, _hue, size, _glyph = POINT_SHAPE[p.kind]
        hollow = p.kind == "bookmark"
        spots.append({
            "pos": (p.time, p.rv), "symbol": sym, "size": size, "pen": pg.mkPen(colour, width=1.5 if hollow else 1),
            "brush": pg.mkBrush(background if hollow else colour),
            "data": f"{POINT_LABEL[p.kind]} — {label}\n{time.strftime('%H:%M:%S', time.localtime(p.time))}  {p.text}",
        })
    return spots


def faded(colour: QColor) -> QColor:
    c = QColor(colour)
    c.setAlpha(_FADED_ALPHA)
    return c


class SeriesCurves:
    """The curves of one (context, resource): created once, fed with setData."""

    def __init__(self, plots: Any) -> None:  # a chart_stack.PlotStack (which imports this module)
        self.store_rv = fast(plots.p_rv.plot())  # first: drawn under the reflector's line
        self.store_rv.setZValue(-1)
        self.rv = fast(plots.p_rv.plot())
        self.size = fast(plots.p_size.plot())
        self.queue = fast(plots.p_queue.plot())
        self.latency_p50 = fast(plots.p_latency.plot())
        self.latency_p50.setZValue(-1)
        self.latency_max = fast(plots.p_latency.plot())
        self.points = pg.ScatterPlotItem(hoverable=True, tip=lambda x, y, data: data, pxMode=True)
        self.markers = pg.ScatterPlotItem(hoverable=True, tip=lambda x, y, data: data, pxMode=True)
        plots.p_rv.addItem(self.points)
        plots.p_rv.addItem(self.markers)
        self._placed = ((plots.p_rv, self.store_rv), (plots.p_rv, self.rv), (plots.p_size, self.size),
                        (plots.p_queue, self.queue), (plots.p_latency, self.latency_p50),
                        (plots.p_latency, self.latency_max), (plots.p_rv, self.points), (plots.p_rv, self.markers))
        self.version: tuple = ()
        self.marker_version: tuple = ()
        self.points_version: tuple = ()
        self.markers_ahead = False
        self._x = self._rv_y = np.zeros(0)  # what the reflector's line shows (markers sit on it)
        self.colour = QColor()
        self.style = Qt.PenStyle.SolidLine

    def set_pen(self, colour: QColor, style: Qt.PenStyle) -> None:
        if colour == self.colour and style == self.style:
            return
        self.colour, self.style = QColor(colour), style
        pen = pg.mkPen(colour, width=1, style=style)
        for c in (self.rv, self.size, self.queue, self.latency_max):
            c.setPen(pen)
        band = pg.mkPen(faded(colour), width=_BAND_WIDTH, style=style)
        band.setCapStyle(Qt.PenCapStyle.FlatCap)
        for c in (self.store_rv, self.latency_p50):
            c.setPen(band)
        self.points_version = ()  # the points take the series' colour too

    def set_visible(self, on: bool) -> None:
        for _plot, it in self._placed:
            it.setVisible(on)

    def remove(self) -> None:
        for plot, it in self._placed:
            plot.removeItem(it)

    def draw(self, s: ResourceSeries, n: int, theme: ChartTheme) -> None:
        """Show the first ``n`` buckets of ``s`` (only what changed since the last call):
        gauges carried forward over unsampled seconds, the latency only where pops were
        processed, points at their versions, markers on the reflector's line."""
        book = s.book
        m = min(n, len(s))
        version = (m, book.resolution, book.generation)
        mversion = (len(s.markers), s.markers[-1].time if s.markers else 0.0, book.resolution, book.generation)
        pversion = (len(s.points), s.points[-1].time if s.points else 0.0, book.generation, self.colour.name())
        if version == self.version and mversion == self.marker_version and pversion == self.points_version:
            return
        label = series_label((s.context, s.resource), True)
        if pversion != self.points_version:
            self.points_version = pversion
            self.points.setData(_points_of(s, label, self.colour, theme.background) if s.rv_numeric else [])
        if version != self.version:
            self.version = version
            x = s.x()[:m]
            # the reflector's version as sampled beside the store's (a gap between them is
            # then a real lag, not a second's worth of events); unsampled: from the events
            synced = s.synced_rv[:m]
            reflector = synced if np.isfinite(synced).any() else s.rv[:m]
            self._rv_y = rv = ffill(reflector) if s.rv_numeric else np.full(m, np.nan)
            self._x = x
            self.rv.setData(x, rv, connect="finite")
            self.store_rv.setData(x, ffill(s.store_rv[:m]), connect="finite")
            self.size.setData(x, ffill(s.size[:m]), connect="finite")
            self.queue.setData(x, ffill(s.queue[:m]), connect="finite")
            # an interval's value spans its seconds; one without pops is a gap (log: > 0)
            for curve, q in ((self.latency_p50, "p50"), (self.latency_max, "max")):
                curve.setData(x, np.maximum(s.latency(q)[:m], _LATENCY_FLOOR), connect="finite")
        if mversion == self.marker_version and not self.markers_ahead:
            return
        self.marker_version = mversion
        x, rv = self._x, self._rv_y
        if not s.markers:
            self.markers.clear()
            return
        mt = np.fromiter((mk.time for mk in s.markers), dtype=np.float64, count=len(s.markers))
        # a marker past the plotted seconds sits on the curve's last value for now: place it
        # again once its second is plotted
        self.markers_ahead = not len(x) or float(mt.max()) >= float(x[-1]) + book.resolution
        finite = np.isfinite(rv)
        my = np.interp(mt, x[finite], rv[finite]) if finite.any() else np.zeros(len(mt))
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
