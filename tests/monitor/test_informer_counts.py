"""``InformerCounts``, the one fold of an informer's reports into counts: a real informer
runs over scripted lists and watches (paged list, watch events, a bookmark, a watch the
server closes, a 410, a relist that tombstones an object, a stop) and the fold of what it
reported equals what its ``InformerStats`` says."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import replace

import pytest

from kmon.cache.clock import FakeClock
from kmon.cache.errors import ApiStatusError
from kmon.cache.events import ReflectorEvent, ReflectorEventKind
from kmon.cache.features import FeatureGates
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.listwatch import ListOptions, ListPage, WatchEvent
from kmon.monitor.feed import DeltaItem, ReflectorItem
from kmon.monitor.informer_counts import InformerCounts
from kmon.monitor.replay_stats import ReplayStats

# what the fold can know from an informer's reports, and so must equal InformerStats
SAME = ("state", "lists", "relists", "last_relist_reason", "list_items_last", "list_items_total",
        "list_duration_last", "list_duration_total", "pages_total", "pages_last", "watches_started",
        "watches_ended", "bookmarks", "expired", "last_synced_version", "unavailable", "paginated", "synced",
        "deltas_processed", "current_backoff")


def pod(name, rv):
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


class _Watch:
    """Yields its events, waiting where one is a ``threading.Event`` until the test sets
    it, then ends (``close``) or blocks until ``stop()``."""

    def __init__(self, events, *, close):
        self.events, self.close = events, close
        self.reading = threading.Event()
        self._stop = threading.Event()

    def __iter__(self):
        self.reading.set()
        for ev in self.events:
            if isinstance(ev, threading.Event):
                ev.wait(30)
            else:
                yield ev
        if not self.close:
            self._stop.wait(30)

    def stop(self):
        self._stop.set()


class _Script:
    """A ListerWatcher over a list of objects (paged by ``limit``) and scripted watches (a
    ``_Watch`` or an exception to raise)."""

    def __init__(self, objects, rv, watches):
        self.objects, self.rv, self.watches = list(objects), rv, deque(watches)
        self.opened = threading.Event()  # the last scripted watch was opened

    def list(self, options: ListOptions) -> ListPage:
        start = int(options.continue_ or 0)
        end = start + options.limit if options.limit else len(self.objects)
        more = end < len(self.objects)
        return ListPage(self.objects[start:end], self.rv, str(end) if more else "")

    def watch(self, options: ListOptions):
        step = self.watches.popleft()
        if isinstance(step, BaseException):
            raise step
        if not self.watches:
            self.opened.set()
        return step


def _wait(cond, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.005)


def _compare(stats, counts):
    got = {k: getattr(counts, k) for k in SAME}
    want = {k: getattr(stats, k) for k in SAME}
    assert got == want
    assert {k: v for k, v in stats.events.items() if v} == counts.events


# the classic path (client-go 1.32) and 1.36's queue (the script serves LISTs, not WatchList)
PATHS = {"1.32": FeatureGates.for_client_go("1.32"), "1.36": replace(FeatureGates.for_client_go("1.36"), watch_list_client=False)}


@pytest.mark.parametrize("path", PATHS)
def test_the_fold_of_what_an_informer_reports_equals_its_stats(path):
    go = threading.Event()
    first = _Watch([go, WatchEvent("ADDED", pod("d", "11")), WatchEvent("MODIFIED", pod("a", "12")),
                    WatchEvent("DELETED", pod("b", "13")), WatchEvent("BOOKMARK", {"metadata": {"resourceVersion": "14"}})],
                   close=True)
    lw = _Script([pod("a", "10"), pod("b", "10"), pod("c", "10")], "10", [
        first,
        ApiStatusError(410, "Expired", "too old resource version"),
        _Watch([WatchEvent("ADDED", pod("e", "21"))], close=False),
    ])
    inf = SharedIndexInformer(lw, name="pods", clock=FakeClock(auto_advance=True), page_size=2, features=PATHS[path])
    counts, reports = InformerCounts(), deque()
    inf.add_reflector_listener(lambda ev: reports.append(ReflectorItem("c", "pods", ev)))
    inf.add_delta_listener(lambda recs: reports.extend(DeltaItem("c", "pods", r) for r in recs))

    def fold():
        while reports:
            counts.fold_item(reports.popleft())

    stop = threading.Event()
    runner = threading.Thread(target=inf.run, args=(stop,), daemon=True)
    runner.start()
    try:
        _wait(first.reading.is_set, "the first watch")
        _wait(lambda: (fold(), counts.deltas_processed)[1] == 3, "the initial list reported")
        _compare(inf.stats(), counts)
        # the relist after the 410 no longer finds d: a "final state unknown" delete
        lw.objects, lw.rv = [pod("a", "12"), pod("c", "10"), pod("e", "20")], "20"
        go.set()
        _wait(lw.opened.is_set, "the last watch")
        _wait(lambda: inf.stats().events["ADDED"] == 2 and inf.stats().queue_depth == 0, "the last event")
        _wait(lambda: (fold(), counts.deltas_processed)[1] == inf.stats().deltas_processed, "every delta reported")
        st = inf.stats()
        assert (st.lists, st.relists, st.expired, st.pages_total, st.state) == (2, 1, 1, 4, "watching")
        _compare(st, counts)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    fold()
    st = inf.stats()
    assert st.state == "stopped" and st.watches_ended.get("stopped") == 1
    _compare(st, counts)


def test_replay_stats_and_resource_progress_fold_the_same_way():
    """The replay's stats are an ``InformerCounts`` fed from records: the same events as
    records or as feed items give the same counts."""
    ev = lambda kind, t, rv="", **d: ReflectorEvent(ReflectorEventKind(kind), t, rv, d)  # noqa: E731
    events = [ev("Relist", 1.0, reason="initial"), ev("ListStarted", 1.0), ev("Page", 1.1, items=2, pages=1),
              ev("Page", 1.2, items=1, pages=2), ev("ListFinished", 1.3, "7", items=3, pages=2, duration=0.3),
              ev("WatchStarted", 1.4, "7", reason="watch"), ev("Bookmark", 2.0, "9", items=0),
              ev("WatchEnded", 3.0, "9", reason="expired"), ev("Relist", 3.1, "9", reason="watch expired (410)")]
    live, replayed = InformerCounts(), ReplayStats("c", "pods")
    for e in events:
        live.fold_item(ReflectorItem("c", "pods", e))
        replayed.fold({"kind": "reflector", "type": e.kind.value, "time": e.time, "resource_version": e.resource_version,
                       "detail": e.detail}, 0)
    assert vars(live) == {k: v for k, v in vars(replayed).items() if k in vars(live)}
    assert (live.lists, live.relists, live.pages_last, live.list_items, live.last_synced_version) == (1, 1, 2, 3, "9")
    assert replayed.as_dict()["events"] == {"BOOKMARK": 1} and replayed.as_dict()["name"] == "c/pods"


class _Folding:
    """A running informer and the fold of what it reports (``caught_up()`` folds what came
    and says whether the fold has every delta the informer applied)."""

    def __init__(self, lw, **kw):
        self.inf = SharedIndexInformer(lw, name="pods", clock=FakeClock(auto_advance=True), **kw)
        self.counts, self._reports = InformerCounts(), deque()
        self.inf.add_reflector_listener(lambda ev: self._reports.append(ReflectorItem("c", "pods", ev)))
        self.inf.add_delta_listener(lambda recs: self._reports.extend(DeltaItem("c", "pods", r) for r in recs))
        self.stop = threading.Event()
        self.runner = threading.Thread(target=self.inf.run, args=(self.stop,), daemon=True)
        self.runner.start()

    def caught_up(self):
        while self._reports:
            self.counts.fold_item(self._reports.popleft())
        st = self.inf.stats()
        return st.queue_depth == 0 and self.counts.deltas_processed == st.deltas_processed

    def close(self):
        self.stop.set()
        self.runner.join(10)
        assert not self.runner.is_alive()


def test_a_watch_lists_stream_counts_as_live():
    """A WatchList streams its list over its watch: listing until the initial events end,
    then watching on the same stream: one watch, started once, not ended while it watches.
    Its initial events are the list's items, not watch events, live and folded alike (its
    end bookmark is a bookmark)."""
    end = {"metadata": {"resourceVersion": "5", "annotations": {"k8s.io/initial-events-end": "true"}}}
    listed = threading.Event()
    stream = _Watch([WatchEvent("ADDED", pod("a", "3")), WatchEvent("ADDED", pod("b", "4")), WatchEvent("BOOKMARK", end),
                     listed, WatchEvent("MODIFIED", pod("a", "6"))], close=False)
    lw = _Script([], "1", [stream])
    run = _Folding(lw, use_watch_list=True)
    inf, counts, caught_up = run.inf, run.counts, run.caught_up
    try:
        _wait(lambda: inf.stats().deltas_processed == 2 and caught_up(), "the streamed list")
        assert counts.state == inf.stats().state == "watching"
        listed.set()  # (a watch event before the list's items were applied would join them)
        _wait(lambda: inf.stats().events["MODIFIED"] == 1 and caught_up(), "the watch event")
        st = inf.stats()
        assert st.watches_ended == {} and st.watches_started == 1 and st.state == "watching" and st.lists == 1
        assert {k: getattr(counts, k) for k in SAME} == {k: getattr(st, k) for k in SAME}
        assert counts.events == {"BOOKMARK": 1, "MODIFIED": 1} == {k: v for k, v in st.events.items() if v}
    finally:
        run.close()


def test_a_watch_list_that_falls_back_to_list_folds_as_live_one_relist_and_one_open_watch():
    """Round 1 streams its list (WatchList) and its watch expires; round 2's WatchList is
    refused and a LIST serves it at once: one relist, whose reason says it fell back, and
    watches started minus ended is the one open -- live and folded alike."""
    end = {"metadata": {"resourceVersion": "5", "annotations": {"k8s.io/initial-events-end": "true"}}}
    gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"}
    listed = threading.Event()
    stream = _Watch([WatchEvent("ADDED", pod("a", "3")), WatchEvent("BOOKMARK", end), listed,
                     WatchEvent("MODIFIED", pod("a", "6")), WatchEvent("ERROR", gone)], close=True)
    refused = ApiStatusError(422, "Invalid", "sendInitialEvents is forbidden for watch unless the WatchList feature is on")
    lw = _Script([pod("a", "7"), pod("c", "7")], "7", [stream, refused, _Watch([WatchEvent("ADDED", pod("d", "8"))], close=False)])
    run = _Folding(lw, features=FeatureGates.for_client_go("1.36"))
    inf, counts, caught_up = run.inf, run.counts, run.caught_up
    try:
        _wait(lambda: inf.stats().lists == 1 and caught_up(), "the streamed list")
        listed.set()
        _wait(lw.opened.is_set, "the last watch")
        _wait(lambda: inf.stats().events["ADDED"] >= 1 and inf.stats().store_size == 3 and caught_up(), "the last event")
        st = inf.stats()
        assert (st.lists, st.relists, st.state, st.initial_sync) == (2, 1, "watching", "LIST (WatchList refused: 422 Invalid)")
        assert st.last_relist_reason == "watch expired (410); WatchList refused: 422 Invalid, listing instead"
        assert st.watches_started == 2 and st.watches_ended == {"expired": 1}
        assert {k: getattr(counts, k) for k in SAME} == {k: getattr(st, k) for k in SAME}
        # the initial events are the list's; (an ERROR event is the reflector's to count: the
        # reports say a watch ended in an error, not that an ERROR event ended it)
        assert {k: v for k, v in st.events.items() if v and k != "ERROR"} == counts.events == {
            "ADDED": 1, "MODIFIED": 1, "BOOKMARK": 1}
    finally:
        run.close()
    caught_up()
    st = inf.stats()
    assert st.watches_ended == {"expired": 1, "stopped": 1} and st.watches_started == 2
    assert {k: getattr(counts, k) for k in SAME} == {k: getattr(st, k) for k in SAME}
