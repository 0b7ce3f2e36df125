"""The three docked views — event log, charts, cache inspector — and what feeds them.

Why this module exists: the main window stays layout and the workspace stays the adapter
of the tree's fold (``kmon.monitor.view_state``); the views need their own models fed from
the same drained batches (``Journal`` and ``SeriesBook``, both Qt-free; the workspace's
``sigApplied``, taken in the next event-loop pass) and a 1 Hz sample of every informer's
``stats()``. ``Views`` owns those, builds the dock widgets (object names fixed, so
``saveState`` persists the layout with the window's) and wires the cross-view selection: a
log row selects its object in the tree and the detail pane.

    views = install_views(win, ws, settings, demo=None)   # after MainWindow(...)
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

from kmon.monitor.journal import Journal
from kmon.monitor.timeseries import SeriesBook

from .charts import ChartsView
from .columns import keep_columns
from .event_log import EventLog
from .event_log_model import EventLogModel
from .fault_panel import FaultPanel
from .inspector import Inspector

__all__ = ["Views", "install_views", "DEFAULT_CAPACITY"]

DEFAULT_CAPACITY = 100_000
_CAPACITY_KEY = "log/capacity"


class Views(QObject):
    def __init__(self, win: QMainWindow, workspace, settings=None, *, demo: Any = None,
                 stats_interval_ms: int = 1000) -> None:
        super().__init__(win)
        self.win = win
        self.ws = workspace
        self.settings = settings
        self.demo = None
        self.faults: FaultPanel | None = None
        capacity = DEFAULT_CAPACITY
        if settings is not None:
            try:
                capacity = max(1_000, int(settings.q.value(_CAPACITY_KEY, DEFAULT_CAPACITY)))
            except (TypeError, ValueError):
                capacity = DEFAULT_CAPACITY
        self.journal = Journal(capacity)
        self.book = SeriesBook()
        self.log = EventLog(EventLogModel(self.journal), settings=settings)
        self.charts = ChartsView(self.book)
        self.inspector = Inspector(workspace)
        if settings is not None:
            keep_columns(self.inspector.column_chooser, settings, "inspector")
        self.ingest_ms = 0.0
        self._pending: list = []
        self._ingest_timer = QTimer(self)
        self._ingest_timer.setSingleShot(True)
        self._ingest_timer.setInterval(0)
        self._ingest_timer.timeout.connect(self.flush)

        self.dock_log = self._dock("Event log", "dockEventLog", self.log)
        self.dock_charts = self._dock("Charts", "dockCharts", self.charts)
        self.dock_inspector = self._dock("Cache inspector", "dockInspector", self.inspector)
        # below the tree: the log over the inspector, the charts beside them
        win.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock_log)
        win.splitDockWidget(self.dock_log, self.dock_charts, Qt.Orientation.Horizontal)
        win.splitDockWidget(self.dock_log, self.dock_inspector, Qt.Orientation.Vertical)
        self._views_menu()

        workspace.sigApplied.connect(self.ingest)
        if hasattr(workspace, "sigReset"):  # a replay seek: what is queued belongs to the old position
            workspace.sigReset.connect(lambda _items: self._pending.clear())
        workspace.sigContextsChanged.connect(self._contexts_changed)
        self.charts.set_contexts(workspace.open_contexts())
        self.log.sigObjectSelected.connect(self.select_object)
        self.log.sigCapacityChanged.connect(self._capacity_changed)
        self.stats_timer = QTimer(self)
        self.stats_timer.setInterval(stats_interval_ms)
        self.stats_timer.timeout.connect(self.sample)
        self.stats_timer.start()
        if demo is not None:
            self.set_demo(demo)
        # the window restored its state before the docks existed: restore it again
        if settings is not None and settings.window_state() is not None:
            win.restoreState(settings.window_state())
        else:  # sizes take once the window has its size: after show()
            QTimer.singleShot(0, self._initial_sizes)

    # below this window height the log and the inspector share one dock area as tabs, so
    # the tree and the detail pane keep more than half of a 1280x720 window
    COMPACT_HEIGHT = 900

    def _initial_sizes(self) -> None:
        h = self.win.height()
        w = self.win.width()
        self.win.resizeDocks([self.dock_log, self.dock_charts], [int(w * 0.55), int(w * 0.45)], Qt.Orientation.Horizontal)
        if h < self.COMPACT_HEIGHT:
            self.win.tabifyDockWidget(self.dock_log, self.dock_inspector)
            self.dock_log.raise_()
            self.win.resizeDocks([self.dock_log, self.dock_charts], [int(h * 0.42)] * 2, Qt.Orientation.Vertical)
            return
        self.win.resizeDocks([self.dock_charts], [int(h * 0.52)], Qt.Orientation.Vertical)
        self.win.resizeDocks([self.dock_log, self.dock_inspector], [int(h * 0.29), int(h * 0.23)], Qt.Orientation.Vertical)

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        d = QDockWidget(title, self.win)
        d.setObjectName(name)
        d.setWidget(widget)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                      | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        return d

    def _views_menu(self) -> None:
        """Each dock's show/hide action, with its shortcut, in the window's View menu."""
        docks = [(self.dock_log, "Ctrl+L"), (self.dock_charts, "Ctrl+G"), (self.dock_inspector, "Ctrl+I")]
        menus = getattr(self.win, "menus", None)
        if menus is not None:
            menus.add_docks(docks)
            return
        for d, key in docks:  # a bare QMainWindow: the shortcuts at least
            a = d.toggleViewAction()
            a.setShortcut(key)
            self.win.addAction(a)

    def stage_for_screenshot(self, context: str = "kmon-demo") -> None:
        """For ``--screenshot`` on the demo: an expired watch cache and dropped watches (a 410
        and a relist to see in every view), then a verify of every informer a moment later."""
        if self.faults is not None:
            self.faults.inject("expire-drop", context=context)
        QTimer.singleShot(1500, self.inspector.verify_all)

    def set_demo(self, demo: Any) -> None:
        """Show the demo fault toolbar acting on ``demo``'s servers."""
        self.demo = demo
        if self.faults is None and demo is not None:
            self.faults = FaultPanel(demo, self.ws, self.win)
            self.win.addToolBarBreak()
            self.win.addToolBar(self.faults)
            self.inspector.sigContextSelected.connect(self.faults.set_context)
            names = self.ws.open_contexts()
            if names:
                self.faults.set_context(names[-1])

    # ------------------------------------------------------------------ feeding
    def ingest(self, items: list) -> None:
        """Queue one drained batch (after the tree applied it) for the log, charts and
        inspector; they take it in the next event-loop pass, so the tree's update and
        theirs are two short slices of the GUI thread instead of one long one."""
        self._pending.extend(items)
        if not self._ingest_timer.isActive():
            self._ingest_timer.start()

    def flush(self) -> None:
        """Apply what ``ingest`` queued (also called by tests)."""
        items, self._pending = self._pending, []
        if not items:
            return
        t0 = time.perf_counter()
        self.log.append_items(items)
        self.book.ingest(items)
        self.inspector.model.ingest(items)
        self.ingest_ms = (time.perf_counter() - t0) * 1000

    def sample(self) -> None:
        """Every informer's stats into the charts (cache size, queue depth) and the inspector."""
        stats: dict[tuple[str, str], Any] = {}
        for ctx, session in list(self.ws.sessions.items()):
            try:
                for res, st in session.stats().items():
                    stats[(ctx, res)] = st
            except Exception:
                continue
        now = time.time()
        self.book.sample_all(stats, now)
        self.inspector.refresh(stats)

    def _contexts_changed(self, names: list[str]) -> None:
        open_ = set(names)
        for ctx in {k[0] for k in self.book.keys()} - open_:
            self.book.remove(ctx)
        self.charts.set_contexts(names)
        if self.faults is not None and names:
            self.faults.set_context(names[-1])

    def _capacity_changed(self, capacity: int) -> None:
        self.journal = self.log.model.journal
        if self.settings is not None:
            self.settings.q.setValue(_CAPACITY_KEY, int(capacity))

    # ------------------------------------------------------------------ cross-view selection
    def select_object(self, context: str, resource: str, key: str) -> bool:
        """Select the object in the tree (and so in the detail pane); False if it is gone."""
        node = self.ws.tree.find(context, resource, key)
        ok = node is not None and self.win.tree.select_node(node)
        if not ok:
            self.win.statusBar().showMessage(f"{resource} {key} is not in the cache (any more)", 5000)
        return ok


def install_views(win: QMainWindow, workspace, settings=None, *, demo: Any = None) -> Views:
    views = Views(win, workspace, settings, demo=demo)
    win.views = views  # type: ignore[attr-defined]
    return views
