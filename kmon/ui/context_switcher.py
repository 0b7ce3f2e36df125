"""Choosing kubeconfig contexts: the toolbar combo box and the Ctrl+K quick switcher.

Why this module exists: operators juggle many contexts; both widgets list every context of
the merged kubeconfig with its cluster, user and namespace, and say nothing about how a
switch happens — they emit ``sigSwitch(name)`` (replace the open contexts) or
``sigOpen(name)`` (open another root), and the window wires those to the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QListView, QVBoxLayout

__all__ = ["ContextEntry", "ContextSwitcher", "QuickSwitcher", "load_context_entries"]


@dataclass(frozen=True)
class ContextEntry:
    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = "default"
    server: str = ""

    def describe(self) -> str:
        return f"cluster {self.cluster or '?'} · user {self.user or '?'} · ns {self.namespace}"


def load_context_entries(kubeconfig=None) -> tuple[list[ContextEntry], str | None, str]:
    """(entries, current context, error text) from the merged kubeconfig (files only, no
    network)."""
    try:
        from kmon.kube.config import load_kubeconfig

        cfg = load_kubeconfig(kubeconfig)
    except Exception as e:  # a broken kubeconfig is shown, not raised
        return [], None, str(e)
    entries = [ContextEntry(c.name, c.cluster, c.user, c.namespace, c.server) for c in cfg.contexts]
    return entries, cfg.current_context or None, ""


def _model(entries: list[ContextEntry]) -> QStandardItemModel:
    m = QStandardItemModel()
    for e in entries:
        it = QStandardItem(e.name)
        it.setData(e.name, Qt.ItemDataRole.UserRole)
        it.setToolTip(f"{e.name}\n{e.describe()}\n{e.server}")
        it.setEditable(False)
        m.appendRow(it)
    return m


class ContextSwitcher(QComboBox):
    """The toolbar's context list. Choosing an entry emits ``sigSwitch``."""

    sigSwitch = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.entries: list[ContextEntry] = []
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(22)
        self.setToolTip("Kubeconfig context (Ctrl+K to search)")
        self.activated.connect(self._activated)

    def set_entries(self, entries: list[ContextEntry]) -> None:
        self.entries = list(entries)
        self.blockSignals(True)
        self.clear()
        for e in self.entries:
            # the drop-down shows cluster, user and namespace beside each name; the closed
            # box shows the name only (paintEvent)
            self.addItem(f"{e.name}    —  {e.describe()}", e.name)
            i = self.count() - 1
            self.setItemData(i, f"{e.name}\n{e.describe()}\n{e.server}", Qt.ItemDataRole.ToolTipRole)
        self.blockSignals(False)
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)

    def set_current(self, name: str) -> None:
        i = self.findData(name)
        if i >= 0 and i != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(i)
            self.blockSignals(False)

    def current_name(self) -> str:
        return self.currentData() or ""

    def _activated(self, index: int) -> None:
        name = self.itemData(index)
        if name:
            self.sigSwitch.emit(name)

    def paintEvent(self, event) -> None:  # show only the name in the closed box
        from PySide6.QtWidgets import QStyle, QStyleOptionComboBox, QStylePainter

        p = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        opt.currentText = self.current_name() or opt.currentText
        p.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        p.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


class QuickSwitcher(QDialog):
    """A filterable popup (Ctrl+K): type to narrow, Enter to choose. ``mode`` is "switch"
    (emits ``sigSwitch``) or "open" (emits ``sigOpen``)."""

    sigSwitch = Signal(str)
    sigOpen = Signal(str)

    def __init__(self, entries: list[ContextEntry], parent=None, *, mode: str = "switch") -> None:
        super().__init__(parent)
        self.mode = mode
        self.setWindowTitle("Switch context" if mode == "switch" else "Open another context")
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.Popup if parent is not None else Qt.WindowType.Dialog, True)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type a context, cluster or user…")
        self.filter.setClearButtonEnabled(True)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(_model(entries))
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(Qt.ItemDataRole.ToolTipRole)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        hint = QLabel("Enter: " + ("switch to" if mode == "switch" else "open beside the others") + " · Esc: close")
        hint.setEnabled(False)
        lay = QVBoxLayout(self)
        lay.addWidget(self.filter)
        lay.addWidget(self.list)
        lay.addWidget(hint)
        self.resize(460, 320)
        self.filter.textChanged.connect(self._filter)
        self.filter.returnPressed.connect(self.accept_current)
        self.list.activated.connect(lambda _i: self.accept_current())
        self._filter("")
        self.filter.setFocus()

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        if self.proxy.rowCount():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.filter.hasFocus():
            row = self.list.currentIndex().row() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= row < self.proxy.rowCount():
                self.list.setCurrentIndex(self.proxy.index(row, 0))
            return
        super().keyPressEvent(event)

    def accept_current(self) -> None:
        idx = self.list.currentIndex()
        if not idx.isValid():
            return
        name = idx.data(Qt.ItemDataRole.UserRole)
        (self.sigSwitch if self.mode == "switch" else self.sigOpen).emit(name)
        self.accept()
