"""Charts: curves fed from a SeriesBook with setData (never recreated), relist markers,
opaque resourceVersions, follow."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from PySide6.QtCore import Qt

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


# --- colours, labels, legends, empty state ----------------------------------------------------
RESOURCES = ["pods", "deployments.apps", "replicasets.apps", "configmaps", "secrets", "services", "events", "nodes"]


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette()
    for role, c in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                    (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.Text, "#e6e6e6"),
                    (QPalette.ColorRole.PlaceholderText, "#8c8c8c")):
        pal.setColor(role, QColor(c))
    return pal


def _charts(qtbot, book, contexts):
    charts = ChartsView(book, interval_ms=10_000, clock=lambda: T0 + 100)
    qtbot.addWidget(charts)
    charts.resize(1000, 600)
    charts.set_contexts(contexts)
    charts.show()
    return charts


def _rgb(name):
    from PySide6.QtGui import QColor

    c = QColor(name)
    return (c.red(), c.green(), c.blue())


def test_every_visible_series_has_its_own_readable_colour_on_light_and_dark(qtbot):
    from kmon.ui.chart_colours import MIN_CONTRAST, contrast_ratio, delta_e

    book = SeriesBook()
    contexts = ["kmon-demo", "kmon-demo-2"]
    for ctx in contexts:
        for res in RESOURCES:
            book.ingest([delta(T0 + i, str(10 + i), res=res, ctx=ctx) for i in range(30)])
    charts = _charts(qtbot, book, contexts)
    charts.set_shown(None)
    keys = [(c, r) for c in contexts for r in RESOURCES]
    assert sorted(charts.curves) == sorted(keys)

    def check():
        bg = _rgb(charts.glw.backgroundBrush().color().name())
        pens = {k: charts.curves[k].rv.opts["pen"] for k in keys}
        colours = {k: _rgb(p.color().name()) for k, p in pens.items()}
        assert {k: charts.colour_of(k) for k in keys} == {k: p.color().name() for k, p in pens.items()}
        for (ka, a), (kb, b) in itertools.combinations(colours.items(), 2):
            assert delta_e(a, b) >= 15.0, (ka, kb, a, b)
        for k, c in colours.items():
            assert contrast_ratio(c, bg) >= MIN_CONTRAST, (k, c, bg)
        for t, c in charts.type_curves.items():
            assert contrast_ratio(_rgb(c.opts["pen"].color().name()), bg) >= MIN_CONTRAST, t
        # the same resource in two contexts: another colour, and the second context dashed
        for r in RESOURCES:
            a, b = pens[("kmon-demo", r)], pens[("kmon-demo-2", r)]
            assert a.color() != b.color()
            assert (a.style(), b.style()) == (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine)
        # the list is the legend: each drawn series shows its colour
        assert {k: charts.list.swatch_colour(k) for k in keys} == {k: charts.colour_of(k) for k in keys}
        return bg

    light = check()
    assert light == (255, 255, 255)
    charts.setPalette(dark_palette())
    assert check() == (30, 30, 30)
    # no legend inside a plot (it covered the lines)
    assert all(p.legend is None for p in charts.plots)


def test_a_series_keeps_its_colour_while_others_are_toggled(qtbot):
    book = SeriesBook()
    for res in RESOURCES[:4]:
        book.ingest([delta(T0 + i, str(10 + i), res=res) for i in range(30)])
    charts = _charts(qtbot, book, ["c1"])
    charts.set_shown([("c1", r) for r in RESOURCES[:3]])
    before = {k: charts.colour_of(k) for k in charts.shown_keys()}
    assert len(set(before.values())) == 3
    charts.list.item_of(("c1", "deployments.apps")).setCheckState(Qt.CheckState.Unchecked)
    assert charts.colour_of(("c1", "deployments.apps")) is None
    assert charts.list.swatch_colour(("c1", "deployments.apps")) is None
    charts.list.item_of(("c1", "configmaps")).setCheckState(Qt.CheckState.Checked)
    for k in (("c1", "pods"), ("c1", "replicasets.apps")):
        assert charts.colour_of(k) == before[k]
    shown = {charts.colour_of(k) for k in (("c1", "pods"), ("c1", "replicasets.apps"))}
    assert charts.colour_of(("c1", "configmaps")) not in shown  # (the colour freed may be reused)
    charts.list.item_of(("c1", "configmaps")).setCheckState(Qt.CheckState.Unchecked)
    charts.list.item_of(("c1", "deployments.apps")).setCheckState(Qt.CheckState.Checked)
    assert charts.colour_of(("c1", "deployments.apps")) == before[("c1", "deployments.apps")]


def test_every_series_is_labelled_with_its_context_once_two_are_open(qtbot):
    book = SeriesBook()
    book.ingest([delta(T0 + i, str(10 + i), ctx="kmon-demo") for i in range(30)])
    charts = _charts(qtbot, book, ["kmon-demo"])
    charts.refresh()
    assert [charts.list.item(i).text() for i in range(charts.list.count())] == ["pods"]
    # a second context opens and its series arrive: the first context's are relabelled too
    book.ingest([delta(T0 + i, str(10 + i), ctx="kmon-demo-2") for i in range(30)])
    book.ingest([ReflectorItem("kmon-demo", "pods", ReflectorEvent(ReflectorEventKind.Relist, T0 + 20, "25",
                                                                    {"reason": "watch expired (410)"}))])
    charts.set_contexts(["kmon-demo", "kmon-demo-2"])
    assert sorted(charts.list.item(i).text() for i in range(charts.list.count())) == [
        "pods · kmon-demo", "pods · kmon-demo-2"]
    assert any("relist — pods · kmon-demo\n" in t for t in charts.marker_spots(("kmon-demo", "pods")))
    # and back to one context: bare names again
    book.remove("kmon-demo-2")
    charts.set_contexts(["kmon-demo"])
    assert [charts.list.item(i).text() for i in range(charts.list.count())] == ["pods"]


def test_no_axes_until_there_is_something_to_draw(qtbot):
    from kmon.ui.charts import EMPTY_NO_CONTEXT, EMPTY_NOTHING_SHOWN

    book = SeriesBook()
    charts = _charts(qtbot, book, [])
    charts.refresh()
    assert charts.empty.isVisible() and not charts.glw.isVisible()
    assert charts.empty.text() == EMPTY_NO_CONTEXT
    charts.set_contexts(["kmon-demo"])
    assert charts.empty.isVisible() and "kmon-demo" in charts.empty.text()
    book.ingest([delta(T0 + i, str(10 + i), res="configmaps", ctx="kmon-demo") for i in range(30)])
    charts.refresh()  # data, but configmaps are not ticked by default
    assert not charts.empty.isVisible() and charts.nothing_shown.isVisible() and not charts.glw.isVisible()
    assert charts.nothing_shown.text() == EMPTY_NOTHING_SHOWN
    charts.set_shown(None)
    assert charts.glw.isVisible() and not charts.nothing_shown.isVisible()
    # the context closes: its series go, the message comes back
    book.remove("kmon-demo")
    charts.set_contexts([])
    charts.refresh()
    assert charts.empty.isVisible() and not charts.glw.isVisible() and charts.list.count() == 0


def test_plot_titles_shorten_when_the_plots_are_too_short_for_them(qtbot):
    """At 1280x720 each plot is ~70 px high: "resourceVersion" written vertically ran into
    the next plot's title. A short plot shows a short title; the axis' tooltip has the whole."""
    book = SeriesBook()
    charts = _charts(qtbot, book, ["c1"])
    book.ingest([delta(T0 + i, str(10 + i)) for i in range(30)])
    charts.set_shown(None)
    charts.refresh()
    glw = charts.glw
    titles = lambda: [p.getAxis("left").labelText for p in glw.plots]  # noqa: E731
    charts.resize(700, 900)
    qtbot.waitUntil(lambda: titles()[0] == "resourceVersion")
    assert titles() == ["resourceVersion", "events/s", "cache size", "queued items", "latency (s)"]
    charts.resize(700, 330)
    qtbot.waitUntil(lambda: titles()[0] == "RV")
    assert titles()[:3] == ["RV", "ev/s", "size"]
    assert glw.p_rv.getAxis("left").toolTip() == "resourceVersion"


# --- client-go 1.36: the store's version, list/bookmark points, the informer metrics ---------------
def _blank_stats():
    from kmon.cache.stats import Counters, snapshot

    return snapshot("pods", Counters(), last_synced_version="", unavailable=False, paginated=False, queue_depth=0,
                    store_size=0, synced=True, handler_errors=0, handler_backlog={})


_STATS = _blank_stats()


def _metric_book():
    """pods: a list, a bookmark, the reflector ahead of the store for a while, queued items
    and latency samples from a real (not started) informer's stats."""
    from dataclasses import replace

    from kmon.cache.informer_metrics import LatencyHistogram

    book = SeriesBook(t0=T0)
    # each second's last event comes after its sample: the events alone would put the
    # reflector one ahead of the store for nothing
    book.ingest([delta(T0 + i + 0.9, str(101 + i)) for i in range(30)])
    book.ingest([ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.ListFinished, T0 + 1, "101",
                                                            {"items": 40, "pages": 1, "duration": 0.2})),
                 ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.Bookmark, T0 + 20, "125", {}))])
    hist = LatencyHistogram(lambda: 0.0)
    for i in range(30):
        for _ in range(5):
            hist.observe(0.0004, float(i))
        if i == 12:
            hist.observe(1.5, float(i))  # one slow pop (a relist applied at once)
        st = replace(_STATS, queue_depth=i % 7, store_resource_version=str(100 + i - 3 * (i > 15)),
                     last_synced_version=str(100 + i), processing_latency=hist.snapshot())
        book.sample("c1", "pods", st, T0 + i + 0.5)
    return book


def test_the_rv_plot_shows_the_store_beside_the_reflector_with_list_and_bookmark_points(qtbot):
    book = _metric_book()
    charts = _charts(qtbot, book, ["c1"])
    charts.set_shown([("c1", "pods")])
    c = charts.curves[("c1", "pods")]
    assert c.rv.yData[-1] == 129 and c.store_rv.yData[-1] == 126  # the store three behind, late on
    assert c.store_rv.yData[10] == c.rv.yData[10] == 110  # sampled together: no lag where there is none
    # two lines of one series: its colour, the store's a wide faded band under the reflector's
    rv_pen, store_pen = c.rv.opts["pen"], c.store_rv.opts["pen"]
    assert store_pen.color().rgb() == rv_pen.color().rgb() and store_pen.color().alpha() < 255
    assert store_pen.width() > rv_pen.width() and c.store_rv.zValue() < c.rv.zValue()
    tips = [p.data() for p in c.points.points()]
    assert [t.split(" — ")[0] for t in tips] == ["list version", "bookmark version"]
    assert "list at rv 101: listed 40 items" in tips[0] and "bookmark at rv 125" in tips[1]
    assert [p.pos().y() for p in c.points.points()] == [101, 125]
    legend = charts.legend.text()
    assert "reflector" in legend and "store" in legend and "list" in legend and "bookmark" in legend


def test_queued_items_and_processing_latency_are_plotted_under_their_metric_names(qtbot):
    book = _metric_book()
    charts = _charts(qtbot, book, ["c1"])
    charts.set_shown([("c1", "pods")])
    glw = charts.glw
    assert glw.names["queue"].toPlainText() == "informer_queued_items"
    assert glw.names["latency"].toPlainText() == "informer_processing_latency_seconds"
    assert "informer_processing_latency_seconds" in glw.p_latency.getAxis("left").toolTip()
    c = charts.curves[("c1", "pods")]
    assert list(c.queue.yData[:8]) == [0, 1, 2, 3, 4, 5, 6, 0]
    # max shows the one slow pop, p50 the usual one (on a log scale)
    top, p50 = c.latency_max.yData, c.latency_p50.yData
    assert top[12] == pytest.approx(1.5) and top[11] == pytest.approx(0.0004)
    assert 0.00025 < p50[12] <= 0.0005
    assert glw.p_latency.vb.state["logMode"][1]
    # a short dock makes room: the metric plots can be left out from the Plots menu
    menu = charts.plots_button.menu()
    action = next(a for a in menu.actions() if a.text() == "informer_processing_latency_seconds")
    action.setChecked(False)
    assert glw.p_latency.scene() is None and glw.p_queue.getAxis("bottom").isVisible()
    action.setChecked(True)
    assert glw.p_latency.scene() is not None and not glw.p_queue.getAxis("bottom").isVisible()
    # too short for five readable plots (1280x720): the least telling one goes, the menu says why
    charts.resize(1000, 4 * glw.MIN_PLOT_HEIGHT + 60)
    qtbot.waitUntil(lambda: glw.p_size.scene() is None)
    assert glw.p_latency.scene() is not None and glw.p_queue.scene() is not None and glw.why_hidden("size") == "no room"
    menu.aboutToShow.emit()
    assert "cache size  (no room)" in [a.text() for a in menu.actions()]
    charts.resize(1000, 600)
    qtbot.waitUntil(lambda: glw.p_size.scene() is not None)


def test_a_replay_leaves_the_metrics_it_cannot_reproduce_empty(qtbot):
    """A recording has no queue, latency or store version: those plots go, the store's band
    stays empty (not 0), the reflector's line and the list/bookmark points are drawn."""
    from kmon.monitor.replay_stats import StatsFold
    from kmon.monitor.recording_format import record_from_item

    items = [delta(T0 + i, str(100 + i)) for i in range(20)]
    items.append(ReflectorItem("c1", "pods", ReflectorEvent(ReflectorEventKind.Bookmark, T0 + 10, "115", {})))
    records = [record_from_item(it) for it in items]
    fold = StatsFold(records)
    book = SeriesBook(t0=T0)
    book.ingest_records(records)
    fold.advance(len(records))
    for i in range(20):
        book.sample_all(fold.sample(), T0 + i + 0.5)
    charts = _charts(qtbot, book, ["c1"])
    charts.set_queue_shown(False)
    charts.set_shown([("c1", "pods")])
    c = charts.curves[("c1", "pods")]
    assert charts.p_queue.scene() is None and charts.p_latency.scene() is None
    assert np.isfinite(c.rv.yData).all() and not np.isfinite(c.store_rv.yData).any()
    assert len(c.points.points()) == 1
