"""The application's colours: the system's, or kmon's own light or dark palette.

Why this module exists: a monitor stays open all day beside terminals and editors that are
often dark; the choice (View ▸ Palette) is saved and applied to the whole application at
start, before the first window shows. "system" gives back the platform's style and
palette as they were when kmon started; "light" and "dark" use the Fusion style (the same
on every platform) with a complete palette, disabled colours included, and tell Qt's style
hints the colour scheme so platform parts (dialogs, scroll bars) follow.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QStyleOption

__all__ = ["PALETTES", "apply_palette", "dark_palette", "is_dark"]

PALETTES = {"system": "System", "light": "Light", "dark": "Dark"}

_original: dict[int, tuple[str, QPalette]] = {}  # id(app) -> the platform's style and palette
_current: dict[int, str] = {}  # id(app) -> the palette applied last
_styles: dict[int, object] = {}  # id(app) -> the style applied last


def dark_palette() -> QPalette:
    p = QPalette()
    R, G = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        R.Window: "#2b2d30", R.WindowText: "#dfe1e5", R.Base: "#1e1f22", R.AlternateBase: "#26282b",
        R.ToolTipBase: "#3c3f41", R.ToolTipText: "#dfe1e5", R.PlaceholderText: "#8c8f94",
        R.Text: "#dfe1e5", R.Button: "#35383b", R.ButtonText: "#dfe1e5", R.BrightText: "#ff6b6b",
        R.Light: "#45484b", R.Midlight: "#3a3d40", R.Mid: "#2f3134", R.Dark: "#1b1c1f", R.Shadow: "#0f1012",
        R.Highlight: "#2f65ca", R.HighlightedText: "#ffffff", R.Link: "#6ea8fe", R.LinkVisited: "#b493ff",
        R.Accent: "#2f65ca",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (R.WindowText, R.Text, R.ButtonText, R.HighlightedText):
        p.setColor(G.Disabled, role, QColor("#7a7d82"))
    p.setColor(G.Disabled, R.Highlight, QColor("#3b3e42"))
    p.setColor(G.Disabled, R.Base, QColor("#26282b"))
    return p


class _DarkFusion(QProxyStyle):
    """Fusion with check boxes that show on a dark palette: Fusion outlines an indicator with
    the window colour darkened, which on a dark base is all but invisible, so an unchecked
    box in a list (the resource picker, View ▸ Columns) could not be told from no box."""

    _INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)

    def drawPrimitive(self, element, option: QStyleOption, painter: QPainter, widget=None) -> None:  # noqa: N802
        super().drawPrimitive(element, option, painter, widget)
        if element in self._INDICATORS:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QPen(option.palette.color(QPalette.ColorRole.PlaceholderText), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
            painter.restore()


def is_dark(palette: QPalette | None = None) -> bool:
    p = palette or QApplication.palette()
    return p.color(QPalette.ColorRole.Window).lightness() < 128


def apply_palette(name: str, app: QApplication | None = None) -> str:
    """Apply "system", "light" or "dark" (anything else: "system") to ``app`` (the running
    application); returns the name applied."""
    app = app or QApplication.instance()
    name = name if name in PALETTES else "system"
    key = id(app)
    if key not in _original:
        _original[key] = (app.style().name(), QPalette(app.palette()))
    if _current.get(key, "system") == name:
        return name  # (at start with "system": the platform's look, untouched)
    _current[key] = name
    style_name, original = _original[key]
    hints = app.styleHints()
    if name == "system":
        if hasattr(hints, "unsetColorScheme"):
            hints.unsetColorScheme()
        app.setStyle(QStyleFactory.create(style_name) or style_name)
        app.setPalette(original)
    else:
        if hasattr(hints, "setColorScheme"):
            hints.setColorScheme(Qt.ColorScheme.Dark if name == "dark" else Qt.ColorScheme.Light)
        fusion = QStyleFactory.create("Fusion")
        palette = dark_palette() if name == "dark" else fusion.standardPalette()
        style = _DarkFusion(fusion) if name == "dark" else fusion
        _styles[key] = style  # the Python half of the proxy lives as long as the application uses it
        app.setStyle(style)
        app.setPalette(palette)
    return name
