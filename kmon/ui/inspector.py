"""The cache inspector view: informer health at a glance, and "Verify cache".

Why this module exists: operators need to see each informer's state (listing, watching,
backing off...) and counters, and to check on demand that a cache equals the cluster.
Verification lists the whole resource from the server, so it runs on the task runner's pool
(``kmon.ui.tasks``), never on the GUI thread; the outcome shows in the table's Verify column,
in the result panel below it, and in the event log (the session pushes a "verified"
``SessionItem`` into the feed).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kmon.monitor.path_text import context_profile

from .columns import ColumnChooser, ColumnSizer, ElidedToolTips, Fit, chars_width, elide_column, header_width, text_width
from .inspector_model import COLUMNS, HIDDEN, InspectorModel, VerifyLevel

__all__ = ["Inspector"]

_MAX_KEYS = 25  # keys listed per kind of difference in the panel
# the columns that give way to the last error, elided (Context and Resource in the middle, the
# others and their titles at the end) down to about this; a cell's whole text, and what it
# means, in its tooltip
_SHRINKS = {"Context": "kmon-dem…o-2", "Resource": "deployments.apps", "Last watch end": "expired",
            "Synced since": "Synced…", "Last event": "Last e…", "Watches": "12 / 11 · open",
            "Queue": "RealFIFO…", "Initial sync": "WatchList", "Gates": "1.36 ·…"}
# the path an informer runs: its short cells stay whole while the other columns can give way
# (at 1920 px; narrower, they are elided too, their whole text on hover)
_PATH = ("Queue", "Initial sync", "Gates")
# what the last error keeps while other columns can still give way (its whole text on hover)
_ERROR_CHARS = 16


class Inspector(QWidget):
    sigVerified = Signal(str, str, object)  # context, resource, VerifyResult or exception
    sigContextSelected = Signal(str)

    def __init__(self, workspace, model: InspectorModel | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.ws = workspace
        self.model = model if model is not None else InspectorModel(self)
        self.results: dict[tuple[str, str], Any] = {}
        self.running: set[tuple[str, str]] = set()

        self.view = QTableView()
        self.view.setObjectName("inspectorView")
        self.view.setMinimumHeight(3 * self.fontMetrics().height())
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)  # the last error: what is left, elided at its end
        hh.setTextElideMode(Qt.TextElideMode.ElideRight)  # a title cut short says so ("Initi…")
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        for name in ("Context", "Resource"):  # "kmon-demo" and "kmon-demo-2" stay apart
            elide_column(self.view, COLUMNS.index(name), Qt.TextElideMode.ElideMiddle)
        self.columns = ColumnSizer(self.view, self._measure, stretch=COLUMNS.index("Last error"),
                                   stretch_least=chars_width(self.view, _ERROR_CHARS))
        for name in HIDDEN:  # (right click on the header shows them)
            self.view.setColumnHidden(COLUMNS.index(name), True)
        ElidedToolTips(self.view)
        self.column_chooser = ColumnChooser(self.view, self.columns)
        self.view.viewport().installEventFilter(self)  # (after the sizer's: runs before it)

        self.verify_btn = QPushButton("Verify cache")
        self.verify_btn.setToolTip("Compare the selected informers' caches with a fresh list from the server")
        self.verify_all_btn = QPushButton("Verify all")
        self.verify_all_btn.setToolTip("Compare every informer's cache with a fresh list from the server")
        self.summary = QLabel("")
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 0, 2, 0)
        bar.addWidget(self.verify_btn)
        bar.addWidget(self.verify_all_btn)
        bar.addWidget(self.summary, 1)

        self.result = QTextBrowser()
        self.result.setObjectName("verifyResult")
        self.result.setOpenLinks(False)
        self.result.setPlaceholderText("Verify results appear here: keys missing from the cache, extra keys, "
                                       "and stale objects (older resourceVersion than the server's).")
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.result)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.result.setMinimumHeight(3 * self.fontMetrics().height())
        self.result.hide()  # until there is a result to show
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addWidget(split, 1)

        self.verify_btn.clicked.connect(self.verify_selected)
        self.verify_all_btn.clicked.connect(self.verify_all)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.rowsInserted.connect(lambda *_a: self._update_summary())
        self.model.rowsRemoved.connect(lambda *_a: self._update_summary())
        self._update_summary()
        self.columns.refit()

    # ------------------------------------------------------------------ refresh
    def refresh(self, stats: dict[tuple[str, str], Any]) -> None:
        self.model.update_stats(stats)
        self._update_summary()
        self.columns.refit()  # (a few dozen rows, once a second: columns grow to new text)

    def _measure(self) -> dict[int, Fit]:
        """Every column's content width (the rows are informers: a few dozen at most); the
        path columns give way only once the others cannot."""
        rows = self.model.rows[:200]
        out = {}
        for c, name in enumerate(COLUMNS):
            want = max(header_width(self.view, c), text_width(self.view, [r.cells[c] for r in rows]))
            least = text_width(self.view, [_SHRINKS[name]]) if name in _SHRINKS else want
            out[c] = Fit(want, min(want, least))
        # the last error keeps room for a few words only when some informer has one
        err = COLUMNS.index("Last error")
        # (a stretched last section is never narrower than the header's default section size)
        self.columns.stretch_least = max(self.view.horizontalHeader().defaultSectionSize(), header_width(self.view, err),
                                         chars_width(self.view, _ERROR_CHARS) if any(r.cells[err] for r in rows) else 0)
        shown = [c for c in out if c != self.columns.stretch and not self.view.isColumnHidden(c)]
        path = [COLUMNS.index(n) for n in _PATH if COLUMNS.index(n) in shown]
        floor = sum(out[c].least for c in shown) + self.columns.stretch_least
        if floor + sum(out[c].want - out[c].least for c in path) <= self.view.viewport().width():
            for c in path:
                out[c] = Fit(out[c].want, out[c].want)
        return out

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize:
            self.columns.refit()  # (whether the path columns can stay whole depends on the width)
        return False

    def _update_summary(self) -> None:
        states: dict[str, int] = {}
        for r in self.model.rows:
            s = r.cells[2] if len(r.cells) > 2 else ""
            states[s] = states.get(s, 0) + 1
        text = ", ".join(f"{n} {s}" for s, n in sorted(states.items()) if s)
        same = context_profile(r.stats.features for r in self.model.rows if r.stats is not None)
        self.summary.setText(f"{len(self.model.rows)} informers" + (f": {text}" if text else "")
                             + (f" · all on {same}" if same else ""))

    def _current_changed(self, current, _previous) -> None:
        key = self.model.key_at(current.row())
        if key is not None:
            self.sigContextSelected.emit(key[0])
            res = self.results.get(key)
            if res is not None:
                self._show_result(key, res)

    # ------------------------------------------------------------------ verify
    def selected_keys(self) -> list[tuple[str, str]]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [k for k in (self.model.key_at(r) for r in rows) if k is not None]

    def select(self, context: str, resource: str) -> bool:
        r = self.model.row_of(context, resource)
        if r is None:
            return False
        self.view.selectRow(self.model.rows.index(r))
        return True

    def verify_selected(self) -> None:
        keys = self.selected_keys()
        if not keys:
            self.result.show()
            self.result.setHtml("<i>Select one or more informers first (or use Verify all).</i>")
            return
        for k in keys:
            self.verify(*k)

    def verify_all(self) -> None:
        for r in list(self.model.rows):
            self.verify(r.context, r.resource)

    def verify(self, context: str, resource: str):
        """Verify one informer's cache off the GUI thread; returns the asyncio task (None
        when the context is not open or a verify of it is already running)."""
        key = (context, resource)
        session = self.ws.session(context)
        if session is None or key in self.running:
            return None
        self.running.add(key)
        self.model.set_verify_running(context, resource)

        def work() -> Any:
            try:
                return session.verify(resource)
            except Exception as e:  # shown in the panel (the session also reports it to the feed)
                return e

        return self.ws.runner.run(work, what=f"verifying {resource} in {context}", on_done=lambda res: self._done(key, res))

    def _done(self, key: tuple[str, str], result: Any) -> None:
        self.running.discard(key)
        self.results.pop(key, None)
        self.results[key] = result  # newest last
        if isinstance(result, Exception):
            r = self.model.row_of(*key)
            if r is not None and r.verify_level == VerifyLevel.RUNNING:
                r.verify, r.verify_level, r.verify_detail = "failed", VerifyLevel.ERROR, str(result)
                self.model._refresh_row(self.model.rows.index(r))
        self._render()
        self.sigVerified.emit(key[0], key[1], result)

    def _show_result(self, key: tuple[str, str], _result: Any) -> None:
        self._render(first=key)

    def _render(self, first: tuple[str, str] | None = None) -> None:
        """Every verify outcome, newest first (``first`` on top), differences spelled out."""
        keys = list(reversed(self.results))
        if first in self.results:
            keys.remove(first)
            keys.insert(0, first)
        lines = [self._result_html(k, self.results[k]) for k in keys]
        if len(keys) > 1:
            ok = sum(1 for k in keys if not isinstance(self.results[k], Exception) and self.results[k].ok)
            lines.insert(0, f"<i>{ok} of {len(keys)} verified caches match the server</i>")
        if self.result.isHidden():
            self.result.show()
            total = sum(self.split.sizes())  # (a short dock keeps most of its rows for the table)
            low = max(2 * self.fontMetrics().height() + 8, min(4 * self.fontMetrics().height() + 8, total // 3))
            self.split.setSizes([max(0, total - low), low])
        self.result.setHtml("<br>".join(lines))

    def _result_html(self, key: tuple[str, str], result: Any) -> str:
        ctx, res = key
        head = f"<b>{html.escape(res)}</b> @ {html.escape(ctx)}: "
        if isinstance(result, Exception):
            return head + f"<span style='color:#d0453a'>verify failed: {html.escape(str(result))}</span>"
        if result.ok:
            return (head + f"<span style='color:#2e9d4f'>✔ the cache matches the server</span> — "
                    f"{result.server_count:,} objects at resourceVersion {html.escape(result.server_rv)}")
        parts = [head + f"<span style='color:#e08a1e'>✘ the cache differs from the server</span> at resourceVersion "
                 f"{html.escape(result.server_rv)} (server {result.server_count:,}, cache {result.cache_count:,} objects)"]
        for label, keys, why in (
            ("missing", result.missing, "on the server, not in the cache"),
            ("extra", result.extra, "in the cache, gone from the server"),
        ):
            if keys:
                shown = ", ".join(html.escape(k) for k in keys[:_MAX_KEYS])
                more = f" … and {len(keys) - _MAX_KEYS:,} more" if len(keys) > _MAX_KEYS else ""
                parts.append(f"&nbsp;&nbsp;<b>{len(keys):,} {label}</b> ({why}): {shown}{more}")
        if result.stale:
            shown = ", ".join(f"{html.escape(k)} (cache {html.escape(a)}, server {html.escape(b)})"
                              for k, a, b in result.stale[:_MAX_KEYS])
            more = f" … and {len(result.stale) - _MAX_KEYS:,} more" if len(result.stale) > _MAX_KEYS else ""
            parts.append(f"&nbsp;&nbsp;<b>{len(result.stale):,} stale</b> (older resourceVersion than the server's): {shown}{more}")
        return "<br>".join(parts)

    def result_text(self) -> str:
        return self.result.toPlainText()
