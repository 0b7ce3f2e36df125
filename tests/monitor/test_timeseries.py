import math

import numpy as np

from kmon.cache.stats import InformerStats
from kmon.monitor.feed import SessionItem
from kmon.monitor.timeseries import DELTA_TYPES, SeriesBook, parse_rv

from .helpers import delta, refl

T0 = 1_700_000_000.0


def stats(size, queue, rv="10"):
    fields = {f: 0 for f in InformerStats.__dataclass_fields__}
    fields.update(name="x", state="watching", last_relist_reason="", watches_ended={}, events={}, errors={},
                  last_synced_version=rv, unavailable=False, paginated=False, synced=True,
                  last_event_time=None, last_error="", queue_depth=queue, store_size=size)
    return InformerStats(**fields)


def test_parse_rv():
    assert parse_rv("123") == 123 and parse_rv("") is None and parse_rv("abc") is None and parse_rv(None) is None


def test_counts_per_second_and_rv():
    b = SeriesBook()
    items = [delta("Added", f"p{i}", rv=str(100 + i), t=T0 + 0.1 * i) for i in range(10)]  # second 0
    items += [delta("Updated", "p1", rv="200", t=T0 + 2.5), delta("Deleted", "p2", rv="201", t=T0 + 2.7)]
    items += [delta("Added", "x", rv="7", t=T0 + 1.0, res="nodes", ctx="c2")]
    assert b.ingest(items) == len(items)
    s = b.get("c", "pods")
    assert len(s) == 3
    assert list(s.events()) == [10, 0, 2]
    assert list(s.events("Added")) == [10, 0, 0]
    assert list(s.events_per_second("Deleted")) == [0, 0, 1]
    assert s.counts.shape == (3, len(DELTA_TYPES))
    assert s.rv[0] == 109 and math.isnan(s.rv[1]) and s.rv[2] == 201
    assert s.rv_numeric and s.last_rv == "201"
    assert list(s.x()) == [T0, T0 + 1, T0 + 2]
    n = b.get("c2", "nodes")
    assert list(n.x()) == [T0, T0 + 1]  # the same axis
    assert sorted(b.keys()) == [("c", "pods"), ("c2", "nodes")]


def test_opaque_versions_clear_the_flag():
    b = SeriesBook()
    b.ingest([delta(rv="5", t=T0), delta(rv="not-a-number", t=T0 + 1)])
    s = b.get("c", "pods")
    assert not s.rv_numeric and s.last_rv == "not-a-number" and s.rv[0] == 5


def test_samples_and_markers():
    b = SeriesBook(t0=T0)
    b.sample("c", "pods", stats(42, 3, "77"), T0 + 0.5)
    b.sample("c", "pods", stats(43, 0, "78").as_dict(), T0 + 1.5)
    b.ingest([
        refl("Relist", reason="initial", t=T0),
        refl("Relist", reason="watch expired (410)", t=T0 + 1),
        refl("WatchEnded", reason="closed", t=T0 + 2),
        refl("WatchEnded", reason="stopped", t=T0 + 2),
        refl("Expired", error="410 Gone", reason="watch", t=T0 + 3),
        refl("Error", error="boom", reason="list", t=T0 + 4),
        refl("Bookmark", "90", t=T0 + 4),
        SessionItem("c", "pods", "error", "forbidden", "failed", time=T0 + 5),
        SessionItem("c", None, "error", "whole context", "failed", time=T0 + 5),
    ])
    s = b.get("c", "pods")
    assert list(s.size[:2]) == [42, 43] and list(s.queue[:2]) == [3, 0]
    assert s.rv[0] == 77 and s.rv[4] == 90
    assert [m.kind for m in s.markers] == ["relist", "watch-restart", "expired", "error", "error"]
    assert s.markers[0].text == "relist: watch expired (410)"


def test_decimation_keeps_memory_bounded_and_totals():
    b = SeriesBook(max_points=100, t0=T0)
    items = [delta("Added", f"p{i}", rv=str(i + 1), t=T0 + i) for i in range(1000)]  # one per second
    b.ingest(items)
    s = b.get("c", "pods")
    assert len(s) <= 100 and len(s._rv) <= 100
    assert b.resolution == 16  # 1000 s / 100 points -> 16 s buckets
    assert int(s.events().sum()) == 1000
    assert s.rv[-1] == 1000
    assert np.allclose(s.events_per_second()[:-1], 1.0)
    assert s.x()[1] - s.x()[0] == 16
    # a series that appeared later joins the coarse axis
    b.ingest([delta("Added", "n", rv="1", t=T0 + 999, res="nodes")])
    assert len(b.get("c", "nodes")) == len(s)


def test_geometric_growth():
    b = SeriesBook(t0=T0)
    s = b.series("c", "pods")
    caps = set()
    for i in range(0, 5000, 7):
        b.ingest([delta(t=T0 + i)])
        caps.add(len(s._rv))
    assert len(caps) <= 8  # doublings, not one reallocation per point


def test_records_fold_like_the_feed_items_they_came_from():
    from kmon.monitor.recording_format import item_from_record, record_from_item

    items = [refl("Relist", t=T0 + 0.1, reason="initial"), delta("Replaced", "a", rv="5", t=T0 + 0.2),
             refl("ListFinished", "7", t=T0 + 0.3), delta("Updated", "a", rv="9", t=T0 + 1.5),
             refl("Expired", "9", t=T0 + 2.0, reason="watch"),
             refl("Relist", "9", t=T0 + 2.1, reason="watch expired (410)"),
             delta("Deleted", "a", rv="12", t=T0 + 2.2), refl("WatchEnded", "12", t=T0 + 3.0, reason="closed"),
             SessionItem("c", "pods", "error", "pods: forbidden", "failed", T0 + 3.5)]
    records = [record_from_item(it) for it in items]
    a, b = SeriesBook(), SeriesBook()
    assert a.ingest([item_from_record(r) for r in records]) == b.ingest_records(records) == len(items)
    sa, sb = a.get("c", "pods"), b.get("c", "pods")
    assert (sa.counts == sb.counts).all() and np.array_equal(sa.rv, sb.rv, equal_nan=True)
    assert list(sa.markers) == list(sb.markers) and [m.kind for m in sb.markers] == [
        "expired", "relist", "watch-restart", "error"]
