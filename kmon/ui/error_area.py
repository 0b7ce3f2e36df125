"""A non-modal error area above the tree: recent problems, each dismissible.

Why this module exists: failures (a context that cannot connect, a 403 on a resource, a
fetch that failed) must be visible without stopping the operator with a dialog, and must not
be swallowed. The area shows the newest few messages and hides itself when cleared.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QToolButton, QVBoxLayout, QWidget

__all__ = ["ErrorArea"]


class ErrorArea(QFrame):
    def __init__(self, parent=None, *, capacity: int = 4) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self._rows = QVBoxLayout()
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setSpacing(2)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(20, 20))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        clear = QToolButton()
        clear.setText("Dismiss all")
        clear.setAutoRaise(True)
        clear.clicked.connect(self.clear)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        lay.addWidget(icon)
        lay.addLayout(self._rows, 1)
        lay.addWidget(clear, 0, Qt.AlignmentFlag.AlignTop)
        self.messages: list[tuple[str, str]] = []  # (key, text)
        self.setVisible(False)

    def add(self, text: str, *, key: str | None = None) -> None:
        """Show ``text`` (replacing an earlier message with the same ``key``)."""
        key = key or text
        self.messages = [(k, t) for k, t in self.messages if k != key]
        self.messages.append((key, f"{time.strftime('%H:%M:%S')}  {text}"))
        self.messages = self.messages[-self.capacity :]
        self._render()

    def remove(self, key: str) -> None:
        before = len(self.messages)
        self.messages = [(k, t) for k, t in self.messages if k != key]
        if len(self.messages) != before:
            self._render()

    def clear(self) -> None:
        self.messages = []
        self._render()

    def texts(self) -> list[str]:
        return [t for _, t in self.messages]

    def _render(self) -> None:
        while self._rows.count():
            w = self._rows.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for key, text in self.messages:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            label = QLabel(text)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            close = QToolButton()
            close.setText("×")
            close.setAutoRaise(True)
            close.setToolTip("Dismiss")
            close.clicked.connect(lambda _=False, k=key: self.remove(k))
            h.addWidget(label, 1)
            h.addWidget(close)
            self._rows.addWidget(row)
        self.setVisible(bool(self.messages))
