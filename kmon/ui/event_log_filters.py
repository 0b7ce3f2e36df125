"""The event log's filter controls: event types and notifications, resources, namespace and
a search box.

Why this module exists: what the log shows is chosen in four controls whose state becomes
one ``EventFilter`` (``current()``); the log applies it to its model. The resource and
namespace choices grow with what the journal has seen (``FilteredIndex``), filled when
their menus open or when a new namespace appears, never per row.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLineEdit, QMenu, QToolButton, QWidget

from kmon.monitor.event_filter import EventFilter
from kmon.monitor.filtered_index import FilteredIndex
from kmon.monitor.notifications import LABELS, label_tooltip
from kmon.monitor.timeseries import DELTA_TYPES

from .event_log_model import GROUP_TYPES, TYPE_GROUPS

__all__ = ["ANY_NAMESPACE", "LogFilters", "tool_button"]

ANY_NAMESPACE = "all namespaces"


def tool_button(text: str, tip: str, *, checkable: bool = False, menu: QMenu | None = None) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setAutoRaise(True)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    if menu is not None:
        b.setMenu(menu)
        b.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return b


class LogFilters(QObject):
    """The controls (``types_btn``, ``res_btn``, ``namespace``, ``text``); ``sigChanged``
    when one changed (typing: after a short pause)."""

    sigChanged = Signal()

    def __init__(self, index: Callable[[], FilteredIndex], parent: QWidget) -> None:
        super().__init__(parent)
        self._index = index
        self.types_menu = QMenu(parent)
        self.types_btn = tool_button("Events ▾", "Which event types, and which handler notifications, to show",
                                     menu=self.types_menu)
        self.types_menu.setToolTipsVisible(True)
        self.type_actions: dict[str, QAction] = {}
        for group, types in TYPE_GROUPS:
            self.types_menu.addSection(group)
            for t in types:
                self.type_actions[t] = self._check_action(self.types_menu, t)
        self.types_menu.addSection("What the handlers received")
        self.note_actions: dict[str, QAction] = {}
        for label in LABELS:
            a = self.note_actions[label] = self._check_action(self.types_menu, label)
            a.setToolTip(label_tooltip(label))
        self.types_menu.addSeparator()
        self.types_menu.addAction("Show all", self.show_all)
        self.types_menu.addAction("Only reflector and session events",
                                  lambda: self.set_types(set(self.type_actions) - set(DELTA_TYPES) - set(GROUP_TYPES)))
        self.res_menu = QMenu(parent)
        self.res_menu.aboutToShow.connect(self.fill_resources)
        self.res_btn = tool_button("Resources ▾", "Which resources to show", menu=self.res_menu)
        self.res_actions: dict[str, QAction] = {}
        self.namespace = QComboBox()
        self.namespace.setToolTip("Show one namespace only")
        self.namespace.addItem(ANY_NAMESPACE)
        self.namespace.setMinimumContentsLength(12)
        self.namespace.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._ns_known = 0
        self.text = QLineEdit()
        self.text.setPlaceholderText("Search name, detail, rv…")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(100)
        self.typing = QTimer(self)
        self.typing.setSingleShot(True)
        self.typing.setInterval(150)
        self.typing.timeout.connect(self.sigChanged)
        self.text.textChanged.connect(lambda _t: self.typing.start())
        self.namespace.currentIndexChanged.connect(lambda _i: self.sigChanged.emit())

    def _check_action(self, menu: QMenu, text: str) -> QAction:
        a = menu.addAction(text)
        a.setCheckable(True)
        a.setChecked(True)
        a.toggled.connect(lambda _on: self.sigChanged.emit())
        return a

    @staticmethod
    def _check(actions: dict[str, QAction], shown: set[str] | None) -> None:
        for name, a in actions.items():
            a.blockSignals(True)
            a.setChecked(shown is None or name in shown)
            a.blockSignals(False)

    def set_types(self, shown: set[str] | None) -> None:
        """Show only these event types (None: all)."""
        self._check(self.type_actions, shown)
        self.sigChanged.emit()

    def show_all(self) -> None:
        """Every event type and every notification."""
        self._check(self.type_actions, None)
        self._check(self.note_actions, None)
        self.sigChanged.emit()

    def set_notifications(self, shown: set[str] | None) -> None:
        """Show only the deltas whose handlers got these notifications (None: all)."""
        self._check(self.note_actions, shown)
        self.sigChanged.emit()

    def set_resources(self, shown: set[str] | None) -> None:
        self.fill_resources()
        self._check(self.res_actions, shown)
        self.sigChanged.emit()

    def fill_resources(self) -> None:
        for r in sorted(self._index().resources):
            if r and r not in self.res_actions:
                self.res_actions[r] = self._check_action(self.res_menu, r)

    def fill_namespaces(self) -> None:
        """Offer the namespaces seen so far (cheap: only when one appeared)."""
        known = self._index().namespaces
        if len(known) == self._ns_known:
            return
        names = sorted(known)
        self._ns_known = len(names)
        cur = self.namespace.currentText()
        self.namespace.blockSignals(True)
        self.namespace.clear()
        self.namespace.addItem(ANY_NAMESPACE)
        self.namespace.addItems(names)
        self.namespace.setCurrentIndex(max(0, self.namespace.findText(cur)))
        self.namespace.blockSignals(False)

    def current(self) -> EventFilter:
        self.typing.stop()
        ns = self.namespace.currentText()
        return EventFilter(
            hidden_types=frozenset(t for t, a in self.type_actions.items() if not a.isChecked()),
            hidden_resources=frozenset(r for r, a in self.res_actions.items() if not a.isChecked()),
            namespace=None if ns == ANY_NAMESPACE or not ns else ns,
            text=self.text.text().strip(),
            hidden_notifications=frozenset(n for n, a in self.note_actions.items() if not a.isChecked()),
        )

    def show_counts(self, flt: EventFilter) -> None:
        """The buttons say how many choices are on while some are off."""
        hidden = len(flt.hidden_types) + len(flt.hidden_notifications)
        n_types = len(self.type_actions) + len(self.note_actions) - hidden
        n_res = len(self.res_actions) - len(flt.hidden_resources)
        self.types_btn.setText(f"Events ({n_types}) ▾" if hidden else "Events ▾")
        self.res_btn.setText(f"Resources ({n_res}) ▾" if flt.hidden_resources else "Resources ▾")
