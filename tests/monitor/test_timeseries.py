import math

import numpy as np
import pytest

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
    assert len(s) <= 100 and len(s._counts) <= 100
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
        caps.add(len(s._counts))
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


# -- client-go 1.36's informer metrics and the versions beside the reflector's ---------------------
def informer_stats(**kw):
    """Real InformerStats of an informer (not started) fed by hand, on a fake clock."""
    from kmon.cache.clock import FakeClock
    from kmon.cache.features import FeatureGates
    from kmon.cache.informer import SharedIndexInformer

    clock = FakeClock()
    return clock, SharedIndexInformer(None, name="pods", features=FeatureGates.for_client_go("1.36"), clock=clock,
                                      freeze_gc_after_sync=False, gc_policy=False, **kw)


def test_the_store_version_and_queued_items_are_sampled_beside_the_reflectors_version():
    b = SeriesBook(t0=T0)
    b.sample("c", "pods", replace_stats(stats(5, 7, "120"), store_resource_version="110"), T0 + 0.5)
    b.sample("c", "pods", replace_stats(stats(5, 0, "130"), store_resource_version="").as_dict(), T0 + 1.5)
    b.sample("c", "pods", {"store_size": 5, "last_synced_version": "140"}, T0 + 2.5)  # a replay's sample
    s = b.get("c", "pods")
    assert list(s.rv) == list(s.synced_rv) == [120, 130, 140]
    assert s.store_rv[0] == 110 and math.isnan(s.store_rv[1]) and math.isnan(s.store_rv[2])  # empty, not 0
    assert s.queue[0] == 7 and s.queue[1] == 0 and math.isnan(s.queue[2])  # a recording has no queue
    assert all(math.isnan(v) for v in s.latency("max"))  # not measured (the helper's stats have 0)


def test_list_and_bookmark_versions_become_points_at_their_version():
    b = SeriesBook(t0=T0)
    b.ingest([refl("ListFinished", "100", t=T0 + 0.2, items=3, pages=1, duration=0.01),
              refl("Bookmark", "150", t=T0 + 3.0, items=0), refl("Bookmark", "opaque-x", t=T0 + 4.0),
              refl("WatchStarted", "150", t=T0 + 3.1)])
    s = b.get("c", "pods")
    assert [(p.kind, p.rv, p.time) for p in s.points] == [("list", 100.0, T0 + 0.2), ("bookmark", 150.0, T0 + 3.0)]
    assert s.points[0].text == "list at rv 100: listed 3 items, 1 page, 0.01 s"
    assert s.points[1].text == "bookmark at rv 150"
    # a replay folds the same records into the same points
    from kmon.monitor.recording_format import record_from_item

    r = SeriesBook(t0=T0)
    r.ingest_records([record_from_item(refl("ListFinished", "100", t=T0 + 0.2, items=3, pages=1, duration=0.01))])
    assert list(r.get("c", "pods").points) == [s.points[0]]


def test_processing_latency_quantiles_per_sample_interval():
    from kmon.cache.informer_metrics import LATENCY_BOUNDS

    def costly(obj):
        clock.step(cost[0])
        return []

    cost = [0.002]
    clock, inf = informer_stats(indexers={"cost": costly})
    b = SeriesBook(t0=T0)
    b.sample("c", "pods", inf.stats(), T0 + 0.5)  # nothing processed yet: empty
    for i in range(99):
        inf.fifo.update(pod_obj(f"p{i}", str(i + 1)))
        inf._process_next(0)
    cost[0] = 3.0  # one slow pop among a hundred
    inf.fifo.update(pod_obj("slow", "500"))
    inf._process_next(0)
    b.sample("c", "pods", inf.stats(), T0 + 3.5)  # covers seconds 1..3
    b.sample("c", "pods", inf.stats().as_dict(), T0 + 4.5)  # nothing since: empty
    clock.step(2.0)  # the samples' seconds pass on the informer's clock too
    inf.fifo.update(pod_obj("p1", "600"))
    cost[0] = 0.00002
    inf._process_next(0)
    b.sample("c", "pods", inf.stats(), T0 + 5.5)
    s = b.get("c", "pods")
    p50, top = s.latency("p50"), s.latency("max")
    assert math.isnan(p50[0]) and math.isnan(p50[4]) and math.isnan(top[4])
    assert all(0.001 < v <= 0.0025 for v in p50[1:4])  # the typical pop: 2 ms, in (1 ms, 2.5 ms]
    assert list(top[1:4]) == pytest.approx([3.0] * 3)  # the one slow pop among a hundred, exactly
    assert LATENCY_BOUNDS[0] < p50[5] <= LATENCY_BOUNDS[1] and top[5] == pytest.approx(0.00002)


def replace_stats(st, **kw):
    from dataclasses import replace

    return replace(st, **kw)


def pod_obj(name, rv):
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "default", "resourceVersion": rv}}


# -- deltas counted in runs (DeltaTally) equal counting them one by one -------------------------------
def _one_by_one(book: SeriesBook, items) -> None:
    """The charts' fold as it was before deltas were tallied: every delta straight into the
    arrays (the reference)."""
    from kmon.monitor.feed import DeltaItem
    from kmon.monitor.timeseries import _TYPE_INDEX

    for it in items:
        if not isinstance(it, DeltaItem):
            book.ingest([it])
            continue
        rec = it.record
        s = book.series(it.context, it.resource)
        i = book.index(rec.time)
        s._ensure(i)
        j = _TYPE_INDEX.get(rec.type.value)
        if j is not None:
            s._counts[i, j] += 1
        s.total_events += 1
        s._note_rv(i, rec.resource_version)


from hypothesis import given, settings, strategies as st  # noqa: E402

_steps = st.lists(st.tuples(
    st.sampled_from(["Added", "Updated", "Deleted", "Replaced", "Sync", "bookmark"]),
    st.sampled_from([("c", "pods"), ("c", "nodes"), ("d", "pods")]),
    st.floats(-3, 40),  # seconds after T0 (some before the axis starts)
    st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(["", "opaque"])),
), max_size=120)


@settings(max_examples=200, deadline=None)
@given(_steps, st.sampled_from([4, 16, 86_400]), st.lists(st.integers(1, 30), min_size=1, max_size=4))
def test_tallied_deltas_equal_counting_one_by_one(steps, max_points, cuts):
    items = []
    for typ, (ctx, res), dt, rv in sorted(steps, key=lambda s: s[2]):
        if typ == "bookmark":
            items.append(refl("Bookmark", rv, t=T0 + dt, ctx=ctx, res=res))
        else:
            items.append(delta(typ, "p", rv=rv, t=T0 + dt, ctx=ctx, res=res))
    a, b = SeriesBook(max_points=max_points, t0=T0), SeriesBook(max_points=max_points, t0=T0)
    pos = 0
    for c in cuts + [len(items)]:  # in drained batches, as the GUI hands them over
        a.ingest(items[pos:pos + c])
        _one_by_one(b, items[pos:pos + c])
        pos += c
    a.ingest(items[pos:])
    _one_by_one(b, items[pos:])
    assert a.resolution == b.resolution and sorted(a.keys()) == sorted(b.keys())
    for key in b.keys():
        sa, sb = a.get(*key), b.get(*key)
        assert np.array_equal(sa.counts, sb.counts) and np.array_equal(sa.rv, sb.rv, equal_nan=True)
        assert (sa.total_events, sa.last_rv, sa.rv_numeric) == (sb.total_events, sb.last_rv, sb.rv_numeric)
