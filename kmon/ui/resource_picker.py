"""Which resources of a context are watched: a filterable checklist fed by discovery.

Why this module exists: built-in and custom resources come from the context's discovery;
checking one starts its informer, unchecking stops it (at run time, through the workspace,
off the GUI thread). Each entry carries a freshness dot so the list doubles as the
per-resource health view.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from kmon.monitor.feed import DeltaItem

from .icons import dot_icon

__all__ = ["ResourcePicker"]

NameRole = Qt.ItemDataRole.UserRole + 1


class ResourcePicker(QWidget):
    sigToggled = Signal(str, str, bool)  # context, resource full name, watch?

    def __init__(self, workspace, parent=None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.context_box = QComboBox()
        self.context_box.setToolTip("Context whose resources are listed")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter resources…")
        self.filter.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)
        title = QLabel("Resources")
        f = title.font()
        f.setBold(True)
        title.setFont(f)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 2, 0)
        lay.addWidget(title)
        lay.addWidget(self.context_box)
        lay.addWidget(self.filter)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.hint)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.model.itemChanged.connect(self._item_changed)
        self.context_box.currentTextChanged.connect(lambda _t: self.refresh())
        workspace.sigResourcesChanged.connect(self._resources_changed)
        # bound methods, not lambdas: Qt drops the connection when this widget is destroyed
        # while the workspace lives on (a lambda kept calling into a deleted combo box)
        workspace.sigContextState.connect(self._context_state)
        workspace.sigContextsChanged.connect(self._contexts_changed)
        workspace.sigApplied.connect(self._on_batch)
        self._updating = False
        self.context_box.setVisible(False)  # shown when several contexts are open
        self.refresh()

    def context(self) -> str:
        return self.context_box.currentText()

    def set_context(self, name: str) -> None:
        i = self.context_box.findText(name)
        if i >= 0:
            self.context_box.setCurrentIndex(i)

    def _contexts_changed(self, names: list[str]) -> None:
        cur = self.context()
        self.context_box.blockSignals(True)
        self.context_box.clear()
        self.context_box.addItems(names)
        if cur in names:
            self.context_box.setCurrentText(cur)
        self.context_box.blockSignals(False)
        self.context_box.setVisible(len(names) > 1)
        self.refresh()

    def _context_state(self, context: str, _state: str, _error: str) -> None:
        self._resources_changed(context)

    def _resources_changed(self, context: str) -> None:
        if context == self.context():
            self.refresh()

    def _on_batch(self, items: list) -> None:
        # states changed (list finished, errors): repaint dots only when not a pure delta batch
        if any(not isinstance(it, DeltaItem) for it in items):
            self.update_dots()

    def refresh(self) -> None:
        ctx = self.context()
        available = [
            r for r in self.ws.available_resources(ctx)
            if not r.verbs or ("list" in r.verbs and "watch" in r.verbs)
        ] if ctx else []
        running = set(self.ws.running_resources(ctx)) if ctx else set()
        asked = set(self.ws.options.resources)
        self._updating = True
        self.model.clear()
        rows = []
        for r in available:
            rows.append((r.full_name, r, r.full_name in running))
        for name in running:  # running before discovery shows it (should not happen)
            if not any(n == name for n, _, _ in rows):
                rows.append((name, None, True))
        rows.sort(key=lambda x: (not x[2], x[0] not in asked, x[0]))
        for name, res, on in rows:
            it = QStandardItem(name)
            it.setData(name, NameRole)
            it.setCheckable(True)
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            it.setEditable(False)
            if res is not None:
                scope = "namespaced" if res.namespaced else "cluster-scoped"
                short = f" ({', '.join(res.short_names)})" if res.short_names else ""
                it.setToolTip(f"{res.kind} {res.group or 'core'}/{res.version}{short}, {scope}")
            self.model.appendRow(it)
        self._updating = False
        n = len(available)
        cs = self.ws.states.contexts.get(ctx) if ctx else None
        if n:
            hint = f"{len(running)} watched of {n} listable resource types"
        elif cs is not None and cs.error:
            hint = f"Not connected: {cs.error}"
        else:
            hint = "Waiting for discovery…" if ctx else "No context open"
        self.hint.setText(hint)
        self.update_dots()

    def update_dots(self) -> None:
        ctx = self.context()
        self._updating = True
        for row in range(self.model.rowCount()):
            it = self.model.item(row)
            if it.checkState() != Qt.CheckState.Checked:
                it.setIcon(QIcon())
                continue
            st = self.ws.states.resources.get((ctx, it.data(NameRole)))
            level = self.ws.states.freshness(st) if st is not None else "unknown"
            it.setIcon(dot_icon(level, 10))
        self._updating = False

    def _item_changed(self, item: QStandardItem) -> None:
        if self._updating:
            return
        on = item.checkState() == Qt.CheckState.Checked
        self.sigToggled.emit(self.context(), item.data(NameRole), on)

    def checked(self) -> list[str]:
        return [
            self.model.item(r).data(NameRole)
            for r in range(self.model.rowCount())
            if self.model.item(r).checkState() == Qt.CheckState.Checked
        ]
