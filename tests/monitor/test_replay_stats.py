"""The stats a replay shows, folded from records as the live reflector and informer count
them (``kmon.monitor.replay_stats``), and the charts' once-a-second samples by recording
time (``ReplaySource.samples_until`` / ``timeline``)."""

from __future__ import annotations

from kmon.monitor.recording_reader import Recording
from kmon.monitor.replay_source import ReplaySource
from kmon.monitor.replay_stats import StatsFold
from kmon.monitor.timeseries import SeriesBook

T0 = 1_700_000_000.0


def delta(t, typ, name, rv, *, initial=False, unknown=False, ctx="c1", res="pods"):
    return {"kind": "delta", "time": T0 + t, "context": ctx, "resource": res, "type": typ, "namespace": "ns",
            "name": name, "key": f"ns/{name}", "resource_version": str(rv), "initial": initial,
            "final_state_unknown": unknown, "object": {"metadata": {"name": name, "resourceVersion": str(rv)}}}


def refl(t, typ, rv="", ctx="c1", res="pods", **detail):
    return {"kind": "reflector", "time": T0 + t, "context": ctx, "resource": res, "type": typ,
            "resource_version": str(rv), "detail": detail}


def session(t, state, ctx="c1", res=None, level="info"):
    return {"kind": "session", "time": T0 + t, "context": ctx, "resource": res, "type": state, "level": level,
            "message": f"{ctx}: {state}", "detail": None}


def listed(t, rv, names, ctx="c1", res="pods", reason="initial"):
    return [refl(t, "Relist", ctx=ctx, res=res, reason=reason), refl(t, "ListStarted", ctx=ctx, res=res, reason=reason),
            *[delta(t + 0.01, "Replaced", n, i + 1, initial=reason == "initial", ctx=ctx, res=res) for i, n in enumerate(names)],
            refl(t + 0.02, "ListFinished", rv, ctx=ctx, res=res, items=len(names), pages=1),
            refl(t + 0.03, "WatchStarted", rv, ctx=ctx, res=res, reason="watch")]


def fold(records):
    f = StatsFold(records)
    f.advance(len(records))
    return f.stats


def test_synced_version_follows_watch_events_and_bookmarks_as_the_live_reflector():
    recs = listed(0.0, 10, ["a", "b"]) + [delta(1.0, "Updated", "a", 11), delta(1.5, "Added", "c", 12)]
    st = fold(recs)[("c1", "pods")]
    assert st.last_synced_version == "12" and st.events == {"MODIFIED": 1, "ADDED": 1}
    st = fold(recs + [refl(2.0, "Bookmark", 15, items=0)])[("c1", "pods")]
    assert st.last_synced_version == "15" and st.bookmarks == 1
    # a relist: its "final state unknown" deletes carry old versions and are no watch events;
    # the list's end moves the version; deltas recorded after it from before it do not go back
    relist = listed(3.0, 20, ["a"], reason="watch expired (410)") + [
        delta(3.05, "Deleted", "b", 2, unknown=True), delta(3.05, "Deleted", "c", 12, unknown=True),
        delta(3.06, "Updated", "a", 19)]
    st = fold(recs + relist)[("c1", "pods")]
    assert st.last_synced_version == "20" and st.events == {"MODIFIED": 2, "ADDED": 1}
    assert (st.lists, st.relists, st.store_size) == (2, 1, 1)
    # opaque versions: the newest one, as spelled
    st = fold(listed(0.0, "x9", ["a"]) + [delta(1.0, "Updated", "a", "y1")])[("c1", "pods")]
    assert st.last_synced_version == "y1"


def test_states_end_as_the_live_app_showed_them():
    recs = listed(0.0, 10, ["a"]) + listed(0.0, 10, ["cm"], res="configmaps")
    assert {k: s.state for k, s in fold(recs).items()} == {("c1", "pods"): "watching", ("c1", "configmaps"): "watching"}
    backing = recs + [refl(1.0, "Error", error="boom", reason="watch"), refl(1.0, "Backoff", delay=0.8, reason="round")]
    st = fold(backing)[("c1", "pods")]
    assert (st.state, st.current_backoff, st.last_error) == ("backing-off", 0.8, "boom")
    # the session stops: every informer of the context, as the tree's context row says
    stop = recs + [refl(2.0, "WatchEnded", 10, reason="stopped"), session(2.1, "stopped")]
    assert {s.state for s in fold(stop).values()} == {"stopped"}
    # one resource stopped, then started again: a new informer, counters from zero
    again = recs + [session(2.0, "stopped", res="pods")] + listed(3.0, 30, ["a", "b"])
    stats = fold(again)
    assert (stats[("c1", "pods")].state, stats[("c1", "pods")].lists, stats[("c1", "pods")].store_size) == ("watching", 1, 2)
    assert stats[("c1", "configmaps")].state == "watching"
    assert fold(recs + [session(2.0, "failed", res="pods", level="error")])[("c1", "pods")].state == "failed"
    # listing until the watch starts; a WatchList streams its list over its watch: listing
    # until the list ends
    assert fold(listed(0.0, 10, ["a"])[:-1])[("c1", "pods")].state == "listing"
    wl = [refl(0.0, "ListStarted"), refl(0.0, "WatchStarted", reason="watch-list")]
    assert fold(wl)[("c1", "pods")].state == "listing"
    assert fold(wl + [refl(0.5, "ListFinished", 10, items=0, pages=0)])[("c1", "pods")].state == "watching"


def _source(records, end):
    header = {"kind": "header", "started": T0, "contexts": [{"name": "c1"}], "resources": ["pods"]}
    return ReplaySource(Recording("r.kmonrec", header, records, {"kind": "footer", "time": T0 + end}))


RECS = listed(0.2, 10, ["a", "b"]) + [delta(1.5, "Updated", "a", 11), delta(2.5, "Added", "c", 12),
                                      delta(2.6, "Deleted", "b", 13), delta(4.2, "Updated", "c", 14)]


def test_samples_are_taken_at_the_end_of_each_recorded_second_at_any_speed():
    src = _source(RECS, 5.0)
    src.advance_to(T0 + 2.7)
    got = src.samples_until(T0 + 2.7)
    assert [round(t - T0, 3) for t, _s in got] == [0.999, 1.999]
    assert [s[("c1", "pods")]["last_synced_version"] for _t, s in got] == ["10", "11"]
    assert src.samples_until(T0 + 2.9) == []  # nothing new: the third second is not over
    src.advance_to(T0 + 5.0)
    got = src.samples_until(T0 + 5.0)
    assert [(s[("c1", "pods")]["store_size"], s[("c1", "pods")]["last_synced_version"]) for _t, s in got] == [
        (2, "13"), (2, "13"), (2, "14")]
    # after a seek back, sampling starts again from the start
    src.seek(T0 + 1.2)
    assert [round(t - T0, 3) for t, _s in src.samples_until(T0 + 1.2)] == [0.999]


def test_a_seek_refills_the_charts_with_the_same_numbers_as_playing():
    played, seeked = SeriesBook(t0=T0), SeriesBook(t0=T0)
    src = _source(RECS, 5.0)
    for step in range(1, 11):  # play in half-second ticks, as the replay window does
        t = T0 + step * 0.5
        played.ingest(src.replayer.items_until(t))
        for ts, sample in src.samples_until(t):
            played.sample_all(sample, ts)
    src2 = _source(RECS, 5.0)
    src2.seek(T0 + 5.0)
    for records, ts, sample in src2.timeline(T0 + 5.0):
        seeked.ingest_records(records)
        seeked.sample_all(sample, ts)
    for key in played.keys():
        a, b = played.get(*key), seeked.get(*key)
        assert len(a) == len(b) == 5
        assert (a.counts == b.counts).all()
        for col in ("rv", "size", "queue"):  # the refill samples changes only: equal once carried forward
            x, y = getattr(a, col), getattr(b, col)
            assert _ffill(x) == _ffill(y), col
    assert list(_ffill(seeked.get("c1", "pods").size)) == [2, 2, 2, 2, 2]
    # and sampling goes on from the refill's end
    assert [round(t - T0, 3) for t, _s in src2.samples_until(T0 + 5.0)] == []


def _ffill(a):
    out, last = [], None
    for v in a.tolist():
        last = v if v == v else last
        out.append(last)
    return out


def test_a_replay_samples_no_metric_it_cannot_reproduce():
    """Queued items, processing latency and the store's version were not recorded: the charts'
    series of them stay empty in a replay instead of showing 0."""
    import math

    from kmon.monitor.replay_stats import StatsFold
    from kmon.monitor.timeseries import SeriesBook

    recs = [{"kind": "reflector", "type": "ListFinished", "context": "c", "resource": "pods", "time": 1.0,
             "resource_version": "10", "detail": {"items": 1}},
            {"kind": "delta", "type": "Replaced", "context": "c", "resource": "pods", "time": 1.1, "key": "d/a",
             "resource_version": "9"}]
    fold = StatsFold(recs)
    fold.advance(len(recs))
    assert fold.stats[("c", "pods")].as_dict()["processing_latency"] is None
    book = SeriesBook(t0=0.0)
    book.sample_all(fold.sample(), 1.5)
    s = book.get("c", "pods")
    assert s.size[1] == 1 and s.rv[1] == 10
    assert math.isnan(s.queue[1]) and math.isnan(s.store_rv[1]) and math.isnan(s.latency("max")[1])
