"""Charts: resourceVersion, events/s, cache size and DeltaFIFO depth over time (pyqtgraph).

Why this module exists: relists, 410s and watch restarts are easiest to understand against
time — a version line that jumps, an event rate that spikes with Replaced deltas, a queue
that fills while a list is processed. The numbers come from ``kmon.monitor.timeseries``
(``SeriesBook``, fed by the views coordinator); this widget only draws them.

Drawing rules (the 100,000-point figures of the issue): every curve is created once and fed
with ``setData`` from a timer (2 Hz), never recreated; plots clip to the view and
downsample in "peak" mode; pens are 1 px cosmetic. The four plots share one time axis
(linked X). "Follow" keeps the newest data in view; panning or zooming turns it off.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kmon.monitor.timeseries import DELTA_TYPES, MARKER_KINDS, ResourceSeries, SeriesBook

__all__ = ["ChartsView", "WINDOWS"]

WINDOWS: tuple[tuple[str, float], ...] = (("Last 5 min", 300.0), ("Last hour", 3600.0), ("All", math.inf))
TYPE_COLOURS = {"Added": "#2e9d4f", "Updated": "#3f7fd0", "Deleted": "#d04a3f", "Replaced": "#8a63c8", "Sync": "#9aa5b1"}
# marker kind -> (symbol, colour, size)
MARKER_STYLE = {
    "relist": ("t1", "#e08a1e", 11),
    "watch-restart": ("o", "#3a9aa5", 6),
    "expired": ("star", "#d0453a", 13),
    "error": ("x", "#d0453a", 10),
}
MARKER_LABEL = {"relist": "relist", "watch-restart": "watch restart", "expired": "410 expired", "error": "error"}
SeriesKey = tuple[str, str]
_LATE = 0.3  # seconds after its end until a bucket counts as complete


def _ffill(a: np.ndarray) -> np.ndarray:
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


class _SeriesCurves:
    """The curves of one (context, resource): created once, fed with setData."""

    def __init__(self, view: "ChartsView", key: SeriesKey, colour: QColor) -> None:
        name = f"{key[1]} @ {key[0]}"
        pen = pg.mkPen(colour, width=1)
        self.rv = view.p_rv.plot(name=name, pen=pen)
        self.size = view.p_size.plot(pen=pen)
        self.queue = view.p_queue.plot(pen=pen)
        self.markers = pg.ScatterPlotItem(hoverable=True, tip=lambda x, y, data: data, pxMode=True)
        view.p_rv.addItem(self.markers)
        self.items = (self.rv, self.size, self.queue, self.markers)
        self.version: tuple = ()
        self.marker_version: tuple = ()
        self.markers_ahead = False
        for c in (self.rv, self.size, self.queue):
            c.setClipToView(True)
            c.setDownsampling(auto=True, method="peak")

    def set_visible(self, on: bool) -> None:
        for it in self.items:
            it.setVisible(on)


class ChartsView(QWidget):
    sigFollowChanged = Signal(bool)

    def __init__(self, book: SeriesBook, parent=None, *, interval_ms: int = 500,
                 clock=time.time) -> None:
        super().__init__(parent)
        self.clock = clock
        self._signature: tuple = ()
        self.setObjectName("charts")
        self.book = book
        self.curves: dict[SeriesKey, _SeriesCurves] = {}
        self._items: dict[SeriesKey, QListWidgetItem] = {}
        self._following = True
        self._programmatic = 0
        self.updates = 0
        self.last_update_ms = 0.0

        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        pg.setConfigOptions(antialias=False, foreground=fg, background=bg)

        # --- left: what to show
        self.list = QListWidget()
        self.list.setObjectName("chartSeries")
        self.list.setMinimumHeight(2 * self.fontMetrics().height())
        self.list.setToolTip("Resources to plot")
        self.list.itemChanged.connect(self._item_changed)
        self.window_box = QComboBox()
        for label, _s in WINDOWS:
            self.window_box.addItem(label)
        self.window_box.setCurrentIndex(0)
        self.window_box.currentIndexChanged.connect(lambda _i: self.set_following(True))
        self.follow = QCheckBox("Follow")
        self.follow.setToolTip("Keep the newest data in view (panning or zooming turns it off)")
        self.follow.setChecked(True)
        self.follow.toggled.connect(self.set_following)
        legend = QLabel(
            "<small>" + " ".join(
                f"<span style='color:{MARKER_STYLE[k][1]}'>{sym}</span>&nbsp;{MARKER_LABEL[k]}"
                for k, sym in zip(MARKER_KINDS, ("▲", "●", "★", "✕"))
            ) + "</small>"
        )
        legend.setWordWrap(True)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(2, 2, 2, 2)
        ll.setSpacing(3)
        row = QHBoxLayout()
        row.addWidget(self.window_box, 1)
        row.addWidget(self.follow)
        ll.addLayout(row)
        ll.addWidget(self.list, 1)
        ll.addWidget(legend)

        # --- right: the plots, one time axis
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setObjectName("chartPlots")
        self.glw.ci.setContentsMargins(2, 2, 6, 2)
        self.glw.ci.setSpacing(6)
        self.plots: list[pg.PlotItem] = []

        def plot(title: str, row: int) -> pg.PlotItem:
            p = self.glw.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
            p.setLabel("left", title)
            # no grid: grid lines belong to the axes, so every curve update would repaint them
            p.setClipToView(True)
            p.setDownsampling(auto=True, mode="peak")
            p.setMenuEnabled(False)
            p.getAxis("left").setWidth(62)
            p.vb.setAutoVisible(y=True)
            p.vb.disableAutoRange()  # following at first: ranges set by refresh()
            p.vb.sigRangeChangedManually.connect(lambda *_a: self.set_following(False))
            if self.plots:
                p.setXLink(self.plots[0])
            self.plots.append(p)
            return p

        self.p_rv = plot("resourceVersion", 0)
        self.p_events = plot("events/s", 1)
        self.p_size = plot("cache size", 2)
        self.p_queue = plot("queue", 3)
        for p in self.plots[:-1]:  # one time axis, at the bottom (hidden axes cost no paint)
            p.hideAxis("bottom")
        for row, stretch in enumerate((3, 2, 2, 2)):
            self.glw.ci.layout.setRowStretchFactor(row, stretch)
        self.rv_legend = self.p_rv.addLegend(offset=(6, 4), labelTextSize="8pt", verSpacing=-6)
        ev_legend = self.p_events.addLegend(offset=(6, 4), labelTextSize="8pt", colCount=5, verSpacing=-6)
        self.type_curves: dict[str, Any] = {}
        for t in DELTA_TYPES:
            c = self.p_events.plot(name=t, pen=pg.mkPen(TYPE_COLOURS[t], width=1))
            c.setClipToView(True)
            c.setDownsampling(auto=True, method="peak")
            self.type_curves[t] = c
        for leg in (self.rv_legend, ev_legend):
            leg.setBrush(pg.mkBrush(bg.red(), bg.green(), bg.blue(), 200))
        self.note = pg.TextItem("", color="#d0453a", anchor=(0, 0))
        self.note.setParentItem(self.p_rv.vb)
        self.note.setPos(8, 4)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.glw)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([190, 800])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)

        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # ------------------------------------------------------------------ selection
    def shown_keys(self) -> list[SeriesKey]:
        return [k for k, it in self._items.items() if it.checkState() == Qt.CheckState.Checked]

    def set_shown(self, keys: list[SeriesKey] | None) -> None:
        """Plot these (context, resource) series only (None: all known)."""
        self._sync_list()
        for k, it in self._items.items():
            it.setCheckState(Qt.CheckState.Checked if keys is None or k in keys else Qt.CheckState.Unchecked)
        self.refresh()

    def _sync_list(self) -> None:
        for key in sorted(self.book.keys()):
            if key in self._items:
                continue
            it = QListWidgetItem(key[1] if len({k[0] for k in self.book.keys()}) < 2 else f"{key[1]} · {key[0]}")
            it.setToolTip(f"{key[1]} in context {key[0]}")
            it.setData(Qt.ItemDataRole.UserRole, key)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            # by default: the busiest kinds (pods, deployments) of every context
            default = key[1] in ("pods", "deployments.apps", "replicasets.apps")
            it.setCheckState(Qt.CheckState.Checked if default else Qt.CheckState.Unchecked)
            colour = pg.intColor(len(self._items), hues=9, values=1, maxValue=230, minValue=150)
            it.setForeground(colour)
            self._items[key] = it
            self.list.blockSignals(True)
            self.list.addItem(it)
            self.list.sortItems()
            self.list.blockSignals(False)
        for key in [k for k in self._items if self.book.get(*k) is None]:  # a context closed
            it = self._items.pop(key)
            self.list.takeItem(self.list.row(it))
            c = self.curves.pop(key, None)
            if c is not None:  # PlotItem.removeItem also takes the curve out of the legend
                for plot, item in ((self.p_rv, c.rv), (self.p_size, c.size), (self.p_queue, c.queue),
                                   (self.p_rv, c.markers)):
                    plot.removeItem(item)

    def _item_changed(self, _item: QListWidgetItem) -> None:
        self.refresh()

    # ------------------------------------------------------------------ follow
    @property
    def following(self) -> bool:
        return self._following

    def set_following(self, on: bool) -> None:
        if self._programmatic and not on:
            return
        self._following = on
        if self.follow.isChecked() != on:
            self.follow.blockSignals(True)
            self.follow.setChecked(on)
            self.follow.blockSignals(False)
        for p in self.plots:  # following: fitted by _fit_y; exploring: pyqtgraph's auto-range
            if on:
                p.vb.disableAutoRange(axis=pg.ViewBox.YAxis)
            else:
                p.vb.enableAutoRange(axis=pg.ViewBox.YAxis)
        self.sigFollowChanged.emit(on)
        if on:
            self._follow_range()
            self._fit_y()

    def _follow_now(self) -> None:
        if self._following:
            self._follow_range()
            self._fit_y()

    def _fit_y(self) -> None:
        """While following, fit each plot's Y range to the data in view (numpy on the
        arrays we already hold: pyqtgraph's auto-range asks every curve for its bounds on
        every paint). Counts and rates start at 0."""
        x0, x1 = self.p_rv.vb.viewRange()[0]
        shown = [self.curves[k] for k in self.shown_keys() if k in self.curves]
        groups = ((self.p_rv, [c.rv for c in shown], False), (self.p_events, list(self.type_curves.values()), True),
                  (self.p_size, [c.size for c in shown], True), (self.p_queue, [c.queue for c in shown], True))
        for plot, curves, from_zero in groups:
            lo, hi = math.inf, -math.inf
            for c in curves:
                x, y = c.xData, c.yData
                if x is None or y is None or not len(x):
                    continue
                i0, i1 = np.searchsorted(x, [x0, x1])
                seg = y[max(0, i0 - 1): i1 + 1]
                seg = seg[np.isfinite(seg)]
                if len(seg):
                    lo, hi = min(lo, float(seg.min())), max(hi, float(seg.max()))
            if from_zero:
                want = [0.0, max(4.0, hi * 1.12) if hi > -math.inf else 4.0]
            elif hi > -math.inf:
                pad = max(1.0, (hi - lo) * 0.06)
                want = [lo - pad, hi + pad]
            else:
                continue
            if plot.vb.viewRange()[1] != want:
                plot.setYRange(*want, padding=0)

    def window_seconds(self) -> float:
        return WINDOWS[self.window_box.currentIndex()][1]

    def _follow_range(self) -> None:
        b = self.book
        if math.isnan(b.t0):
            return
        n = min(self.complete_buckets(), max((len(s) for s in b), default=0))
        end = b.t0 + n * b.resolution  # the stats sampling (1 Hz) keeps this at "now"
        w = self.window_seconds()
        start = b.t0 if math.isinf(w) else max(b.t0, end - w)
        if end - start < 10:
            start = end - 10
        if self.p_rv.vb.viewRange()[0] == [start, end + 1]:
            return
        self._programmatic += 1
        try:
            self.p_rv.setXRange(start, end + 1, padding=0)
        finally:
            self._programmatic -= 1

    # ------------------------------------------------------------------ drawing
    def showEvent(self, event) -> None:  # noqa: N802 - catch up at once when shown again
        super().showEvent(event)
        QTimer.singleShot(0, self.refresh)

    def complete_buckets(self) -> int:
        """Buckets that are over (the current second is still filling: plotting it would
        show every rate dropping at the right edge)."""
        b = self.book
        if math.isnan(b.t0):
            return 0
        # a bucket's last deltas reach the book a batch (~0.1-0.3 s) after it ended
        return max(0, int((self.clock() - _LATE - b.t0) // b.resolution))

    def refresh(self) -> None:
        """Push the book's complete buckets into the curves (timer, 2 Hz; nothing while
        hidden, nothing when no bucket completed and no marker arrived since last time)."""
        if not self.isVisible():
            return
        t0 = time.perf_counter()
        self._sync_list()
        shown = set(self.shown_keys())
        n = self.complete_buckets()
        signature = (n, self.book.resolution, tuple(sorted(shown)), tuple(
            (min(n, len(s)), len(s.markers), s.markers[-1].time if s.markers else 0.0, s.rv_numeric)
            for s in (self.book.get(*k) for k in sorted(shown)) if s is not None))
        if signature == self._signature:
            return
        self._signature = signature
        opaque: list[str] = []
        totals: np.ndarray | None = None
        x_all: np.ndarray | None = None
        for key, it in self._items.items():
            s = self.book.get(*key)
            c = self.curves.get(key)
            on = key in shown and s is not None
            if not on:
                if c is not None:
                    c.set_visible(False)
                continue
            if c is None:
                c = self.curves[key] = _SeriesCurves(self, key, it.foreground().color())
            c.set_visible(True)
            self._draw(s, c, n)
            if not s.rv_numeric:
                opaque.append(f"{key[1]} @ {key[0]}")
            counts = s.counts[:n]
            if totals is None or len(counts) > len(totals):
                grown = np.zeros((len(counts), len(DELTA_TYPES)), dtype=np.float64)
                if totals is not None:
                    grown[: len(totals)] = totals
                totals = grown
                x_all = s.x()[: len(counts)]
            totals[: len(counts)] += counts
        if totals is not None and x_all is not None:
            per_s = totals / self.book.resolution
            for j, t in enumerate(DELTA_TYPES):
                self.type_curves[t].setData(x_all, per_s[:, j])
        else:
            for c in self.type_curves.values():
                c.setData([], [])
        self.note.setText(
            "resourceVersions are not integers (opaque), not plotted: " + ", ".join(opaque) if opaque else ""
        )
        if self._following:  # in the next event-loop pass: two short slices, not one long one
            QTimer.singleShot(0, self._follow_now)
        self.updates += 1
        self.last_update_ms = (time.perf_counter() - t0) * 1000

    def _draw(self, s: ResourceSeries, c: _SeriesCurves, n: int) -> None:
        m = min(n, len(s))
        version = (m, self.book.resolution)
        mversion = (len(s.markers), s.markers[-1].time if s.markers else 0.0, self.book.resolution)
        if version == c.version and mversion == c.marker_version:
            return
        c.version = version
        x = s.x()[:m]
        rv = _ffill(s.rv[:m]) if s.rv_numeric else np.full(m, np.nan)
        c.rv.setData(x, rv, connect="finite")
        c.size.setData(x, _ffill(s.size[:m]), connect="finite")
        c.queue.setData(x, _ffill(s.queue[:m]), connect="finite")
        if mversion == c.marker_version and not c.markers_ahead:
            return
        c.marker_version = mversion
        if s.markers:
            mt = np.fromiter((m.time for m in s.markers), dtype=np.float64, count=len(s.markers))
            # a marker past the plotted seconds sits on the curve's last value for now:
            # place it again once its second is plotted
            c.markers_ahead = not len(x) or float(mt.max()) >= float(x[-1]) + self.book.resolution
            finite = np.isfinite(rv)
            if finite.any():
                my = np.interp(mt, x[finite], rv[finite])  # (past the last complete second: its value)
            else:
                my = np.zeros(len(mt))
            spots = []
            for m, yy, xx in zip(s.markers, my.tolist(), mt.tolist()):
                sym, col, size = MARKER_STYLE.get(m.kind, ("o", "#888888", 8))
                spots.append({
                    "pos": (xx, yy), "symbol": sym, "size": size, "brush": pg.mkBrush(col), "pen": pg.mkPen(col, width=1),
                    "data": f"{MARKER_LABEL.get(m.kind, m.kind)} — {s.resource} @ {s.context}\n"
                            f"{time.strftime('%H:%M:%S', time.localtime(m.time))}  {m.text}",
                })
            c.markers.setData(spots)
        else:
            c.markers.clear()

    def marker_spots(self, key: SeriesKey) -> list[str]:
        """The tooltip texts of the markers drawn for ``key`` (for tests)."""
        c = self.curves.get(key)
        if c is None:
            return []
        return [p.data() for p in c.markers.points()]
