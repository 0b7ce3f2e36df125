"""The light and dark palettes: what a person sees in lists with check boxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QListWidget, QListWidgetItem, QStyle, QStyleOptionViewItem

from kmon.ui.palette import apply_palette


def _indicator_contrast(qtbot) -> float:
    """The largest lightness difference between an unchecked item's check box and the list's
    background, as drawn."""
    lw = QListWidget()
    qtbot.addWidget(lw)
    it = QListWidgetItem("podtemplates")
    it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    it.setCheckState(Qt.CheckState.Unchecked)
    lw.addItem(it)
    lw.resize(240, 60)
    lw.show()
    qtbot.waitExposed(lw)
    img: QImage = lw.viewport().grab().toImage()
    opt = QStyleOptionViewItem()
    opt.initFrom(lw.viewport())
    opt.rect = lw.visualItemRect(it)
    opt.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = lw.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, lw)
    base = lw.palette().color(QPalette.ColorRole.Base).lightness()
    return max(
        abs(QColor(img.pixel(x, y)).lightness() - base)
        for x in range(box.left(), box.right() + 1)
        for y in range(box.top(), box.bottom() + 1)
    )


@pytest.mark.parametrize("name", ["light", "dark"])
def test_an_unchecked_box_stands_out_from_the_list_on_either_palette(qtbot, name):
    app = QApplication.instance()
    try:
        apply_palette(name, app)
        assert _indicator_contrast(qtbot) >= 60
    finally:
        apply_palette("system", app)
