"""The event log view: every delta, reflector event and session event, newest at the bottom.

Why this module exists: "what did my informer see, and when" is answered by a log a person
can follow live, stop, filter and export. This widget is the toolbar and the table around
``EventLogModel``; the model and ``kmon.monitor.event_filter`` do the work.

Follow mode keeps the newest row in view; it turns itself off when the user scrolls away
from the bottom or selects a row, and on again when they scroll back to the bottom. Pause
stops the view (the journal keeps recording; "N new" counts what waits). Selecting a row
that names an object emits ``sigObjectSelected(context, resource, key)``. An atomic relist
or resync is one row that opens on its objects (``kmon.ui.event_log_groups``); the
Notification column says what the informer's handlers received for each delta.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from kmon.monitor.event_filter import EventFilter
from kmon.monitor.journal import JournalRow

from .columns import ColumnChooser, ColumnSizer, ElidedToolTips, chars_width, elide_column, keep_columns
from .event_log_filters import LogFilters, tool_button
from .event_log_groups import GroupControls, GroupDelegate, ObjectDelegate
from .event_log_model import (CONTEXT, DETAIL, EVENT, NOTIFICATION, OBJECT, TYPE_GROUPS, EventLogModel, RowRole,
                              measure_columns)
from .log_export import ExportJob, ExportPlace, report_failure, write_rows

__all__ = ["EventLog", "TYPE_GROUPS"]


class EventLog(QWidget):
    sigObjectSelected = Signal(str, str, str)  # context, resource, key ("ns/name" or "name")
    sigCapacityChanged = Signal(int)
    sigExported = Signal(str, int, str)  # path, events written, why it failed ("" when written)

    def __init__(self, model: EventLogModel | None = None, parent=None, *, settings: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLog")
        self.model = model if model is not None else EventLogModel(parent=self)
        self._following = True
        self._programmatic = 0
        self.export_place = ExportPlace(settings)  # where the export dialog opens (remembered)
        self.last_error: Any = None  # the box saying the last export failed
        self.export_job: ExportJob | None = None  # the export being written

        # --- toolbar
        self.follow = tool_button("Follow", "Keep the newest event in view (turns off while you scroll up or select)", checkable=True)
        self.follow.setChecked(True)
        self.pause = tool_button("Pause", "Stop the view; events keep being recorded", checkable=True)
        st = self.style()
        self.follow.setIcon(st.standardIcon(QStyle.StandardPixmap.SP_ArrowDown))
        self.pause.setIcon(st.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        for b in (self.follow, self.pause):
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_label = QLabel("")
        self.new_label.setObjectName("newEvents")
        self.filters = LogFilters(lambda: self.model.index_, self)
        self.filters.sigChanged.connect(self.apply_filter)
        f = self.filters  # (its controls, named as before)
        self.types_btn, self.res_btn, self.namespace, self.text = f.types_btn, f.res_btn, f.namespace, f.text
        self.type_actions, self.res_actions = f.type_actions, f.res_actions
        self.counts = QLabel("")
        self.counts.setObjectName("eventCounts")
        em = QMenu(self)
        em.addAction("Shown events as JSON Lines…", lambda: self.export_dialog("jsonl", shown=True))
        em.addAction("Shown events as CSV…", lambda: self.export_dialog("csv", shown=True))
        em.addSeparator()
        em.addAction("All kept events as JSON Lines…", lambda: self.export_dialog("jsonl", shown=False))
        em.addAction("All kept events as CSV…", lambda: self.export_dialog("csv", shown=False))
        self.export_btn = tool_button("Export ▾", "Write the events to a file (Secret values are never written)", menu=em)
        om = QMenu(self)
        self.options_btn = tool_button("⋯", "Event log options", menu=om)
        cap = QWidget()
        cl = QHBoxLayout(cap)
        cl.setContentsMargins(8, 2, 8, 2)
        cl.addWidget(QLabel("Keep at most"))
        self.capacity = QSpinBox()
        self.capacity.setRange(1_000, 5_000_000)
        self.capacity.setSingleStep(10_000)
        self.capacity.setGroupSeparatorShown(True)
        self.capacity.setValue(self.model.journal.capacity)
        self.capacity.setSuffix(" events")
        cl.addWidget(self.capacity)
        wa = QWidgetAction(om)
        wa.setDefaultWidget(cap)
        om.addAction(wa)
        om.addAction("Clear the log", self.model.clear)

        # a toolbar, not a row layout: when the dock is narrow, the rest goes behind "»"
        bar = QToolBar("Event log")
        bar.setObjectName("eventLogBar")
        bar.setIconSize(QSize(16, 16))
        bar.setMovable(False)
        for w in (self.follow, self.pause, self.new_label):
            bar.addWidget(w)
        bar.addSeparator()
        for w in (self.types_btn, self.res_btn, self.namespace, self.text, self.counts, self.export_btn, self.options_btn):
            bar.addWidget(w)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        # --- table
        self.view = QTableView()
        self.view.setObjectName("eventLogView")
        self.view.setMinimumHeight(3 * self.fontMetrics().height())
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names: both ends tell them apart
        elide_column(self.view, DETAIL, Qt.TextElideMode.ElideRight)  # a reason reads from its start
        elide_column(self.view, NOTIFICATION, Qt.TextElideMode.ElideRight)  # the handler first
        self.group_delegate = GroupDelegate(self.view)
        self.view.setItemDelegateForColumn(EVENT, self.group_delegate)
        self.view.setItemDelegateForColumn(OBJECT, ObjectDelegate(self.view))
        self.groups = GroupControls(self.view, self.model, EVENT, self.group_delegate, self.select_row)
        vh = self.view.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 4)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        self.columns = ColumnSizer(self.view, lambda: measure_columns(self.view, self.model), stretch=DETAIL,
                                   stretch_least=chars_width(self.view, 24))
        self._content_seen: tuple[int, ...] = ()
        self._auto_context = True  # the Context column shows once a second context does
        ElidedToolTips(self.view)
        self._viewport = self.view.viewport()
        self._viewport.installEventFilter(self)  # (after the sizer's: runs before it)
        self.column_chooser = ColumnChooser(self.view, self.columns)
        self.column_chooser.sigChanged.connect(self._columns_chosen)
        if settings is not None and keep_columns(self.column_chooser, settings, "log"):
            self._auto_context = False  # the user chose the columns: no automatic Context

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(bar)
        lay.addWidget(self.view, 1)

        # --- wiring
        self.follow.toggled.connect(self.set_following)
        self.pause.toggled.connect(self.set_paused)
        self.capacity.editingFinished.connect(lambda: self.set_capacity(self.capacity.value()))
        self.model.sigCounts.connect(self._counts)
        self.model.rowsInserted.connect(self._rows_inserted)
        self.model.rowsAboutToBeRemoved.connect(self._rows_removing)
        self.model.rowsRemoved.connect(self._rows_removed)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.clicked.connect(lambda idx: self._current_changed(idx, QModelIndex()))
        self._removing_top = 0
        self._counts(self.model.rowCount(), len(self.model.journal), 0)

    def _columns_chosen(self) -> None:
        self._auto_context = False  # the user's columns from now on
        self._fold_notifications()

    # ------------------------------------------------------------------ feeding
    def append_items(self, items: list) -> None:
        self.model.append_items(items)

    # ------------------------------------------------------------------ follow and pause
    @property
    def following(self) -> bool:
        return self._following

    def set_following(self, on: bool) -> None:
        self._following = on
        if self.follow.isChecked() != on:
            self.follow.blockSignals(True)
            self.follow.setChecked(on)
            self.follow.blockSignals(False)
        if on:
            self.view.selectionModel().clearSelection()
            self._scroll_to_bottom()

    def set_paused(self, on: bool) -> None:
        if self.pause.isChecked() != on:
            self.pause.setChecked(on)  # re-enters through toggled
            return
        self.pause.setText("Resume" if on else "Pause")
        self.pause.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if on else QStyle.StandardPixmap.SP_MediaPause))
        self.model.set_paused(on)
        if not on and self._following:
            self._scroll_to_bottom()

    def _scroll_to_bottom(self) -> None:
        self._programmatic += 1
        try:
            self.view.scrollToBottom()
        finally:
            self._programmatic -= 1

    def _rows_inserted(self, _parent, _first: int, _last: int) -> None:
        if self._following and not self.model.paused:
            self._scroll_to_bottom()

    def _rows_removing(self, _parent, first: int, last: int) -> None:
        # rows leave at the top: remember how far the content is about to move up
        sb = self.view.verticalScrollBar()
        self._removing_top = (last - first + 1) if first == 0 else 0
        self._removing_value = sb.value()

    def _rows_removed(self, _parent, _first: int, _last: int) -> None:
        n, self._removing_top = self._removing_top, 0
        if n and not self._following:  # keep the rows the user is reading where they are
            self._programmatic += 1
            try:
                self.view.verticalScrollBar().setValue(max(0, self._removing_value - n))
            finally:
                self._programmatic -= 1

    def _scrolled(self, value: int) -> None:
        if self._programmatic or self.model.paused:
            return
        at_bottom = value >= self.view.verticalScrollBar().maximum()
        if at_bottom != self._following:
            self.set_following(at_bottom)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        if self._following:
            self.set_following(False)
        row: JournalRow | None = current.data(RowRole)
        if row is not None and row.name and row.category == "delta":
            key = f"{row.namespace}/{row.name}" if row.namespace else row.name
            self.sigObjectSelected.emit(row.context, row.resource, key)

    def set_expanded(self, row: int, on: bool) -> int:
        """Open (or close) the atomic relist or resync whose row is ``row``, as a click on
        its indicator does; returns how many rows appeared or went."""
        return self.groups.toggle(row, on)

    def select_row(self, row: int) -> None:
        """Select row ``row`` as a click does (for tests and keyboard users)."""
        idx = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )

    def _counts(self, shown: int, kept: int, pending: int) -> None:
        total = self.model.journal.total
        text = f"{shown:,} of {kept:,} shown"
        self.counts.setText(text)
        self.counts.setToolTip(
            f"{shown:,} events match the filter; the log keeps the newest {kept:,} "
            f"(at most {self.model.journal.capacity:,}); {total:,} recorded since start"
        )
        self.new_label.setText(f"<b>{pending:,} new</b>" if pending else "")
        self.filters.fill_namespaces()
        self._fit_new_content(shown)

    def _fit_new_content(self, shown: int) -> None:
        """Refit the columns when a new context, resource or event type appears, and while
        the first rows arrive (a handful of times per run, never per row)."""
        idx = self.model.index_
        seen = (len(idx.contexts), len(idx.resources), len(idx.types), min(shown, 200) // 50)
        if seen != self._content_seen:
            self._content_seen = seen
            if self._auto_context:  # one context: the column would say the same on every row
                self.view.setColumnHidden(CONTEXT, len(idx.contexts) < 2)
            self._fold_notifications()
            self.columns.refit()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize and obj is self._viewport:
            self._fold_notifications()
        return False

    def _fold_notifications(self) -> None:
        """Too narrow for every column (a dock of a 1280-pixel window), the notification
        goes to the start of the Detail cell instead of a column of its own; hidden by the
        user, likewise."""
        if self._auto_context:
            fits = measure_columns(self.view, self.model)
            need = self.columns.stretch_least + sum(
                f.least for c, f in fits.items() if c != DETAIL and not (c != NOTIFICATION and self.view.isColumnHidden(c)))
            fold = need > self._viewport.width()
            if fold != self.view.isColumnHidden(NOTIFICATION):
                self.view.setColumnHidden(NOTIFICATION, fold)
        self.model.set_folded(self.view.isColumnHidden(NOTIFICATION))

    # ------------------------------------------------------------------ filters
    def current_filter(self) -> EventFilter:
        return self.filters.current()

    def set_types(self, shown: set[str] | None) -> None:
        """Show only these event types (None: all)."""
        self.filters.set_types(shown)

    def set_resources(self, shown: set[str] | None) -> None:
        self.filters.set_resources(shown)

    def apply_filter(self) -> None:
        flt = self.current_filter()
        if flt == self.model.filter:
            return
        self._programmatic += 1
        try:
            self.model.set_filter(flt)
        finally:
            self._programmatic -= 1
        self.filters.show_counts(flt)
        if self._following:
            self._scroll_to_bottom()

    def set_capacity(self, capacity: int) -> None:
        if capacity != self.model.journal.capacity:
            self.model.set_capacity(capacity)
            self.sigCapacityChanged.emit(capacity)
        if self.capacity.value() != capacity:
            self.capacity.setValue(capacity)

    # ------------------------------------------------------------------ export
    def _rows(self, shown: bool) -> list[JournalRow]:
        return self.model.shown_rows() if shown else list(self.model.journal)

    def export(self, path: str | os.PathLike[str], fmt: str | None = None, *, shown: bool = True) -> int:
        """Write the shown (or all kept) events to ``path`` as "jsonl" or "csv" (default:
        from the extension); returns the number of rows written. Details are redacted and
        rows never carry object contents, so no Secret value can be written."""
        return write_rows(self._rows(shown), path, fmt)

    def export_dialog(self, fmt: str, *, shown: bool = True) -> str:
        """Ask the desktop's save dialog where to write the events shown (or kept) now, then
        write them off the GUI thread (``sigExported`` when done); returns the path chosen
        ("" when cancelled)."""
        rows = self._rows(shown)
        path = self.export_place.ask(self, fmt, {r.context for r in rows})
        if not path:
            return ""
        job = self.export_job = ExportJob(rows, path, fmt, self)
        job.sigDone.connect(self._exported)
        self.export_btn.setEnabled(False)
        self.export_btn.setText("Exporting…")
        self._status(f"Exporting {len(rows):,} events to {path}…")
        job.start()
        return path

    def _exported(self, path: str, n: int, why: str) -> None:
        self.export_job = None
        self.export_btn.setEnabled(True)
        self.export_btn.setText("Export ▾")
        if why:
            self._status(f"Export to {path} failed: {why}")
            self.last_error = report_failure(self, path, why)
        else:
            self.export_place.remember(path)
            self._status(f"Exported {n:,} events to {path}")
        self.sigExported.emit(path, n, why)

    def _status(self, text: str) -> None:
        win = self.window()
        if hasattr(win, "statusBar"):
            win.statusBar().showMessage(text, 8000)
