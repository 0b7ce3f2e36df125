"""Compare client-go paths: one resource under two client-go versions, side by side on the same
cluster, and what their handlers heard differently.

Why this module exists: a controller author upgrading client-go wants to see, before
shipping, what changes for their handlers (per-event versus merged updates, a relist's
``Replaced`` updates versus one atomic ``ReplacedAll``, resync deliveries, tombstones). The
window runs ``kmon.monitor.compare_run.CompareRun`` on a context's API client -- every
blocking step (starting and syncing, provoking a relist on the demo, the cut and the server
check) on the workspace's task runner, never on the GUI thread -- and shows the verdict, a
card per side, the differences by kind (``compare_summary``) and the two sides' calls in
aligned columns (``compare_model``), filtered by object, to the differences or to one kind.
While it runs, the live counts of each side's calls and the time left show in the bar.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar, QSplitter, QTableView,
    QVBoxLayout, QWidget,
)

from kmon.cache.features import LATEST
from kmon.kube.informers import ListWatchOptions
from kmon.monitor.compare_run import CompareOptions, CompareRun, compare_gates, side_labels

from .compare_choices import build_choices, fill_resources
from .compare_model import CompareModel
from .compare_summary import CompareSummary

__all__ = ["CompareWindow"]

SYNC_TIMEOUT = 60.0
_TICK_MS = 250


class CompareWindow(QWidget):
    """``ws``: the workspace (its sessions and task runner); ``demo_of(context)``: the demo's
    ``SimServer`` for a context, or None (a real cluster cannot be made to relist)."""

    def __init__(self, ws: Any, demo_of: Callable[[str], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ws = ws
        self.demo_of = demo_of or (lambda _ctx: None)
        self.setObjectName("compareWindow")
        self.setWindowTitle("Compare client-go paths — kmon")
        self.run: CompareRun | None = None
        self.comparison: Any = None
        self._stop = threading.Event()
        self._state = "idle"  # idle, starting, running, finishing
        self._splitter_moved = False
        self._begin = 0.0
        self._provoke_at: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._build()
        self.resize(1240, 700)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        choose, run = build_choices(self)
        self.context.currentTextChanged.connect(self._fill_resources)
        self.start_button.clicked.connect(self._start_or_stop)
        self.provoke_button.clicked.connect(self.provoke)

        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.summary = CompareSummary()
        self.summary.sigKind.connect(self._kind_chosen)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by object (namespace/name)…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._refilter)
        self.only_differences = QCheckBox("Only differences")
        self.only_differences.setChecked(True)
        self.only_differences.toggled.connect(self._refilter)
        self.shown = QLabel("")
        self.model = CompareModel(self)
        self.table = QTableView()
        self.table.setObjectName("compareTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._fit_columns()
        self._kind = ""

        rows = QHBoxLayout()
        rows.addWidget(self.filter, 1)
        rows.addWidget(self.only_differences)
        rows.addWidget(self.shown)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(rows)
        ll.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.summary)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(lambda *_a: setattr(self, "_splitter_moved", True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(choose)
        layout.addLayout(run)
        layout.addWidget(self.progress)
        layout.addWidget(self.splitter, 1)
        self._update_controls()

    # ------------------------------------------------------------------ choices
    def prepare(self, context: str | None = None, resource: str | None = None, object_filter: str = "") -> None:
        """Fill the choices from the open contexts, preselect ``context`` and ``resource``,
        and filter the rows to ``object_filter``."""
        contexts = self.ws.open_contexts()
        current = context or self.context.currentText() or (contexts[-1] if contexts else "")
        self.context.blockSignals(True)
        self.context.clear()
        self.context.addItems(contexts)
        self.context.setCurrentIndex(max(0, self.context.findText(current)))
        self.context.blockSignals(False)
        self._fill_resources(self.context.currentText(), resource)
        if context is not None:
            profile = self.ws.client_go_of(context) or "%d.%d" % LATEST
            if profile != self.side_a.currentData():
                self.side_b.setCurrentIndex(max(0, self.side_b.findData(profile)))
        if object_filter:
            self.filter.setText(object_filter)
        self._update_controls()

    def _fill_resources(self, context: str, preferred: str | None = None) -> None:
        fill_resources(self.resource, self.ws, context, preferred)
        self._update_controls()

    def _update_controls(self) -> None:
        idle = self._state == "idle"
        for w in (self.context, self.resource, self.side_a, self.side_b, self.seconds, self.resync):
            w.setEnabled(idle)
        demo = self.demo_of(self.context.currentText()) is not None
        self.relist.setEnabled(idle and demo)
        self.relist.setChecked(self.relist.isChecked() if demo else False)
        self.provoke_button.setVisible(demo)
        self.provoke_button.setEnabled(self._state == "running" and demo)
        self.start_button.setText({"idle": "Start", "starting": "Starting…", "running": "Stop and compare",
                                   "finishing": "Comparing…"}[self._state])
        self.start_button.setEnabled(self._state in ("idle", "running") and (not idle or bool(self.resource.currentText())))
        self.progress.setVisible(not idle)

    # ------------------------------------------------------------------ running
    def _start_or_stop(self) -> None:
        if self._state == "idle":
            self.start()
        elif self._state == "running":
            self.finish()

    def start(self) -> bool:
        """Start both informers (off the GUI thread); False when nothing can be compared."""
        context, resource = self.context.currentText(), self.resource.currentText()
        session = self.ws.session(context) if context else None
        if self._state != "idle" or session is None or not resource or session.api_client is None:
            self.status.setText("Open a context and choose a resource first.")
            return False
        versions = (self.side_a.currentData(), self.side_b.currentData())
        try:
            gates, warnings = compare_gates(versions)
        except ValueError as e:
            self.summary.show_problem(str(e))
            return False
        o = session.options
        lw = ListWatchOptions(namespace=o.namespace, label_selector=o.label_selector, field_selector=o.field_selector,
                              metadata_only=o.metadata_only, inactivity_timeout=o.watch_inactivity_timeout,
                              health_check=o.health_check)
        options = CompareOptions((gates[0], gates[1]), resync_period=self.resync.value(), list_watch=lw)
        server = self.demo_of(context)
        self._stop = threading.Event()
        provoke = None
        if server is not None:
            from kmon.monitor.compare_demo import relist_provoker

            provoke = relist_provoker(server, resource, stop=self._stop)
        self._provoke_at = self.seconds.value() / 3 if provoke is not None and self.relist.isChecked() else None
        labels = side_labels(*gates)
        self._state = "starting"
        self.comparison = None
        self.model.set_comparison(None)
        self.summary.show_running(f"Starting {labels[0]} and {labels[1]} on {resource} of {context}…", labels)
        self.status.setText("; ".join(warnings))
        self.progress.setRange(0, 0)
        self._update_controls()
        stop = self._stop

        def begin() -> tuple[CompareRun | None, str]:
            try:
                run = CompareRun(session.api_client, session.resolve(resource), options, provoke=provoke)
            except Exception as e:
                return None, f"{resource}: {e}"
            run.start()
            if run.wait_synced(SYNC_TIMEOUT, stop):
                return run, ""
            why = "; ".join(run.failures()) or f"not synced within {SYNC_TIMEOUT:g} s"
            run.stop()
            return None, "" if stop.is_set() else why

        self.ws.runner.run(begin, what=f"starting the comparison of {resource}", on_done=self._started)
        return True

    def _started(self, result: tuple[CompareRun | None, str]) -> None:
        run, why = result
        if run is None or self._stop.is_set():
            if run is not None:
                self.ws.runner.run(run.stop, what="stopping the comparison")
            self._state = "idle"
            self.progress.setRange(0, 1)
            self.summary.show_problem(f"Could not compare: {why}" if why else "Stopped.")
            self._update_controls()
            return
        self.run = run
        self._begin = run.elapsed()
        self._state = "running"
        self.progress.setRange(0, int(self.seconds.value() * 1000))
        self.summary.show_running(f"Running {run.labels[0]} and {run.labels[1]} side by side…", run.labels)
        self._timer.start()
        self._update_controls()
        self._tick()

    def _tick(self) -> None:
        run = self.run
        if run is None or self._state != "running":
            self._timer.stop()
            return
        t = run.elapsed() - self._begin
        self.progress.setValue(int(min(t, self.seconds.value()) * 1000))
        a, b = (len(rec.calls) for rec in run.recorders)
        left = max(0.0, self.seconds.value() - t)
        self.status.setText(f"{run.labels[0]}: {a} calls  ·  {run.labels[1]}: {b} calls  ·  {left:.0f} s left"
                            + ("  ·  relist provoked" if run.provoked_at is not None else ""))
        if self._provoke_at is not None and t >= self._provoke_at:
            self._provoke_at = None
            self.provoke()
        if t >= self.seconds.value():
            self.finish()

    def provoke(self) -> None:
        """Make both sides relist now (demo only; the fault runs off the GUI thread)."""
        if self.run is not None and self._state == "running" and self.run.provoke_hook is not None:
            self.provoke_button.setEnabled(False)
            self.ws.runner.run(self.run.provoke, what="provoking a relist on the demo cluster",
                               on_done=lambda _r: self._update_controls())

    def finish(self) -> None:
        """Cut both sides, stop them and show the comparison (off the GUI thread)."""
        run = self.run
        if run is None or self._state != "running":
            return
        self._state = "finishing"
        self._timer.stop()
        self.progress.setRange(0, 0)
        self.summary.show_running("Cutting both sides where they agree, checking the server…", run.labels)
        self._update_controls()
        stop = self._stop

        def cut() -> tuple[Any, str]:
            try:
                return run.finish(stop), ""
            except Exception as e:  # said in the window; the informers are stopped all the same
                run.stop()
                return None, str(e) or type(e).__name__

        self.ws.runner.run(cut, what="comparing the two client-go paths", on_done=self._finished)

    def _finished(self, result: tuple[Any, str]) -> None:
        comparison, why = result
        self._state = "idle"
        self.run = None
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        if comparison is None:
            self.summary.show_problem(f"Could not compare: {why}")
            self._update_controls()
            return
        self.comparison = comparison
        self.model.set_comparison(comparison)
        self.summary.show_comparison(comparison)
        self.status.setText("  ·  ".join(comparison.notes))
        self._refilter()
        self._fit_columns()
        QTimer.singleShot(0, self._fit_summary)
        self._update_controls()

    def cancel(self) -> None:
        """Stop a running comparison without showing it."""
        self._stop.set()
        self._timer.stop()
        run, self.run = self.run, None
        if run is not None and self._state == "running":
            self.ws.runner.run(run.stop, what="stopping the comparison")
            self._state = "idle"
        self._update_controls()

    def closeEvent(self, event: Any) -> None:
        self.cancel()
        super().closeEvent(event)

    # ------------------------------------------------------------------ rows
    def _fit_columns(self) -> None:
        """Columns as wide as what the first rows need (within bounds), narrowed together when
        they would leave the last one (the difference, stretched) less than 24 characters."""
        char = self.fontMetrics().horizontalAdvance("0")
        bounds = ((6, 8), (20, 56), (22, 48), (12, 22), (22, 48), (12, 22))
        self.table.resizeColumnsToContents()
        widths = [max(low * char, min(high * char, self.table.columnWidth(col) + char))
                  for col, (low, high) in enumerate(bounds)]
        room = self.table.viewport().width() - 24 * char
        if sum(widths) > room > 0:
            lows = [low * char for low, _high in bounds]
            spare = max(0, room - sum(lows))
            extra = sum(w - low for w, low in zip(widths, lows)) or 1
            widths = [low + (w - low) * spare // extra for w, low in zip(widths, lows)]
        for col, width in enumerate(widths):
            self.table.setColumnWidth(col, width)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_summary()
        if self.comparison is not None:
            self._fit_columns()

    def _fit_summary(self) -> None:
        """The summary as tall as it needs, the table the rest (until the user moves the
        splitter)."""
        if self._splitter_moved or not self.summary.isVisible():
            return
        s = self.summary  # (wrapped labels' size hints are for a narrow width: read the layout)
        needed = max(w.geometry().bottom() for w in (s.caches, s.explain, *s.cards)) + 6
        top = max(needed, s.minimumSizeHint().height())
        if top != self.splitter.sizes()[0]:
            self.splitter.setSizes([top, max(200, self.splitter.height() - top)])

    def _kind_chosen(self, kind: str) -> None:
        self._kind = kind
        if kind:
            self.only_differences.setChecked(True)
        self._refilter()

    def _refilter(self) -> None:
        self.model.set_filter(self.filter.text(), self.only_differences.isChecked(), self._kind)
        total = self.model.total()
        self.shown.setText(f"{self.model.rowCount()} of {total} rows" if total else "")
