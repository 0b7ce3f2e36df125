"""Reflector rules from the semantics page (client-go reflector_test.go, in our own words)."""

import threading

import pytest

from kmon.cache.clock import FakeClock
from kmon.cache.errors import ApiStatusError
from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.listwatch import ListPage, WatchEvent
from kmon.cache.reflector import Reflector

from waiting import wait_for

from .fakes import BLOCK, FakeWatch, ListWatch, ScriptedListerWatcher, expired, pod, status
from .helpers import CLASSIC, RecordingStore, running

# every test runs with watches read event by event and in batches (see conftest)
pytestmark = pytest.mark.usefixtures("watch_mode")


def make(lw, store=None, **kw):
    """A reflector on the classic path (client-go 1.32: LIST then WATCH; ``use_watch_list``
    asks for WatchList); 1.36's reflector: test_reflector_current."""
    kw.setdefault("clock", FakeClock(auto_advance=True))
    kw.setdefault("features", CLASSIC)
    return Reflector(lw, store or RecordingStore(), name="test", **kw)


def list_once_then_stop(r, stop):
    """list_and_watch in a thread; helpers for tests that need just a round."""
    return threading.Thread(target=r.list_and_watch, args=(stop,), daemon=True)


# -- resource versions -----------------------------------------------------------------------


def test_relist_resource_version_rules():
    from kmon.cache.sync_version import SyncVersion

    r = make(ScriptedListerWatcher())
    assert r.relist_resource_version() == "0"
    v = SyncVersion()
    assert (v.for_relist(), v.for_watch_list()) == ("0", "")
    v.synced("42")
    assert (v.for_relist(), v.for_watch_list(), v.last) == ("42", "42", "42")
    v.set_unavailable(True)
    assert (v.for_relist(), v.for_watch_list(), v.last) == ("", "", "42")


def test_page_size_rules():
    from kmon.cache.sync_version import SyncVersion

    v = SyncVersion()
    assert [v.page_size(0, rv) for rv in ("0", "", "42")] == [500, 500, 0]
    assert v.page_size(7, "42") == 7
    v.paginated = True
    assert v.page_size(0, "42") == 500


def test_list_replaces_store_then_watches_from_list_version():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a"), pod("b")], "10"))
    store = RecordingStore()
    r = make(lw, store)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
        w = lw.watches[0]
        w.add(pod("c", "11")).modify(pod("a", "12")).delete(pod("b", "13")).bookmark("14")
        wait_for(lambda: r.last_sync_resource_version == "14")
    assert store.calls[:4] == [("replace", (["a", "b"], "10")), ("add", "c"), ("update", "a"), ("delete", "b")]
    assert len(store.calls) == 4  # the bookmark only moved the version
    opts = lw.list_calls[0]
    assert opts.resource_version == "0" and opts.limit == 500
    wopts = lw.watch_calls[0]
    assert wopts.resource_version == "10" and wopts.allow_watch_bookmarks
    assert 300 <= wopts.timeout_seconds <= 600
    assert lw.watches[0].stopped.is_set()


@pytest.mark.parametrize("minimum,low,high", [(10.0, 300, 600), (400.0, 400, 800)])
def test_watch_timeout_is_random_in_min_to_twice_min_and_min_is_at_least_5_minutes(minimum, low, high):
    lw = ScriptedListerWatcher()
    r = make(lw, min_watch_timeout=minimum)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
    assert low <= lw.watch_calls[0].timeout_seconds <= high


def test_error_event_ends_round_without_advancing_version():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch(FakeWatch().add(pod("a", "6")).send_error(500, "InternalError", "boom"))
    r = make(lw)
    done = threading.Event()
    r.list_and_watch(threading.Event())  # round ends by itself
    done.set()
    assert r.last_sync_resource_version == "6"
    assert len(lw.list_calls) == 1 and len(lw.watch_calls) == 1


# -- paging ------------------------------------------------------------------------------------


def paged(items, rv, size=None):
    """A list function serving ``items`` in pages of the requested limit, capped at ``size``
    when given (continue = offset)."""

    def fn(opts):
        start = int(opts.continue_ or 0)
        lim = opts.limit or len(items)
        if size:
            lim = min(lim, size)
        chunk = items[start:start + lim]
        nxt = start + lim
        return ListPage(chunk, rv, str(nxt) if nxt < len(items) else "")

    return fn


def test_pager_follows_continue_tokens_and_clears_version_on_continuation():
    items = [pod(f"p{i}") for i in range(5)]
    lw = ScriptedListerWatcher()
    lw.on_list(*[paged(items, "7")] * 3)  # pages of the requested 2
    store = RecordingStore()
    r = make(lw, store, page_size=2)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
    assert [(o.resource_version, o.limit, o.continue_) for o in lw.list_calls] == [
        ("0", 2, None), ("", 2, "2"), ("", 2, "4")]
    assert store.calls[0] == ("replace", ([f"p{i}" for i in range(5)], "7"))
    assert r.paginated_result  # an initial "0" list came back in pages


def test_page_size_rules_across_relists():
    # initial "0" list unpaginated (server ignored the limit): later relists at a version
    # are unpaged so the watch cache can answer
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a")], "3"))
    lw.on_watch(FakeWatch().send_error(410, "Expired", "too old"))
    r = make(lw)
    r.list_and_watch(threading.Event())
    assert lw.list_calls[0].limit == 500
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)
    assert lw.list_calls[1].resource_version == "3" and lw.list_calls[1].limit == 0
    assert not r.paginated_result


def test_paginated_initial_list_keeps_default_page_size_on_relist():
    items = [pod(f"p{i}") for i in range(3)]
    lw = ScriptedListerWatcher().on_list(paged(items, "9", 2), paged(items, "9", 2))
    lw.on_watch(FakeWatch().send_error(410, "Expired", "too old"))
    r = make(lw)
    r.list_and_watch(threading.Event())
    assert r.paginated_result
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)
    assert lw.list_calls[2].resource_version == "9" and lw.list_calls[2].limit == 500


def test_explicit_page_size_wins():
    lw = ScriptedListerWatcher().on_list(ListPage([], "3"))
    lw.on_watch(FakeWatch().send_error(410, "Expired", "too old"))
    r = make(lw, page_size=50)
    r.list_and_watch(threading.Event())
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)
    assert [o.limit for o in lw.list_calls] == [50, 50]


def test_expired_continuation_falls_back_to_full_list_at_requested_version():
    items = [pod(f"p{i}") for i in range(4)]
    lw = ScriptedListerWatcher().on_list(paged(items, "9", 2), expired(), ListPage(items, "12"))
    store = RecordingStore()
    r = make(lw, store, page_size=2)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
    last = lw.list_calls[2]
    assert (last.resource_version, last.limit, last.continue_) == ("0", 0, None)
    assert store.calls[0] == ("replace", ([f"p{i}" for i in range(4)], "12"))
    assert not r.is_last_sync_resource_version_unavailable


# -- expired / too large on list ---------------------------------------------------------------


@pytest.mark.parametrize("error", [
    expired(),
    ApiStatusError(504, "Timeout", "Too large resource version", [{"reason": "ResourceVersionTooLarge"}]),
])
def test_list_unavailable_version_retries_at_once_with_empty_version_and_same_paging(error):
    lw = ScriptedListerWatcher().on_list(error, ListPage([pod("a")], "20"))
    events = []
    r = make(lw, page_size=7)
    r.add_listener(events.append)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
    assert [(o.resource_version, o.limit) for o in lw.list_calls] == [("0", 7), ("", 7)]
    assert not r.is_last_sync_resource_version_unavailable
    assert r.last_sync_resource_version == "20"
    assert r._clock.sleeps == []  # retried at once, no backoff


def test_list_unavailable_twice_leaves_flag_set_and_fails_round():
    lw = ScriptedListerWatcher().on_list(expired(), expired())
    r = make(lw)
    with pytest.raises(ApiStatusError):
        r.list_and_watch(threading.Event())
    assert r.is_last_sync_resource_version_unavailable
    assert r.relist_resource_version() == ""


# -- watch outcomes ------------------------------------------------------------------------------


def test_watch_410_relists_at_last_synced_version_then_empty_only_if_that_expires():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"), expired(), ListPage([pod("x")], "30"))
    lw.on_watch(FakeWatch().add(pod("a", "6")).send_error(410, "Expired", "too old"))
    r = make(lw)
    r.list_and_watch(threading.Event())
    assert not r.is_last_sync_resource_version_unavailable  # a watch 410 does not set it
    assert r.relist_resource_version() == "6"
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)
    assert [o.resource_version for o in lw.list_calls] == ["0", "6", ""]
    assert lw.watch_calls[1].resource_version == "30"


def test_normal_close_rewatches_from_last_version_without_relist():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch([pod_event("ADDED", "a", "6")], [pod_event("MODIFIED", "a", "7")])
    r = make(lw)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(3)
    assert [o.resource_version for o in lw.watch_calls] == ["5", "6", "7"]
    assert len(lw.list_calls) == 1


def pod_event(t, name, rv):
    from kmon.cache.listwatch import WatchEvent

    return WatchEvent(t, pod(name, rv))


def test_very_short_watch_is_an_error_that_ends_the_round():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch([])  # closes at once, nothing delivered (the fake clock does not move)
    events = []
    r = make(lw)
    r.add_listener(events.append)
    r.list_and_watch(threading.Event())
    ended = [e for e in events if e.kind is K.WatchEnded]
    assert ended[-1].detail["reason"] == "very-short"
    assert "very short watch" in ended[-1].detail["error"]
    assert r.counters.errors.get("very-short-watch") == 1
    assert len(lw.watch_calls) == 1


def test_watch_start_connection_refused_backs_off_and_rewatches_without_relist():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch(ConnectionRefusedError("connection refused"), ConnectionRefusedError(111, "refused"))
    r = make(lw)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(3)
    assert len(lw.list_calls) == 1
    assert [o.resource_version for o in lw.watch_calls] == ["5", "5", "5"]
    assert len(r._clock.sleeps) == 2
    assert 0.8 <= r._clock.sleeps[0] <= 1.6 and 1.6 <= r._clock.sleeps[1] <= 3.2


def test_watch_429_backs_off_at_least_retry_after_and_rewatches_without_relist():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch(ApiStatusError(429, "TooManyRequests", "slow down", retry_after=7))
    lw.on_watch(FakeWatch().add(pod("a", "6")).raise_(ApiStatusError(429, retry_after=0.1)))
    r = make(lw)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(3)
    assert len(lw.list_calls) == 1
    assert r._clock.sleeps[0] == 7
    assert r._clock.sleeps[1] >= 1.6  # backoff larger than the Retry-After
    assert lw.watch_calls[2].resource_version == "6"


def test_internal_error_ends_round_by_default():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch(FakeWatch().add(pod("a", "6")).send_error(500, "InternalError"))
    r = make(lw)
    r.list_and_watch(threading.Event())
    assert len(lw.watch_calls) == 1


def test_internal_error_rewatches_within_max_internal_error_retry():
    clock = FakeClock(auto_advance=True)
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    w1 = FakeWatch().add(pod("a", "6")).send_error(500, "InternalError")
    w2 = FakeWatch().add(pod("a", "7")).send_error(500, "InternalError")
    lw.on_watch(w1, w2)
    r = make(lw, clock=clock, max_internal_error_retry=30.0)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(3)
    assert len(lw.list_calls) == 1
    assert [o.resource_version for o in lw.watch_calls] == ["5", "6", "7"]


def test_internal_error_retry_window_expires():
    clock = FakeClock()
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    w1 = FakeWatch().add(pod("a", "6")).send_error(500, "InternalError")
    w2 = FakeWatch().add(pod("a", "7"))
    lw.on_watch(w1, w2)
    r = make(lw, clock=clock, max_internal_error_retry=30.0)
    t = threading.Thread(target=r.list_and_watch, args=(threading.Event(),), daemon=True)
    t.start()
    assert lw.wait_watch_calls(2)
    assert w2.reading.wait(5)
    clock.step(45)  # the retry window (from the first error) has passed
    w2.send_error(500, "InternalError")
    t.join(5)
    assert not t.is_alive() and len(lw.watch_calls) == 2


def test_other_watch_error_ends_round():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    lw.on_watch(FakeWatch().add(pod("a", "6")).raise_(OSError("connection reset by peer")))
    r = make(lw)
    r.list_and_watch(threading.Event())
    assert r._relist_reason.startswith("watch error: connection reset")


def test_non_retriable_watch_start_error_raises():
    lw = ScriptedListerWatcher().on_list(ListPage([], "5")).on_watch(ApiStatusError(403, "Forbidden"))
    r = make(lw)
    with pytest.raises(ApiStatusError):
        r.list_and_watch(threading.Event())


# -- run loop, backoff --------------------------------------------------------------------------


def test_run_backs_off_after_every_round_and_relists():
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"), RuntimeError("list failed"), ListPage([], "2"))
    lw.on_watch(FakeWatch().add(pod("a", "2")).raise_(expired()))
    clock = FakeClock(auto_advance=True)
    events = []
    r = make(lw, clock=clock)
    r.add_listener(events.append)
    with running(r.run):
        assert lw.wait_watch_calls(2)
    backoffs = [e.detail["delay"] for e in events if e.kind is K.Backoff]
    assert len(backoffs) >= 2
    assert 0.8 <= backoffs[0] <= 1.6 and 1.6 <= backoffs[1] <= 3.2
    relists = [e.detail["reason"] for e in events if e.kind is K.Relist]
    assert relists[:3] == ["initial", "watch expired (410)", "list error: list failed"]
    assert r.counters.relists >= 2


def test_stop_while_backing_off_returns_promptly():
    lw = ScriptedListerWatcher().on_list(RuntimeError("down"))
    clock = FakeClock()  # never advanced: the backoff would last forever
    r = make(lw, clock=clock)
    with running(r.run, timeout=2):
        assert clock.wait_for_sleepers(1)
    assert r.counters.state == "stopped"


# -- stopping mid-read ------------------------------------------------------------------------------


def test_run_stops_within_a_second_with_watch_blocked_mid_read():
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"))
    r = make(lw)
    with running(r.run, timeout=1.0):
        assert lw.wait_watch_calls(1)
        assert lw.watches[0].reading.wait(5)
    assert lw.watches[0].stopped.is_set()


def test_run_stops_with_list_blocked_using_cancel_hook():
    lw = ScriptedListerWatcher().on_list(BLOCK)
    r = make(lw)
    with running(r.run, timeout=1.0):
        assert lw.blocked.wait(5)
    assert lw.cancelled.is_set()
    assert lw.watch_calls == []


def test_no_thread_outlives_reflector_run():
    before = set(threading.enumerate())
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"))
    r = make(lw, resync_period=30.0)
    with running(r.run):
        assert lw.wait_watch_calls(1)
    assert set(threading.enumerate()) - before == set()


# -- resync -----------------------------------------------------------------------------------------


def test_resync_every_period_while_watching():
    clock = FakeClock()
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"))
    store = RecordingStore()
    r = make(lw, store, clock=clock, resync_period=10.0)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
        assert clock.wait_for_sleepers(1)
        clock.step(10)
        assert store.wait_count("resync", 1)
        assert clock.wait_for_sleepers(1)
        clock.step(10)
        assert store.wait_count("resync", 2)


def test_resync_skipped_when_should_resync_says_no():
    clock = FakeClock()
    lw = ScriptedListerWatcher().on_list(ListPage([], "1"))
    store = RecordingStore()
    asked = threading.Event()

    def should():
        asked.set()
        return False

    r = make(lw, store, clock=clock, resync_period=10.0, should_resync=should)
    with running(r.list_and_watch):
        assert clock.wait_for_sleepers(1)
        clock.step(10)
        assert asked.wait(5)
    assert "resync" not in store.names()


# -- WatchList --------------------------------------------------------------------------------------


def test_watch_list_streams_initial_state_then_keeps_the_same_watch():
    lw = ScriptedListerWatcher()
    w = FakeWatch().add(pod("a", "3")).add(pod("b", "4")).bookmark("5", initial_events_end=True)
    lw.on_watch(w)
    store = RecordingStore()
    r = make(lw, store, use_watch_list=True)
    with running(r.list_and_watch):
        assert store.wait_count("replace")
        w.modify(pod("a", "6"))
        assert store.wait_count("update")
    o = lw.watch_calls[0]
    assert o.send_initial_events and o.resource_version_match == "NotOlderThan"
    assert o.resource_version == "" and o.allow_watch_bookmarks
    assert store.calls[0] == ("replace", (["a", "b"], "5"))
    assert len(lw.watch_calls) == 1 and lw.list_calls == []
    assert r.last_sync_resource_version == "6"


def test_watch_list_events_right_after_the_end_bookmark_go_to_the_store_after_the_replace():
    lw = ScriptedListerWatcher()
    w = FakeWatch()
    w.add(pod("a", "3")).bookmark("5", initial_events_end=True).modify(pod("a", "6")).add(pod("b", "7"))
    lw.on_watch(w)
    store = RecordingStore()
    r = make(lw, store, use_watch_list=True)
    with running(r.list_and_watch):
        assert store.wait_count("add")
        wait_for(lambda: r.last_sync_resource_version == "7")
    assert store.calls == [("replace", (["a"], "5")), ("update", "a"), ("add", "b")]
    # the initial "a" is the list's item (list_items_last), not a watch event; the end bookmark is a bookmark
    assert r.counters.added == 1 and r.counters.modified == 1 and r.counters.bookmarks == 1
    assert r.counters.list_items_last == 1


def test_watch_list_failure_falls_back_to_list_and_watch():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("x")], "9"))
    lw.on_watch(ApiStatusError(400, "BadRequest", "sendInitialEvents unsupported"))
    store = RecordingStore()
    r = make(lw, store, use_watch_list=True)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)
    assert store.calls[0] == ("replace", (["x"], "9"))
    assert not lw.watch_calls[1].send_initial_events


def test_watch_list_expired_retries_with_empty_version():
    lw = ScriptedListerWatcher()
    r = make(lw, use_watch_list=True)
    r._version.synced("50")
    lw.on_watch(expired(), FakeWatch().bookmark("60", initial_events_end=True))
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(2)
        wait_for(lambda: r.last_sync_resource_version == "60")
    assert [o.resource_version for o in lw.watch_calls[:2]] == ["50", ""]
    assert not r.is_last_sync_resource_version_unavailable


# -- instrumentation ----------------------------------------------------------------------------------


def test_events_stream_and_listener_errors_do_not_kill_the_reflector():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a")], "10"))
    events = []

    def bad(e):
        raise RuntimeError("listener bug")

    r = make(lw)
    r.add_listener(bad)
    r.add_listener(events.append)
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
        lw.watches[0].add(pod("b", "11")).bookmark("12")
        wait_for(lambda: r.last_sync_resource_version == "12")
    kinds = [e.kind for e in events]
    assert kinds[:5] == [K.Relist, K.ListStarted, K.Page, K.ListFinished, K.WatchStarted]
    assert K.Bookmark in kinds and kinds[-1] is K.WatchEnded
    assert next(e for e in events if e.kind is K.Bookmark).resource_version == "12"
    fin = next(e for e in events if e.kind is K.ListFinished)
    assert fin.detail["items"] == 1 and fin.detail["pages"] == 1 and fin.resource_version == "10"
    assert events[-1].detail["reason"] == "stopped" and events[-1].detail["items"] == 2
    assert r.counters.listener_errors == len(events)
    assert r.counters.added == 1 and r.counters.bookmarks == 1


def test_listwatch_from_two_lambdas():
    served = FakeWatch([pod_event("ADDED", "z", "2")])
    lw = ListWatch(lambda o: ListPage([], "1"), lambda o: served)
    store = RecordingStore()
    r = make(lw, store)
    with running(r.list_and_watch):
        assert store.wait_count("add")


# -- the watch loop on its own (client-go's handleWatch cases) ------------------------------------


def test_nothing_is_listed_or_watched_when_stopped_before():
    lw = ScriptedListerWatcher()
    r = make(lw)
    stop = threading.Event()
    stop.set()
    r.list_and_watch(stop)
    r.run(stop)
    assert lw.list_calls == [] and lw.watch_calls == []


class SinkLog:
    """A WatchSink that records what the watch loop hands over."""

    def __init__(self):
        self.calls = []

    def apply(self, run, resource_version):
        self.calls.append(("apply", [(t, o["metadata"]["name"]) for t, o in run], resource_version))

    def bookmark(self, resource_version, initial_events_end):
        self.calls.append(("bookmark", resource_version, initial_events_end))


def batches(*groups):
    return iter([list(g) for g in groups])


def test_handle_watch_hands_runs_and_bookmarks_to_the_sink_in_order_and_skips_what_it_cannot_read():
    from kmon.cache.watch_handler import WatchEnd, handle_watch

    sink = SinkLog()
    result = handle_watch(batches(
        [WatchEvent("ADDED", {"kind": "Service"}),  # no metadata: skipped, not fatal
         WatchEvent("DELETED", pod("foo", "")), WatchEvent("MODIFIED", pod("bar", "55"))],
        [WatchEvent("ADDED", pod("baz", "32")), WatchEvent("BOOKMARK", pod("", "40")),
         WatchEvent("WHAT", pod("x", "41")), WatchEvent("ADDED", pod("qux", "42"))],
    ), sink, lambda: False)
    assert sink.calls == [
        ("apply", [("DELETED", "foo"), ("MODIFIED", "bar")], "55"),
        ("apply", [("ADDED", "baz")], "32"),
        ("bookmark", "40", False),
        ("apply", [("ADDED", "qux")], "42"),
    ]
    assert (result.end, result.events, result.resource_version, result.error) == (WatchEnd.CLOSED, 5, "42", None)


def test_handle_watch_ends_at_an_error_event_after_delivering_what_came_before():
    from kmon.cache.watch_handler import WatchEnd, handle_watch

    sink = SinkLog()
    result = handle_watch(batches(
        [WatchEvent("ADDED", pod("a", "2")), WatchEvent("ERROR", status(410, "Expired")), WatchEvent("ADDED", pod("b", "3"))],
    ), sink, lambda: False)
    assert sink.calls == [("apply", [("ADDED", "a")], "2")]
    assert result.end is WatchEnd.ERROR_EVENT and result.error.code == 410 and result.resource_version == "2"


def test_handle_watch_reports_a_failing_stream_as_its_result():
    from kmon.cache.watch_handler import WatchEnd, handle_watch

    def failing():
        yield [WatchEvent("ADDED", pod("a", "2"))]
        raise OSError("connection reset by peer")

    sink = SinkLog()
    result = handle_watch(failing(), sink, lambda: False)
    assert result.end is WatchEnd.FAILED and isinstance(result.error, OSError) and result.events == 1


def test_handle_watch_stops_at_the_initial_events_end_when_asked_and_leaves_the_rest():
    from kmon.cache.listwatch import one_by_one
    from kmon.cache.watch_handler import WatchEnd, handle_watch

    w = FakeWatch().add(pod("a", "3")).bookmark("5", initial_events_end=True).add(pod("b", "6")).close()
    rest = one_by_one(iter(w))
    sink = SinkLog()
    result = handle_watch(rest, sink, lambda: False, until_initial_events_end=True)
    assert (result.end, result.resource_version) == (WatchEnd.INITIAL_EVENTS_END, "5")
    assert sink.calls == [("apply", [("ADDED", "a")], "3"), ("bookmark", "5", True)]
    assert handle_watch(rest, sink, lambda: False).end is WatchEnd.CLOSED
    assert sink.calls[-1] == ("apply", [("ADDED", "b")], "6")
    # in one batch: what follows the end bookmark is handed back, not delivered
    sink = SinkLog()
    result = handle_watch(batches([WatchEvent("ADDED", pod("a", "3")), WatchEvent("BOOKMARK", w_end_bookmark("5")),
                                   WatchEvent("MODIFIED", pod("a", "6"))]), sink, lambda: False, until_initial_events_end=True)
    assert result.end is WatchEnd.INITIAL_EVENTS_END and [e.object["metadata"]["resourceVersion"] for e in result.rest] == ["6"]
    assert sink.calls == [("apply", [("ADDED", "a")], "3"), ("bookmark", "5", True)]


def w_end_bookmark(rv):
    return {"kind": "Pod", "metadata": {"resourceVersion": rv, "annotations": {"k8s.io/initial-events-end": "true"}}}


def test_handle_watch_returns_when_stopped_without_error():
    from kmon.cache.watch_handler import WatchEnd, handle_watch

    sink = SinkLog()
    result = handle_watch(batches([WatchEvent("ADDED", pod("a", "2"))]), sink, lambda: True)
    assert result.end is WatchEnd.STOPPED and sink.calls == [] and result.error is None


def test_a_watch_applies_events_to_an_indexer_and_records_the_last_version():
    from kmon.cache.store import Indexer

    store = Indexer()
    store.add(pod("foo"))
    store.add(pod("bar"))
    lw = ScriptedListerWatcher().on_list(ListPage([pod("foo"), pod("bar")], "10"))
    lw.on_watch(FakeWatch([
        WatchEvent("ADDED", {"kind": "Service"}),  # not understood: skipped, not fatal
        WatchEvent("DELETED", pod("foo", "")),
        WatchEvent("MODIFIED", pod("bar", "55")),
        WatchEvent("ADDED", pod("baz", "32")),
    ]))
    r = make(lw, store)
    with running(r.list_and_watch):
        wait_for(lambda: r.last_sync_resource_version == "32")
    assert store.get_by_key("default/foo") == (None, False)
    assert store.get_by_key("default/bar")[0]["metadata"]["resourceVersion"] == "55"
    assert store.get_by_key("default/baz")[0]["metadata"]["resourceVersion"] == "32"
    assert r.counters.added == 1 and r.counters.modified == 1 and r.counters.deleted == 1


def test_a_watch_closed_at_once_is_very_short_but_one_that_lived_a_second_is_a_normal_close():
    events = []
    clock = FakeClock()
    lw = ScriptedListerWatcher().on_list(ListPage([], "5"))
    w1 = FakeWatch()
    lw.on_watch(w1)
    r = make(lw, clock=clock)
    r.add_listener(events.append)
    t = threading.Thread(target=r.list_and_watch, args=(threading.Event(),), daemon=True)
    t.start()
    assert w1.reading.wait(5)
    clock.step(1.5)
    w1.close()  # lived 1.5 s: a normal close, watch again
    assert lw.wait_watch_calls(2)
    lw.watches[1].close()  # at once, nothing delivered: very short, the round ends
    t.join(5)
    assert not t.is_alive()
    ended = [e.detail for e in events if e.kind is K.WatchEnded]
    assert [d["reason"] for d in ended] == ["closed", "very-short"]
    assert "very short watch" in ended[1]["error"]
    assert r.counters.errors == {"very-short-watch": 1}
