"""The toolbar's filter box: what it applies, and what it says when it cannot.

Why this module exists: a filter that does not parse must not look applied. The box parses
once typing pauses (200 ms; Enter at once) and emits ``sigFilter(ObjectFilter | None)`` only
for text that parses. Otherwise it turns invalid — a red frame, a warning icon in the field
whose tooltip is the reason — and ``notice``, a line the window shows above the tree, says
why and that the tree still shows the last filter that parsed (named), so nobody reads
the previous filter's rows as the answer to the new text. Esc clears the box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QStyle

from kmon.monitor.object_filter import parse_filter

__all__ = ["FilterBox"]

_INVALID_STYLE = "QLineEdit { border: 1px solid #d93025; border-radius: 2px; padding: 1px 2px; }"


class FilterBox(QLineEdit):
    sigFilter = Signal(object)  # the parsed ObjectFilter, None for an empty box

    def __init__(self, parent=None, *, delay_ms: int = 200) -> None:
        super().__init__(parent)
        self.setObjectName("treeFilter")
        self.setPlaceholderText("Filter: name or label selector (app=web,tier!=db)   Ctrl+F")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(320)
        self.applied = ""  # the text of the filter the tree shows
        self.error = ""  # why the current text does not parse ("" when it does)
        self.warning = QAction(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), "Invalid filter", self)
        self.addAction(self.warning, QLineEdit.ActionPosition.TrailingPosition)
        self.warning.setVisible(False)  # (after addAction, which shows its button)
        self.notice = QLabel()  # placed by the window above the tree
        self.notice.setObjectName("filterNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setStyleSheet("QLabel#filterNotice { color: #d93025; padding: 2px 6px; }")
        self.notice.setVisible(False)
        self.act_clear = QAction("Clear the filter box", self, shortcut=QKeySequence("Escape"))
        self.act_clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.act_clear.triggered.connect(self.clear)
        self.addAction(self.act_clear)
        # rebuilding the filtered tree is O(objects): once typing pauses, not per keystroke
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.apply)
        self.textChanged.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self.apply)

    def apply(self) -> bool:
        """Parse the text now: emit ``sigFilter`` and clear the invalid state when it parses,
        show why not otherwise (the applied filter stays). True when it parsed."""
        self._timer.stop()
        text = self.text()
        try:
            flt = parse_filter(text)
        except ValueError as e:
            self._set_invalid(str(e))
            return False
        self._set_invalid("")
        if text.strip() != self.applied or not text.strip():
            self.applied = text.strip()
            self.sigFilter.emit(flt or None)
        return True

    def _set_invalid(self, reason: str) -> None:
        self.error = reason
        invalid = bool(reason)
        self.setProperty("invalid", invalid)
        self.setStyleSheet(_INVALID_STYLE if invalid else "")
        self.warning.setVisible(invalid)
        self.warning.setToolTip(f"Invalid filter: {reason}" if invalid else "")
        self.setToolTip(f"Invalid filter: {reason}" if invalid else "")
        if invalid:
            still = (f"The tree still shows the previous filter “{self.applied}”." if self.applied
                     else "The tree still shows every object.")
            self.notice.setText(f"⚠ Invalid filter: {reason}. {still}")
        self.notice.setVisible(invalid)
