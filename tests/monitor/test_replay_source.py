"""ReplaySource without Qt: routing into feeds, speeds on a fake clock, seeks, history and
the stats reconstructed from reflector records."""

from __future__ import annotations

from kmon.monitor.feed import DeltaItem, Feed, ReflectorItem
from kmon.monitor.recording_reader import Recording
from kmon.monitor.replay_rebuild import rebuild_cache
from kmon.monitor.replay_source import ReplayContext, ReplaySource

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def pod(name: str, rv: int) -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv)}}


def delta(t: float, typ: str, name: str, rv: int, initial: bool = False, ctx: str = "c1") -> dict:
    return {"kind": "delta", "time": T0 + t, "context": ctx, "resource": "pods", "type": typ, "namespace": "ns",
            "name": name, "key": f"ns/{name}", "resource_version": str(rv), "initial": initial,
            "final_state_unknown": False, "object": pod(name, rv)}


def refl(t: float, typ: str, rv: str = "", ctx: str = "c1", **detail) -> dict:
    return {"kind": "reflector", "time": T0 + t, "context": ctx, "resource": "pods", "type": typ,
            "resource_version": rv, "detail": detail}


RECORDS = [
    refl(0.0, "Relist", reason="initial"),
    refl(0.0, "ListStarted", reason="initial"),
    delta(0.1, "Replaced", "a", 1, True),
    delta(0.1, "Replaced", "b", 2, True),
    refl(0.2, "ListFinished", "2", items=2, pages=1),
    refl(0.2, "WatchStarted", "2"),
    delta(1.0, "Updated", "a", 3),
    delta(2.0, "Added", "c", 4, ctx="c2"),
    refl(3.0, "WatchEnded", "4", reason="expired"),
    refl(3.0, "Expired", "4"),
    refl(3.1, "Relist", "4", reason="watch expired (410)"),
    refl(3.1, "ListStarted", "4"),
    delta(3.2, "Deleted", "b", 5),
    refl(3.3, "ListFinished", "5", items=1, pages=1),
    delta(4.0, "Updated", "a", 6),
]


def source(speed: float = 1.0) -> tuple[ReplaySource, Clock, dict[str, Feed]]:
    header = {"kind": "header", "started": T0, "contexts": [{"name": "c1", "server_version": {"gitVersion": "v1.30"}}],
              "resources": ["pods"]}
    clock = Clock()
    src = ReplaySource(Recording("r.kmonrec", header, list(RECORDS), {"kind": "footer", "time": T0 + 4.0}), speed, clock=clock)
    feeds = {c: Feed() for c in src.contexts}
    for c, f in feeds.items():
        ReplayContext(c, feed=f, source=src)
    return src, clock, feeds


def test_contexts_and_facts_come_from_the_header_and_the_records():
    src, _, _ = source()
    assert src.contexts == ["c1", "c2"] and src.resources("c1") == ["pods"]
    assert src.server_version("c1") == "v1.30" and src.error is None
    assert src.start_time == T0 and src.end_time == T0 + 4.0


def test_playing_routes_due_items_to_their_contexts_feeds_at_the_speed():
    src, clock, feeds = source(speed=2.0)
    src.play()
    clock.t = 0.6  # 1.2 s of recording
    src.tick()
    got = feeds["c1"].drain()
    assert [type(i) for i in got].count(DeltaItem) == 3 and not feeds["c2"]
    clock.t = 1.0  # 2.0 s
    src.tick()
    assert [i.record.key for i in feeds["c2"].drain()] == ["ns/c"]
    src.set_speed(float("inf"))
    src.tick()
    assert src.at_end and not src.playing
    rest = feeds["c1"].drain()
    assert rest[-1].record.resource_version == "6" and isinstance(rest[0], ReflectorItem)


def test_seek_gives_the_cache_then_and_history_until_the_items_before():
    src, _, feeds = source()
    src.play(float("inf"))
    src.tick()
    caches = src.seek(T0 + 3.15)
    assert {k: set(v) for k, v in caches.items() if v} == {k: set(v) for k, v in rebuild_cache(RECORDS, until=T0 + 3.15).items() if v}
    assert not feeds["c1"] and not feeds["c2"]  # what was queued is dropped
    items = src.history_until(T0 + 3.15)
    assert len(items) == sum(1 for r in RECORDS if r["time"] <= T0 + 3.15)
    assert len([i for i in src.history_until(T0 + 3.15, max_deltas=1) if isinstance(i, DeltaItem)]) == 1


def test_stats_are_reconstructed_from_reflector_and_delta_records():
    src, _, _ = source()
    src.advance_to(T0 + 4.0)
    st = src.stats("c1")["pods"]
    assert (st.lists, st.relists, st.watches_started, st.expired) == (2, 1, 1, 1)
    assert st.watches_ended == {"expired": 1} and st.last_relist_reason == "watch expired (410)"
    # as the live reflector: the last watch event's version, not the last list's
    assert st.synced and st.store_size == 1 and st.last_synced_version == "6"
    src.seek(T0 + 0.5)  # going back folds again from the start
    st = src.stats("c1")["pods"]
    assert (st.lists, st.relists, st.store_size, st.state) == (1, 0, 2, "watching")
