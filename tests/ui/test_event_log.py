"""Event log: the ring-backed table model (with QAbstractItemModelTester), the filter index,
follow/pause and export."""

from __future__ import annotations

import csv
import json
import os
import re

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.monitor.event_filter import EventFilter
from kmon.monitor.feed import ReflectorItem, SessionItem
from kmon.monitor.journal import Journal, JournalRow
from kmon.ui.event_log import EventLog
from kmon.ui.event_log_model import DETAIL, EventLogModel

from helpers import item, obj


def rows(n, start=0, ns_mod=4):
    return [
        JournalRow(float(i), "c1", "pods" if i % 3 else "nodes", "delta", ("Added", "Updated", "Deleted")[i % 3],
                   f"ns{i % ns_mod}", f"p{i}", str(i), "")
        for i in range(start, start + n)
    ]


def matching(model):
    return [r for r in model.journal if model.filter.matches(r)]


def test_model_passes_the_tester_while_the_ring_drops_rows(qapp):
    model = EventLogModel(Journal(50))
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    n = 0
    for size in (7, 30, 49, 50, 51, 3, 120, 1):
        model.append_rows(rows(size, n))
        n += size
        assert model.rowCount() == min(n, 50)
        assert model.shown_rows() == list(model.journal)
    model.set_filter(EventFilter(hidden_types=frozenset({"Updated"}), namespace="ns1"))
    for size in (5, 40, 77):
        model.append_rows(rows(size, n))
        n += size
        assert model.shown_rows() == matching(model)
        assert model.rowCount() == len(matching(model))
    model.set_paused(True)
    shown = model.rowCount()
    model.append_rows(rows(20, n))
    n += 20
    assert model.pending > 0 and model.rowCount() <= shown
    model.set_paused(False)
    assert model.pending == 0 and model.shown_rows() == matching(model)
    model.set_capacity(20)
    assert len(model.journal) == 20 and model.shown_rows() == matching(model)
    model.append_rows(rows(33, n))
    assert model.shown_rows() == matching(model)


def test_a_million_events_through_a_100k_log_stay_bounded(qapp):
    model = EventLogModel(Journal(100_000))
    batch = rows(10_000)
    for _ in range(100):
        model.append_rows(batch)
    assert model.journal.total == 1_000_000
    assert len(model.journal) == 100_000
    assert model.rowCount() == 100_000
    assert model.index_._seqs.size <= 4 * 100_000  # the index stays bounded too
    assert model.data(model.index(0, 5)) == batch[0].resource_version  # oldest kept row
    assert model.data(model.index(99_999, 4)).endswith(batch[-1].name)


def test_filtering_100k_rows_reads_no_row_twice_and_a_tick_only_its_own(qapp, monkeypatch):
    """What keeps a 100,000-row log responsive (its speed is measured by
    benchmarks/bench_gui_ops.py): a filter on types and resources is decided on integer codes
    without reading a row, free text reads each surviving row once, and a tick's batch reads
    only its own rows, however long the log."""
    model = EventLogModel(Journal(100_000))
    model.append_rows(rows(100_000))
    reads = []
    real_getitem = Journal.__getitem__
    monkeypatch.setattr(Journal, "__getitem__", lambda self, i: (reads.append(i), real_getitem(self, i))[1])

    def rows_read(op) -> int:
        reads.clear()
        op()
        return len(reads)

    categories = EventFilter(hidden_types=frozenset({"Added"}), hidden_resources=frozenset({"nodes"}))
    assert rows_read(lambda: model.set_filter(categories)) == 0
    assert model.rowCount() == len(matching(model))
    assert rows_read(lambda: model.set_filter(EventFilter(text="p4242"))) == 100_000
    assert [r.name for r in model.shown_rows()] == ["p4242"] + [f"p4242{i}" for i in range(10)]
    survivors = sum(1 for r in model.journal if r.type != "Added")
    assert rows_read(lambda: model.set_filter(EventFilter(hidden_types=frozenset({"Added"}), text="p4242"))) == survivors
    assert rows_read(lambda: model.append_rows(rows(200, 100_000))) <= 2 * 200  # a tick's batch: O(batch)
    assert model.shown_rows() == matching(model)


def feed_items(n=30):
    items = [item("Added", obj(f"web-{i}", "shop")) for i in range(n)]
    items.append(ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.Expired, 1.0, "10", {"error": "too old", "reason": "watch"})))
    items.append(ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.Relist, 1.0, "10", {"reason": "watch expired (410)"})))
    items.append(SessionItem("c1", "secrets", "error", "secrets: failed token=abcd1234", "error"))
    return items


def test_widget_counts_filters_follow_pause(qtbot):
    log = EventLog(EventLogModel(Journal(1000)))
    qtbot.addWidget(log)
    log.resize(900, 300)
    log.show()
    log.append_items(feed_items())
    assert log.counts.text() == "33 of 33 shown"
    log.set_types({"Relist", "Expired"})
    assert log.counts.text() == "2 of 33 shown"
    assert log.model.data(log.model.index(1, DETAIL)) == "relist: watch expired (410)"
    log.set_types(None)
    log.text.setText("web-1")
    log.apply_filter()
    assert log.model.rowCount() == 11  # web-1, web-10..19
    log.text.setText("")
    log.apply_filter()
    log.namespace.setCurrentText("shop")
    assert log.model.rowCount() == 30
    log.namespace.setCurrentIndex(0)
    # follow: the newest row stays in view as rows arrive
    log.append_items([item("Added", obj(f"more-{i}", "shop")) for i in range(100)])
    sb = log.view.verticalScrollBar()
    assert log.following and sb.value() == sb.maximum() > 0
    # selecting a row stops following
    log.select_row(3)
    assert not log.following and not log.follow.isChecked()
    value = sb.value()
    log.append_items([item("Added", obj(f"again-{i}", "shop")) for i in range(50)])
    assert sb.value() == value
    # scrolling back to the bottom resumes it
    sb.setValue(sb.maximum())
    assert log.following
    # pause: the view stops, the journal records, "N new" shows
    log.pause.click()
    assert log.model.paused
    before = log.model.rowCount()
    log.append_items([item("Added", obj(f"paused-{i}", "shop")) for i in range(7)])
    assert log.model.rowCount() == before and "7 new" in log.new_label.text()
    log.pause.click()
    assert log.model.rowCount() == before + 7 and log.new_label.text() == ""
    assert sb.value() == sb.maximum()


def test_row_selection_names_the_object(qtbot):
    log = EventLog(EventLogModel(Journal(100)))
    qtbot.addWidget(log)
    log.append_items(feed_items(3))
    with qtbot.waitSignal(log.sigObjectSelected) as sig:
        log.select_row(1)
    assert sig.args == ["c1", "pods", "shop/web-1"]


def test_export_shown_and_all_redacts(qtbot, tmp_path):
    log = EventLog(EventLogModel(Journal(100)))
    qtbot.addWidget(log)
    log.append_items(feed_items(5))
    log.set_types({"error"})
    assert log.export(tmp_path / "shown.jsonl") == 1
    line = json.loads((tmp_path / "shown.jsonl").read_text())
    assert line["type"] == "error" and "abcd1234" not in line["detail"] and "time_iso" in line
    assert log.export(tmp_path / "all.csv", shown=False) == 8
    with open(tmp_path / "all.csv") as f:
        got = list(csv.DictReader(f))
    assert len(got) == 8 and not any("abcd1234" in r["detail"] for r in got)


def test_export_dialog_is_the_desktops_and_remembers_where(qtbot, tmp_path, monkeypatch, settings):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.chdir(tmp_path)  # the current directory is not where exports go
    asked = []
    target = tmp_path / "out"
    target.mkdir()

    def fake_dialog(parent, caption, start, filters, *a, **kw):
        asked.append((start, filters, a, kw))
        return str(target / "mine"), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    log = EventLog(EventLogModel(Journal(100)), settings=settings)
    qtbot.addWidget(log)
    log.append_items(feed_items(5))
    log.set_types({"error"})
    with qtbot.waitSignal(log.sigExported) as done:
        assert log.export_dialog("csv", shown=True) == str(target / "mine.csv")
        assert not log.export_btn.isEnabled()  # (written off the GUI thread)
    assert done.args == [str(target / "mine.csv"), 1, ""] and log.export_btn.isEnabled()
    start, filters, extra, kw = asked[0]
    # the static (native) dialog, no DontUseNativeDialog option, not the current directory
    assert not extra and not kw and filters.startswith("CSV (*.csv)")
    assert os.path.dirname(start) != str(tmp_path) and os.path.isdir(os.path.dirname(start))
    assert re.fullmatch(r"kmon-events-c1-\d{8}-\d{6}\.csv", os.path.basename(start))
    with open(target / "mine.csv") as f:
        assert len(list(csv.DictReader(f))) == 1
    # the next dialog opens where the last export went, in this run and the next one
    with qtbot.waitSignal(log.sigExported):
        log.export_dialog("jsonl", shown=False)
    assert os.path.dirname(asked[1][0]) == str(target) and asked[1][0].endswith(".jsonl")
    again = EventLog(EventLogModel(Journal(100)), settings=settings)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.sigExported):
        again.export_dialog("jsonl")
    assert os.path.dirname(asked[2][0]) == str(target)
    assert os.path.basename(asked[2][0]).startswith("kmon-events-2")  # no rows: no context part


def test_export_dialog_cancel_and_failure(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    answer = [""]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (answer[0], "")))
    log = EventLog(EventLogModel(Journal(100)))
    qtbot.addWidget(log)
    log.append_items(feed_items(2))
    assert log.export_dialog("jsonl") == "" and log.last_error is None  # cancelled
    answer[0] = str(tmp_path / "no" / "such" / "dir" / "x.jsonl")
    with qtbot.waitSignal(log.sigExported) as done:
        log.export_dialog("jsonl")
    assert done.args[1] == 0 and done.args[2]  # nothing written, and why
    box = log.last_error
    assert isinstance(box, QMessageBox) and box.isVisible() and "x.jsonl" in box.text()
    box.close()


@pytest.mark.parametrize("capacity", [10, 1000])
def test_capacity_setting(qtbot, capacity):
    log = EventLog(EventLogModel(Journal(100)))
    qtbot.addWidget(log)
    log.append_items(feed_items(50))
    log.set_capacity(capacity)
    assert log.model.journal.capacity == capacity
    assert log.model.rowCount() == min(53, capacity)


def test_secrets_status_messages_read_as_said_and_credentials_stay_masked(qapp, tmp_path):
    """kmon issue 10, point 3: "secrets: watching" must not become "secrets: ••••••"."""
    from kmon.monitor.masking import MASK

    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    model = EventLogModel(Journal(100))
    model.append_items([
        SessionItem("kmon-demo", "secrets", "info", "secrets: watching", "started"),
        SessionItem("kmon-demo", "secrets", "warning", "secrets: 403 Forbidden: secrets is forbidden; retrying", "error"),
        SessionItem("kmon-demo", "secrets", "error", f"secrets: 401 Unauthorized: Authorization: Bearer {token}", "failed"),
    ])
    details = [model.data(model.index(r, DETAIL)) for r in range(model.rowCount())]
    assert details[0] == "secrets: watching"
    assert details[1].startswith("secrets: 403 Forbidden")
    assert token not in details[2] and f"Bearer {MASK}" in details[2] and details[2].startswith("secrets: 401")
    log = EventLog()
    log.append_items([SessionItem("kmon-demo", "secrets", "info", "secrets: watching", "started")])
    for ext in ("jsonl", "csv"):
        assert log.export(tmp_path / f"log.{ext}") == 1
        text = (tmp_path / f"log.{ext}").read_text(encoding="utf-8")
        assert "secrets: watching" in text and MASK not in text
