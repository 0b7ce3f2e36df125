"""RealFIFO: client-go's in-order queue (the cases of the_real_fifo_test.go, in our words,
plus the construction rules, the atomic modes and unlock_while_processing)."""

import threading

import pytest

from kmon.cache.delta_fifo import BookmarkInfo, Delta, DeltaType as T, FIFOClosedError, ReplacedAllInfo
from kmon.cache.delta_fifo import SyncAllInfo
from kmon.cache.keys import DeletedFinalStateUnknown as Tomb
from kmon.cache.real_fifo import RealFIFO
from kmon.cache.store import Indexer

from waiting import wait_for

from .fakes import pod


def known(*objs):
    s = Indexer()
    for o in objs:
        s.add(o)
    return s


def fifo(*known_objs, **kw):
    if kw.get("atomic_events"):
        return RealFIFO(**kw)
    return RealFIFO(known_objects=known(*known_objs), **kw)


def pop1(f):
    """The one delta a pop hands over (and that it came as a one-element list)."""
    got = f.pop(lambda deltas, initial: deltas, timeout=0)
    assert got is not None and len(got) == 1
    return got[0]


def pop_all(f):
    out = []
    while len(f):
        out.append(pop1(f))
    return out


def rvs(deltas):
    return [d.object["metadata"]["resourceVersion"] for d in deltas]


# -- construction ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [
    {},  # not atomic: known objects are required
    {"atomic_events": True, "known_objects": Indexer()},
    {"known_objects": Indexer(), "unlock_while_processing": True},
    {"known_objects": Indexer(), "emit_bookmarks": True},
    {"atomic_events": True, "batch_size": 0},
])
def test_construction_rules(kw):
    with pytest.raises(ValueError):
        RealFIFO(**kw)


def test_valid_constructions():
    assert len(RealFIFO(known_objects=Indexer())) == 0
    f = RealFIFO(atomic_events=True, unlock_while_processing=True, emit_bookmarks=True)
    assert len(f) == 0 and not f.has_synced() and not f.is_closed()


# -- one flat queue -----------------------------------------------------------------------------

def test_every_change_is_its_own_delta_in_arrival_order():
    f = fifo()
    f.add(pod("foo", "10"))
    f.update(pod("foo", "12"))
    f.delete(pod("foo", "15"))
    assert [d.type for d in f.deltas()] == [T.Added, T.Updated, T.Deleted]
    assert len(f) == 3
    out = pop_all(f)
    assert rvs(out) == ["10", "12", "15"] and len(f) == 0


@pytest.mark.integration  # starts threads
def test_two_producers_each_keep_their_order():
    f = fifo()
    n = 300

    def produce(prefix):
        for i in range(n):
            f.add(pod(f"{prefix}{i}", str(i + 1)))

    threads = [threading.Thread(target=produce, args=(p,)) for p in "ab"]
    for t in threads:
        t.start()
    last = {"a": 0, "b": 0}
    for _ in range(2 * n):
        d = f.pop(lambda deltas, initial: deltas[0], timeout=5)
        name, rv = d.object["metadata"]["name"], int(d.object["metadata"]["resourceVersion"])
        assert rv > last[name[0]]
        last[name[0]] = rv
    for t in threads:
        t.join()


def test_deletes_are_never_dropped():
    f = fifo(pod("foo", "5"), pod("bar", "6"), pod("baz", "7"))
    f.add(pod("foo", "10"))
    f.update(pod("bar", "15"))
    f.add(pod("qux", "17"))
    f.delete(pod("qux", "18"))
    f.delete(pod("never-seen", "20"))  # unknown to the store and not queued: still queued
    assert rvs(pop_all(f)) == ["10", "15", "17", "18", "20"]


def test_no_key_jumps_the_line():
    f = fifo()
    for name, rv in [("foo", "10"), ("bar", "1"), ("foo", "11"), ("foo", "13"), ("zab", "30")]:
        f.add(pod(name, rv))
    assert rvs([pop1(f)]) == ["10"]
    f.add(pod("foo", "14"))
    assert rvs(pop_all(f)) == ["1", "11", "13", "30", "14"]


def test_key_of_understands_tombstones_deltas_and_delta_lists():
    f = fifo()
    assert f.key_of(pod("a")) == "default/a"
    assert f.key_of(Tomb("b", None)) == "b"
    assert f.key_of([Delta(T.Added, pod("c"))]) == "default/c"
    assert f.key_of([Delta(T.Deleted, Tomb("d", None))]) == "d"


def test_an_object_without_a_key_is_refused():
    f = fifo()
    with pytest.raises(ValueError):
        f.add({"kind": "Pod"})
    assert len(f) == 0


# -- replace, not atomic ---------------------------------------------------------------------------

def test_replace_after_a_queued_delete_queues_the_new_object():
    f = fifo(pod("foo", "1"))
    f.delete(pod("foo", "1"))
    f.replace([pod("foo", "2")], "")
    assert f.deltas() == [Delta(T.Deleted, pod("foo", "1")), Delta(T.Replaced, pod("foo", "2"))]


@pytest.mark.parametrize("ops, expected", [
    # an added object the list lacks gets one tombstone
    (lambda f, o, o2: (f.add(o), f.replace([], "0")),
     lambda o, o2: [Delta(T.Added, o), Delta(T.Deleted, Tomb("default/foo", o))]),
    # a deleted one needs no second deletion
    (lambda f, o, o2: (f.add(o), f.delete(o), f.replace([], "0")),
     lambda o, o2: [Delta(T.Added, o), Delta(T.Deleted, o)]),
    # relisted objects get one tombstone once a list lacks them
    (lambda f, o, o2: (f.add(o), f.replace([o], "0"), f.replace([o], "0"), f.replace([], "0")),
     lambda o, o2: [Delta(T.Added, o), Delta(T.Replaced, o), Delta(T.Replaced, o),
                    Delta(T.Deleted, Tomb("default/foo", o))]),
    # several empty relists: still one tombstone
    (lambda f, o, o2: (f.add(o), f.replace([], "0"), f.replace([], "1")),
     lambda o, o2: [Delta(T.Added, o), Delta(T.Deleted, Tomb("default/foo", o))]),
    # added, deleted, added again: the tombstone carries the newest queued state
    (lambda f, o, o2: (f.add(o), f.delete(o), f.add(o2), f.replace([], "0")),
     lambda o, o2: [Delta(T.Added, o), Delta(T.Deleted, o), Delta(T.Added, o2), Delta(T.Deleted, Tomb("default/foo", o2))]),
    # no bookmarks without atomic events
    (lambda f, o, o2: (f.bookmark("123"), f.replace([], "0"), f.replace([], "1")),
     lambda o, o2: []),
])
def test_replace_makes_deletions_for_objects_only_in_the_queue(ops, expected):
    o, o2 = pod("foo", "2"), pod("foo", "3")
    f = fifo()
    ops(f, o, o2)
    assert pop_all(f) == expected(o, o2)


def test_replace_tombstones_known_objects_before_the_listed_ones():
    stored = (pod("foo", "5"), pod("bar", "6"), pod("baz", "7"))
    # a queued real deletion stays; a known object the list lacks gets its stored state
    f = fifo(*stored)
    f.delete(pod("baz", "10"))
    f.replace([pod("foo", "5")], "0")
    assert pop_all(f) == [Delta(T.Deleted, pod("baz", "10")),
                          Delta(T.Deleted, Tomb("default/bar", pod("bar", "6"))),
                          Delta(T.Replaced, pod("foo", "5"))]
    # a queued add the list lacks: tombstone with the queued state, before the known ones
    f = fifo(*stored)
    f.add(pod("baz", "10"))
    f.replace([pod("foo", "5")], "0")
    assert pop_all(f) == [Delta(T.Added, pod("baz", "10")),
                          Delta(T.Deleted, Tomb("default/baz", pod("baz", "10"))),
                          Delta(T.Deleted, Tomb("default/bar", pod("bar", "6"))),
                          Delta(T.Replaced, pod("foo", "5"))]
    # deleted and recreated in the queue: the newest queued state wins over the stored one
    f = fifo(*stored)
    f.delete(pod("bar", "6"))
    f.add(pod("bar", "100"))
    f.replace([pod("foo", "5")], "0")
    assert pop_all(f) == [Delta(T.Deleted, pod("bar", "6")), Delta(T.Added, pod("bar", "100")),
                          Delta(T.Deleted, Tomb("default/bar", pod("bar", "100"))),
                          Delta(T.Deleted, Tomb("default/baz", pod("baz", "7"))),
                          Delta(T.Replaced, pod("foo", "5"))]
    # two relists: the second tombstones what the first queued (deltas span keys in order)
    f = fifo(*stored)
    f.replace([pod("bar", "100"), pod("foo", "5")], "0")
    f.replace([pod("foo", "6")], "0")
    assert pop_all(f) == [Delta(T.Deleted, Tomb("default/baz", pod("baz", "7"))),
                          Delta(T.Replaced, pod("bar", "100")), Delta(T.Replaced, pod("foo", "5")),
                          Delta(T.Deleted, Tomb("default/bar", pod("bar", "100"))),
                          Delta(T.Replaced, pod("foo", "6"))]


def test_replace_tombstone_for_a_known_key_that_vanished_carries_no_object():
    class Vanishing(Indexer):
        def get_by_key(self, key):
            return None, False

    store = Vanishing()
    store.add(pod("gone"))
    f = RealFIFO(known_objects=store)
    f.replace([], "1")
    assert pop_all(f) == [Delta(T.Deleted, Tomb("default/gone", None))]


def test_initial_list_with_deletions_is_synced_only_after_its_last_delta():
    f = fifo(pod("foo", "5"), pod("bar", "6"), pod("baz", "7"))
    f.replace([pod("foo", "5")], "0")
    expected = [Delta(T.Deleted, Tomb("default/bar", pod("bar", "6"))),
                Delta(T.Deleted, Tomb("default/baz", pod("baz", "7"))),
                Delta(T.Replaced, pod("foo", "5"))]
    got = []
    for _ in expected:
        assert not f.has_synced()
        got.append(f.pop(lambda deltas, initial: (deltas[0], initial), timeout=0))
    assert sorted(got[:2], key=lambda g: g[0].object.key) == [(d, True) for d in expected[:2]]
    assert got[2] == (expected[2], True)
    assert f.has_synced()


# -- resync, not atomic ---------------------------------------------------------------------------

def test_resync_queues_sync_for_known_keys_without_queued_deltas():
    f = fifo(pod("foo", "5"))
    f.resync()
    assert f.deltas() == [Delta(T.Sync, pod("foo", "5"))]
    f = fifo(pod("foo", "5"))
    f.delete(pod("foo", "10"))
    f.resync()
    assert [d.type for d in f.deltas()] == [T.Deleted]
    f = fifo(pod("foo", "5"))
    f.update(pod("foo", "6"))  # the pending update is newer than the store: no resync of it
    f.resync()
    assert f.deltas() == [Delta(T.Updated, pod("foo", "6"))]


# -- transform -----------------------------------------------------------------------------------

def test_transform_runs_once_per_object_and_never_on_tombstones_or_syncs():
    seen = []

    def mark(o):
        seen.append(o["metadata"]["resourceVersion"])
        return {**o, "transformed": True}

    f = RealFIFO(known_objects=known(pod("k", "1")), transform=mark)
    f.add(pod("foo", "10"))
    f.add(pod("bar", "11"))
    f.update(pod("foo", "12"))
    f.delete(pod("foo", "15"))
    f.replace([], "")
    f.add(pod("bar", "16"))
    f.replace([pod("new", "17")], "")
    f.resync()
    out = pop_all(f)
    assert seen == ["10", "11", "12", "15", "16", "17"]
    assert [(d.type, f.key_of(d.object)) for d in out] == [
        (T.Added, "default/foo"), (T.Added, "default/bar"), (T.Updated, "default/foo"), (T.Deleted, "default/foo"),
        (T.Deleted, "default/bar"), (T.Deleted, "default/k"), (T.Added, "default/bar"), (T.Deleted, "default/bar"),
        (T.Replaced, "default/new"),
    ]
    tombs = [d.object for d in out if isinstance(d.object, Tomb)]
    assert [t.obj["transformed"] for t in tombs if t.key == "default/bar"] == [True, True]
    assert all(d.object.get("transformed") for d in out if not isinstance(d.object, Tomb))


def test_atomic_replace_transforms_every_listed_object():
    f = RealFIFO(atomic_events=True, transform=lambda o: {**o, "t": 1})
    f.replace([pod("a"), pod("b")], "9")
    (d,) = pop_all(f)
    assert d.type is T.ReplacedAll
    assert d.object.resource_version == "9" and [o["t"] for o in d.object.objects] == [1, 1]


# -- synced -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("actions, synced", [
    ([], False),
    ([lambda f: f.add(pod("a", "1"))], True),
    ([lambda f: f.replace([], "0")], True),
    ([lambda f: f.replace([pod("a", "1"), pod("b", "2")], "0")], False),
    ([lambda f: f.replace([pod("a", "1"), pod("b", "2")], "0"), pop1], False),
    ([lambda f: f.replace([pod("a", "1"), pod("b", "2")], "0"), pop1, pop1], True),
    # duplicate keys in a list (a broken server): each is its own delta, popped in turn
    ([lambda f: f.replace([pod("a", "1"), pod("a", "2")], "0"), pop1, pop1], True),
])
def test_has_synced(actions, synced):
    f = fifo()
    for action in actions:
        action(f)
    assert f.has_synced() is synced


def test_the_initial_population_counts_what_was_queued_before_the_first_replace():
    f = RealFIFO(atomic_events=True, emit_bookmarks=True)
    f.bookmark("1")
    f.resync()
    f.replace([pod("a")], "2")
    f.add(pod("b"))  # after the replace: not part of the initial population
    flags = [f.pop(lambda deltas, initial: initial, timeout=0) for _ in range(3)]
    assert flags == [True, True, True]
    assert f.has_synced()
    assert f.pop(lambda deltas, initial: initial, timeout=0) is False


def test_not_synced_while_the_last_initial_delta_is_processed():
    f = RealFIFO(atomic_events=True)
    f.replace([pod("a")], "1")
    during = []
    f.pop(lambda deltas, initial: during.append(f.has_synced()), timeout=0)
    assert during == [False] and f.has_synced()


def test_a_failing_process_still_counts_its_delta_and_is_not_requeued():
    f = RealFIFO(atomic_events=True)
    f.replace([pod("a")], "1")
    with pytest.raises(ZeroDivisionError):
        f.pop(lambda deltas, initial: 1 / 0, timeout=0)
    assert f.has_synced() and len(f) == 0


# -- pop -----------------------------------------------------------------------------------------

@pytest.mark.integration  # starts threads
def test_pop_timeout_returns_none_and_close_wakes_every_waiting_pop():
    f = fifo()
    assert f.pop(lambda d, i: pytest.fail("called"), timeout=0.01) is None
    errors = []

    def waiter():
        try:
            f.pop(lambda d, i: None)
        except FIFOClosedError as err:
            errors.append(err)

    threads = [threading.Thread(target=waiter) for _ in range(5)]
    for t in threads:
        t.start()
    wait_for(lambda: f._waiters == 5)
    f.close()
    for t in threads:
        t.join(5)
    assert len(errors) == 5 and f.is_closed()


def test_a_closed_queue_still_drains():
    f = fifo()
    f.add(pod("a"))
    f.close()
    assert pop1(f).type is T.Added
    with pytest.raises(FIFOClosedError):
        f.pop(lambda d, i: None, timeout=0)


# -- pop_batch ---------------------------------------------------------------------------------------

def batches(f):
    """Pop batches until empty: each as (how it came: "batch" or "single", deltas, initial)."""
    out = []
    while len(f):
        out.append(f.pop_batch(lambda d, i: ("batch", d, i), lambda d, i: ("single", d, i), timeout=0))
    return out


O1, O2, O3, O4 = (pod(f"foo{i}", "5") for i in range(1, 5))


@pytest.mark.parametrize("initial, actions, batch_size, expected", [
    # distinct keys go together
    ([O1, O2, O3], [], 999, [[(T.Replaced, O1), (T.Replaced, O2), (T.Replaced, O3)]]),
    # a batch ends with the initial population
    ([O1, O2], [("update", O3), ("update", O4)], 2,
     [[(T.Replaced, O1), (T.Replaced, O2)], [(T.Updated, O3), (T.Updated, O4)]]),
    # a key already in the batch ends it
    ([O1], [("update", O1), ("update", O1)], 999, [[(T.Replaced, O1)], [(T.Updated, O1)], [(T.Updated, O1)]]),
    ([O1, O2], [("update", O2), ("update", O3)], 999,
     [[(T.Replaced, O1), (T.Replaced, O2)], [(T.Updated, O2), (T.Updated, O3)]]),
    ([O1, O2, O3], [("update", O2)], 999, [[(T.Replaced, O1), (T.Replaced, O2), (T.Replaced, O3)], [(T.Updated, O2)]]),
    # the batch size bounds it
    ([O1, O2, O3], [], 2, [[(T.Replaced, O1), (T.Replaced, O2)], [(T.Replaced, O3)]]),
    ([], [("update", O1), ("update", O2), ("update", O3)], 2, [[(T.Updated, O1), (T.Updated, O2)], [(T.Updated, O3)]]),
    ([O1, O2, O3], [("update", O4)], 2, [[(T.Replaced, O1), (T.Replaced, O2)], [(T.Replaced, O3)], [(T.Updated, O4)]]),
])
def test_pop_batch_splits(initial, actions, batch_size, expected):
    f = RealFIFO(known_objects=known(*initial), batch_size=batch_size)
    f.replace(initial, "123")
    for op, obj in actions:
        getattr(f, op)(obj)
    got = batches(f)
    assert [[(d.type, d.object) for d in deltas] for _how, deltas, _i in got] == expected
    # one delta goes to process_single, several to process_batch; the initial ones say so
    assert [how for how, deltas, _i in got] == ["single" if len(e) == 1 else "batch" for e in expected]
    assert [d.object for _how, deltas, i in got if i for d in deltas] == initial


def _broken_key(obj):
    if obj["metadata"]["name"] in ("foo3", "foo4"):
        raise ValueError("test key func error")
    return "default/" + obj["metadata"]["name"]


@pytest.mark.parametrize("incoming, expected", [
    ([O3], [[O3]]),
    ([O1, O2, O3], [[O1, O2, O3]]),
    ([O1, O2, O3, O4], [[O1, O2, O3], [O4]]),
    ([O3, O1, O4], [[O3], [O1, O4]]),
])
def test_pop_batch_an_item_whose_key_cannot_be_read_ends_its_batch(incoming, expected):
    f = RealFIFO(known_objects=Indexer(), key_func=_broken_key)
    with f._lock:  # queued as if the key function had worked then (as client-go's test does)
        f._items.extend(Delta(T.Added, o) for o in incoming)
    assert [[d.object for d in deltas] for _how, deltas, _i in batches(f)] == expected


def test_pop_batch_takes_atomic_deltas_alone():
    f = RealFIFO(atomic_events=True, emit_bookmarks=True)
    f.add(pod("a"))
    f.add(pod("b"))
    f.bookmark("3")
    f.add(pod("c"))
    f.resync()
    f.replace([pod("a")], "9")
    got = [(how, [d.type for d in deltas]) for how, deltas, _i in batches(f)]
    assert got == [("batch", [T.Added, T.Added]), ("single", [T.Bookmark]), ("single", [T.Added]),
                   ("single", [T.SyncAll]), ("single", [T.ReplacedAll])]


# -- atomic ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ops, expected", [
    (lambda f, o: f.replace([], "123"), lambda o: [Delta(T.ReplacedAll, ReplacedAllInfo("123", []))]),
    (lambda f, o: (f.add(o), f.replace([], "123")),
     lambda o: [Delta(T.Added, o), Delta(T.ReplacedAll, ReplacedAllInfo("123", []))]),
    (lambda f, o: (f.add(o), f.replace([o], "10"), f.replace([o], "20"), f.replace([], "56")),
     lambda o: [Delta(T.Added, o), Delta(T.ReplacedAll, ReplacedAllInfo("10", [o])),
                Delta(T.ReplacedAll, ReplacedAllInfo("20", [o])), Delta(T.ReplacedAll, ReplacedAllInfo("56", []))]),
    (lambda f, o: (f.bookmark("123"), f.replace([], "1234")),
     lambda o: [Delta(T.Bookmark, BookmarkInfo("123")), Delta(T.ReplacedAll, ReplacedAllInfo("1234", []))]),
    (lambda f, o: f.resync(), lambda o: [Delta(T.SyncAll, SyncAllInfo())]),
    (lambda f, o: (f.add(o), f.resync()), lambda o: [Delta(T.Added, o), Delta(T.SyncAll, SyncAllInfo())]),
])
def test_atomic_replace_resync_and_bookmark_are_one_delta_each(ops, expected):
    o = pod("foo", "2")
    f = RealFIFO(atomic_events=True, emit_bookmarks=True)
    ops(f, o)
    assert pop_all(f) == expected(o)


def test_atomic_without_bookmarks_drops_them():
    f = RealFIFO(atomic_events=True)
    f.bookmark("5")
    assert len(f) == 0


def test_atomic_replace_pops_after_what_came_before():
    f = RealFIFO(atomic_events=True)
    f.add(pod("foo", "10"))
    f.replace([pod("foo", "15")], "20")
    assert pop1(f) == Delta(T.Added, pod("foo", "10"))
    d = pop1(f)
    assert d.type is T.ReplacedAll and d.object == ReplacedAllInfo("20", [pod("foo", "15")])
    assert len(f) == 0


def test_queue_watch_events_queues_what_single_calls_would_and_reports_failures():
    one, many = RealFIFO(atomic_events=True), RealFIFO(atomic_events=True)
    events = [("ADDED", pod("a", "1")), ("MODIFIED", {"kind": "broken"}), ("MODIFIED", pod("a", "2")),
              ("DELETED", pod("a", "3")), ("DELETED", pod("x", "4"))]
    for etype, obj in events:
        try:
            {"ADDED": one.add, "MODIFIED": one.update, "DELETED": one.delete}[etype](obj)
        except ValueError:
            pass
    errors = many.queue_watch_events(events)
    assert [i for i, _err in errors] == [1]
    assert many.deltas() == one.deltas() and len(many) == 4
    assert many.has_synced()  # a watch event before any replace: populated, nothing initial


# -- unlock_while_processing ---------------------------------------------------------------------

def _locked_while_processing(f):
    """Pop one delta; whether the queue's lock was held while it was processed."""
    return f.pop(lambda deltas, initial: f._lock.locked(), timeout=0)


def test_unlock_while_processing_releases_the_queue_during_a_pop():
    f = RealFIFO(atomic_events=True, unlock_while_processing=True)
    f.add(pod("a"))
    assert _locked_while_processing(f) is False
    f = RealFIFO(atomic_events=True)  # without it, processing runs under the queue's lock
    f.add(pod("a"))
    assert _locked_while_processing(f) is True


def test_unlocking_stops_once_two_batches_wait():
    f = RealFIFO(atomic_events=True, unlock_while_processing=True, batch_size=2)
    for i in range(5):  # 4 still wait after the pop: 2 x batch_size
        f.add(pod(f"p{i}"))
    assert _locked_while_processing(f) is True
    assert _locked_while_processing(f) is False  # 3 wait now


@pytest.mark.integration  # starts a thread
def test_a_writer_gets_through_while_an_unlocked_pop_is_processed():
    f = RealFIFO(atomic_events=True, unlock_while_processing=True)
    f.add(pod("a"))

    def process(deltas, initial):
        t = threading.Thread(target=f.add, args=(pod("late"),), daemon=True)
        t.start()
        wait_for(lambda: len(f) == 1)  # queued while this pop is still being processed
        t.join()
        return True

    assert f.pop(process, timeout=0) is True
    assert pop1(f).object == pod("late")
