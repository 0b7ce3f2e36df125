"""Columns fit their content at 1280x720 and 1920x1080: nothing the user needs is cut, names
are elided in the middle, and an elided cell shows its full text on hover (issue 10.14)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetrics, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.monitor.feed import ReflectorItem
from kmon.monitor.journal import Journal
from kmon.ui.columns import cell_tooltip
from kmon.ui.event_log import EventLog
from kmon.ui.event_log_model import COLUMNS, EventLogModel

from helpers import item, obj

CTX, RES, EVENT, OBJECT, DETAIL = (COLUMNS.index(c) for c in ("Context", "Resource", "Event", "Object", "Detail"))
LONG_EVENTS = ("WatchStarted", "ListFinished", "verify-failed")
RELIST = "relist: watch expired (410): too old resource version 1234 (5678)"


def _feed() -> list:
    items = []
    for ctx in ("kmon-demo", "kmon-demo-2"):
        for i in range(30):
            items.append(item("Added", obj(f"gateway-nt9wzzzh7v-{i:05d}", "monitoring"), ctx=ctx))
        items.append(item("Updated", obj("kafka", "monitoring", kind="Deployment"), ctx=ctx, res="deployments.apps"))
        for kind in (ReflectorEventKind.WatchStarted, ReflectorEventKind.ListFinished):
            items.append(ReflectorItem(ctx, "pods", ReflectorEvent(kind, 1.0, "10", {})))
        items.append(ReflectorItem(ctx, "pods", ReflectorEvent(ReflectorEventKind.Relist, 1.0, "10",
                                                               {"reason": RELIST[len("relist: "):]})))
    return items


def _shown_log(qtbot, width: int) -> EventLog:
    """A log as wide as its dock, shown, with both contexts' events in it."""
    log = EventLog(EventLogModel(Journal(1000)))
    qtbot.addWidget(log)
    log.resize(width, 300)
    log.show()
    qtbot.waitExposed(log)
    log.append_items(_feed())
    QApplication.processEvents()
    return log


def _width(view, text, bold=False) -> int:
    f = view.font()
    f.setBold(bold)
    return QFontMetrics(f).horizontalAdvance(text)


# the event log's dock is about this wide in the default layout of a window of this size
@pytest.mark.parametrize("dock_width", [690, 1050])
def test_event_log_columns_fit_and_detail_is_on_screen(qtbot, dock_width):
    log = _shown_log(qtbot, dock_width)
    view, hh = log.view, log.view.horizontalHeader()
    # event names and both context names whole
    assert hh.sectionSize(EVENT) >= max(_width(view, t, bold=True) for t in LONG_EVENTS)
    assert not view.isColumnHidden(CTX) and hh.sectionSize(CTX) >= _width(view, "kmon-demo-2")
    assert hh.sectionSize(RES) >= _width(view, "deployments.apps")
    # the relist's reason is on screen, with room to read
    x = hh.sectionViewportPosition(DETAIL)
    assert 0 <= x and view.viewport().width() - x >= _width(view, "relist: watch expired")
    # names elide in the middle ("kmon-d…mo-2" and "kmon-demo" stay apart), reasons at the end
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert view.itemDelegateForColumn(DETAIL).mode == Qt.TextElideMode.ElideRight


def test_one_context_hides_its_column_until_a_second_appears(qtbot):
    log = EventLog(EventLogModel(Journal(1000)))
    qtbot.addWidget(log)
    log.append_items([item("Added", obj("a", "ns"), ctx="kmon-demo")])
    assert log.view.isColumnHidden(CTX)
    log.append_items([item("Added", obj("a", "ns"), ctx="kmon-demo-2")])
    assert not log.view.isColumnHidden(CTX)


def test_an_elided_cell_shows_its_full_text_on_hover(qtbot):
    log = _shown_log(qtbot, 690)
    view, model = log.view, log.model
    relist = next(r for r in range(model.rowCount()) if model.data(model.index(r, EVENT)) == "Relist")
    view.setColumnWidth(OBJECT, 40)  # (the user squeezed it)
    obj_idx = model.index(0, OBJECT)
    assert cell_tooltip(view, obj_idx) == "monitoring/gateway-nt9wzzzh7v-00000"
    assert cell_tooltip(view, model.index(relist, EVENT)) is None  # fits: no tooltip of ours
    # the detail of a relist is longer than its column: hovering shows all of it
    detail = model.index(relist, DETAIL)
    assert RELIST in (cell_tooltip(view, detail) or "")
    view.scrollTo(obj_idx)
    pos = view.visualRect(obj_idx).center()
    QApplication.sendEvent(view.viewport(), QHelpEvent(QHelpEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos)))
    assert QToolTip.text() == "monitoring/gateway-nt9wzzzh7v-00000"
    QToolTip.hideText()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_default_layout_shows_what_matters(make_app, demo, qtbot, size):
    """The window as a user first sees it, with both demo contexts open."""
    from kmon.ui.app import expand_for_screenshot
    from kmon.ui.inspector_model import COLUMNS as INSPECTOR
    from kmon.ui.tree_model import COL_NAME, COL_STATUS

    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo", "kmon-demo-2"]).open()
    win = app.win
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    app.wait_synced()
    expand_for_screenshot(win)
    views = win.views
    qtbot.waitUntil(lambda: views.inspector.model.rowCount() >= 16, timeout=10000)
    QApplication.processEvents()
    # the tree: Status readable next to the names, nothing beyond the right edge
    tree, th = win.tree, win.tree.header()
    qtbot.waitUntil(lambda: th.sectionSize(COL_STATUS) >= _width(tree, "Running, 0/1 ready, 1 restart"), timeout=3000)
    assert th.sectionSize(COL_NAME) >= _width(tree, "gateway-nt9wzzzh7v-qxhsx")
    assert th.length() <= tree.viewport().width()
    # the event log: both contexts whole, the Detail column on screen
    log = views.log
    lh = log.view.horizontalHeader()
    assert lh.sectionSize(CTX) >= _width(log.view, "kmon-demo-2")
    assert log.view.viewport().width() - lh.sectionViewportPosition(DETAIL) >= _width(log.view, "rv 312 → 415")
    # the inspector: informers named whole; at 1920 the last error is on screen
    insp = views.inspector.view
    ih = insp.horizontalHeader()
    assert ih.sectionSize(INSPECTOR.index("Resource")) >= _width(insp, "replicasets.apps")
    assert ih.sectionSize(INSPECTOR.index("Context")) >= _width(insp, "kmon-demo-2")
    if size[0] >= 1920:
        assert ih.sectionViewportPosition(INSPECTOR.index("Last error")) < insp.viewport().width() - 100


def test_header_menu_hides_columns_and_user_widths_hold_until_fit_again(qtbot):
    log = _shown_log(qtbot, 1050)
    view, hh = log.view, log.view.horizontalHeader()
    fitted = hh.sectionSize(OBJECT)
    menu = log.column_chooser.menu()
    acts = {a.text(): a for a in menu.actions() if a.isCheckable()}
    assert not acts["Time"].isEnabled()  # (the first column stays)
    acts["RV"].setChecked(False)
    assert view.isColumnHidden(COLUMNS.index("RV"))
    hh.resizeSection(OBJECT, fitted + 120)  # the user drags it wider: it stays so
    log.append_items([item("Added", obj("x" * 60, "monitoring"), ctx="kmon-demo-3")])
    assert hh.sectionSize(OBJECT) == fitted + 120
    next(a for a in menu.actions() if a.text() == "Fit columns to contents").trigger()
    assert hh.sectionSize(OBJECT) != fitted + 120 and not log.columns.user_sized
    menu.close()
