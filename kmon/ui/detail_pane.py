"""The selected object: its cached YAML and its delta history with diffs, in tabs.

Why this module exists: "what does the cache hold for this object, and how did it get
there?" YAML comes from the cached object (Secret values masked through
``kmon.monitor.masking`` until "Reveal values" is pressed, managedFields hidden unless asked);
in metadata-only mode "Fetch full object" gets it from the server off the GUI thread. The
History tab lists every delta (time, type, resourceVersion, and what the handlers got: e.g.
"relist at rv 812: updated rv 5 → 9 (on_update)") and the unified diff of the chosen one against the previous version. The pane refreshes only when a
batch touched the selected object.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kmon.monitor.feed import DeltaItem
from kmon.monitor.history import diff_objects, object_yaml
from kmon.monitor.notifications import label_tooltip
from kmon.monitor.masking import is_secret
from kmon.monitor.node_summary import summarize_node
from kmon.monitor.secret_values import decoded_secret
from kmon.monitor.summary import display_resource, kind_for
from kmon.monitor.tree_node import OBJECT, Node, unwrap

from .yaml_view import YamlView

__all__ = ["DetailPane"]


def _clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int((t % 1) * 1000):03d}"


class DetailPane(QWidget):
    sigFetchFull = Signal(str, str, str)  # context, resource, key

    def __init__(self, workspace, parent=None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.sel: tuple[str, str, str] | None = None
        self._obj: Any = None
        self._full: dict | None = None  # full object fetched from the server (metadata-only)
        self._deleted = False
        self._follow_latest = True

        self.title = QLabel("Select an object in the tree")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f = self.title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.1)
        self.title.setFont(f)
        self.subtitle = QLabel("")

        self.reveal = QPushButton("Reveal values")
        self.reveal.setCheckable(True)
        self.reveal.setToolTip("Show the values of this Secret, decoded from base64 (they are masked by default)")
        self.reveal.setVisible(False)
        self.decoded_note = QLabel("data values decoded from base64; binary values shown by size")
        self.decoded_note.setObjectName("decodedNote")
        self.decoded_note.setVisible(False)
        self.managed = QCheckBox("Show managedFields")
        self.managed.setToolTip("Show metadata.managedFields in the YAML and the diffs")
        self.fetch = QPushButton("Fetch full object")
        self.fetch.setToolTip("Get the whole object from the server (the cache holds metadata only)")
        self.fetch.setVisible(False)
        self.yaml = YamlView()

        yaml_tab = QWidget()
        self.yaml_bar = QWidget()  # only for a Secret or a metadata-only object: no empty row
        bar = QHBoxLayout(self.yaml_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.reveal)
        bar.addWidget(self.decoded_note)
        bar.addWidget(self.fetch)
        bar.addStretch(1)
        lay = QVBoxLayout(yaml_tab)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.yaml_bar)
        lay.addWidget(self.yaml)

        self.entries = QTreeWidget()
        self.entries.setHeaderLabels(["Time", "Delta", "Resource version", "What the handlers got"])
        self.entries.headerItem().setToolTip(3, "Where the delta came from (the watch, the initial list, a relist at "
                                                "its version, a resync), what it did to the object and the call "
                                                "the informer's handlers received")
        self.entries.setRootIsDecorated(False)
        self.entries.setUniformRowHeights(True)
        self.entries.setAlternatingRowColors(True)
        self.diff = YamlView(diff=True)
        self.hist_split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.entries)
        split.addWidget(self.diff)
        split.setStretchFactor(0, 0)  # the list as tall as its rows (up to 6), the diff the rest
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.entries.setMinimumHeight(self.entries.header().sizeHint().height() + self.fontMetrics().height() + 6)
        self._split_dragged = False
        split.splitterMoved.connect(lambda *_a: setattr(self, "_split_dragged", True))
        hist_tab = QWidget()
        hl = QVBoxLayout(hist_tab)
        hl.setContentsMargins(4, 4, 4, 4)
        self.hist_label = QLabel("")
        hl.addWidget(self.hist_label)
        hl.addWidget(split)

        self.tabs = QTabWidget()
        self.tabs.addTab(yaml_tab, "YAML")
        self.tabs.addTab(hist_tab, "History")
        self.tabs.setCornerWidget(self.managed, Qt.Corner.TopRightCorner)  # (one for both tabs)
        # a context, namespace or kind row: what it is, instead of an object's tabs
        self.summary = QTextBrowser()
        self.summary.setObjectName("nodeSummary")
        self.summary.setOpenLinks(False)
        self.summary.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.summary)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 0)
        outer.addWidget(self.title)
        outer.addWidget(self.subtitle)
        outer.addWidget(self.pages, 1)
        self._node: Node | None = None  # the selected context, namespace or kind row
        self._summary_html: str | None = None

        self.reveal.toggled.connect(self._reveal_toggled)
        self.managed.toggled.connect(self._managed_toggled)
        self.tabs.currentChanged.connect(lambda _i: self._fit_entries(self.entries.topLevelItemCount()))
        self.fetch.clicked.connect(self._fetch)
        self.entries.currentItemChanged.connect(self._entry_chosen)
        self.entries.itemClicked.connect(lambda *_: setattr(self, "_follow_latest", False))
        self.ws.sigApplied.connect(self.on_batch)
        self.ws.sigContextsChanged.connect(self._contexts_changed)
        self._secondary_text()
        self.show_node(None)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._secondary_text()

    def _secondary_text(self) -> None:
        """Subtitle and notes in the palette's secondary text colour: readable on light and
        dark palettes alike (a disabled label's grey is too faint on white)."""
        pal = self.palette()
        for label in (self.subtitle, self.decoded_note):
            p = label.palette()
            p.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.PlaceholderText))
            label.setPalette(p)

    # ------------------------------------------------------------------ selection
    def show_node(self, node: Node | None) -> None:
        if node is None or node.level != OBJECT:  # no row, or a context/namespace/kind row
            self._clear_object()
            self._node = node if node is not None and node.attached else None
            self._render_summary()
            return
        self._node = None
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setTabEnabled(1, True)
        sel = (node.context, node.resource, node.key)
        if sel != self.sel:
            self.sel = sel
            self._full = None
            self._follow_latest = True
            self.reveal.blockSignals(True)  # (rendered below, once, for the new object)
            self.reveal.setChecked(False)
            self.reveal.setText("Reveal values")
            self.reveal.blockSignals(False)
        self._obj = node.obj
        self._deleted = node.is_deleted
        self._refresh(node)

    def _clear_object(self) -> None:
        """Forget the object shown: no YAML, no history, no count of its deltas left."""
        self.sel = None
        self._obj = None
        self._full = None
        self.yaml.set_text("")
        self.diff.set_text("")
        self.entries.clear()
        self.hist_label.setText("")
        self.tabs.setTabText(1, "History")
        self.tabs.setTabEnabled(1, False)
        self.reveal.setVisible(False)
        self.decoded_note.setVisible(False)
        self.fetch.setVisible(False)
        self.yaml_bar.setVisible(False)

    def _render_summary(self) -> None:
        node = self._node
        if node is None or not node.attached:
            self._node = None
            self.title.setText("Select an object in the tree")
            self.subtitle.setText("")
            self._summary_html = None
            self.summary.setHtml("<p><i>Select an object in the tree to see its YAML and its delta "
                                 "history; select a context, namespace or kind to see what it holds.</i></p>")
        else:
            session = self.ws.session(node.context)
            s = summarize_node(node, server=session.server if session is not None else "", states=self.ws.states)
            self.title.setText(s.title)
            self.subtitle.setText(s.subtitle)
            if s.html != self._summary_html:
                self._summary_html = s.html
                self.summary.setHtml(s.html)
        self.pages.setCurrentWidget(self.summary)

    def _refresh(self, node: Node | None = None) -> None:
        if self.sel is None:
            return
        ctx, res, key = self.sel
        if node is None:
            node = self.ws.tree.find(ctx, res, key)
            if node is None:
                self._deleted = True
            else:
                self._obj, self._deleted = node.obj, node.is_deleted
        obj = unwrap(self._obj)
        kind = obj.get("kind") if isinstance(obj, Mapping) else None  # a dict or a cached RawObject
        if not kind or kind == "PartialObjectMetadata":
            kind = kind_for(res) or display_resource(res)
        self.title.setText(f"{kind} {key}" + ("  (deleted)" if self._deleted else ""))
        rv = node.rv if node is not None else ""
        last = node.last_type if node is not None else "Deleted"
        self.subtitle.setText(f"{ctx} · {res} · resourceVersion {rv} · last delta {last}")
        secret = res.partition(".")[0] == "secrets" or is_secret(obj)
        self.reveal.setVisible(secret)
        self.decoded_note.setVisible(secret and self.reveal.isChecked())
        fetch = self.ws.options.metadata_only or self._full is not None
        self.fetch.setVisible(fetch)
        self.yaml_bar.setVisible(secret or fetch)
        self._render_yaml()
        self._render_history()

    def _render_yaml(self) -> None:
        if self.sel is None:
            return
        obj = self._full if self._full is not None else self._obj
        text = object_yaml(
            self._shown(obj),
            show_managed_fields=self.managed.isChecked(),
            reveal=self.reveal.isChecked(),
            resource=self.sel[1],
        )
        self.yaml.set_text(text)

    def _render_history(self) -> None:
        ctx, res, key = self.sel
        es = self.ws.history.entries(ctx, res, key)
        current = self.entries.currentItem()
        chosen = self.entries.indexOfTopLevelItem(current) if current is not None else -1
        self.entries.blockSignals(True)
        self.entries.clear()
        for e in es:
            item = QTreeWidgetItem(self.entries, [_clock(e.time), e.type, e.resource_version, e.note or e.source])
            if e.notification:
                item.setToolTip(3, f"{e.note}\n{label_tooltip(e.notification)}")
        for i in range(4):
            self.entries.resizeColumnToContents(i)
        self.entries.blockSignals(False)
        n = len(es)
        self._fit_entries(n)
        self.hist_label.setText(f"{n} delta{'s' if n != 1 else ''} recorded for this object")
        self.tabs.setTabText(1, f"History ({n})")
        if n:
            row = n - 1 if self._follow_latest or chosen < 0 or chosen >= n else chosen
            self.entries.setCurrentItem(self.entries.topLevelItem(row))
            self._show_diff(row)
        else:
            self.diff.set_text("")

    def _fit_entries(self, n: int) -> None:
        """The delta list as tall as its rows (at most 6, then it scrolls) unless the user
        moved the divider: the diff below is what is read."""
        total = sum(self.hist_split.sizes())
        if self._split_dragged or total <= 0:
            return
        row = self.entries.sizeHintForRow(0) if n else self.fontMetrics().height()
        want = self.entries.header().sizeHint().height() + max(1, min(n, 6)) * max(row, 1) + 2 * self.entries.frameWidth() + 2
        want = min(want, total // 2)
        if self.hist_split.sizes()[0] != want:
            self.hist_split.setSizes([want, total - want])

    def _entry_chosen(self, current, _previous) -> None:
        if current is None or self.sel is None:
            return
        row = self.entries.indexOfTopLevelItem(current)
        self._follow_latest = row == self.entries.topLevelItemCount() - 1
        self._show_diff(row)

    def _show_diff(self, row: int) -> None:
        ctx, res, key = self.sel
        es = self.ws.history.entries(ctx, res, key)
        if not 0 <= row < len(es):
            return
        cur = es[row]
        prev = es[row - 1] if row > 0 else None
        text = diff_objects(
            self._shown(prev.object) if prev else None,
            self._shown(cur.object),
            old_label=(
                f"rv {prev.resource_version} ({prev.type})" if prev
                else "(not in cache)" if cur.type == "Added" or cur.source == "initial list"
                else "(older versions no longer kept)"
            ),
            new_label=f"rv {cur.resource_version} ({cur.type}, {cur.source})",
            show_managed_fields=self.managed.isChecked(),
            reveal=self.reveal.isChecked(),
            resource=res,
        )
        if not text:
            text = "# no change in the object:\n# a resync, or a relist delivering the same version\n"
        self.diff.set_text(text, keep_scroll=False)

    def _shown(self, obj: Any) -> Any:
        """The object as shown: a revealed Secret's values decoded from base64."""
        return decoded_secret(obj, self.sel[1]) if self.reveal.isChecked() and self.sel is not None else obj

    def _reveal_toggled(self, on: bool) -> None:
        self.reveal.setText("Hide values" if on else "Reveal values")
        self.decoded_note.setVisible(on and not self.reveal.isHidden())
        self._render_yaml()
        if self.sel is not None:
            self._render_history()

    def _managed_toggled(self, _on: bool) -> None:
        self._render_yaml()
        if self.sel is not None:
            self._render_history()

    def _fetch(self) -> None:
        if self.sel is None:
            return
        ctx, res, key = self.sel
        self.fetch.setEnabled(False)
        self.fetch.setText("Fetching…")
        sel = self.sel

        def done(obj: dict) -> None:
            self.fetch.setEnabled(True)
            self.fetch.setText("Fetch full object")
            if self.sel == sel:
                self._full = obj
                self._render_yaml()

        task = self.ws.fetch_full(ctx, res, key, done)
        if task is not None:
            task.add_done_callback(lambda t: (self.fetch.setEnabled(True), self.fetch.setText("Fetch full object")))
        self.sigFetchFull.emit(ctx, res, key)

    def _contexts_changed(self, names: list[str]) -> None:
        if self.sel is not None and self.sel[0] not in names:
            self.show_node(None)  # its context was closed
        elif self._node is not None:
            self._render_summary()  # (a closed context's rows are detached: the prompt again)

    # ------------------------------------------------------------------ live updates
    def on_batch(self, items: list) -> None:
        if self._node is not None:
            self._render_summary()  # counts and informer states move with every batch
            return
        if self.sel is None:
            return
        ctx, res, key = self.sel
        for it in items:
            if isinstance(it, DeltaItem) and it.record.key == key and it.resource == res and it.context == ctx:
                self._refresh()
                return

