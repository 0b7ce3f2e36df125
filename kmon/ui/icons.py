"""The app icon and the few status glyphs, loaded from the repository's ``resources/``.

Why this module exists: one place knows where resources live (``resources/`` next to the
``kmon`` package in a checkout or an editable install) and how to fall back (the icon theme's
"kmon" entry, as installed with ``kmon.desktop``) so no widget hard-codes a path.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

__all__ = ["RESOURCES", "app_icon", "dot_icon", "resource_path"]

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
# where a wheel install puts them (pyproject's data-files)
_INSTALLED = {
    "kmon.svg": Path(sys.prefix) / "share/icons/hicolor/scalable/apps/kmon.svg",
    "kmon.png": Path(sys.prefix) / "share/icons/hicolor/128x128/apps/kmon.png",
    "kmon.desktop": Path(sys.prefix) / "share/applications/kmon.desktop",
}


def resource_path(name: str) -> Path:
    p = RESOURCES / name
    if not p.exists() and name in _INSTALLED:
        return _INSTALLED[name]
    return p


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("kmon.svg", "kmon.png"):
        p = resource_path(name)
        if p.exists():
            icon.addFile(str(p))
    if icon.isNull():
        icon = QIcon.fromTheme("kmon")
    return icon


# Status colours for freshness dots (semantic, identical on light and dark palettes).
STATUS_COLOURS = {
    "ok": QColor(46, 160, 67),
    "amber": QColor(230, 160, 20),
    "red": QColor(220, 60, 60),
    "unknown": QColor(140, 140, 140),
}

_dots: dict[tuple[str, int], QIcon] = {}


def dot_icon(level: str, size: int = 10) -> QIcon:
    """A filled circle in the colour of a freshness level."""
    key = (level, size)
    icon = _dots.get(key)
    if icon is None:
        pm = QPixmap(QSize(size, size))
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(STATUS_COLOURS.get(level, STATUS_COLOURS["unknown"]))
        p.drawEllipse(1, 1, size - 2, size - 2)
        p.end()
        icon = _dots[key] = QIcon(pm)
    return icon
