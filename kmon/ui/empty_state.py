"""What the tree area shows while no context is open: why, and the ways forward.

Why this module exists: a first start without a kubeconfig used to end on one line, "no
kubeconfig found". The empty state says what happened and where kmon looked (``$KUBECONFIG``,
``~/.kube/config``), and offers the next steps as buttons: the demo cluster, a kubeconfig
file, or (when the kubeconfig has contexts) the context switcher.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from .icons import app_icon

__all__ = ["EmptyState"]


class EmptyState(QWidget):
    sigDemo = Signal()
    sigOpenFile = Signal()
    sigSwitch = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        # never what decides the window's minimum width (it stands in for the tree)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.35)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMaximumWidth(640)
        self.detail.setMinimumWidth(320)
        self.demo_btn = QPushButton("Open the demo cluster")
        self.demo_btn.setToolTip("Two local API servers with churning workloads: explore kmon without a cluster")
        self.file_btn = QPushButton("Open kubeconfig…")
        self.switch_btn = QPushButton("Choose a context…  (Ctrl+K)")
        self.demo_btn.clicked.connect(self.sigDemo)
        self.file_btn.clicked.connect(self.sigOpenFile)
        self.switch_btn.clicked.connect(self.sigSwitch)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.switch_btn, self.file_btn, self.demo_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        lay.addWidget(icon)
        lay.addWidget(self.title)
        middle = QHBoxLayout()  # the explanation wraps at up to 640 px, centred
        middle.addStretch(1)
        middle.addWidget(self.detail, 4)
        middle.addStretch(1)
        lay.addLayout(middle)
        lay.addSpacing(12)
        lay.addLayout(buttons)
        lay.addStretch(3)

    def show_state(self, *, error: str, searched: list[str], has_contexts: bool) -> None:
        """``error``: why the kubeconfig could not be read ("" when it was); ``searched``:
        where kmon looked, one line each; ``has_contexts``: the kubeconfig has contexts."""
        looked = "kmon looked at:\n" + "\n".join(searched)
        if error.startswith("no kubeconfig found"):
            self.title.setText("No kubeconfig found")
            self.detail.setText(f"{looked}\n\nOpen a kubeconfig file, or explore kmon on its embedded demo cluster.")
        elif error:
            self.title.setText("The kubeconfig cannot be read")
            self.detail.setText(f"{error}\n\n{looked}")
        elif has_contexts:
            self.title.setText("No context open")
            self.detail.setText("Choose a context of the kubeconfig to watch its informer caches.")
        else:
            self.title.setText("The kubeconfig has no contexts")
            self.detail.setText(looked)
        self.switch_btn.setVisible(has_contexts)
        self.switch_btn.setDefault(has_contexts)
        self.demo_btn.setDefault(not has_contexts)
