"""The main window: layout and wiring only.

Menu bar (``menus.py``), toolbar (context switcher, open/close context, filter box,
show-deleted toggle), a three-pane splitter (resource picker | notices + object tree or
the empty state | detail pane) and the status bar. Behaviour lives in the workspace and the
widgets; this class connects their signals, defines the window's actions and saves/restores
the layout. Its title is "kmon — <open contexts>" (the application sets no display name,
which Qt would append to every title again).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from .context_switcher import ContextEntry, ContextSwitcher, QuickSwitcher
from .detail_pane import DetailPane
from .empty_state import EmptyState
from .error_area import ErrorArea
from .filter_box import FilterBox
from .icons import app_icon
from .menus import MenuBar
from .notice_bar import NoticeBar
from .resource_picker import ResourcePicker
from .settings import Settings
from .status_bar import StatusBar
from .tree_view import ObjectTreeView

__all__ = ["MainWindow"]


class MainWindow(QMainWindow):
    def __init__(self, workspace, settings: Settings, entries: list[ContextEntry], parent=None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.settings = settings
        self.entries = entries
        self.kubeconfigs = None  # set by attach_kubeconfigs (a live window; a replay has none)
        self.setWindowTitle("kmon")
        self.setWindowIcon(app_icon())
        self.setObjectName("kmonMainWindow")

        # --- widgets
        self.switcher = ContextSwitcher()
        self.switcher.set_entries(entries)
        self.filter = FilterBox()
        self.picker = ResourcePicker(workspace)
        self.errors = ErrorArea()
        self.notices = NoticeBar()
        self.empty = EmptyState()
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
        self.act_clear_filter = self.filter.act_clear
        self.menus = MenuBar(self)

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
        ml.addWidget(self.notices)
        ml.addWidget(self.filter.notice)
        ml.addWidget(self.errors)
        self.stack = QStackedWidget()  # the tree, or the empty state while no context is open
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty)
        ml.addWidget(self.stack, 1)
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
        self.filter.sigFilter.connect(self._filter_changed)
        self.empty.sigSwitch.connect(self.act_quick.trigger)
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
        self.quick = QuickSwitcher(self.entries, self)
        self.quick.sigSwitch.connect(workspace.switch_context)
        self.quick.sigOpen.connect(workspace.open_context)
        self.switcher.set_current("")
        self.act_close.setEnabled(False)  # (until a context opens)
        self.restore_layout()

    # ------------------------------------------------------------------ actions
    def quick_switch(self, mode: str = "switch", *, only: list[str] | None = None, title: str = "") -> QuickSwitcher:
        """Show the one quick switcher, focused on its search field (``only``: list just
        these contexts)."""
        entries = [e for e in self.entries if only is None or e.name in only]
        self.quick.set_entries(entries, self.ws.open_contexts())
        self.quick.open_for(mode)
        if title:
            self.quick.title.setText(title)
        return self.quick

    def set_entries(self, entries: list[ContextEntry]) -> None:
        """The kubeconfig's contexts (after a load or reload)."""
        self.entries = list(entries)
        self.switcher.set_entries(entries)
        self.switcher.set_current(self.current_context())
        self.quick.set_entries(entries, self.ws.open_contexts())
        self._show_empty_state()

    def attach_kubeconfigs(self, kubeconfigs) -> None:
        """The live window's kubeconfig files: menus, empty state, reload offer."""
        self.kubeconfigs = kubeconfigs
        self.menus.attach(kubeconfigs)
        kubeconfigs.sigEntries.connect(self.set_entries)
        kubeconfigs.sigMessage.connect(self._kube_message)
        kubeconfigs.sigChangedOnDisk.connect(self._offer_reload)
        self.notices.on_dismiss = kubeconfigs.dismiss
        self.empty.sigDemo.connect(self.menus.act_demo.trigger)
        self.empty.sigOpenFile.connect(self.menus.act_open_kubeconfig.trigger)
        self.set_entries(kubeconfigs.entries)  # (an unreadable kubeconfig: the empty state says why)

    def _offer_reload(self, files: list[str]) -> None:
        if not files:
            self.notices.setVisible(False)
            return
        home = os.path.expanduser("~")
        names = ", ".join(f.replace(home, "~", 1) if f.startswith(home + os.sep) else f for f in files)
        what = "The kubeconfig" if set(files) <= set(self.kubeconfigs.paths()) else "The kubeconfig or a file it names"
        self.notices.offer(f"{what} changed on disk ({names}).",
                           [("Reload kubeconfig", self.menus.act_reload.trigger), ("Not now", self.notices.dismiss)])

    def current_context(self) -> str:
        """The context of the selected row, else the resource picker's, else the last open."""
        open_ = self.ws.open_contexts()
        ctx = self.tree.context_of_current() or self.picker.context()
        return ctx if ctx in open_ else (open_[-1] if open_ else "")

    def _close_current(self) -> None:
        ctx = self.current_context()
        if ctx:
            self.ws.close_context(ctx)

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _filter_changed(self, flt) -> None:
        self.tree.set_source(self.ws.set_filter(flt))
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
        # what the user chose (the picker's ticks), not what runs yet: starts and stops
        # take effect off the GUI thread, after a second click may have come
        chosen = set(self.picker.checked()) if context == self.picker.context() else set(self.ws.running_resources(context))
        (chosen.add if on else chosen.discard)(name)
        self.settings.set_resources(sorted(chosen), context)

    def _selection_context(self, node) -> None:
        ctx = self.tree.context_of_current()
        if ctx:
            self.picker.set_context(ctx)
            self.switcher.set_current(ctx)

    def _contexts_changed(self, names: list[str]) -> None:
        self.switcher.set_current(names[-1] if names else "")
        if names:
            self.picker.set_context(names[-1])
        self.settings.set_last_contexts(names)
        for key, _ in list(self.errors.messages):
            if key.startswith("ctx:") and key[4:] not in names:
                self.errors.remove(key)
        self.setWindowTitle(f"kmon — {', '.join(names)}" if names else "kmon")
        self.act_close.setEnabled(bool(names) and not self.ws.read_only)
        self._show_empty_state()

    def _show_empty_state(self) -> None:
        kc = self.kubeconfigs
        if self.ws.open_contexts() or kc is None:
            self.stack.setCurrentWidget(self.tree)
            return
        self.empty.show_state(error=kc.error, searched=kc.searched(), has_contexts=bool(self.entries))
        self.stack.setCurrentWidget(self.empty)

    def _context_state(self, context: str, state: str, error: str) -> None:
        if error:
            self.errors.add(f"{context}: {error}", key=f"ctx:{context}")
            self.status.showMessage(f"⚠ {context}: {error}", 15000)
        else:
            self.errors.remove(f"ctx:{context}")

    def _message(self, level: str, text: str) -> None:
        if level == "error":
            self.errors.add(text)

    def _kube_message(self, level: str, text: str) -> None:
        if level == "info":
            self.status.showMessage(text, 10000)
            self.errors.remove("kubeconfig-reload")
        else:
            self.errors.add(text, key="kubeconfig-reload")

    # ------------------------------------------------------------------ persistence
    def restore_layout(self) -> None:
        g = self.settings.geometry()
        if g is not None:
            self.restoreGeometry(g)
        else:  # the first run: 1500x900, or what the screen leaves room for (a 1280x720 laptop)
            free = self.screen().availableGeometry()
            self.resize(min(1500, int(free.width() * 0.95)), min(900, int(free.height() * 0.9)))
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
        self.settings.sync()  # (resource choices are saved as they are made, per context)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.save_layout()
        super().closeEvent(event)
