"""A read-only monospace text view for YAML and unified diffs, with light highlighting.

Why this module exists: the detail pane shows objects and diffs in two places; both want a
fixed-pitch font, no wrapping, and a highlighter that uses palette-derived colours for keys
and the fade colours (translucent, readable on light and dark) for added/removed lines.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

__all__ = ["YamlView"]

_KEY = re.compile(r"^(\s*(?:- )?)([^:#\s][^:#]*?):(?=\s|$)")


class _Highlighter(QSyntaxHighlighter):
    def __init__(self, doc, palette: QPalette) -> None:
        super().__init__(doc)
        self.diff = False
        self.set_palette(palette)

    def set_palette(self, palette: QPalette) -> None:
        """Colours from ``palette`` (again when the user switches between light and dark)."""
        self.key = QTextCharFormat()
        self.key.setForeground(palette.color(QPalette.ColorRole.Link))
        self.comment = QTextCharFormat()
        self.comment.setForeground(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        self.added = QTextCharFormat()
        self.added.setBackground(QColor(46, 160, 67, 70))
        self.removed = QTextCharFormat()
        self.removed.setBackground(QColor(220, 60, 60, 70))
        self.hunk = QTextCharFormat()
        self.hunk.setForeground(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        self.hunk.setFontItalic(True)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt name)
        if self.diff:
            if text.startswith("+++") or text.startswith("---") or text.startswith("@@"):
                self.setFormat(0, len(text), self.hunk)
                return
            if text.startswith("+"):
                self.setFormat(0, len(text), self.added)
            elif text.startswith("-"):
                self.setFormat(0, len(text), self.removed)
            body = text[1:]
            offset = 1
        else:
            body, offset = text, 0
        if body.lstrip().startswith("#"):
            self.setFormat(offset, len(body), self.comment)
            return
        m = _KEY.match(body)
        if m:
            self.setFormat(offset + len(m.group(1)), len(m.group(2)), self.key)


class YamlView(QPlainTextEdit):
    def __init__(self, parent=None, *, diff: bool = False) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self._hl = _Highlighter(self.document(), self.palette())
        self._hl.diff = diff
        self.setTabChangesFocus(True)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._hl.set_palette(self.palette())

    def set_text(self, text: str, *, keep_scroll: bool = True) -> None:
        if text == self.toPlainText():
            return
        bar = self.verticalScrollBar()
        pos = bar.value()
        self.setPlainText(text)
        if keep_scroll:
            bar.setValue(min(pos, bar.maximum()))
