"""A non-modal bar above the tree that offers something (Reload the kubeconfig?).

Why this module exists: some news asks for a decision but must not interrupt (a dialog) or
act on its own (an automatic reload would reconnect contexts behind the operator's back).
The bar states the news, offers buttons, and stays until one is used or it is dismissed.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton

__all__ = ["NoticeBar"]


class NoticeBar(QFrame):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(20, 20))
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_btn = QToolButton()
        self.close_btn.setText("×")
        self.close_btn.setAutoRaise(True)
        self.close_btn.setToolTip("Dismiss")
        self.close_btn.clicked.connect(self.dismiss)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(8, 4, 4, 4)
        self._lay.addWidget(icon)
        self._lay.addWidget(self.text, 1)
        self._lay.addWidget(self.close_btn)
        self.buttons: dict[str, QPushButton] = {}
        self.on_dismiss: Callable[[], None] | None = None
        self.setVisible(False)

    def offer(self, text: str, actions: list[tuple[str, Callable[[], None]]]) -> None:
        """Show ``text`` with one button per (label, callback); a button hides the bar."""
        for b in self.buttons.values():
            self._lay.removeWidget(b)
            b.deleteLater()
        self.buttons = {}
        self.text.setText(text)
        for i, (label, fn) in enumerate(actions):
            b = QPushButton(label)
            b.setDefault(i == 0)
            b.clicked.connect(lambda _=False, f=fn: (self.setVisible(False), f()))
            self._lay.insertWidget(self._lay.count() - 1, b)
            self.buttons[label] = b
        self.setVisible(True)

    def dismiss(self) -> None:
        self.setVisible(False)
        if self.on_dismiss is not None:
            self.on_dismiss()
