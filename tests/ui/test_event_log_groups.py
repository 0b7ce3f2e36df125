"""The event log shows what the handlers received: a Notification column, and client-go
1.36's atomic relist as one row that opens like a tree's branch (mouse and keys), with
filters that open a relist on the objects they match; exports carry both."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QAbstractItemModelTester

from driven import Driven, pod
from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.cache.features import FeatureGates
from kmon.monitor.feed import ReflectorItem
from kmon.monitor.journal import Journal
from kmon.ui.event_log import EventLog
from kmon.ui.event_log_groups import CLOSED, MEMBER, OPEN, PLAIN, GroupRole
from kmon.ui.event_log_model import DETAIL, EVENT, NOTIFICATION, OBJECT, EventLogModel

CLASSIC = FeatureGates.for_client_go("1.32")


def _items(gates=None, n=4):
    """Initial list of n pods at rv 10, then a relist at rv 100 (p0 gone, p1 changed,
    the rest unchanged, "new" added), each after its reflector's ListFinished."""
    d = Driven(gates or FeatureGates())
    out = [ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.ListFinished, 1.0, "10", {"items": n}))]
    d.relist([pod(f"p{i}", rv=str(i + 1)) for i in range(n)], "10")
    out += d.take()
    out.append(ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.Relist, 2.0, "10", {"reason": "watch expired (410)"})))
    out.append(ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.ListFinished, 2.0, "100", {"items": n})))
    d.relist([pod("p1", rv="50"), *[pod(f"p{i}", rv=str(i + 1)) for i in range(2, n)], pod("new", ns="web", rv="99")], "100")
    out += d.take()
    return out


def _log(qtbot, items=None, width=1400):
    log = EventLog(EventLogModel(Journal(1000)))
    qtbot.addWidget(log)
    log.resize(width, 400)
    log.show()
    qtbot.waitExposed(log)
    log.append_items(_items() if items is None else items)
    return log


def _col(model, col):
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def _kinds(model):
    return [model.data(model.index(r, EVENT), GroupRole) for r in range(model.rowCount())]


def test_the_notification_column_says_what_handlers_got_on_both_paths(qtbot):
    log = _log(qtbot, _items(CLASSIC))
    m = log.model
    assert not log.view.isColumnHidden(NOTIFICATION)
    got = [(e, o, n) for e, o, n in zip(_col(m, EVENT), _col(m, OBJECT), _col(m, NOTIFICATION)) if n]
    assert got == [
        ("Replaced", "default/p0", "on_add (initial list)"), ("Replaced", "default/p1", "on_add (initial list)"),
        ("Replaced", "default/p2", "on_add (initial list)"), ("Replaced", "default/p3", "on_add (initial list)"),
        ("Replaced", "default/p1", "on_update"), ("Replaced", "default/p2", "on_update (resync)"),
        ("Replaced", "default/p3", "on_update (resync)"), ("Replaced", "web/new", "on_add"),
        ("Deleted", "default/p0", "on_delete (tombstone)"),  # (DeltaFIFO queues a relist's deletions last)
    ]
    # classic relist rows name the list they came from, the version its ListFinished row shows
    assert "relist at rv 100: updated rv 2 → 50" in _col(m, DETAIL)
    assert set(_kinds(m)) == {PLAIN}
    tip = m.data(m.index(8, NOTIFICATION), Qt.ItemDataRole.ToolTipRole)
    assert "resync period is due" in tip


def test_an_atomic_relist_is_one_row_that_the_mouse_opens_and_closes(qtbot):
    log = _log(qtbot)
    m = log.model
    QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert _col(m, EVENT) == ["ListFinished", "ReplacedAll", "Relist", "ListFinished", "ReplacedAll"]
    assert _kinds(m) == [PLAIN, CLOSED, PLAIN, PLAIN, CLOSED]
    assert m.data(m.index(4, DETAIL)) == "ReplacedAll at rv 100: 1 deleted, 1 updated, 1 added, 2 unchanged"
    assert m.data(m.index(4, OBJECT)) == "5 objects: 1 deleted, 1 updated, 1 added, 2 unchanged"
    assert m.data(m.index(4, NOTIFICATION)) == "on_delete ×1, on_update ×1, on_add ×1, on_update (resync) ×2"
    view = log.view
    cell = view.visualRect(m.index(4, EVENT))
    indicator = QPoint(cell.left() + 4, cell.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=indicator)
    assert _kinds(m)[4:] == [OPEN, MEMBER, MEMBER, MEMBER, MEMBER, MEMBER]
    assert _col(m, OBJECT)[5:] == ["default/p0", "default/p1", "default/p2", "default/p3", "web/new"]
    assert _col(m, NOTIFICATION)[5:] == ["on_delete (tombstone)", "on_update", "on_update (resync)",
                                         "on_update (resync)", "on_add"]
    assert view.currentIndex().row() == 4 and not log.following  # the header is where the user is
    # a click elsewhere on the row only selects it; a double click toggles
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(m.index(4, DETAIL)).center())
    assert m.rowCount() == 10
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(m.index(4, DETAIL)).center())
    assert m.rowCount() == 5 and _kinds(m)[4] == CLOSED


def test_keys_open_close_and_move_like_a_tree(qtbot):
    log = _log(qtbot)
    m, view = log.model, log.view
    view.setFocus()
    log.select_row(1)
    qtbot.keyClick(view, Qt.Key.Key_Right)  # opens
    assert _kinds(m)[1:6] == [OPEN, MEMBER, MEMBER, MEMBER, MEMBER]
    qtbot.keyClick(view, Qt.Key.Key_Right)  # open: to the first member
    assert view.currentIndex().row() == 2
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # a member: back to its header
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Left)  # closes
    assert _kinds(m)[1] == CLOSED and m.rowCount() == 5
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert _kinds(m)[1] == OPEN
    qtbot.keyClick(view, Qt.Key.Key_Enter)
    assert _kinds(m)[1] == CLOSED
    log.select_row(0)  # a plain row: the keys do what they always did
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert m.rowCount() == 5


@pytest.mark.parametrize("how, value, rows", [
    # a name: both relists open on it
    ("text", "p2", [("ReplacedAll", "1 of 4 objects: 0 deleted, 0 updated, 4 added, 0 unchanged", OPEN),
                    ("Replaced", "default/p2", MEMBER),
                    ("ReplacedAll", "1 of 5 objects: 1 deleted, 1 updated, 1 added, 2 unchanged", OPEN),
                    ("Replaced", "default/p2", MEMBER)]),
    # a namespace only the relist's new object lives in
    ("namespace", "web", [("ReplacedAll", "1 of 5 objects: 1 deleted, 1 updated, 1 added, 2 unchanged", OPEN),
                          ("Replaced", "web/new", MEMBER)]),
    # the relist itself: found by its own row, closed
    ("text", "rv 100", [("ReplacedAll", "5 objects: 1 deleted, 1 updated, 1 added, 2 unchanged", CLOSED)]),
])
def test_filters_show_a_relist_for_the_objects_they_match(qtbot, how, value, rows):
    log = _log(qtbot)
    m = log.model
    if how == "text":
        log.text.setText(value)
    else:
        log.filters.fill_namespaces()
        log.namespace.setCurrentText(value)
    log.apply_filter()
    got = [(m.data(m.index(r, EVENT)), m.data(m.index(r, OBJECT)), m.data(m.index(r, EVENT), GroupRole))
           for r in range(m.rowCount()) if m.data(m.index(r, EVENT), GroupRole) != PLAIN]
    assert got == rows
    assert log.counts.text().startswith(f"{m.rowCount()} of ")


def test_hiding_notifications_and_the_group_type(qtbot):
    log = _log(qtbot)
    m = log.model
    log.filters.note_actions["on_update (resync)"].setChecked(False)
    log.apply_filter()
    log.set_expanded(4, True)
    assert [n for n in _col(m, NOTIFICATION)[5:]] == ["on_delete (tombstone)", "on_update", "on_add"]
    assert log.types_btn.text() == f"Events ({len(log.type_actions) + len(log.filters.note_actions) - 1}) ▾"
    log.type_actions["ReplacedAll"].setChecked(False)
    log.apply_filter()
    assert "ReplacedAll" not in _col(m, EVENT) and "Replaced" not in _col(m, EVENT)
    log.filters.show_all()
    log.apply_filter()
    assert log.types_btn.text() == "Events ▾" and _col(m, EVENT).count("ReplacedAll") == 2


def test_exports_carry_notifications_and_a_closed_relist_s_objects(qtbot, tmp_path):
    log = _log(qtbot)
    assert log.export(tmp_path / "shown.jsonl") == 2 + 2 + 4 + 5 + 1  # rows plus closed groups' members
    recs = [json.loads(line) for line in (tmp_path / "shown.jsonl").read_text().splitlines()]
    header = next(r for r in recs if r["type"] == "ReplacedAll" and r["resource_version"] == "100")
    members = [r for r in recs if r["group"] == header["group"] and r is not header]
    assert header["members"] == 5 and len(members) == 5
    assert [r["notification"] for r in members] == ["on_delete (tombstone)", "on_update", "on_update (resync)",
                                                    "on_update (resync)", "on_add"]
    log.export(tmp_path / "all.csv")
    with open(tmp_path / "all.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"notification", "group", "members"} <= set(rows[0])
    assert [r["notification"] for r in rows if r["name"] == "p1"] == ["on_add (initial list)", "on_update"]


def test_a_narrow_log_says_the_notification_in_the_detail_cell(qtbot):
    log = _log(qtbot, _items(CLASSIC), width=600)
    m = log.model
    assert log.view.isColumnHidden(NOTIFICATION)
    assert "on_update · relist at rv 100: updated rv 2 → 50" in _col(m, DETAIL)
    log.resize(1600, 400)
    qtbot.waitUntil(lambda: not log.view.isColumnHidden(NOTIFICATION))
    assert "relist at rv 100: updated rv 2 → 50" in _col(m, DETAIL)


def test_a_relist_arriving_in_slices_while_open_grows_under_its_header(qtbot):
    items = _items(n=30)
    log = _log(qtbot, items[:12])
    m = log.model
    header = _kinds(m).index(CLOSED)
    log.set_expanded(header, True)
    log.set_paused(True)
    log.append_items(items[12:20])
    log.set_paused(False)
    log.append_items(items[20:])
    kinds = _kinds(m)
    assert kinds[header + 1:header + 31] == [MEMBER] * 30 and kinds[header + 31] == PLAIN
    assert _col(m, OBJECT)[header + 1:header + 31] == [f"default/p{i}" for i in range(30)]
