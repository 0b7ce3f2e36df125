"""What client-go 1.36's reflector does beyond the classic one (reflector.go,
reflector_watchlist_test.go, in our words): no version from a watch's synthetic ADDED events,
bookmarks to the store, WatchList by its gate with a LIST fallback for the round, the warning
while the end bookmark has not come, Table events ignored."""

import logging
import threading

import pytest

from kmon.cache.clock import FakeClock
from kmon.cache.errors import ApiStatusError
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.listwatch import ListPage, WatchEvent
from kmon.cache.reflector import Reflector
from kmon.cache.watch_list import overdue_warning

from waiting import wait_for

from .fakes import FakeWatch, ScriptedListerWatcher, pod
from .helpers import CLASSIC, CURRENT, RecordingStore, running

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("watch_mode")]  # reflector threads


def make(lw, store=None, **kw):
    kw.setdefault("clock", FakeClock(auto_advance=True))
    kw.setdefault("features", CLASSIC)
    return Reflector(lw, store or RecordingStore(), name="test", **kw)


class BookmarkingStore(RecordingStore):
    def bookmark(self, rv):
        self._rec("bookmark", rv)


# -- the version of a watch started at "" or "0" ----------------------------------------------------

@pytest.mark.parametrize("listed_at", ["", "0"])
def test_a_watch_from_an_unversioned_start_moves_the_version_only_after_its_synthetic_adds(listed_at):
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "2")], listed_at))
    w = FakeWatch().add(pod("b", "9")).add(pod("a", "4"))
    lw.on_watch(w)
    store = RecordingStore()
    r = make(lw, store)
    with running(r.list_and_watch):
        assert store.wait_count("add", 2)
        assert r.last_sync_resource_version == listed_at  # the adds came in no version order
        w.modify(pod("a", "11"))
        wait_for(lambda: r.last_sync_resource_version == "11")
        w.add(pod("c", "12"))
        wait_for(lambda: r.last_sync_resource_version == "12")  # from then on, every event
    assert lw.watch_calls[0].resource_version == listed_at


def test_a_bookmark_ends_the_synthetic_adds_too():
    lw = ScriptedListerWatcher().on_list(ListPage([], "0"))
    w = FakeWatch().add(pod("b", "9"))
    lw.on_watch(w)
    store = RecordingStore()
    r = make(lw, store)
    with running(r.list_and_watch):
        assert store.wait_count("add")
        w.bookmark("15")
        wait_for(lambda: r.last_sync_resource_version == "15")


def test_a_watch_from_a_version_moves_it_with_every_event():
    lw = ScriptedListerWatcher().on_list(ListPage([], "10"))
    w = FakeWatch().add(pod("b", "11"))
    lw.on_watch(w)
    r = make(lw)
    with running(r.list_and_watch):
        wait_for(lambda: r.last_sync_resource_version == "11")


# -- bookmarks to the store ----------------------------------------------------------------------------

def test_every_bookmark_reaches_a_store_that_takes_bookmarks():
    lw = ScriptedListerWatcher().on_list(ListPage([], "10"))
    w = FakeWatch().bookmark("14").add(pod("a", "15")).bookmark("20")
    lw.on_watch(w)
    store = BookmarkingStore()
    r = make(lw, store)
    with running(r.list_and_watch):
        assert store.wait_count("bookmark", 2)
    assert [c for c in store.calls if c[0] != "replace"] == [("bookmark", "14"), ("add", "a"), ("bookmark", "20")]
    assert r.last_sync_resource_version == "20"


def test_bookmarks_reach_the_informers_store_version_on_the_current_path():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a", "5")], "10"))
    w = FakeWatch().bookmark("30")
    lw.on_watch(w)
    inf = SharedIndexInformer(lw, name="pods", clock=FakeClock(auto_advance=True), freeze_gc_after_sync=False,
                              features=_no_watch_list(CURRENT))
    with running(inf.run):
        wait_for(lambda: inf.stats().store_resource_version == "30")
        w.add(pod("b", "31"))
        wait_for(lambda: inf.indexer.last_store_sync_resource_version() == "31")
    # the classic path's store keeps no version
    classic = SharedIndexInformer(lw, name="c", features=CLASSIC, gc_policy=False)
    assert classic.stats().store_resource_version == ""


def _no_watch_list(gates):
    from dataclasses import replace

    return replace(gates, watch_list_client=False)


# -- WatchList by its gate ---------------------------------------------------------------------------

def test_the_watch_list_gate_decides_how_the_initial_state_comes():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("x", "3")], "9"))
    lw.on_watch(FakeWatch().add(pod("a", "3")).bookmark("5", initial_events_end=True))
    streaming = make(lw, features=CURRENT)
    assert streaming.use_watch_list and not make(lw).use_watch_list
    assert (streaming.initial_sync, make(lw).initial_sync) == ("WatchList", "LIST")  # before any list: the plan
    with running(streaming.list_and_watch):
        wait_for(lambda: streaming.last_sync_resource_version == "5")
    assert streaming.initial_sync == "WatchList"
    assert lw.list_calls == [] and lw.watch_calls[0].send_initial_events
    listing = make(lw)
    with running(listing.list_and_watch):
        assert lw.wait_list_calls(1)
        wait_for(lambda: listing.last_sync_resource_version == "9")
    assert listing.initial_sync == "LIST"


def test_a_server_rejecting_send_initial_events_is_served_by_list_for_that_round():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("x")], "9"), ListPage([pod("x")], "12"))
    rejected = ApiStatusError(422, "Invalid", "sendInitialEvents is forbidden for watch unless the WatchList feature is on")
    # round 1: the WatchList is refused, a LIST serves, its watch ends in an error; round 2 tries again
    lw.on_watch(rejected, FakeWatch().send_error(500, "InternalError", "boom"), rejected)
    store = RecordingStore()
    r = make(lw, store, features=CURRENT)
    r.list_and_watch(threading.Event())
    assert r.initial_sync == "LIST (WatchList refused: 422 Invalid)"
    assert store.calls[0] == ("replace", (["x"], "9"))
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(4)
    assert [o.send_initial_events for o in lw.watch_calls[:4]] == [True, False, True, False]
    assert store.calls[-1] == ("replace", (["x"], "12"))


def test_a_watch_list_stream_is_one_watch_started_once_and_ended_once():
    """The stream that lists goes on as the round's watch: it is not counted ended at its
    end bookmark, so started minus ended is the watch open now ("3 / 4" could not be)."""
    lw = ScriptedListerWatcher()
    lw.on_watch(FakeWatch().add(pod("a", "3")).bookmark("5", initial_events_end=True).modify(pod("a", "6")).close())
    r = make(lw, features=CURRENT)
    ended = lambda: sum(r.counters.watches_ended.values())  # noqa: E731
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)  # the stream closed: a plain watch from "6"
        wait_for(lambda: r.counters.watches_started == 2)
        assert r.counters.watches_ended == {"closed": 1}
        assert r.counters.watches_started - ended() == 1
    assert r.counters.watches_ended == {"closed": 1, "stopped": 1}


def test_a_watch_list_that_falls_back_to_list_is_one_relist_that_says_so():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("x", "12")], "12"))
    rejected = ApiStatusError(422, "Invalid", "sendInitialEvents is forbidden for watch unless the WatchList feature is on")
    # round 1: a WatchList, whose watch then expires; round 2: the WatchList is refused, a LIST serves
    lw.on_watch(FakeWatch().add(pod("a", "3")).bookmark("5", initial_events_end=True).send_error(410, "Expired", "too old"),
                rejected)
    events = []
    r = make(lw, features=CURRENT)
    r.add_listener(events.append)
    r.list_and_watch(threading.Event())
    assert (r.counters.relists, r.counters.last_relist_reason) == (0, "initial")
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(3)
        wait_for(lambda: r.counters.lists == 2 and r.counters.watches_started == 2)
    assert r.counters.relists == 1
    assert [e.detail["reason"] for e in events if e.kind.value == "Relist"] == ["initial", "watch expired (410)"]
    assert r.counters.last_relist_reason == "watch expired (410); WatchList refused: 422 Invalid, listing instead"
    assert r.initial_sync == "LIST (WatchList refused: 422 Invalid)"
    fell = [e for e in events if e.kind.value == "Error"][-1]
    assert (fell.detail["reason"], fell.detail["fallback"]) == ("watch-list", "WatchList refused: 422 Invalid")


def test_a_watch_list_stream_that_closes_at_once_falls_back_to_list():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("x")], "9"))
    lw.on_watch(FakeWatch(close=True))  # very short: no event, closed at once
    r = make(lw, features=CURRENT)
    with running(r.list_and_watch):
        assert lw.wait_list_calls(1)
        wait_for(lambda: r.initial_sync == "LIST (WatchList failed: very short watch)")


def test_watch_list_starts_at_the_last_synced_version_and_replaces_at_the_end_bookmarks():
    lw = ScriptedListerWatcher()
    w = FakeWatch().add(pod("a", "3"))
    lw.on_watch(w)
    store = RecordingStore()
    r = make(lw, store, features=CURRENT)
    r._version.synced("2")
    with running(r.list_and_watch):
        assert store.wait_count("add", 0) and w.reading.wait(5)
        wait_for(lambda: w.delivered >= 1)
        assert r.last_sync_resource_version == "2"  # not from the initial events
        w.bookmark("8", initial_events_end=True)
        assert store.wait_count("replace")
        wait_for(lambda: r.last_sync_resource_version == "8")
    assert lw.watch_calls[0].resource_version == "2"
    assert store.calls[0] == ("replace", (["a"], "8"))


def test_a_warning_every_ten_seconds_while_the_end_bookmark_has_not_come(caplog):
    clock = FakeClock()
    lw = ScriptedListerWatcher()
    w = FakeWatch()
    lw.on_watch(w)
    r = make(lw, clock=clock, features=CURRENT)
    caplog.set_level(logging.WARNING, logger="kmon.cache.reflector")

    def warnings():
        return [rec.getMessage() for rec in caplog.records if "initial events" in rec.getMessage()]

    with running(r.list_and_watch):
        assert w.reading.wait(5) and clock.wait_for_sleepers(1)
        clock.step(10)
        wait_for(lambda: len(warnings()) == 1)
        assert "no events received for 10s" in warnings()[0]
        w.add(pod("a", "3"))
        wait_for(lambda: w.delivered >= 1)
        clock.step(5)  # the stream spoke 5 s ago at the next tick: no warning
        clock.step(5)
        clock.step(10)
        wait_for(lambda: len(warnings()) == 2)
        assert "the last event was" in warnings()[1]
        w.bookmark("4", initial_events_end=True)
        wait_for(lambda: r.last_sync_resource_version == "4")
        clock.step(30)  # done: no more warnings
    assert len(warnings()) == 2


def test_overdue_warning_rules():
    assert overdue_warning("r", 110.0, 100.0, None, 10.0) == (
        "r: awaiting the bookmark that ends the initial events; no events received for 10s")
    assert overdue_warning("r", 110.0, 100.0, 105.0, 10.0) is None
    assert "the last event was 12s ago" in overdue_warning("r", 120.0, 100.0, 108.0, 10.0)


# -- Table events ------------------------------------------------------------------------------------

def test_table_events_are_ignored_and_logged(caplog):
    from kmon.cache.watch_handler import handle_watch

    calls = []

    class Sink:
        def apply(self, run, rv):
            calls.append([o["metadata"].get("name") for _t, o in run])

        def bookmark(self, rv, end):
            calls.append(("bookmark", rv))

    table = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "5"}, "rows": []}
    caplog.set_level(logging.ERROR, logger="kmon.cache.reflector")
    result = handle_watch(iter([[WatchEvent("ADDED", pod("a", "4")), WatchEvent("MODIFIED", table),
                                 WatchEvent("ADDED", pod("b", "6"))]]), Sink(), lambda: False)
    assert calls == [["a", "b"]] and result.events == 2
    assert any("Table" in rec.getMessage() for rec in caplog.records)


def test_a_watch_list_collects_with_the_collector_paused_unless_its_stream_falls_silent(caplog):
    from kmon.cache import gcguard

    base = gcguard.depth()
    clock = FakeClock()
    lw = ScriptedListerWatcher()
    w = FakeWatch().add(pod("a", "3"))
    lw.on_watch(w)
    store = RecordingStore()
    r = make(lw, store, clock=clock, features=CURRENT)
    caplog.set_level(logging.WARNING, logger="kmon.cache.reflector")
    with running(r.list_and_watch):
        wait_for(lambda: w.delivered >= 1)
        assert gcguard.depth() == base + 1  # paused, as a list's decoding is
        assert clock.wait_for_sleepers(1)
        clock.step(10)  # silent for 10 s: warned, and the collector runs again
        wait_for(lambda: gcguard.depth() == base)
        w.bookmark("4", initial_events_end=True)
        assert store.wait_count("replace")
    assert gcguard.depth() == base
    # a stream that ends well holds the pause up to the replace (the informer's own pause
    # for its initial list begins there), then lets go
    lw2 = ScriptedListerWatcher()
    lw2.on_watch(FakeWatch().add(pod("a", "3")).bookmark("4", initial_events_end=True))
    depth_at_replace = []

    class Store(RecordingStore):
        def replace(self, items, rv):
            depth_at_replace.append(gcguard.depth())
            super().replace(items, rv)

    store2 = Store()
    r2 = make(lw2, store2, features=CURRENT)
    with running(r2.list_and_watch):
        assert store2.wait_count("replace")
    assert depth_at_replace == [base + 1] and gcguard.depth() == base
