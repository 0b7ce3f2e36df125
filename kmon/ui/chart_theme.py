"""The charts' colours for the current palette: background, axes, series, delta types,
markers, and the legend of the fixed colours.

Why this module exists: the same chart is looked at on a light and on a dark desktop, and
the palette can change while the app runs; every colour the charts draw is derived here
from the widget's ``QPalette`` (plot background: ``Base``; axes and text: ``Text``), so no
line is pale yellow on white or dark blue on black. Series colours come from
``chart_colours.palette``; the fixed hues (delta types, relist/410 markers) keep their
meaning and only move in lightness (``chart_colours.readable``). A series' dash style says
which context it belongs to (solid for the first one open, dashed for the second...), in
addition to its own colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from kmon.monitor.timeseries import DELTA_TYPES, MARKER_KINDS, POINT_KINDS

from .chart_colours import palette, readable

__all__ = ["ChartTheme", "CONTEXT_DASHES", "MARKER_LABEL", "MARKER_SHAPE", "POINT_LABEL", "POINT_SHAPE", "theme_for"]

TYPE_HUES = {"Added": "#2e9d4f", "Updated": "#3f7fd0", "Deleted": "#d04a3f", "Replaced": "#8a63c8", "Sync": "#8a96a3"}
# marker kind -> (pyqtgraph symbol, hue, size, legend glyph)
MARKER_SHAPE = {
    "relist": ("t1", "#e08a1e", 11, "▲"),
    "watch-restart": ("o", "#3a9aa5", 6, "●"),
    "expired": ("star", "#d0453a", 13, "★"),
    "error": ("x", "#d0453a", 10, "✕"),
}
MARKER_LABEL = {"relist": "relist", "watch-restart": "watch restart", "expired": "410 expired", "error": "error"}
# the versions lists and bookmarks reached, drawn in their series' colour: point kind ->
# (pyqtgraph symbol, unused, size, legend glyph); a bookmark's is hollow
POINT_SHAPE = {"list": ("s", "", 7, "■"), "bookmark": ("d", "", 8, "◇")}
POINT_LABEL = {"list": "list version", "bookmark": "bookmark version"}
CONTEXT_DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
_NOTE_HUE = "#d0453a"


def _q(rgb) -> QColor:
    return QColor(*rgb[:3])


def _rgb(c: QColor) -> tuple[int, int, int]:
    return (c.red(), c.green(), c.blue())


def _blend(fg: QColor, bg: QColor, alpha: float) -> str:
    """``fg`` at ``alpha`` over ``bg``, as ``#rrggbb`` (what a faded band looks like)."""
    return QColor(*(round(a * alpha + b * (1 - alpha)) for a, b in zip(_rgb(fg), _rgb(bg)))).name()


@dataclass
class ChartTheme:
    background: QColor
    foreground: QColor
    muted: QColor  # secondary text (the empty-state message)
    series: list[QColor]
    types: dict[str, QColor] = field(default_factory=dict)
    markers: dict[str, QColor] = field(default_factory=dict)
    note: QColor = field(default_factory=QColor)

    def series_colour(self, slot: int) -> QColor:
        return self.series[slot % len(self.series)]

    @staticmethod
    def dash(context_index: int) -> Qt.PenStyle:
        return CONTEXT_DASHES[max(0, context_index) % len(CONTEXT_DASHES)]

    def legend_html(self) -> str:
        """What the lines and shapes mean: a series' line and its faded band on the
        resourceVersion and latency plots, the list/bookmark points, the delta types of the
        events/s plot, the marker shapes."""
        # (no break inside an entry: a narrow column wraps between entries only)
        types = " ".join(
            f"<span style='color:{self.types[t].name()}'>━━</span>&nbsp;{t}" for t in DELTA_TYPES
        )
        markers = " ".join(
            f"<span style='color:{self.markers[k].name()}'>{MARKER_SHAPE[k][3]}</span>&nbsp;"
            + MARKER_LABEL[k].replace(" ", "&nbsp;")
            for k in MARKER_KINDS
        )
        fg, band = self.foreground.name(), _blend(self.foreground, self.background, 0.35)
        line, wide = f"<span style='color:{fg}'>━━</span>", f"<span style='color:{band}'>██</span>"
        points = " ".join(f"<span style='color:{fg}'>{POINT_SHAPE[k][3]}</span>&nbsp;{POINT_LABEL[k].split()[0]}"
                          for k in POINT_KINDS)
        rv = (f"RV: {line}&nbsp;reflector&nbsp;synced {wide}&nbsp;store "
              f"<span style='white-space:nowrap'>{points}</span>")
        latency = f"latency: {line}&nbsp;max {wide}&nbsp;p50"
        return f"<small>{rv}<br>{latency}<br>events/s: {types}<br>{markers}</small>"


def theme_for(pal: QPalette) -> ChartTheme:
    bg = pal.color(QPalette.ColorRole.Base)
    fg = pal.color(QPalette.ColorRole.Text)
    muted = pal.color(QPalette.ColorRole.PlaceholderText)
    b = _rgb(bg)
    return ChartTheme(
        background=bg,
        foreground=fg,
        muted=muted if muted.isValid() else fg,
        series=[_q(c) for c in palette(b)],
        types={t: _q(readable(_rgb(QColor(h)), b)) for t, h in TYPE_HUES.items()},
        markers={k: _q(readable(_rgb(QColor(s[1])), b)) for k, s in MARKER_SHAPE.items()},
        note=_q(readable(_rgb(QColor(_NOTE_HUE)), b, 4.5)),  # a text: WCAG's bar for text
    )
