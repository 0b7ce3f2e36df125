"""SharedIndexInformer rules (client-go shared_informer_test.go / controller_test.go)."""

import threading
from collections import deque
from dataclasses import replace

import pytest

from kmon.cache.clock import FakeClock
from kmon.cache.delta_fifo import DeltaType as T
from kmon.cache.errors import ApiStatusError
from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.informer import FuncHandler, SharedIndexInformer
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.cache.listwatch import ListPage

from waiting import wait_for

from .fakes import FakeCluster, FakeWatch, ListWatch, ScriptedListerWatcher, pod
from .helpers import CLASSIC, CURRENT, running

# every test runs with watches read event by event and in batches (see conftest)
pytestmark = pytest.mark.usefixtures("watch_mode")

PROFILE = CLASSIC  # the gates ``informer()`` builds with (the ``profile`` fixture sets it)


@pytest.fixture(autouse=True, params=["1.32", "1.36"])
def profile(request):
    """Every test under the classic path (client-go 1.32: DeltaFIFO) and under 1.36's queue
    (RealFIFO: atomic, batched, unlocking); these tests script LISTs, so 1.36 runs here
    without WatchList (test_reflector_current and test_property_paths cover that)."""
    global PROFILE
    PROFILE = CLASSIC if request.param == "1.32" else replace(CURRENT, watch_list_client=False)
    yield request.param
    PROFILE = CLASSIC


class Recorder:
    """A handler recording notifications; waits are condition-based."""

    def __init__(self):
        self.cond = threading.Condition()
        self.log = []

    def _rec(self, item):
        with self.cond:
            self.log.append(item)
            self.cond.notify_all()

    def on_add(self, obj, initial):
        self._rec(("add", _n(obj), initial))

    def on_update(self, old, new):
        self._rec(("update", _n(old), _n(new)))

    def on_delete(self, obj):
        self._rec(("delete", _n(obj)))

    def wait(self, n, timeout=5.0):
        wait_for(lambda: len(self.log) >= n, timeout, lambda: f"{n} handler calls, only {self.log}",
                 notified_by=self.cond)
        with self.cond:
            return list(self.log)


def _n(obj):
    if isinstance(obj, DeletedFinalStateUnknown):
        return "tombstone:" + obj.key
    return obj["metadata"]["name"] + "@" + obj["metadata"]["resourceVersion"]


def informer(lw, **kw):
    kw.setdefault("clock", FakeClock(auto_advance=True))
    kw.setdefault("freeze_gc_after_sync", False)
    kw.setdefault("features", PROFILE)
    return SharedIndexInformer(lw, name="pods", **kw)


def test_notifications_for_initial_list_and_watch_events():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1"), pod("b", "2")], "2"))
    inf = informer(lw)
    rec = Recorder()
    inf.add_event_handler(rec)
    with running(inf.run):
        rec.wait(2)
        wait_for(inf.has_synced)
        assert lw.wait_watch_calls(1)
        lw.watches[0].add(pod("c", "3")).modify(pod("a", "4")).delete(pod("b", "5"))
        log = rec.wait(5)
    assert sorted(log[:2]) == [("add", "a@1", True), ("add", "b@2", True)]
    assert log[2:] == [("add", "c@3", False), ("update", "a@1", "a@4"), ("delete", "b@5")]
    assert sorted(inf.indexer.list_keys()) == ["default/a", "default/c"]


def _relist_script():
    lw = ScriptedListerWatcher().on_list(
        ListPage([pod("a", "1"), pod("b", "2")], "2"),
        ListPage([pod("a", "1"), pod("c", "9")], "9"),
    )
    lw.on_watch(FakeWatch().send_error(410, "Expired", "gone"))
    return lw


def test_relist_tombstones_missing_objects_and_tells_a_handler_without_resync_of_unchanged_ones():
    # client-go's addListener marks a new handler syncing, and without a resync period no
    # resync check ever clears it: a relist's unchanged object reaches it as on_update(o, o)
    inf = informer(_relist_script())
    rec = Recorder()
    inf.add_event_handler(rec)
    with running(inf.run):
        log = rec.wait(5)
    # (a DeltaFIFO may pop a's two Replaced deltas together, before b's: compare as a set)
    assert sorted(log) == [("add", "a@1", True), ("add", "b@2", True), ("add", "c@9", False),
                           ("delete", "tombstone:default/b"), ("update", "a@1", "a@1")]
    assert sorted(inf.indexer.list_keys()) == ["default/a", "default/c"]


def test_relist_with_unchanged_versions_is_silent_for_a_handler_whose_resync_is_not_due():
    clock = FakeClock()
    inf = informer(_relist_script(), clock=clock, resync_period=3600.0)
    rec = Recorder()
    inf.add_event_handler(rec)
    inf._should_resync()  # the reflector's first resync check (an hour away: nothing due)
    with running(inf.run):
        rec.wait(2)

        def relisted() -> bool:  # one fake second at a time past the backoff after the 410,
            clock.step(1)  # far short of the hour to the resync
            return inf.stats().lists == 2
        wait_for(relisted)
        rec.wait(4)
        wait_for(lambda: inf.stats().lists == 2 and inf.stats().queue_depth == 0)
    assert sorted(rec.log) == [("add", "a@1", True), ("add", "b@2", True), ("add", "c@9", False),
                               ("delete", "tombstone:default/b")]


def test_replaced_with_new_version_is_an_update():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1")], "1"), ListPage([pod("a", "5")], "5"))
    lw.on_watch(FakeWatch().send_error(410, "Expired", "gone"))
    inf = informer(lw)
    rec = Recorder()
    inf.add_event_handler(rec)
    with running(inf.run):
        assert rec.wait(2)[1] == ("update", "a@1", "a@5")


def test_slow_handler_blocks_neither_reflector_nor_other_handlers():
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"))
    inf = informer(lw)
    gate = threading.Event()
    slow_started = threading.Event()

    def slow_add(obj, initial):
        slow_started.set()
        gate.wait(10)

    fast = Recorder()
    slow = inf.add_event_handler(FuncHandler(on_add=slow_add))
    inf.add_event_handler(fast)
    with running(inf.run):
        assert lw.wait_watch_calls(1)
        w = lw.watches[0]
        for i in range(200):
            w.add(pod(f"p{i}", str(10 + i)))
        fast.wait(200)
        assert slow_started.wait(5)
        wait_for(lambda: len(inf.indexer) == 200)
        assert slow.backlog == 199
        gate.set()
        wait_for(lambda: slow.backlog == 0)


def test_handler_added_after_start_first_gets_adds_for_cached_objects():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1"), pod("b", "2")], "2"))
    inf = informer(lw)
    with running(inf.run):
        wait_for(inf.has_synced)
        late = Recorder()
        inf.add_event_handler(late)
        assert sorted(late.wait(2)) == [("add", "a@1", True), ("add", "b@2", True)]
        assert lw.wait_watch_calls(1)
        lw.watches[0].add(pod("c", "3"))
        assert late.wait(3)[2] == ("add", "c@3", False)


def test_add_handler_after_stop_is_refused():
    lw = ScriptedListerWatcher()
    inf = informer(lw)
    with running(inf.run):
        assert lw.wait_watch_calls(1)
    with pytest.raises(RuntimeError):
        inf.add_event_handler(Recorder())


def test_has_synced_only_after_initial_list_was_processed():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a"), pod("b"), pod("c")], "1"))
    inf = informer(lw)
    seen = []
    synced_flags = []
    inf.add_delta_listener(lambda recs: seen.extend(r.is_in_initial_list for r in recs))
    inf.add_event_handler(FuncHandler(on_add=lambda o, initial: synced_flags.append(initial)))
    assert not inf.has_synced()
    with running(inf.run):
        wait_for(inf.has_synced)
        assert seen == [True, True, True]
        assert lw.wait_watch_calls(1)
        lw.watches[0].add(pod("d", "2"))
        wait_for(lambda: len(seen) == 4)
    assert seen[3] is False


def test_transform_runs_before_objects_enter_the_queue():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1", spec={"big": "x" * 100})], "1"))

    def strip(o):
        return {"kind": o["kind"], "metadata": o["metadata"]}

    inf = informer(lw, transform=strip)
    rec = Recorder()
    inf.add_event_handler(rec)
    with running(inf.run):
        rec.wait(1)
        obj, ok = inf.indexer.get_by_key("default/a")
    assert ok and "spec" not in obj


def test_delta_records_and_reflector_events_and_stats():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1")], "1"))
    clock = FakeClock(auto_advance=True)
    inf = informer(lw, clock=clock)
    records, events = deque(), deque()
    inf.add_delta_listener(records.extend)
    inf.add_reflector_listener(events.append)
    inf.add_delta_listener(lambda r: 1 / 0)  # a broken listener is logged, not fatal
    with running(inf.run):
        assert lw.wait_watch_calls(1)
        # (a watch event arriving before the initial item is popped would join its batch
        # and be reported as part of the initial list, as in client-go)
        wait_for(inf.has_synced)
        lw.watches[0].modify(pod("a", "2")).delete(pod("a", "3")).bookmark("4")
        wait_for(lambda: len(records) == 3)
        wait_for(lambda: inf.stats().last_synced_version == "4")
        st = inf.stats()
    r0, r1, r2 = records
    assert (r0.type, r0.key, r0.old_object, r0.resource_version, r0.is_in_initial_list) == (T.Replaced, "default/a", None, "1", True)
    assert (r1.type, r1.old_object["metadata"]["resourceVersion"], r1.is_in_initial_list) == (T.Updated, "1", False)
    assert (r2.type, r2.resource_version, r2.old_object["metadata"]["resourceVersion"]) == (T.Deleted, "3", "2")
    assert r0.time == clock.now() or r0.time <= clock.now()
    assert [e.kind for e in events][:2] == [K.Relist, K.ListStarted]
    assert st.state == "watching" and st.synced and st.lists == 1 and st.relists == 0
    assert st.events == {"ADDED": 0, "MODIFIED": 1, "DELETED": 1, "BOOKMARK": 1, "ERROR": 0}
    assert st.store_size == 0 and st.queue_depth == 0 and st.list_items_last == 1
    assert st.watches_started == 1 and st.last_event_time is not None
    assert st.listener_errors >= 2  # the broken delta listener, once per popped key
    d = st.as_dict()
    assert d["events"]["MODIFIED"] == 1 and d["last_relist_reason"] == "initial"
    assert inf.stats().state == "stopped"


def test_delta_listeners_run_outside_the_queue_lock_and_see_the_indexer_as_told():
    """client-go only appends to buffers under the queue's lock: a listener that takes its
    time must not keep the reflector from queueing. Still, a listener is told batch after
    batch in order, and while it runs the indexer holds exactly what it was told."""
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1")], "1"))
    inf = informer(lw)
    entered, release = threading.Event(), threading.Event()
    told, mismatches = [], []

    def listener(records):
        for r in records:
            told.append((r.key, r.resource_version))
            cached, exists = inf.indexer.get_by_key(r.key)
            last = [x for x in records if x.key == r.key][-1]
            if (last.type is T.Deleted) == exists or (exists and cached is not last.object):
                mismatches.append(r.key)
        if not entered.is_set():
            entered.set()
            release.wait(10)

    inf.add_delta_listener(listener)
    with running(inf.run):
        assert entered.wait(5)  # blocked in the listener with the initial list
        queued = threading.Event()
        writer = threading.Thread(target=lambda: (inf.fifo.add(pod("b", "2")), queued.set()), daemon=True)
        writer.start()
        try:
            assert queued.wait(2), "the queue stayed locked while a delta listener ran"
        finally:
            release.set()
        assert lw.wait_watch_calls(1)
        wait_for(lambda: len(told) == 2)
        lw.watches[0].modify(pod("a", "3")).delete(pod("b", "4")).add(pod("c", "5"))
        wait_for(lambda: len(told) == 5)
    assert told == [("default/a", "1"), ("default/b", "2"), ("default/a", "3"), ("default/b", "4"), ("default/c", "5")]
    assert mismatches == []


def test_stats_count_410s_errors_and_relists():
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"), ListPage([], "3"))
    lw.on_watch(FakeWatch().add(pod("a", "2")).send_error(410, "Expired", "gone"))
    inf = informer(lw)
    with running(inf.run):
        assert lw.wait_watch_calls(2)
        wait_for(lambda: inf.stats().state == "watching")
        st = inf.stats()
    assert st.expired == 1 and st.relists == 1 and st.last_relist_reason == "watch expired (410)"
    assert st.watches_ended.get("expired") == 1


def test_stop_ends_run_with_the_watch_blocked_and_no_thread_outlives_the_informer():
    before = set(threading.enumerate())
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a")], "1"))
    inf = informer(lw, clock=None, resync_period=30.0)
    inf.add_event_handler(Recorder())
    inf.add_event_handler(Recorder(), resync_period=60.0)
    stop = threading.Event()
    t = threading.Thread(target=inf.run, args=(stop,))
    t.start()
    assert lw.wait_watch_calls(1)
    assert lw.watches[0].reading.wait(5)
    stop.set()
    t.join(5)  # the watch blocks until stopped and resyncs come every minute: only stop() ends run()
    assert not t.is_alive()
    assert set(threading.enumerate()) - before == set()
    assert inf.stats().state == "stopped"


def test_handler_exception_is_counted_and_delivery_continues():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a"), pod("b")], "1"))
    inf = informer(lw)
    seen = []

    def add(obj, initial):
        seen.append(obj["metadata"]["name"])
        if len(seen) == 1:
            raise ValueError("handler bug")

    inf.add_event_handler(FuncHandler(on_add=add))
    with running(inf.run):
        wait_for(lambda: len(seen) == 2)
        wait_for(lambda: inf.stats().handler_errors == 1)


# -- resync ------------------------------------------------------------------------------------


def test_resync_goes_only_to_handlers_whose_period_is_due():
    clock = FakeClock()
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1")], "1"))
    inf = informer(lw, clock=clock, resync_period=10.0)
    every10, every20, never = Recorder(), Recorder(), Recorder()
    inf.add_event_handler(every10)
    inf.add_event_handler(every20, resync_period=20.0)
    inf.add_event_handler(never, resync_period=0)
    with running(inf.run):
        for r in (every10, every20, never):
            r.wait(1)
        assert lw.wait_watch_calls(1)
        assert clock.wait_for_sleepers(1)
        clock.step(10)
        assert every10.wait(2)[1] == ("update", "a@1", "a@1")
        assert clock.wait_for_sleepers(1)
        clock.step(10)
        assert every10.wait(3)[2] == ("update", "a@1", "a@1")
        assert every20.wait(2)[1] == ("update", "a@1", "a@1")
    assert len(never.log) == 1 and len(every20.log) == 2


def test_handler_resync_period_shrinks_check_period_before_start_only():
    lw = ScriptedListerWatcher()
    inf = informer(lw, resync_period=60.0)
    a = inf.add_event_handler(Recorder())
    b = inf.add_event_handler(Recorder(), resync_period=0.5)  # raised to the 1 s minimum
    assert inf._resync_check_period == 1.0 and b.resync_period == 1.0 and a.resync_period == 60.0
    off = informer(ScriptedListerWatcher(), resync_period=0)
    c = off.add_event_handler(Recorder(), resync_period=30.0)
    assert c.resync_period == 0  # the informer does not resync: the handler cannot either
    with running(inf.run):
        assert lw.wait_watch_calls(1)
        with pytest.raises(RuntimeError):
            inf.add_indexers({"x": lambda o: []})


def test_late_handler_with_smaller_period_gets_the_check_period():
    lw = ScriptedListerWatcher()
    inf = informer(lw, resync_period=30.0)
    with running(inf.run):
        assert lw.wait_watch_calls(1)
        reg = inf.add_event_handler(Recorder(), resync_period=5.0)
        assert reg.resync_period == 30.0


# -- end to end against a fake cluster ---------------------------------------------------------


def test_dropped_watch_event_is_repaired_by_relist_after_410():
    cl = FakeCluster()
    cl.create("a")
    cl.create("b")
    inf = informer(cl)
    rec = Recorder()
    inf.add_event_handler(rec)
    with running(inf.run):
        rec.wait(2)
        wait_for(lambda: inf.stats().watches_started >= 1)
        cl.drop_next_event()
        cl.remove("b")  # lost
        cl.update("a", label="x")
        assert rec.wait(3)[2][0] == "update"
        assert "default/b" in inf.indexer  # stale: the delete was dropped
        cl.bump(3)
        cl.compact()
        cl.reset_watches()  # re-watch at a compacted version -> 410 -> relist -> 410 -> ""
        wait_for(lambda: "default/b" not in inf.indexer)
    assert ("delete", "tombstone:default/b") in rec.log
    assert sorted(inf.indexer.list_keys()) == ["default/a"]
    st = inf.stats()
    assert st.lists == 2 and st.expired >= 2 and not st.unavailable


def test_a_stopped_informer_is_freed_by_reference_counting():
    """No reference cycles: dropping a stopped informer frees its cache even when the
    collector is off (or the objects were frozen)."""
    import gc
    import weakref

    lw = ScriptedListerWatcher().on_list(ListPage([pod("a")], "1"))
    inf = informer(lw, resync_period=10.0)
    inf.add_event_handler(Recorder())
    with running(inf.run):
        wait_for(inf.has_synced)
    refs = [weakref.ref(inf), weakref.ref(inf.indexer), weakref.ref(inf.reflector), weakref.ref(inf.fifo)]
    gc.disable()
    try:
        del inf
        assert [r() for r in refs] == [None] * 4
    finally:
        gc.enable()


def test_gc_is_paused_while_the_initial_list_is_processed_and_freezes_are_opt_in(monkeypatch):
    import gc

    from kmon.cache import gcguard

    freezes = []
    monkeypatch.setattr(gcguard, "freeze", lambda: freezes.append(1))
    seen_gc_enabled = []
    lw = ScriptedListerWatcher().on_list(ListPage([pod(f"p{i}") for i in range(5)], "1"))
    inf = informer(lw, freeze_gc_after_sync=True, gc_freeze_every=3)
    inf.add_delta_listener(lambda recs: seen_gc_enabled.extend((r.is_in_initial_list, gc.isenabled()) for r in recs))
    with running(inf.run):
        wait_for(inf.has_synced)
        assert lw.wait_watch_calls(1)
        for i in range(6):
            lw.watches[0].modify(pod(f"p{i % 5}", str(10 + i)))
        wait_for(lambda: len(seen_gc_enabled) == 11)
    # the initial list is applied with the collector paused (from its first batch on)
    assert all(not enabled for initial, enabled in seen_gc_enabled[:5])
    assert all(enabled for initial, enabled in seen_gc_enabled[5:])
    assert gc.isenabled() and gcguard.depth() == 0
    assert len(freezes) >= 2  # once at sync, then after every batch that crossed 3 more deltas


def test_removed_handler_stops_receiving_and_its_thread_is_joined():
    before = set(threading.enumerate())
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "1")], "1"))
    inf = informer(lw)
    keep, gone = Recorder(), Recorder()
    inf.add_event_handler(keep)
    reg = inf.add_event_handler(gone)
    with running(inf.run):
        keep.wait(1)
        gone.wait(1)
        inf.remove_event_handler(reg)
        inf.remove_event_handler(reg)
        assert lw.wait_watch_calls(1)
        lw.watches[0].add(pod("b", "2"))
        keep.wait(2)
    assert len(gone.log) == 1
    assert not reg.is_alive()
    assert set(threading.enumerate()) - before == set()


def test_a_synced_informer_says_watching_while_its_watch_request_is_on_its_way():
    """``kmon stats --once`` prints right after sync: the list is done, so the informer
    follows changes ("watching"), even before the watch's response headers arrived."""
    requested, answer = threading.Event(), threading.Event()

    def watch(options):
        requested.set()
        answer.wait(5)  # the watch request is in flight (a real server's round trip)
        return FakeWatch()

    inf = informer(ListWatch(lambda options: ListPage([pod("a")], "1"), watch))
    try:
        with running(inf.run):
            wait_for(inf.has_synced)
            st = inf.stats()
            assert requested.wait(5)
            answer.set()
    finally:
        answer.set()
    assert st.synced and st.state == "watching"


BAD_SELECTOR = ApiStatusError(400, "BadRequest", "unable to parse requirement: found '', expected: ',' or ')'")


def test_a_400_on_list_fails_the_informer_for_good_keeping_what_it_has():
    """A request the server rejects as malformed (a bad selector) cannot be fixed by asking
    again: the informer stops retrying, says why and keeps its state "failed"."""
    lw = ScriptedListerWatcher().on_list(BAD_SELECTOR)
    inf = informer(lw)
    events = deque()
    inf.add_reflector_listener(events.append)
    with running(inf.run):
        wait_for(lambda: inf.stats().state == "failed")
        wait_for(lambda: not any(t.name == "pods-reflector" for t in threading.enumerate()))
        st = inf.stats()
    assert len(lw.list_calls) == 1 and not lw.watch_calls  # asked once
    errors = [e for e in events if e.kind == K.Error]
    assert len(errors) == 1 and errors[0].detail["permanent"] is True
    assert "400 BadRequest: unable to parse requirement" in errors[0].detail["error"]
    assert "400 BadRequest: unable to parse requirement" in st.last_error and st.errors == {"api-400": 1}
    assert not [e for e in events if e.kind == K.Backoff]
    assert inf.stats().state == "failed"  # also after stop


def test_a_400_on_a_later_page_is_retried():
    """Only the first page says the request is wrong; a continuation the server refuses is
    retried as any other failed list."""
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a")], "1", continue_="t"), BAD_SELECTOR,
                                         ListPage([pod("a")], "2"))
    inf = informer(lw, page_size=1)
    with running(inf.run):
        wait_for(inf.has_synced)
        assert inf.stats().state == "watching"
    assert len(lw.list_calls) == 3
