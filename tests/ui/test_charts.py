"""Charts: curves fed from a SeriesBook with setData (never recreated), relist markers,
opaque resourceVersions, follow."""

from __future__ import annotations

from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.monitor.feed import DeltaItem, ReflectorItem
from kmon.monitor.timeseries import SeriesBook
from kmon.ui.charts import ChartsView

T0 = 1_700_000_000.0


def delta(t, rv, typ="Updated", res="pods", ctx="c1"):
    return DeltaItem(ctx, res, DeltaRecord(typ, f"ns/p{rv}", {}, None, rv, t, False))


def test_curves_markers_and_follow(qtbot):
    book = SeriesBook()
    charts = ChartsView(book, interval_ms=10_000)
    qtbot.addWidget(charts)
    charts.resize(900, 600)
    charts.show()
    book.ingest([delta(T0 + i * 0.5, str(100 + i)) for i in range(120)])
    book.ingest([ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.Relist, T0 + 30, "130",
                                                            {"reason": "watch expired (410)"}))])
    book.sample("c1", "pods", {"store_size": 40, "queue_depth": 3}, T0 + 10)
    book.ingest([delta(T0 + 5, "abc", res="widgets")])  # opaque versions
    charts.set_shown(None)
    c = charts.curves[("c1", "pods")]
    x, y = c.rv.xData, c.rv.yData
    assert len(x) == 60 and y[-1] == 219
    rv_curve = c.rv
    assert any(t.startswith("relist") and "410" in t for t in charts.marker_spots(("c1", "pods")))
    assert "not integers" in charts.note.toPlainText() and "widgets" in charts.note.toPlainText()
    ey = charts.type_curves["Updated"].yData
    assert ey.sum() == 121  # events/s per 1 s bucket, summed over the shown series
    # more data: the same curve objects get it
    book.ingest([delta(T0 + 60 + i, str(300 + i)) for i in range(10)])
    charts.refresh()
    assert charts.curves[("c1", "pods")].rv is rv_curve
    assert rv_curve.yData[-1] == 309
    assert rv_curve.opts["clipToView"] and rv_curve.opts["autoDownsample"] and rv_curve.opts["downsampleMethod"] == "peak"
    assert rv_curve.opts["pen"].width() <= 1
    # follow keeps the newest data in view; a manual pan turns it off
    assert charts.following
    qtbot.waitUntil(lambda: charts.p_rv.vb.viewRange()[0][1] >= T0 + 69, timeout=2000)
    charts.p_rv.vb.sigRangeChangedManually.emit([True, False])
    assert not charts.following and not charts.follow.isChecked()
    charts.follow.setChecked(True)
    assert charts.following
    # hiding a resource hides its curves without recreating them
    charts.set_shown([("c1", "widgets")])
    assert not rv_curve.isVisible()
    charts.set_shown(None)
    assert rv_curve.isVisible() and charts.curves[("c1", "pods")].rv is rv_curve
