"""The Compare window's table on a synthetic comparison: aligned columns named after the two
sides, rows tinted by how the sides relate, and the filters (object text, differences only,
one kind)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kmon.monitor.compare_analysis import analyse
from kmon.monitor.compare_record import ADD, UPDATE, Cause, HeardCall, Side
from kmon.ui.compare_model import CALL_A, CALL_B, FROM_B, OBJECT, WHY, CompareModel


def _side(label, calls, causes=()):
    view = {c.key: c.rv for c in calls}
    return Side(label, "q", "LIST", "", tuple(calls), tuple(causes), (), view, dict(view))


def _comparison():
    a = [HeardCall(0, 0.0, ADD, "ns/x", "1", initial=True), HeardCall(1, 0.1, ADD, "ns/y", "2", initial=True),
         HeardCall(2, 0.2, UPDATE, "ns/x", "3", old_rv="1"), HeardCall(3, 0.3, UPDATE, "ns/x", "4", old_rv="3")]
    b = [HeardCall(0, 0.0, ADD, "ns/x", "1", initial=True), HeardCall(1, 0.1, ADD, "ns/y", "2", initial=True),
         HeardCall(2, 0.35, UPDATE, "ns/x", "4", old_rv="1")]
    causes = [Cause("ns/x", "Replaced", "", "1", None, False, 0.0), Cause("ns/y", "Replaced", "", "2", None, False, 0.0),
              Cause("ns/x", "Replaced", "ReplacedAll", "4", "1", False, 0.3)]
    return analyse(_side("1.32", a), _side("1.36", b, causes), {"ns/x": "4", "ns/y": "2"})


def test_rows_columns_tints_and_filters(qtmodeltester):
    model = CompareModel()
    model.set_comparison(_comparison())
    qtmodeltester.check(model)
    assert model.total() == 4 and model.rowCount() == 2  # only the differences at first
    assert model.headerData(CALL_A, Qt.Orientation.Horizontal) == "1.32"
    assert model.headerData(FROM_B, Qt.Orientation.Horizontal) == "1.36: from"
    first = model.index(0, 0)
    assert [model.data(model.index(0, c)) for c in (OBJECT, CALL_A, CALL_B, WHY)] == [
        "ns/x", "on_update 1→3", "—", "version skipped by a relist"]
    assert model.data(model.index(1, FROM_B)) == "relist (ReplacedAll)"
    assert model.data(first, Qt.ItemDataRole.BackgroundRole).alpha() > 0
    assert "a relist delivers only each object's latest version" in model.data(first, Qt.ItemDataRole.ToolTipRole)
    model.set_filter("", False)
    assert model.rowCount() == 4 and model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
    model.set_filter("NS/Y", False)
    assert [model.data(model.index(r, OBJECT)) for r in range(model.rowCount())] == ["ns/y"]
    model.set_filter("", True, "reordered")
    assert model.rowCount() == 0
    model.set_comparison(None)
    assert model.rowCount() == 0 and model.headerData(CALL_A, Qt.Orientation.Horizontal) == "A"
