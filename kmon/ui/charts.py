"""Charts: resourceVersions, events/s, cache size and client-go 1.36's informer metrics over
time (pyqtgraph).

Why this module exists: relists, 410s and watch restarts are easiest to understand against
time — a version line that jumps, the store's version lagging the reflector's, an event
rate that spikes with Replaced deltas, a queue that fills and a pop that takes long while a
list is processed. The numbers come from ``kmon.monitor.timeseries``
(``SeriesBook``, fed by the views coordinator); this widget decides what to draw and when:

- what: the series ticked in the ``SeriesList`` (the legend of the per-series plots); each
  drawn series gets its own palette slot (``ColourSlots``: kept while drawn) and the dash
  style of its context; events/s sums the drawn series per delta type.
- when: a timer (2 Hz) pushes the book's complete buckets into the curves of
  ``chart_stack.PlotStack``; nothing while hidden or unchanged. "Follow" keeps the newest
  data in view; panning or zooming turns it off.
- nothing to draw: no axes, a short message instead (no context open, no data yet,
  nothing ticked).
- colours: from the widget's palette (``chart_theme``), again whenever the palette changes.
"""

from __future__ import annotations

import math
import time
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from kmon.monitor.timeseries import DELTA_TYPES, SeriesBook

from .chart_colours import ColourSlots
from .chart_plots import SeriesCurves
from .chart_stack import PlotStack, fit_y, plots_button
from .chart_series_list import SeriesKey, SeriesList
from .chart_theme import ChartTheme, theme_for

__all__ = ["ChartsView", "WINDOWS", "EMPTY_NO_CONTEXT", "EMPTY_NO_DATA", "EMPTY_NOTHING_SHOWN"]

WINDOWS: tuple[tuple[str, float], ...] = (("Last 5 min", 300.0), ("Last hour", 3600.0), ("All", math.inf))
EMPTY_NO_CONTEXT = "No data yet — open a context to see its informers over time"
EMPTY_NO_DATA = "No data yet — the charts start with the first list of {contexts}"
EMPTY_NOTHING_SHOWN = "Nothing to plot — tick a series on the left"
_LATE = 0.3  # seconds after its end until a bucket counts as complete
_LIST_MIN, _PLOTS_MIN = 150, 420  # pixels the series list and the plots get at least


def _message(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setMargin(24)
    return label


class ChartsView(QWidget):
    sigFollowChanged = Signal(bool)

    def __init__(self, book: SeriesBook, parent=None, *, interval_ms: int = 500,
                 clock=time.time) -> None:
        super().__init__(parent)
        self.clock = clock
        self.late = _LATE  # a replay has every record of a second once its position passed it: 0
        self.setObjectName("charts")
        self.book = book
        self.curves: dict[SeriesKey, SeriesCurves] = {}
        self.slots = ColourSlots()
        self.contexts: list[str] = []
        self._signature: tuple = ()
        self._following = True
        self._programmatic = 0
        self.updates = 0
        self.last_update_ms = 0.0

        # --- left: what to show, and the legend
        self.list = SeriesList()
        self.list.sigShownChanged.connect(self.refresh)
        self.window_box = QComboBox()
        for label, _s in WINDOWS:
            self.window_box.addItem(label)
        self.window_box.setCurrentIndex(0)
        self.window_box.currentIndexChanged.connect(lambda _i: self.set_following(True))
        self.follow = QCheckBox("Follow")
        self.follow.setToolTip("Keep the newest data in view (panning or zooming turns it off)")
        self.follow.setChecked(True)
        self.follow.toggled.connect(self.set_following)
        self.legend = QLabel()
        self.legend.setObjectName("chartLegend")
        self.legend.setWordWrap(True)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(2, 2, 2, 2)
        ll.setSpacing(3)
        row = QHBoxLayout()
        row.addWidget(self.window_box, 1)
        row.addWidget(self.follow)
        ll.addLayout(row)
        ll.addWidget(self.list, 1)
        ll.addWidget(self.legend)

        # --- right: the plots (or why there are none)
        self.glw = PlotStack()
        self.plots = self.glw.plots
        self.plots_button = plots_button(self.glw)
        ll.insertWidget(ll.indexOf(self.legend), self.plots_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.p_rv, self.p_events, self.p_size, self.p_queue, self.p_latency = self.plots
        self.type_curves = self.glw.type_curves
        self.note = self.glw.note
        for p in self.plots:
            p.vb.sigRangeChangedManually.connect(lambda *_a: self.set_following(False))
        self.nothing_shown = _message(EMPTY_NOTHING_SHOWN)
        self.plot_area = QStackedWidget()
        self.plot_area.addWidget(self.glw)
        self.plot_area.addWidget(self.nothing_shown)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.plot_area)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([200, 800])
        split.splitterMoved.connect(self._user_sized)
        self.split = split
        self._left_sized_by_user = False
        self.empty = _message(EMPTY_NO_CONTEXT)
        self.empty.setObjectName("chartsEmpty")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(split)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.pages)

        self.theme: ChartTheme = theme_for(self.palette())
        self._apply_theme()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # ------------------------------------------------------------------ palette
    def changeEvent(self, event) -> None:  # noqa: N802 - new palette: new colours
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            theme = theme_for(self.palette())
            if (theme.background, theme.foreground) != (self.theme.background, self.theme.foreground):
                self.theme = theme
                self._apply_theme()

    def _apply_theme(self) -> None:
        t = self.theme
        self.glw.apply_theme(t)
        self.legend.setText(t.legend_html())
        for label in (self.empty, self.nothing_shown):
            label.setStyleSheet(f"color: {t.muted.name()};")
        for key in self.curves:
            self._style(key)
        for c in self.curves.values():
            c.marker_version = ()  # markers are redrawn in the new colours
        self._signature = ()
        self.refresh()

    def _style(self, key: SeriesKey) -> None:
        """Pen and swatch of ``key`` from its slot and its context."""
        slot = self.slots.get(key)
        c = self.curves.get(key)
        if slot is None:
            self.list.set_swatch(key, None)
            return
        colour = self.theme.series_colour(slot)
        ctx = self.contexts.index(key[0]) if key[0] in self.contexts else 0
        style = self.theme.dash(ctx)
        if c is not None:
            c.set_pen(colour, style)
        self.list.set_swatch(key, colour, style)

    def colour_of(self, key: SeriesKey) -> str | None:
        """The colour ``key`` is drawn in (``#rrggbb``), None when it is not drawn."""
        slot = self.slots.get(key)
        return None if slot is None else self.theme.series_colour(slot).name()

    # ------------------------------------------------------------------ selection
    def shown_keys(self) -> list[SeriesKey]:
        return self.list.shown_keys()

    def set_shown(self, keys: list[SeriesKey] | None) -> None:
        """Plot these (context, resource) series only (None: all known)."""
        self._sync_list()
        self.list.set_shown(keys)

    def set_contexts(self, names: Sequence[str]) -> None:
        """The contexts open (live) or recorded (replay), in order: labels carry the context
        once there is more than one; the first draws solid lines, the next dashed ones."""
        self.contexts = list(names)
        self._sync_list(force=True)
        for key in self.curves:
            self._style(key)
        self._signature = ()
        self.refresh()

    def set_queue_shown(self, on: bool) -> None:
        """Show the queued-items and latency plots (not for a recording: it has neither)."""
        self.glw.set_queue_shown(on)
        self._signature = ()

    def _sync_list(self, force: bool = False) -> None:
        keys = sorted(self.book.keys())
        if not force and len(keys) == len(self.list.keys()) and set(keys) == set(self.list.keys()):
            return
        for key in self.list.sync(keys, self.contexts):  # gone: a context closed, a replay seek
            self.slots.release(key)
            c = self.curves.pop(key, None)
            if c is not None:
                c.remove()
        self._fit_list()

    def _user_sized(self, *_a) -> None:
        self._left_sized_by_user = True

    def _fit_list(self) -> None:
        """Size the series list to its labels, leaving the plots at least ``_PLOTS_MIN``
        pixels (and the list at most 40%), until the user moves the splitter."""
        sizes = self.split.sizes()
        total = sum(sizes)
        if self._left_sized_by_user or total <= 0:
            return
        want = max(_LIST_MIN, min(self.list.preferred_width(), total - _PLOTS_MIN, int(total * 0.4)))
        if sizes[0] != want:
            self.split.setSizes([want, total - want])

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_list()

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
        """While following, fit each plot's Y range to the data in view (``fit_y``)."""
        x0, x1 = self.p_rv.vb.viewRange()[0]
        shown = [self.curves[k] for k in self.shown_keys() if k in self.curves]
        groups = ((self.p_rv, [curve for c in shown for curve in (c.rv, c.store_rv)], False),
                  (self.p_events, list(self.type_curves.values()), True), (self.p_size, [c.size for c in shown], True),
                  (self.p_queue, [c.queue for c in shown], True),
                  (self.p_latency, [curve for c in shown for curve in (c.latency_max, c.latency_p50)], False))
        for plot, curves, from_zero in groups:
            fit_y(plot, curves, x0, x1, from_zero)

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
        return max(0, int((self.clock() - self.late - b.t0) // b.resolution))

    def _show_page(self, n: int, shown: set[SeriesKey]) -> bool:
        """The empty-state message instead of axes when nothing can be drawn; True when the
        plots are up."""
        if not any(min(n, len(s)) for s in self.book):
            names = [c for c in self.contexts if c] or sorted({k[0] for k in self.book.keys()})
            self.empty.setText(EMPTY_NO_DATA.format(contexts=", ".join(names)) if names else EMPTY_NO_CONTEXT)
            self.pages.setCurrentWidget(self.empty)
            return False
        self.pages.setCurrentIndex(1)
        self.plot_area.setCurrentWidget(self.glw if shown else self.nothing_shown)
        return True

    def refresh(self) -> None:
        """Push the book's complete buckets into the curves (timer, 2 Hz; nothing while
        hidden, nothing when no bucket completed and no marker arrived since last time)."""
        if not self.isVisible():
            return
        t0 = time.perf_counter()
        self._sync_list()
        shown = {k for k in self.shown_keys() if self.book.get(*k) is not None}
        n = self.complete_buckets()
        if not self._show_page(n, shown):
            return
        signature = (n, self.book.resolution, self.book.generation, tuple(sorted(shown)), tuple(
            (min(n, len(s)), len(s.markers), s.markers[-1].time if s.markers else 0.0, len(s.points), s.rv_numeric)
            for s in (self.book.get(*k) for k in sorted(shown)) if s is not None))
        if signature == self._signature:
            return
        self._signature = signature
        for key in [k for k in self.curves if k not in shown]:
            self.curves[key].set_visible(False)
            if self.slots.get(key) is not None:  # its colour is free for the next one shown
                self.slots.release(key)
                self._style(key)
        opaque: list[str] = []
        totals: np.ndarray | None = None
        x_all: np.ndarray | None = None
        for key in sorted(shown):
            s = self.book.get(*key)
            if s is None:
                continue
            c = self.curves.get(key)
            if c is None:
                c = self.curves[key] = SeriesCurves(self.glw)
            if self.slots.get(key) is None:
                self.slots.acquire(key)
                self._style(key)
            c.set_visible(True)
            c.draw(s, n, self.theme)
            if not s.rv_numeric:
                opaque.append(self.list.label(key))
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

    def marker_spots(self, key: SeriesKey) -> list[str]:
        """The tooltip texts of the markers drawn for ``key`` (for tests)."""
        c = self.curves.get(key)
        if c is None:
            return []
        return [p.data() for p in c.markers.points()]
