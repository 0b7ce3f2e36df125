"""Help ▸ Keyboard shortcuts and Help ▸ About kmon.

Why this module exists: a list of shortcuts written by hand goes stale the day someone adds
one; this one is generated from the window's actions (and any ``QShortcut``), grouped by the
menu that holds them, or the dock they belong to. About says which kmon, Qt, PySide6 and
Python this is and which kubeconfig files are in use — what a bug report needs — with a
button that copies it.
"""

from __future__ import annotations

import platform

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .icons import app_icon

__all__ = ["AboutDialog", "ShortcutsDialog", "about_text", "shortcut_rows"]


def _keys(seqs: list[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in seqs if not s.isEmpty())


def _label(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def _section_of(obj, win) -> str:
    w = obj.parent()
    while w is not None and w is not win:
        if isinstance(w, QDockWidget):
            return w.windowTitle()
        w = w.parent()
    return "Window"


def shortcut_rows(win: QWidget) -> list[tuple[str, str, str]]:
    """(section, what, keys) for every action of ``win`` that has a shortcut: the menus'
    first (section: the menu's title, in menu order), then the others (section: their
    dock's title, else "Window")."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def walk(menu: QMenu, section: str) -> None:
        for a in menu.actions():
            if a.menu() is not None:
                walk(a.menu(), section)
                continue
            if a.isSeparator() or id(a) in seen:  # (an action in two menus: listed once)
                continue
            seen.add(id(a))
            keys = _keys(a.shortcuts())
            if keys:
                rows.append((section, _label(a.text()), keys))

    bar = win.menuBar() if hasattr(win, "menuBar") else None
    if bar is not None:
        for top in bar.actions():
            if top.menu() is not None:
                walk(top.menu(), _label(top.text()))
    others: list[tuple[str, str, str]] = []
    for a in win.findChildren(QAction):
        if id(a) in seen or a.menu() is not None:
            continue
        seen.add(id(a))
        keys = _keys(a.shortcuts())
        if keys:
            others.append((_section_of(a, win), _label(a.text()), keys))
    for s in win.findChildren(QShortcut):
        keys = _keys([s.key()])
        if keys and s.isEnabled():
            others.append((_section_of(s, win), _label(s.whatsThis() or s.objectName() or "(shortcut)"), keys))
    # (the same text and keys registered twice, e.g. on the window and on a dock, once)
    unique = list(dict.fromkeys(sorted(others)))
    return rows + [r for r in unique if r not in rows]


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, searchable (by action or by key)."""

    def __init__(self, win: QWidget) -> None:
        super().__init__(win)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.win = win
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search actions or keys…")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.search)
        lay.addWidget(self.tree, 1)
        lay.addWidget(buttons)
        self.resize(520, 620)
        self.search.textChanged.connect(self._filter)
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        sections: dict[str, QTreeWidgetItem] = {}
        for section, what, keys in shortcut_rows(self.win):
            head = sections.get(section)
            if head is None:
                head = sections[section] = QTreeWidgetItem(self.tree, [section])
                f = head.font(0)
                f.setBold(True)
                head.setFont(0, f)
                head.setFirstColumnSpanned(True)
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            QTreeWidgetItem(head, [what, keys])
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self._filter(self.search.text())

    def rows(self) -> list[tuple[str, str, str]]:
        """What the dialog lists: (section, action, shortcut)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            for j in range(head.childCount()):
                c = head.child(j)
                out.append((head.text(0), c.text(0), c.text(1)))
        return out

    def _filter(self, text: str) -> None:
        q = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            shown = 0
            for j in range(head.childCount()):
                c = head.child(j)
                hide = bool(q) and q not in c.text(0).lower() and q not in c.text(1).lower()
                c.setHidden(hide)
                shown += not hide
            head.setHidden(shown == 0)


def about_text(files: list[str], *, extra: str = "") -> str:
    """The facts About shows (and copies): versions and kubeconfig files."""
    import PySide6

    from kmon import __version__

    lines = [
        f"kmon {__version__}",
        f"Qt {qVersion()} · PySide6 {PySide6.__version__} · Python {platform.python_version()}",
        f"Platform: {platform.platform()} ({QGuiApplication.platformName() or '?'})",
        "Kubeconfig files in use:" if files else "Kubeconfig files in use: none",
    ]
    lines += [f"  {f}" for f in files]
    if extra:
        lines.append(extra)
    return "\n".join(lines)


class AboutDialog(QDialog):
    def __init__(self, win: QWidget, files: list[str], *, extra: str = "") -> None:
        super().__init__(win)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About kmon")
        self.details = about_text(files, extra=extra)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(self.details.splitlines()[0])
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        title.setFont(f)
        blurb = QLabel("What a Kubernetes informer cache holds, and how it got there.\n"
                       "kmon only ever lists, watches and gets: it never writes to a cluster.")
        blurb.setWordWrap(True)
        self.text = QLabel("\n".join(self.details.splitlines()[1:]))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        copy = QPushButton("Copy details")
        copy.setToolTip("Copy the versions and files, for a bug report")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.details))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        body = QVBoxLayout()
        body.addWidget(title)
        body.addWidget(blurb)
        body.addSpacing(8)
        body.addWidget(self.text)
        body.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(body, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(buttons)
        self.setMinimumWidth(560)
        self.adjustSize()

