"""The charts' series list: what to plot, and the legend of the per-series plots.

Why this module exists: with two contexts open, "pods" alone does not say which cluster a
line belongs to, and a legend drawn inside a plot covers the very lines it explains. This
list is the legend: one checkable row per (context, resource), labelled the same way for
every series ("pods · kmon-demo") as soon as more than one context is open, with a swatch of
the line (colour and dash) beside each series that is drawn. The user's ticks are
remembered per series, so a series that goes away (a replay seek, a context reopened) comes
back as it was.

    lst = SeriesList()
    removed = lst.sync(book.keys(), contexts=["kmon-demo", "kmon-demo-2"])
    lst.shown_keys(); lst.set_swatch(key, QColor(...), Qt.PenStyle.DashLine)
"""

from __future__ import annotations

from typing import Iterable, Sequence

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate

__all__ = ["DEFAULT_SHOWN", "SeriesKey", "SeriesList", "series_label"]

SeriesKey = tuple[str, str]  # (context, resource)
DEFAULT_SHOWN = ("pods", "deployments.apps", "replicasets.apps")  # the busiest kinds
_KEY = Qt.ItemDataRole.UserRole
_SWATCH = QSize(26, 12)


def series_label(key: SeriesKey, multi: bool) -> str:
    """How a series is named in the list, the legends and marker tips."""
    return f"{key[1]} · {key[0]}" if multi else key[1]


def _swatch(colour: QColor | None, style: Qt.PenStyle, dpr: float) -> QIcon:
    pm = QPixmap(_SWATCH * dpr)
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    if colour is not None:
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(colour, 2.0, style)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        y = _SWATCH.height() / 2
        p.drawLine(QPointF(1, y), QPointF(_SWATCH.width() - 1, y))
        p.end()
    return QIcon(pm)


class _KeepContext(QStyledItemDelegate):
    """Where a label does not fit, shorten the resource and keep the context whole
    ("deploym… · kmon-demo-2"): the context is what tells two rows apart."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        key = index.data(_KEY)
        if not key or " · " not in option.text:
            return
        style = option.widget.style() if option.widget is not None else QApplication.style()
        avail = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, option.widget).width() - 6
        fm = option.fontMetrics
        if fm.horizontalAdvance(option.text) <= avail:
            return
        tail = f" · {key[0]}"
        room = avail - fm.horizontalAdvance(tail)
        if room >= fm.horizontalAdvance("pods…"):
            option.text = fm.elidedText(key[1], Qt.TextElideMode.ElideRight, room) + tail


class SeriesList(QListWidget):
    sigShownChanged = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("chartSeries")
        self.setIconSize(_SWATCH)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setItemDelegate(_KeepContext(self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumHeight(2 * self.fontMetrics().height())
        self.setToolTip("Series to plot: tick to draw, the swatch is its line")
        self._items: dict[SeriesKey, QListWidgetItem] = {}
        self._chosen: dict[SeriesKey, bool] = {}  # the user's ticks, kept when a series goes away
        self._multi = False
        self._blank = _swatch(None, Qt.PenStyle.SolidLine, self.devicePixelRatioF())
        self.itemChanged.connect(self._item_changed)

    # --- contents ---------------------------------------------------------------------------
    def keys(self) -> list[SeriesKey]:
        return list(self._items)

    def item_of(self, key: SeriesKey) -> QListWidgetItem | None:
        return self._items.get(key)

    def label(self, key: SeriesKey) -> str:
        return series_label(key, self._multi)

    def sync(self, keys: Iterable[SeriesKey], contexts: Sequence[str] = ()) -> list[SeriesKey]:
        """Rows for exactly ``keys``; labels carry the context once more than one context is
        open (``contexts``) or has series. Returns the keys whose rows were removed."""
        keys = list(keys)
        multi = len(set(contexts) | {k[0] for k in keys}) > 1
        wanted = set(keys)
        removed = [k for k in self._items if k not in wanted]
        added = [k for k in keys if k not in self._items]
        if not removed and not added and multi == self._multi:
            return []
        self.blockSignals(True)
        try:
            for key in removed:
                self.takeItem(self.row(self._items.pop(key)))
            for key in added:
                it = QListWidgetItem(self._blank, "")
                it.setData(_KEY, key)
                it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                on = self._chosen.get(key, key[1] in DEFAULT_SHOWN)
                it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                self._items[key] = it
                self.addItem(it)
            self._multi = multi
            for key, it in self._items.items():
                it.setText(self.label(key))
                it.setToolTip(f"{key[1]} in context {key[0]}")
            self.sortItems()
        finally:
            self.blockSignals(False)
        return removed

    def preferred_width(self) -> int:
        """Wide enough for the longest label, its check box and swatch."""
        fm = self.fontMetrics()
        text = max((fm.horizontalAdvance(it.text()) for it in self._items.values()), default=0)
        return text + _SWATCH.width() + 2 * fm.height() + self.verticalScrollBar().sizeHint().width() + 16

    # --- ticks ------------------------------------------------------------------------------
    def shown_keys(self) -> list[SeriesKey]:
        return [k for k, it in self._items.items() if it.checkState() == Qt.CheckState.Checked]

    def set_shown(self, keys: Iterable[SeriesKey] | None) -> None:
        """Tick exactly ``keys`` (None: every series)."""
        want = None if keys is None else set(keys)
        self.blockSignals(True)
        try:
            for k, it in self._items.items():
                on = want is None or k in want
                self._chosen[k] = on
                it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self.blockSignals(False)
        self.sigShownChanged.emit()

    def _item_changed(self, it: QListWidgetItem) -> None:
        key = it.data(_KEY)
        if key is None:
            return
        key = tuple(key)
        self._chosen[key] = it.checkState() == Qt.CheckState.Checked  # type: ignore[index]
        self.sigShownChanged.emit()

    # --- swatches ---------------------------------------------------------------------------
    def set_swatch(self, key: SeriesKey, colour: QColor | None, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> None:
        """Show the line drawn for ``key`` (None: not drawn)."""
        it = self._items.get(key)
        if it is None:
            return
        self.blockSignals(True)
        try:
            it.setIcon(self._blank if colour is None else _swatch(colour, style, self.devicePixelRatioF()))
            it.setData(Qt.ItemDataRole.UserRole + 1, None if colour is None else colour.name())
        finally:
            self.blockSignals(False)

    def swatch_colour(self, key: SeriesKey) -> str | None:
        """The colour shown beside ``key`` (``#rrggbb``), None when it is not drawn."""
        it = self._items.get(key)
        return None if it is None else it.data(Qt.ItemDataRole.UserRole + 1)
