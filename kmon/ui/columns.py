"""Columns that fit their content: widths, elision, full text on hover, a header menu.

Why this module exists: the tree, the event log and the cache inspector all show tables
whose most useful text (an event's name, a relist's reason, an informer's last error, a pod's
status) was cut by fixed pixel widths. Here a view says, per column, how wide its content is
(``Fit``: measured from the font and known texts or a small sample, never row by row on the
hot path) and ``ColumnSizer`` lays the columns out: each gets its content width, and when
the viewport is too narrow the shrinkable columns give way (down to their least width) so
the stretching column (a reason, an error, a name) keeps a readable part on screen. A column
the user resized by hand keeps the user's width until "Fit columns to contents".

Cells whose text does not fit are elided (in the middle for names, so "kmon-demo" and
"kmon-demo-2" stay apart: ``ElideDelegate``) and show their full text as a tooltip
(``ElidedToolTips``). A right click on the header hides and shows columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QTreeView,
)

__all__ = ["ColumnChooser", "ColumnSizer", "keep_columns", "chars_width", "ElideDelegate", "ElidedToolTips", "Fit", "cell_tooltip", "text_width"]

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


@dataclass(frozen=True)
class Fit:
    """A column's content width and the least it may shrink to (pixels)."""

    want: int
    least: int = 0


def _header(view: QAbstractItemView) -> QHeaderView:
    return view.header() if isinstance(view, QTreeView) else view.horizontalHeader()  # type: ignore[attr-defined]


def cell_padding(view: QAbstractItemView) -> int:
    """What a cell adds around its text (the style's text margins, both sides)."""
    return 2 * (view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1) + 4


def text_width(view: QAbstractItemView, texts: Iterable[str], font: QFont | None = None) -> int:
    """The width a cell needs for the widest of ``texts`` (in ``font``, default the view's)."""
    fm = QFontMetrics(font) if font is not None else view.fontMetrics()
    widest = max((fm.horizontalAdvance(t) for t in texts if t), default=0)
    return widest + cell_padding(view)


def chars_width(view: QAbstractItemView, n: int) -> int:
    """The width of a cell for about ``n`` characters of ordinary text."""
    return n * view.fontMetrics().averageCharWidth() + cell_padding(view)


def header_width(view: QAbstractItemView, column: int) -> int:
    """The width the header needs to show ``column``'s title (and a sort arrow)."""
    header = _header(view)
    title = str(view.model().headerData(column, Qt.Orientation.Horizontal, _DISPLAY) or "")
    arrow = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header) if header.isSortIndicatorShown() else 0
    margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    return header.fontMetrics().horizontalAdvance(title) + 2 * margin + arrow + 8


class ColumnSizer(QObject):
    """Lays out ``view``'s columns from ``measure()`` (column -> ``Fit``) on ``refit()``, on
    every resize of the viewport, and again whenever the owner calls ``refit`` as new kinds
    of content arrive. ``stretch`` is the column that takes what is left (it is given at
    least ``stretch_least`` pixels of the viewport while other columns can shrink)."""

    def __init__(self, view: QAbstractItemView, measure: Callable[[], dict[int, Fit]], *,
                 stretch: int, stretch_least: int = 0) -> None:
        super().__init__(view)
        self.view = view
        self.measure = measure
        self.stretch = stretch
        self.stretch_least = stretch_least
        self.user_sized: set[int] = set()
        self._busy = 0
        self._fits: dict[int, Fit] = {}
        header = _header(view)
        header.setMinimumSectionSize(min(header.minimumSectionSize(), 24))
        header.sectionResized.connect(self._section_resized)
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize:
            self.layout(self._fits or None)
        return False

    def _section_resized(self, column: int, old: int, new: int) -> None:
        if not self._busy and column != self.stretch and old and new:  # (not hidden or shown)
            self.user_sized.add(column)  # dragged by the user: theirs from now on

    def reset(self) -> None:
        """Forget the user's widths and what was measured; fit to the content shown now."""
        self.user_sized.clear()
        self._fits = {}
        self.refit()

    def refit(self) -> None:
        """Measure again; a column grows to new content but does not shrink back (columns
        that jump as rows come and go are harder to read than a little space)."""
        old = self._fits
        new = self.measure()
        self._fits = {c: Fit(max(f.want, old[c].want), f.least) if c in old else f for c, f in new.items()}
        self.layout(self._fits)

    def layout(self, fits: dict[int, Fit] | None = None) -> None:
        if fits is None:
            return
        view, header = self.view, _header(self.view)
        avail = view.viewport().width()
        cols = [c for c in fits if c != self.stretch and not header.isSectionHidden(c)]
        fixed = sum(header.sectionSize(c) for c in range(header.count())
                    if c in self.user_sized and not header.isSectionHidden(c) and c != self.stretch)
        mine = [c for c in cols if c not in self.user_sized]
        want = {c: max(fits[c].want, fits[c].least) for c in mine}
        deficit = fixed + sum(want.values()) + self.stretch_least - avail
        give = sum(want[c] - fits[c].least for c in mine)
        share = min(1.0, deficit / give) if deficit > 0 and give > 0 else 0.0
        self._busy += 1
        try:
            for c in mine:
                w = want[c] - int((want[c] - fits[c].least) * share + 0.999)
                if header.sectionSize(c) != w:
                    header.resizeSection(c, w)
        finally:
            self._busy -= 1


class ElideDelegate(QStyledItemDelegate):
    """Draws its column's text elided with ``mode`` (views elide all columns alike)."""

    def __init__(self, mode: Qt.TextElideMode, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mode = mode

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = self.mode


def cell_tooltip(view: QAbstractItemView, index: QModelIndex) -> str | None:
    """The tooltip of a cell whose text does not fit: its full text (with the model's own
    tooltip under it when that says more); None when the text fits or there is none."""
    if not index.isValid():
        return None
    text = index.data(_DISPLAY)
    if text is None or text == "":
        return None
    text = str(text)
    opt = QStyleOptionViewItem()
    opt.initFrom(view.viewport())
    opt.font = view.font()
    delegate = view.itemDelegateForIndex(index)
    need = delegate.sizeHint(opt, index).width()
    if need <= view.visualRect(index).width():
        return None
    own = index.data(_TOOLTIP)
    if own and text in str(own):
        return str(own)
    return text + (f"\n\n{own}" if own else "")


class ElidedToolTips(QObject):
    """Shows a cell's full text when the cell elides it (installed on the viewport); other
    cells keep the model's tooltip."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ToolTip:
            return False
        view = self.view
        idx = view.indexAt(event.pos())
        tip = cell_tooltip(view, idx)
        if tip is None:
            return False  # the view shows the model's tooltip, if any
        QToolTip.showText(event.globalPos(), tip, view.viewport(), view.visualRect(idx))
        return True


class ColumnChooser(QObject):
    """Which columns of a view show. The header's right-click menu and the window's View ▸
    Columns both fill their menus here (a checkable entry per column, the first always
    shown, then "Fit columns to contents"); ``sigChanged`` tells whoever keeps the choice."""

    sigChanged = Signal()

    def __init__(self, view: QAbstractItemView, sizer: ColumnSizer | None = None) -> None:
        super().__init__(view)
        self.view = view
        self.sizer = sizer
        header = _header(view)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._popup)

    def titles(self) -> list[str]:
        model = self.view.model()
        return [str(model.headerData(c, Qt.Orientation.Horizontal, _DISPLAY) or "") for c in range(_header(self.view).count())]

    def hidden(self) -> list[str]:
        """Header texts of the hidden columns."""
        header = _header(self.view)
        return [t for c, t in enumerate(self.titles()) if header.isSectionHidden(c)]

    def set_hidden(self, names: Iterable[str]) -> None:
        """Hide exactly the columns titled ``names`` (never the first); no ``sigChanged``."""
        names = set(names)
        header = _header(self.view)
        for c, title in enumerate(self.titles()):
            header.setSectionHidden(c, c != 0 and title in names)
        if self.sizer is not None:
            self.sizer.refit()

    def set_shown(self, column: int, on: bool) -> None:
        _header(self.view).setSectionHidden(column, not on)
        if self.sizer is not None:
            self.sizer.refit()
        self.sigChanged.emit()

    def fill(self, menu: QMenu) -> None:
        """Add this view's column entries (and "Fit columns to contents") to ``menu``."""
        header = _header(self.view)
        for c, title in enumerate(self.titles()):
            a = menu.addAction(title)
            a.setCheckable(True)
            a.setChecked(not header.isSectionHidden(c))
            if c == 0:
                a.setEnabled(False)
                a.setToolTip("The first column is always shown")
            a.toggled.connect(lambda on, c=c: self.set_shown(c, on))
        if self.sizer is not None:
            menu.addSeparator()
            menu.addAction("Fit columns to contents", self.sizer.reset)

    def menu(self) -> QMenu:
        """The header's menu (deleted once closed)."""
        menu = QMenu(self.view)
        menu.setObjectName("columnMenu")
        menu.setToolTipsVisible(True)
        self.fill(menu)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return menu

    def _popup(self, pos: QPoint) -> None:
        self.menu().popup(_header(self.view).mapToGlobal(pos))


def keep_columns(chooser: ColumnChooser, settings, view: str) -> bool:
    """Hide ``view``'s columns as last chosen (``settings.hidden_columns(view)``) and save every
    later choice; True when a saved choice was applied."""
    saved = settings.hidden_columns(view)
    if saved is not None:
        chooser.set_hidden(saved)
    chooser.sigChanged.connect(lambda: settings.set_hidden_columns(chooser.hidden(), view))
    return saved is not None


def elide_column(view: QTableView | QTreeView, column: int, mode: Qt.TextElideMode) -> ElideDelegate:
    """Elide ``column`` with ``mode`` whatever the view's own mode is."""
    d = ElideDelegate(mode, view)
    view.setItemDelegateForColumn(column, d)
    return d
