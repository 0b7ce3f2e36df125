"""The main window: layout and wiring only.

Toolbar (context switcher, open/close context, filter box, show-deleted toggle), a
three-pane splitter (resource picker | error area + object tree | detail pane) and the status
bar. Behaviour lives in the workspace and the widgets; this class connects their signals,
defines the keyboard shortcuts and saves/restores the layout.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QMainWindow, QSplitter, QToolBar, QVBoxLayout, QWidget

from .context_switcher import ContextEntry, ContextSwitcher, QuickSwitcher
from .detail_pane import DetailPane
from .error_area import ErrorArea
from .icons import app_icon
from .resource_picker import ResourcePicker
from .settings import Settings
from .status_bar import StatusBar
from .tree_filter import parse_filter
from .tree_view import ObjectTreeView

__all__ = ["MainWindow"]


class MainWindow(QMainWindow):
    def __init__(self, workspace, settings: Settings, entries: list[ContextEntry], parent=None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.settings = settings
        self.entries = entries
        self.setWindowTitle("kmon — Kubernetes informer cache monitor")
        self.setWindowIcon(app_icon())
        self.setObjectName("kmonMainWindow")

        # --- widgets
        self.switcher = ContextSwitcher()
        self.switcher.set_entries(entries)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: name or label selector (app=web,tier!=db)   Ctrl+F")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(320)
        self.picker = ResourcePicker(workspace)
        self.errors = ErrorArea()
        self.tree = ObjectTreeView(workspace.model)
        self.detail = DetailPane(workspace)
        self.status = StatusBar(workspace)
        self.setStatusBar(self.status)

        # --- actions
        self.act_quick = QAction("Switch context…", self, shortcut=QKeySequence("Ctrl+K"))
        self.act_open = QAction("Open another context…", self, shortcut=QKeySequence("Ctrl+Shift+K"))
        self.act_open.setToolTip("Open another context beside the current ones (each is a root of the tree)")
        self.act_close = QAction("Close context", self, shortcut=QKeySequence("Ctrl+W"))
        self.act_close.setToolTip("Close the context of the selected row (stops its informers)")
        self.act_filter = QAction("Filter", self, shortcut=QKeySequence("Ctrl+F"))
        self.act_deleted = QAction("Show deleted", self, checkable=True)
        self.act_deleted.setToolTip("Keep deleted objects as greyed rows for a few seconds")
        self.act_deleted.setChecked(settings.keep_deleted())
        self.act_expand = QAction("Expand", self, shortcut=QKeySequence("Ctrl+E"))
        self.act_expand.setToolTip("Expand the selected row's subtree (Ctrl+E)")
        self.act_collapse = QAction("Collapse all", self, shortcut=QKeySequence("Ctrl+Shift+E"))
        self.act_focus_tree = QAction("Focus tree", self, shortcut=QKeySequence("Ctrl+1"))
        self.act_focus_detail = QAction("Focus detail", self, shortcut=QKeySequence("Ctrl+2"))
        self.act_focus_picker = QAction("Focus resources", self, shortcut=QKeySequence("Ctrl+3"))
        self.act_clear_filter = QAction("Clear filter", self.filter, shortcut=QKeySequence("Escape"))
        self.act_clear_filter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.filter.addAction(self.act_clear_filter)
        self.act_clear_filter.triggered.connect(self.filter.clear)
        for a in (self.act_quick, self.act_filter, self.act_focus_tree, self.act_focus_detail, self.act_focus_picker):
            self.addAction(a)

        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.addWidget(QLabel(" Context "))
        tb.addWidget(self.switcher)
        tb.addAction(self.act_open)
        tb.addAction(self.act_close)
        tb.addSeparator()
        tb.addWidget(self.filter)
        tb.addSeparator()
        tb.addAction(self.act_deleted)
        tb.addAction(self.act_expand)
        tb.addAction(self.act_collapse)
        self.addToolBar(tb)

        # --- layout
        middle = QWidget()
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.setSpacing(2)
        ml.addWidget(self.errors)
        ml.addWidget(self.tree, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.picker)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([210, 760, 520])
        self.setCentralWidget(self.splitter)
        self.setTabOrder(self.filter, self.tree)
        self.setTabOrder(self.tree, self.detail.tabs)
        self.setTabOrder(self.detail.tabs, self.picker.filter)

        # --- wiring
        self.switcher.sigSwitch.connect(workspace.switch_context)
        self.act_quick.triggered.connect(lambda: self.quick_switch("switch"))
        self.act_open.triggered.connect(lambda: self.quick_switch("open"))
        self.act_close.triggered.connect(self._close_current)
        self.act_filter.triggered.connect(self._focus_filter)
        self.act_deleted.toggled.connect(self._keep_deleted)
        self.act_expand.triggered.connect(self._expand_current)
        self.act_collapse.triggered.connect(self._collapse)
        self.act_focus_tree.triggered.connect(self.tree.setFocus)
        self.act_focus_detail.triggered.connect(self.detail.tabs.setFocus)
        self.act_focus_picker.triggered.connect(self.picker.filter.setFocus)
        # rebuilding the filtered tree is O(objects): once typing pauses, not per keystroke
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(lambda: self._filter_changed(self.filter.text()))
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter.returnPressed.connect(lambda: (self._filter_timer.stop(), self._filter_changed(self.filter.text())))
        self.tree.sigNodeSelected.connect(self.detail.show_node)
        self.tree.sigNodeSelected.connect(self._selection_context)
        self.picker.sigToggled.connect(self._toggle_resource)
        workspace.sigContextsChanged.connect(self._contexts_changed)
        workspace.sigContextState.connect(self._context_state)
        workspace.sigMessage.connect(self._message)
        self._expire = QTimer(self)
        self._expire.setInterval(500)
        self._expire.timeout.connect(lambda: [t.expire() for t in workspace.trees()])
        self._expire.start()
        self._keep_deleted(self.act_deleted.isChecked())
        self._quick: QuickSwitcher | None = None
        self.restore_layout()

    # ------------------------------------------------------------------ actions
    def quick_switch(self, mode: str = "switch") -> QuickSwitcher:
        dlg = QuickSwitcher(self.entries, self, mode=mode)
        dlg.sigSwitch.connect(self.ws.switch_context)
        dlg.sigOpen.connect(self.ws.open_context)
        geo = self.geometry()
        dlg.move(geo.x() + (geo.width() - dlg.width()) // 2, geo.y() + 80)
        dlg.show()
        dlg.filter.setFocus()
        self._quick = dlg
        return dlg

    def _close_current(self) -> None:
        ctx = self.tree.context_of_current() or self.picker.context()
        if ctx:
            self.ws.close_context(ctx)

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _filter_changed(self, text: str) -> None:
        try:
            flt = parse_filter(text)
        except ValueError as e:  # keep the current filter until the selector parses
            self.filter.setToolTip(str(e))
            self.status.showMessage(f"filter: {e}", 4000)
            return
        self.filter.setToolTip("")
        self.tree.set_source(self.ws.set_filter(flt or None))
        if flt:
            self.tree.expandToDepth(2)  # show the matching objects

    def _keep_deleted(self, on: bool) -> None:
        for tree in self.ws.trees():
            tree.keep_deleted = 4.0 if on else 0.0
        self.settings.set_keep_deleted(on)

    def _expand_current(self) -> None:
        idx = self.tree.currentIndex()
        if idx.isValid():
            self.tree.expandRecursively(idx, 2)
        else:
            self.tree.expandToDepth(1)

    def _collapse(self) -> None:
        self.tree.collapseAll()

    def _toggle_resource(self, context: str, name: str, on: bool) -> None:
        (self.ws.start_resource if on else self.ws.stop_resource)(context, name)
        running = set(self.ws.running_resources(context))
        (running.add if on else running.discard)(name)
        self.settings.set_resources(sorted(running))

    def _selection_context(self, node) -> None:
        ctx = self.tree.context_of_current()
        if ctx:
            self.picker.set_context(ctx)
            self.switcher.set_current(ctx)

    def _contexts_changed(self, names: list[str]) -> None:
        if names:
            self.switcher.set_current(names[-1])
            self.picker.set_context(names[-1])
        self.settings.set_last_contexts(names)
        for key, _ in list(self.errors.messages):
            if key.startswith("ctx:") and key[4:] not in names:
                self.errors.remove(key)
        self.setWindowTitle(f"kmon — {', '.join(names)}" if names else "kmon")

    def _context_state(self, context: str, state: str, error: str) -> None:
        if error:
            self.errors.add(f"{context}: {error}", key=f"ctx:{context}")
            self.status.showMessage(f"⚠ {context}: {error}", 15000)
        else:
            self.errors.remove(f"ctx:{context}")

    def _message(self, level: str, text: str) -> None:
        if level == "error":
            self.errors.add(text)

    # ------------------------------------------------------------------ persistence
    def restore_layout(self) -> None:
        g = self.settings.geometry()
        if g is not None:
            self.restoreGeometry(g)
        else:
            self.resize(1500, 900)
        s = self.settings.window_state()
        if s is not None:
            self.restoreState(s)
        sp = self.settings.splitter("main")
        if sp is not None:
            self.splitter.restoreState(sp)

    def save_layout(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState())
        self.settings.set_splitter("main", self.splitter.saveState())
        self.settings.set_last_contexts(self.ws.open_contexts())
        ctx = self.picker.context()
        if ctx:
            self.settings.set_resources(self.ws.running_resources(ctx))
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.save_layout()
        super().closeEvent(event)
