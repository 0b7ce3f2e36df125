"""Cache inspector model: one row per informer, dataChanged only for cells that changed."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtTest import QAbstractItemModelTester

from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.cache.stats import InformerStats
from kmon.monitor.feed import ReflectorItem, SessionItem
from kmon.ui.inspector_model import COLUMNS, InspectorModel


def stats(**kw):
    base = dict(name="c1/pods", state="watching", lists=1, relists=0, last_relist_reason="", list_duration_last=0.1,
                list_duration_total=0.1, list_items_last=10, list_items_total=10, pages_total=1, pages_last=1,
                watches_started=1, watches_ended={}, events={}, bookmarks=0, expired=0, errors={}, current_backoff=0.0,
                last_synced_version="100", unavailable=False, paginated=False, queue_depth=0, store_size=10,
                synced=True, last_event_time=99.0, last_error="", deltas_processed=10, handler_errors=0)
    base.update(kw)
    return InformerStats(**base)


def test_rows_and_changed_cells(qapp):
    now = [100.0]
    model = InspectorModel(clock=lambda: now[0])
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    changes = []
    model.dataChanged.connect(lambda a, b: changes.append((a.row(), a.column(), b.column())))
    s = stats()
    model.update_stats({("c1", "pods"): s, ("c1", "nodes"): s})
    assert model.rowCount() == 2 and model.key_at(0) == ("c1", "nodes")
    assert model.cell("c1", "pods", "State") == "watching"
    changes.clear()
    model.update_stats({("c1", "pods"): s, ("c1", "nodes"): s})
    assert changes == []  # nothing changed, nothing announced
    model.update_stats({("c1", "pods"): replace(s, relists=1, last_relist_reason="watch expired (410)"),
                        ("c1", "nodes"): s})
    col = COLUMNS.index("Relists")
    assert changes == [(1, col, col)]
    model.update_stats({("c1", "pods"): replace(s, state="backing-off", current_backoff=1.6, relists=1)})
    assert model.rowCount() == 1
    assert model.cell("c1", "pods", "State") == "backing off"
    assert model.cell("c1", "pods", "Backoff") == "1.6 s"
    assert model.data(model.index(0, COLUMNS.index("State")), 8) is not None  # coloured
    # what stats() does not say comes from the feed
    model.ingest([ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.WatchEnded, 101.0, "100", {"reason": "expired"}))])
    assert model.cell("c1", "pods", "Last watch end") == "expired"
    model.ingest([SessionItem("c1", "pods", "warning", "pods: differs", "verified",
                              detail={"ok": False, "missing": ["ns/a"], "extra": [], "stale": []})])
    assert model.cell("c1", "pods", "Verify") == "1 missing"


def test_the_last_error_is_readable_however_narrow_the_dock(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from kmon.ui.columns import cell_tooltip
    from kmon.ui.inspector import Inspector
    from kmon.ui.inspector_model import HIDDEN

    error = "list pods: Get \"https://10.0.0.1:6443/api/v1/pods\": dial tcp 10.0.0.1:6443: connect: connection refused"
    insp = Inspector(workspace=None)
    qtbot.addWidget(insp)
    insp.resize(1280, 250)  # (1050 before the path columns Queue, Initial sync and Gates came)
    insp.show()
    qtbot.waitExposed(insp)
    insp.refresh({("kmon-demo", "pods"): stats(state="backing-off", current_backoff=3.2, last_error=error),
                  ("kmon-demo-2", "deployments.apps"): stats()})
    QApplication.processEvents()
    view, model = insp.view, insp.model
    col = COLUMNS.index("Last error")
    assert col == len(COLUMNS) - 1 and view.horizontalHeader().stretchLastSection()  # it takes what is left
    assert all(view.isColumnHidden(COLUMNS.index(c)) for c in HIDDEN)
    row = [model.key_at(r) for r in range(model.rowCount())].index(("kmon-demo", "pods"))
    err = model.index(row, col)
    assert 0 <= view.visualRect(err).left() < view.viewport().width() - 100  # on screen
    assert cell_tooltip(view, err) == error  # elided there: the whole error on hover
    # where the column is scrolled away, the State cell says it (and the hidden columns)
    state = model.data(model.index(row, COLUMNS.index("State")), Qt.ItemDataRole.ToolTipRole)
    assert error in state and "3.2 s" in state
    # informers are named whole, in the middle when they must be elided
    res = COLUMNS.index("Resource")
    assert view.itemDelegateForColumn(res).mode == Qt.TextElideMode.ElideMiddle
    assert view.columnWidth(res) >= view.fontMetrics().horizontalAdvance("deployments.apps")


def test_each_informer_shows_the_path_it_runs_and_every_gate_in_the_tooltip(qtbot):
    from PySide6.QtCore import Qt

    from kmon.cache.features import FeatureGates
    from kmon.ui.columns import cell_tooltip
    from kmon.ui.inspector import Inspector
    from kmon.ui.inspector_model import HIDDEN

    tip = Qt.ItemDataRole.ToolTipRole
    current = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "false"}, None)
    classic = FeatureGates.for_client_go("1.32")
    insp = Inspector(workspace=None)
    qtbot.addWidget(insp)
    insp.resize(1600, 250)
    insp.show()
    qtbot.waitExposed(insp)
    insp.refresh({
        ("c1", "pods"): stats(queue="RealFIFO (atomic, batched, unlocking)", features=current,
                              initial_sync="LIST (WatchList failed: 400 sendInitialEvents is not supported)"),
        ("c2", "pods"): stats(queue="DeltaFIFO", initial_sync="LIST", features=classic, queue_depth=1234),
    })
    model, view = insp.model, insp.view
    assert not any(c in HIDDEN for c in ("Queue", "Initial sync", "Gates"))
    # short cells (the whole wording in their tooltips)
    assert model.cell("c1", "pods", "Queue") == "RealFIFO atomic"
    assert model.cell("c1", "pods", "Initial sync") == "LIST (fallback)"
    assert model.cell("c1", "pods", "Gates") == "1.36 · WatchList off"  # compact: what differs
    assert model.cell("c2", "pods", "Gates") == "1.32" and model.cell("c2", "pods", "Queued") == "1,234"
    row2 = model.rows.index(model.row_of("c2", "pods"))
    assert "1,234 deltas queued" in model.data(model.index(row2, COLUMNS.index("State")), tip)  # (Queued is hidden)
    assert insp.summary.text() == "2 informers: 2 watching"  # two paths: each row says its own
    row = model.rows.index(model.row_of("c1", "pods"))
    gates = model.data(model.index(row, COLUMNS.index("Gates")), tip)
    for gate, value, source in (("InOrderInformers", "on", "default (client-go 1.36)"),
                                ("WatchListClient", "<b>off</b>", "environment (KUBE_FEATURE_WatchListClient)")):
        assert f"<tr><td>{gate}</td><td>{value}</td><td>{source}</td></tr>" in gates
    queue = model.data(model.index(row, COLUMNS.index("Queue")), tip)
    assert queue.startswith("RealFIFO (atomic, batched, unlocking)\n\nRealFIFO (in-order")
    assert "a relist is one ReplacedAll" in queue
    sync = model.data(model.index(row, COLUMNS.index("Initial sync")), tip)
    assert sync.startswith("LIST (WatchList failed: 400 sendInitialEvents is not supported)\n\nLIST, because WatchList")
    assert "listed at once instead" in sync
    assert "client-go 1.32 profile" in model.data(model.index(row2, COLUMNS.index("Gates")), tip)
    # a cut cell shows its whole text over what it means
    view.setColumnWidth(COLUMNS.index("Initial sync"), 60)
    whole = cell_tooltip(view, model.index(row, COLUMNS.index("Initial sync")))
    assert whole.startswith("LIST (fallback)\n\nLIST (WatchList failed: 400 sendInitialEvents is not supported)")
    insp.refresh({("c1", "pods"): stats(features=classic), ("c2", "pods"): stats(features=classic)})
    assert insp.summary.text() == "2 informers: 2 watching · all on client-go 1.32"  # said once
    # before the informer says (a replay of an older recording): empty cells, no tooltip
    insp.refresh({("c3", "pods"): stats(queue="", initial_sync="", features=None)})
    assert model.cell("c3", "pods", "Gates") == "" and model.data(model.index(0, COLUMNS.index("Gates")), tip) is None


def _path_stats(**kw):
    from kmon.cache.features import FeatureGates

    kw.setdefault("queue", "RealFIFO (atomic, batched, unlocking)")
    kw.setdefault("initial_sync", "WatchList")
    kw.setdefault("features", FeatureGates.from_env({}, None))
    return stats(watches_started=3, watches_ended={"expired": 1, "closed": 1}, relists=1, last_synced_version="123456",
                 last_event_time=None, **kw)


def test_the_path_columns_are_whole_in_the_dock_of_a_1920_window_and_elided_narrower(qtbot):
    """The default 1920x1080 window gives the inspector's dock about 1055 px: the short path
    cells (Queue, Initial sync, Gates) are whole there, with no horizontal scrolling; narrower
    (the 1280x720 window's tab), they are elided, their whole text on hover."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from kmon.ui.columns import cell_tooltip
    from kmon.ui.inspector import Inspector

    insp = Inspector(workspace=None)
    qtbot.addWidget(insp)
    insp.resize(1055, 250)
    insp.show()
    qtbot.waitExposed(insp)
    rows = {("kmon-demo", r): _path_stats() for r in ("configmaps", "deployments.apps", "pods")}
    rows[("kmon-demo", "pods")] = _path_stats(initial_sync="LIST (WatchList refused: 422 Invalid)")
    insp.refresh(rows)
    QApplication.processEvents()
    view, model, hh = insp.view, insp.model, insp.view.horizontalHeader()
    shown = [c for c in range(len(COLUMNS)) if not view.isColumnHidden(c)]
    assert sum(hh.sectionSize(c) for c in shown) <= view.viewport().width()  # no scrolling
    for r in range(model.rowCount()):
        for name in ("Queue", "Initial sync", "Gates", "Watches"):
            assert cell_tooltip(view, model.index(r, COLUMNS.index(name))) is None, (name, model.rows[r].cells)
    assert model.cell("kmon-demo", "pods", "Watches") == "3 / 2 · open"
    tip = Qt.ItemDataRole.ToolTipRole
    pods = model.rows.index(model.row_of("kmon-demo", "pods"))
    assert model.data(model.index(pods, COLUMNS.index("Watches")), tip) == (
        "3 started, 2 ended (closed 1, expired 1); one open now")
    insp.refresh({**rows, ("kmon-demo", "pods"): replace(rows[("kmon-demo", "pods")], lists=1, relists=0,
                                                         last_relist_reason="initial; WatchList refused: 422 Invalid, listing instead")})
    assert model.data(model.index(pods, COLUMNS.index("Relists")), tip) == (
        "1 list in all, 0 after the first\nwhy the last: initial; WatchList refused: 422 Invalid, listing instead")
    insp.resize(700, 250)
    QApplication.processEvents()
    queue = model.index(0, COLUMNS.index("Queue"))
    assert view.columnWidth(COLUMNS.index("Queue")) >= view.fontMetrics().horizontalAdvance("RealFIFO")
    assert cell_tooltip(view, queue).startswith("RealFIFO atomic\n\nRealFIFO (atomic, batched, unlocking)")
