"""DeltaFIFO rules (client-go delta_fifo_test.go, in our own words)."""

import threading

import pytest

from kmon.cache.delta_fifo import Delta, DeltaFIFO, DeltaType as T, FIFOClosedError
from kmon.cache.keys import DeletedFinalStateUnknown as DFSU
from kmon.cache.store import Indexer

from waiting import wait_for

from .fakes import pod


def pop_all(f):
    """Pop until empty; returns [(key, [(type, name-or-key)], is_in_initial_list)]."""
    out = []
    while True:
        got = f.pop(lambda d, initial: (d, initial), timeout=0)
        if got is None:
            return out
        deltas, initial = got
        out.append((f.key_of(deltas[-1].object), [(d.type, _name(d.object)) for d in deltas], initial))


def _name(obj):
    if isinstance(obj, DFSU):
        return ("tombstone", obj.key, obj.obj["metadata"]["resourceVersion"] if obj.obj else None)
    return obj["metadata"]["name"] + "@" + obj["metadata"]["resourceVersion"]


def known(*objs):
    s = Indexer()
    for o in objs:
        s.add(o)
    return s


def test_pop_hands_over_all_deltas_of_a_key_oldest_first_in_queue_order():
    f = DeltaFIFO()
    f.add(pod("a", "1"))
    f.add(pod("b", "2"))
    f.update(pod("a", "3"))
    f.delete(pod("b", "4"))
    assert f.list_keys() == ["default/a", "default/b"]
    got = pop_all(f)
    assert [g[0] for g in got] == ["default/a", "default/b"]
    assert got[0][1] == [(T.Added, "a@1"), (T.Updated, "a@3")]
    assert got[1][1] == [(T.Added, "b@2"), (T.Deleted, "b@4")]


def test_pop_returns_what_process_returns_and_delta_is_a_pair():
    f = DeltaFIFO()
    f.add(pod("a"))
    r = f.pop(lambda deltas, initial: deltas)
    assert r == [Delta(T.Added, pod("a"))]
    assert r[0] == (T.Added, pod("a"))


def test_delete_of_unknown_key_is_ignored():
    f = DeltaFIFO()
    f.delete(pod("a"))
    assert f.list_keys() == []
    f2 = DeltaFIFO(known_objects=known(pod("a", "1")))
    f2.delete(pod("b"))
    f2.delete(pod("a", "2"))
    assert pop_all(f2) == [("default/a", [(T.Deleted, "a@2")], False)]


def test_delete_of_queued_key_without_known_objects_is_kept():
    f = DeltaFIFO()
    f.add(pod("a", "1"))
    f.delete(pod("a", "2"))
    assert pop_all(f)[0][1] == [(T.Added, "a@1"), (T.Deleted, "a@2")]


def test_consecutive_deletes_collapse_keeping_the_more_informative():
    f = DeltaFIFO(known_objects=known(pod("a", "1"), pod("b", "1")))
    f.delete(pod("a", "2"))
    f.delete(DFSU("default/a", pod("a", "1")))  # newer is the tombstone: keep the older
    f.delete(DFSU("default/b", pod("b", "1")))
    f.delete(pod("b", "3"))  # older is the tombstone: keep the newer
    got = pop_all(f)
    assert got[0][1] == [(T.Deleted, "a@2")]
    assert got[1][1] == [(T.Deleted, "b@3")]


def test_replace_queues_replaced_then_tombstones_for_known_objects_missing_from_the_list():
    f = DeltaFIFO(known_objects=known(pod("a", "1"), pod("gone", "1")))
    f.replace([pod("a", "5"), pod("new", "6")], "6")
    got = pop_all(f)
    assert ("default/a", [(T.Replaced, "a@5")], True) in got
    assert ("default/new", [(T.Replaced, "new@6")], True) in got
    assert ("default/gone", [(T.Deleted, ("tombstone", "default/gone", "1"))], True) in got
    assert f.has_synced()


def test_replace_emits_sync_when_replaced_type_is_off():
    f = DeltaFIFO(emit_delta_type_replaced=False)
    f.replace([pod("a", "1")], "1")
    assert pop_all(f)[0][1] == [(T.Sync, "a@1")]


def test_replace_tombstones_queued_only_keys_with_their_newest_object_unwrapped():
    f = DeltaFIFO()
    f.add(pod("q", "1"))
    f.update(pod("q", "2"))
    f.replace([], "3")
    assert pop_all(f)[0][1] == [(T.Added, "q@1"), (T.Updated, "q@2"), (T.Deleted, ("tombstone", "default/q", "2"))]
    # a key whose newest delta is already a tombstone: the inner object is carried over, and
    # the repeated deletion collapses
    f2 = DeltaFIFO(known_objects=known(pod("k", "1")))
    f2.replace([], "2")
    f2.replace([], "3")
    assert pop_all(f2)[0][1] == [(T.Deleted, ("tombstone", "default/k", "1"))]


def test_replace_tombstone_for_known_key_without_object_when_lookup_misses():
    class Lister:
        def list_keys(self):
            return ["default/ghost"]

        def get_by_key(self, key):
            return None, False

    f = DeltaFIFO(known_objects=Lister())
    f.replace([], "1")
    assert pop_all(f)[0][1] == [(T.Deleted, ("tombstone", "default/ghost", None))]


def test_has_synced_counts_the_first_replace():
    f = DeltaFIFO(known_objects=known(pod("old")))
    assert not f.has_synced()
    f.replace([pod("a"), pod("b")], "1")  # 2 keys + 1 tombstone
    assert not f.has_synced()
    flags = []
    for _ in range(3):
        assert not f.has_synced()
        f.pop(lambda d, initial: flags.append(initial))
    assert flags == [True, True, True]
    assert f.has_synced()
    f.add(pod("c"))
    f.pop(lambda d, initial: flags.append(initial))
    assert flags[-1] is False


def test_has_synced_after_empty_replace_and_after_add_before_replace():
    f = DeltaFIFO()
    f.replace([], "1")
    assert f.has_synced()
    g = DeltaFIFO()
    g.add(pod("a"))
    assert g.has_synced()  # populated by the add, no initial count
    g.replace([pod("a"), pod("b")], "2")  # not the first population: no count
    assert g.has_synced()


def test_only_first_replace_sets_the_initial_count():
    f = DeltaFIFO()
    f.replace([pod("a")], "1")
    f.replace([pod("a"), pod("b"), pod("c")], "2")
    f.pop(lambda d, i: None)
    assert f.has_synced()


def test_resync_queues_sync_only_for_keys_without_pending_deltas():
    k = known(pod("a", "1"), pod("b", "1"))
    f = DeltaFIFO(known_objects=k)
    f.update(pod("a", "2"))
    f.resync()
    got = dict((key, d) for key, d, _ in pop_all(f))
    assert got == {"default/a": [(T.Updated, "a@2")], "default/b": [(T.Sync, "b@1")]}
    DeltaFIFO().resync()  # no known objects: nothing to do


def test_pop_timeout_returns_none_without_calling_process():
    f = DeltaFIFO()
    called = []
    assert f.pop(lambda d, i: called.append(d), timeout=0.01) is None
    assert called == []


def test_pop_blocks_until_an_add_arrives():
    f = DeltaFIFO()
    got = []
    started = threading.Event()

    def consumer():
        started.set()
        got.append(f.pop(lambda d, i: d[0].object["metadata"]["name"], timeout=5))

    t = threading.Thread(target=consumer)
    t.start()
    started.wait(5)
    f.add(pod("late"))
    t.join(5)
    assert got == ["late"]


def test_close_wakes_a_blocked_pop_and_closed_queue_still_drains():
    f = DeltaFIFO()
    errors = []

    def consumer():
        try:
            f.pop(lambda d, i: None)
        except FIFOClosedError as e:
            errors.append(e)

    t = threading.Thread(target=consumer)
    t.start()
    f.close()
    t.join(5)
    assert len(errors) == 1 and f.is_closed()
    g = DeltaFIFO()
    g.add(pod("a"))
    g.close()
    assert g.pop(lambda d, i: "ok") == "ok"
    with pytest.raises(FIFOClosedError):
        g.pop(lambda d, i: None)


def test_process_exception_propagates_and_is_not_requeued():
    f = DeltaFIFO()
    f.add(pod("a"))

    def boom(d, i):
        raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        f.pop(boom)
    assert f.list_keys() == [] and f.get_by_key("default/a") == ([], False)


def test_get_by_key_returns_a_copy_and_list_newest_objects():
    f = DeltaFIFO()
    f.add(pod("a", "1"))
    f.update(pod("a", "2"))
    deltas, ok = f.get_by_key("default/a")
    assert ok and len(deltas) == 2
    deltas.clear()
    assert len(f.get_by_key("default/a")[0]) == 2
    assert f.list() == [pod("a", "2")]
    assert f.get(pod("a"))[1]


def test_transformer_applies_before_queueing_but_not_to_tombstones():
    seen = []

    def strip(o):
        seen.append(o["metadata"]["name"])
        return {**o, "spec": None, "transformed": True}

    f = DeltaFIFO(known_objects=known(pod("old")), transformer=strip)
    f.add(pod("a"))
    f.replace([pod("b")], "2")
    got = {}
    while (r := f.pop(lambda d, i: d, timeout=0)) is not None:
        got[f.key_of(r[-1].object)] = r
    assert got["default/a"][0].object["transformed"]
    assert got["default/b"][0].object["transformed"]
    assert isinstance(got["default/old"][0].object, DFSU)
    assert seen == ["a", "b"]


def test_replace_after_a_queued_delete_keeps_the_real_deletion():
    f = DeltaFIFO(known_objects=known(pod("foo", "5"), pod("bar", "6"), pod("baz", "7")))
    f.delete(pod("baz", "7"))
    f.replace([pod("foo", "5")], "0")
    got = {k: d for k, d, _ in pop_all(f)}
    assert got == {
        "default/baz": [(T.Deleted, "baz@7")],
        "default/foo": [(T.Replaced, "foo@5")],
        "default/bar": [(T.Deleted, ("tombstone", "default/bar", "6"))],
    }


def test_a_key_keeps_its_place_in_line():
    f = DeltaFIFO()
    f.add(pod("foo", "10"))
    f.add(pod("bar", "1"))
    f.add(pod("foo", "11"))
    f.add(pod("foo", "13"))
    f.add(pod("zab", "30"))
    assert [k for k, _, _ in pop_all(f)] == ["default/foo", "default/bar", "default/zab"]


def test_key_of_understands_tombstones_and_delta_lists():
    f = DeltaFIFO()
    assert f.key_of(DFSU("ns/x", None)) == "ns/x"
    assert f.key_of([Delta(T.Added, pod("a")), Delta(T.Deleted, DFSU("default/a", None))]) == "default/a"
    assert f.key_of(pod("b", ns="")) == "b"


# -- batches (the reflector's and the informer's hot path) -------------------------------------


def _ops():
    return [
        ("ADDED", pod("a", "1")), ("ADDED", pod("b", "2")), ("MODIFIED", pod("a", "3")),
        ("DELETED", pod("zz", "4")),  # neither queued nor known: ignored
        ("DELETED", pod("b", "5")), ("DELETED", pod("b", "6")),  # two deletions collapse
        ("MODIFIED", pod("k", "7")),  # known only
        ("DELETED", pod("k", "8")), ("ADDED", pod("c", "9")),
    ]


def _state(f):
    return [(k, [(d.type, _name(d.object)) for d in f.get_by_key(k)[0]]) for k in f.list_keys()]


def test_queue_watch_events_queues_exactly_what_single_calls_would():
    single = DeltaFIFO(known_objects=known(pod("k", "0")))
    batch = DeltaFIFO(known_objects=known(pod("k", "0")))
    for etype, obj in _ops():
        {"ADDED": single.add, "MODIFIED": single.update, "DELETED": single.delete}[etype](obj)
    assert batch.queue_watch_events(_ops()) == []
    assert _state(batch) == _state(single)
    assert batch.has_synced() == single.has_synced()


def test_queue_watch_events_reports_a_failing_item_and_queues_the_others():
    f = DeltaFIFO(transformer=lambda o: o if o["metadata"]["name"] != "bad" else 1 / 0)
    errors = f.queue_watch_events([("ADDED", pod("a")), ("ADDED", {"no": "metadata"}), ("ADDED", pod("bad")),
                                   ("MODIFIED", pod("a", "2"))])
    assert [i for i, _ in errors] == [1, 2]
    assert isinstance(errors[1][1], ZeroDivisionError)
    assert _state(f) == [("default/a", [(T.Added, "a@1"), (T.Updated, "a@2")])]


def test_queue_watch_events_wakes_a_waiting_pop():
    f = DeltaFIFO()
    got = []
    t = threading.Thread(target=lambda: got.append(f.pop_batch(lambda b: [k for k, _, _ in b], timeout=5)))
    t.start()
    wait_for(lambda: f._waiters, 5, "pop_batch to wait")
    f.queue_watch_events([("ADDED", pod("a")), ("ADDED", pod("b"))])
    t.join(5)
    assert got and got[0] in (["default/a", "default/b"], ["default/a"])


def test_pop_batch_hands_each_key_what_pop_would():
    def fill():
        f = DeltaFIFO(known_objects=known(pod("gone", "0")))
        f.replace([pod("a", "1"), pod("b", "1"), pod("c", "1")], "1")
        f.update(pod("a", "2"))
        f.add(pod("d", "3"))
        return f

    by_pop = fill()
    expected = []
    while (r := by_pop.pop(lambda d, i: (by_pop.key_of(d), [(x.type, _name(x.object)) for x in d], i), timeout=0)) is not None:
        expected.append(r)
    f = fill()
    got = []
    synced_after = []
    for size in (2, 1, 10):
        f.pop_batch(lambda b: got.extend((k, [(x.type, _name(x.object)) for x in d], i) for k, d, i in b), max_keys=size)
        synced_after.append(f.has_synced())
    assert got == expected
    # the first replace queued 4 keys (3 items + the tombstone of "gone")
    assert synced_after == [False, False, True]
    assert f.pop_batch(lambda b: b, timeout=0) is None
    f.close()
    with pytest.raises(FIFOClosedError):
        f.pop_batch(lambda b: b)


def test_pop_batch_takes_at_most_max_keys_and_leaves_the_rest_queued():
    f = DeltaFIFO()
    for n in "abcde":
        f.add(pod(n))
    assert f.pop_batch(lambda b: [k for k, _, _ in b], max_keys=3) == ["default/a", "default/b", "default/c"]
    assert f.list_keys() == ["default/d", "default/e"]
    with pytest.raises(ZeroDivisionError):
        f.pop_batch(lambda b: 1 / 0)
    assert f.list_keys() == []  # popped keys are not requeued (as pop)
