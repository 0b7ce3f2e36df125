"""The window's menu bar and the tree's context menu.

Why this module exists: a desktop tool is learnt from its menus — every command, where a
person looks first, with its shortcut beside it. ``MenuBar`` builds File (open kubeconfig,
demo cluster, reload, export the event log, quit), View (docks, tree columns, palette,
tree commands), Context (switch, open another, close, the client-go profile, compare
client-go paths, reconnect, reload) and Help
(keyboard shortcuts, About, version) from the window's actions plus its own, and keeps the
main window free of menu code. Commands that need the kubeconfig (open, reload,
reconnect, demo, compare) stay disabled until ``attach(kubeconfigs)`` (a replay has none).
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu

from kmon.kube.config import KubeconfigError

from .client_go_menu import ClientGoMenu
from .columns import keep_columns
from .help_dialogs import AboutDialog, ShortcutsDialog
from .palette import PALETTES, apply_palette

__all__ = ["MenuBar"]

_NEEDS_KUBECONFIG = "Needs a kubeconfig (not available while replaying a recording)"


def _action(parent, text: str, *, keys=None, tip: str = "", slot=None, checkable: bool = False) -> QAction:
    a = QAction(text, parent)
    if keys is not None:
        seqs = keys if isinstance(keys, list) else [keys]
        a.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in seqs])
    if tip:
        a.setToolTip(tip)
        a.setStatusTip(tip)
    a.setCheckable(checkable)
    if slot is not None:
        a.triggered.connect(slot)
    return a


class MenuBar(QObject):
    sigQuit = Signal()  # the window closed through File ▸ Quit: the application should end

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.kubeconfigs: Any = None
        self._shortcuts: ShortcutsDialog | None = None
        self._about: AboutDialog | None = None
        self._tree_menu: QMenu | None = None
        self._compare: Any = None
        self.client_go = ClientGoMenu(win)
        self._build_actions()
        bar = win.menuBar()
        self.file = bar.addMenu("&File")
        self.view = bar.addMenu("&View")
        self.context = bar.addMenu("&Context")
        self.help = bar.addMenu("&Help")
        self._fill_file()
        self._fill_view()
        self._fill_context()
        self._fill_help()
        for a in self.all_actions():
            win.addAction(a)  # shortcuts work with the menu bar hidden too
        keep_columns(self.win.tree.column_chooser, self.win.settings, "tree")
        win.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        win.tree.customContextMenuRequested.connect(self.tree_menu)

    # ------------------------------------------------------------------ actions
    def _build_actions(self) -> None:
        w = self.win
        self.act_open_kubeconfig = _action(w, "&Open kubeconfig…", keys=QKeySequence.StandardKey.Open,
                                           tip="Add a kubeconfig file to the ones kmon reads, and choose one of its contexts",
                                           slot=self.open_kubeconfig)
        self.act_demo = _action(w, "Open the &demo cluster", tip="Start the embedded demo API servers and open their first context",
                                slot=lambda: self.kubeconfigs.open_demo())
        self.act_reload = _action(w, "&Reload kubeconfig", keys="F5",
                                  tip="Read the kubeconfig files again; reconnect the contexts that failed or changed",
                                  slot=lambda: self.kubeconfigs.reload())
        self.act_reconnect = _action(w, "Reco&nnect context", keys="Shift+F5",
                                     tip="A new connection for the selected context (its kubeconfig entries read again)",
                                     slot=lambda: self.reconnect(self.win.current_context()))
        # (the platform's Quit key: Ctrl+Q on Linux, Cmd+Q on macOS; some platform themes
        # define none, and then Ctrl+Q)
        quit_keys = QKeySequence(QKeySequence.StandardKey.Quit)
        quit_keys = quit_keys if not quit_keys.isEmpty() else QKeySequence("Ctrl+Q")
        self.act_quit = _action(w, "&Quit", keys=quit_keys, tip="Close the window and stop every informer", slot=self.quit)
        self.act_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.act_shortcuts = _action(w, "&Keyboard shortcuts", keys=["Ctrl+/", QKeySequence.StandardKey.HelpContents],
                                     slot=self.show_shortcuts)
        self.act_compare = _action(w, "Compare client-go &paths…",
                                   tip="Run one resource under two client-go versions side by side and show what "
                                       "their handlers heard differently", slot=lambda: self.show_compare())
        self.act_about = _action(w, "&About kmon", slot=self.show_about)
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        for a in (self.act_open_kubeconfig, self.act_demo, self.act_reload, self.act_reconnect, self.act_compare):
            a.setEnabled(False)
            a.setToolTip(_NEEDS_KUBECONFIG)

    def all_actions(self) -> list[QAction]:
        out: list[QAction] = []

        def walk(menu: QMenu) -> None:
            for a in menu.actions():
                if a.menu() is not None:
                    if a.menu() is not getattr(self, "client_go_menu", None):  # (refilled as it opens)
                        walk(a.menu())
                elif not a.isSeparator() and a not in out:
                    out.append(a)

        for m in (self.file, self.view, self.context, self.help):
            walk(m)
        return out

    def _fill_file(self) -> None:
        m = self.file
        m.addAction(self.act_open_kubeconfig)
        m.addAction(self.act_demo)
        m.addAction(self.act_reload)
        m.addSeparator()
        self.export = m.addMenu("&Export event log")
        for text, fmt, shown in (("Shown events as JSON Lines…", "jsonl", True), ("Shown events as CSV…", "csv", True),
                                 ("All kept events as JSON Lines…", "jsonl", False), ("All kept events as CSV…", "csv", False)):
            self.export.addAction(text, lambda f=fmt, s=shown: self.export_log(f, s))
        self.export.menuAction().setEnabled(False)  # until the event log dock exists
        m.addSeparator()
        m.addAction(self.act_quit)

    def _fill_view(self) -> None:
        w, m = self.win, self.view
        self._docks_end = m.addSeparator()
        self.columns = m.addMenu("&Columns")
        self.columns.setToolTipsVisible(True)
        self.columns.aboutToShow.connect(self._fill_columns)
        self.palette = m.addMenu("&Palette")
        group = QActionGroup(self)
        current = w.settings.palette()
        self.palette_actions: dict[str, QAction] = {}
        for key, label in PALETTES.items():
            a = self.palette.addAction(label)
            a.setCheckable(True)
            a.setChecked(key == current)
            group.addAction(a)
            a.triggered.connect(lambda _=False, k=key: self.set_palette(k))
            self.palette_actions[key] = a
        m.addSeparator()
        for a in (w.act_filter, w.act_deleted, w.act_expand, w.act_collapse):
            m.addAction(a)
        m.addSeparator()
        for a in (w.act_focus_tree, w.act_focus_detail, w.act_focus_picker):
            m.addAction(a)

    def _fill_context(self) -> None:
        w, m = self.win, self.context
        for a in (w.act_quick, w.act_open, w.act_close):
            m.addAction(a)
        m.addSeparator()
        # (filled for the selected context as it opens)
        self.client_go_menu = m.addMenu("client-go &profile")
        self.client_go_menu.setToolTipsVisible(True)
        self.client_go_menu.aboutToShow.connect(
            lambda: self.client_go.fill(self.client_go_menu, self.win.current_context()))
        self.client_go.fill(self.client_go_menu, "")
        m.addAction(self.act_compare)
        m.addAction(self.act_reconnect)
        m.addAction(self.act_reload)

    def _fill_help(self) -> None:
        from kmon import __version__

        m = self.help
        m.addAction(self.act_shortcuts)
        m.addSeparator()
        m.addAction(self.act_about)
        self.act_version = m.addAction(f"kmon {__version__}")
        self.act_version.setEnabled(False)

    # ------------------------------------------------------------------ docks and columns
    def add_docks(self, docks: list[tuple[Any, str]]) -> None:
        """Put each dock's show/hide action (with its shortcut) at the top of View."""
        for dock, keys in docks:
            a = dock.toggleViewAction()
            a.setShortcut(QKeySequence(keys))
            a.setToolTip(f"Show or hide the {dock.windowTitle().lower()} ({keys})")
            self.view.insertAction(self._docks_end, a)
            self.win.addAction(a)
            if dock.objectName() == "dockEventLog":
                self.export.menuAction().setEnabled(True)

    def _fill_columns(self) -> None:
        self.columns.clear()
        self.win.tree.column_chooser.fill(self.columns)

    def set_palette(self, name: str) -> None:
        apply_palette(name)
        self.win.settings.set_palette(name)
        self.palette_actions[name].setChecked(True)

    # ------------------------------------------------------------------ kubeconfig
    def attach(self, kubeconfigs) -> None:
        self.kubeconfigs = kubeconfigs
        for a in (self.act_open_kubeconfig, self.act_demo, self.act_reload, self.act_reconnect, self.act_compare):
            a.setEnabled(True)
            a.setToolTip(a.statusTip())

    def open_kubeconfig(self) -> QFileDialog:
        """The platform's file dialog; the file chosen is merged and its contexts offered."""
        start = os.path.dirname((self.kubeconfigs.files_in_use() or self.kubeconfigs.paths() or [""])[0])
        dlg = QFileDialog(self.win, "Open kubeconfig", start)
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setNameFilters(["Kubeconfig files (*config* *.yaml *.yml *.kubeconfig)", "All files (*)"])
        dlg.fileSelected.connect(self.add_kubeconfig)
        dlg.open()
        return dlg

    def add_kubeconfig(self, path: str) -> list[str]:
        try:
            names = self.kubeconfigs.add_file(path)
        except KubeconfigError as e:
            self.win.errors.add(f"kubeconfig: {e}", key="kubeconfig-open")
            return []
        self.win.errors.remove("kubeconfig-open")
        self.win.status.showMessage(f"Added {path}: {', '.join(names) or 'no contexts'}", 10000)
        if names:
            self.win.quick_switch("open" if self.win.ws.open_contexts() else "switch", only=names,
                                  title=f"Contexts of {os.path.basename(path)}")
        return names

    def reconnect(self, context: str) -> None:
        if context and self.kubeconfigs is not None:
            self.kubeconfigs.reconnect(context)

    # ------------------------------------------------------------------ others
    def export_log(self, fmt: str, shown: bool) -> None:
        views = getattr(self.win, "views", None)
        if views is not None:
            views.dock_log.show()
            views.log.export_dialog(fmt, shown=shown)

    def quit(self) -> None:
        """Close the window (it saves its layout); the application ends (``sigQuit``)."""
        if self.win.close():
            for w in QApplication.topLevelWidgets():
                if w.isVisible() and w.parentWidget() is self.win:
                    w.close()
            self.sigQuit.emit()

    def show_shortcuts(self) -> ShortcutsDialog:
        if self._shortcuts is None:
            self._shortcuts = ShortcutsDialog(self.win)
        self._shortcuts.refresh()
        self._shortcuts.show()
        self._shortcuts.raise_()
        self._shortcuts.activateWindow()
        return self._shortcuts

    def show_compare(self, context: str | None = None, resource: str | None = None, key: str = ""):
        """The Compare window (one per main window), for ``context``'s ``resource`` (default:
        the selected context), its rows filtered to the object ``key`` when given."""
        from .compare_window import CompareWindow

        if self._compare is None:
            def demo_of(ctx: str) -> Any:
                demo = getattr(getattr(self.win, "views", None), "demo", None)
                return demo.servers.get(ctx) if demo is not None else None

            self._compare = CompareWindow(self.win.ws, demo_of, self.win)
        self._compare.prepare(context or self.win.current_context() or None, resource, key)
        self._compare.show()
        self._compare.raise_()
        self._compare.activateWindow()
        return self._compare

    def show_about(self) -> AboutDialog:
        files = self.kubeconfigs.files_in_use() if self.kubeconfigs is not None else []
        if self._about is not None:
            self._about.deleteLater()
        self._about = AboutDialog(self.win, files)
        self._about.show()
        return self._about

    def tree_menu(self, pos) -> QMenu:
        """The tree's right-click menu: the clicked row's context (reconnect, close)."""
        tree = self.win.tree
        node = tree.node_at(tree.indexAt(pos))
        ctx = getattr(node, "context", "") if node is not None else ""
        if self._tree_menu is not None:
            self._tree_menu.deleteLater()
        menu = self._tree_menu = QMenu(tree)
        if ctx:
            menu.addAction(f"Reconnect {ctx}", lambda: self.reconnect(ctx)).setEnabled(self.kubeconfigs is not None)
            menu.addAction(f"Close {ctx}", lambda: self.win.ws.close_context(ctx)).setEnabled(self.win.act_close.isEnabled())
            self.client_go.fill(menu.addMenu(f"client-go profile of {ctx}"), ctx)
            resource = node.resource if node is not None else ""
            if resource:
                menu.addAction(f"Compare client-go paths of {resource}…",
                               lambda: self.show_compare(ctx, resource, node.key)).setEnabled(self.kubeconfigs is not None)
            menu.addSeparator()
        menu.addAction(self.win.act_expand)
        menu.addAction(self.win.act_collapse)
        menu.popup(tree.viewport().mapToGlobal(pos))
        return menu
