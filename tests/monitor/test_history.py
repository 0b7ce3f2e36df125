import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmon.cache.events import DeltaRecord
from kmon.monitor.feed import DeltaItem
from kmon.monitor.history import History, object_yaml


def rec(t, o, rv, initial=False, key="ns/a"):
    return DeltaItem("c", "configmaps", DeltaRecord(t, key, o, None, rv, float(rv), initial))


def cm(rv, v, mf=True):
    meta = {"name": "a", "namespace": "ns", "resourceVersion": str(rv)}
    if mf:
        meta["managedFields"] = [{"manager": "x", "time": str(rv)}]
    return {"kind": "ConfigMap", "metadata": meta, "data": {"k": v}}


def test_history_sources_and_diffs():
    h = History()
    h.apply([rec("Added", cm(1, "v0"), "1", initial=True)])
    h.apply([rec("Updated", cm(2, "v1"), "2"), rec("Updated", cm(3, "v2"), "3"),
             rec("Replaced", cm(4, "v3"), "4"), rec("Sync", cm(4, "v3"), "4")])
    es = h.entries("c", "configmaps", "ns/a")
    assert [(e.type, e.source) for e in es] == [
        ("Added", "initial list"), ("Updated", "watch"), ("Updated", "watch"),
        ("Replaced", "relist"), ("Sync", "resync")]
    d = h.diff("c", "configmaps", "ns/a", 1)
    assert "-  k: v0" in d and "+  k: v1" in d and "managedFields" not in d
    assert "managedFields" in h.diff("c", "configmaps", "ns/a", 1, show_managed_fields=True)
    assert "+  k: v0" in h.diff("c", "configmaps", "ns/a", 0)


def test_bounds():
    h = History(per_object=3, capacity=5)
    for i in range(10):
        h.apply([rec("Updated", cm(i, str(i), False), str(i))])
    assert [e.resource_version for e in h.entries("c", "configmaps", "ns/a")] == ["7", "8", "9"]
    for i in range(10):
        h.apply([rec("Added", cm(i, "x", False), str(i), key=f"ns/o{i}")])
    assert len(h) == 5
    assert h.entries("c", "configmaps", "ns/a") == []


def test_the_versions_only_the_history_holds_are_bounded_in_bytes():
    import orjson

    from kmon.cache.raw_object import RawObject

    def raw(name, rv, size=1000):
        o = cm(rv, "x" * size, False)
        o["metadata"]["name"] = name
        return RawObject(orjson.dumps(o))

    one = len(raw("a", 1).raw)
    h = History(capacity=1000, max_bytes=3 * one + 10)
    # current versions cost nothing: 20 objects listed, each still cached
    h.apply([rec("Added", raw(f"o{i}", i), str(i), initial=True, key=f"ns/o{i}") for i in range(20)])
    assert len(h) == 20 and h.held_bytes == 0
    # each update leaves the version it replaced to the history alone
    for i in range(3):
        h.apply([rec("Updated", raw(f"o{i}", 100 + i), str(100 + i), key=f"ns/o{i}")])
    assert h.held_bytes == sum(len(raw(f"o{i}", i).raw) for i in range(3)) and len(h) == 23
    # a fourth replaced version goes over: the oldest entries go until it fits
    h.apply([rec("Deleted", raw("o19", 200), "200", key="ns/o19")])
    assert h.held_bytes <= 3 * one + 10
    # o0's first version was the oldest entry: it went, its current one stays
    assert [e.resource_version for e in h.entries("c", "configmaps", "ns/o0")] == ["100"]
    assert [e.resource_version for e in h.entries("c", "configmaps", "ns/o19")] == ["19", "200"]
    # a resync hands the cached object itself again: it replaces nothing
    cur = h.entries("c", "configmaps", "ns/o5")[-1].object
    before = h.held_bytes
    h.apply([rec("Sync", cur, "5", key="ns/o5") for _ in range(3)])
    assert h.held_bytes == before
    # dicts (a replay's objects) are bounded by count alone
    d = History(capacity=1000, max_bytes=1)
    for i in range(10):
        d.apply([rec("Updated", cm(i, str(i), False), str(i))])
    assert len(d) == 10 and d.held_bytes == 0


def test_yaml_masks_secrets_unless_revealed():
    s = {"metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}}
    assert "aHVudGVyMg==" not in object_yaml(s, resource="secrets")
    assert "aHVudGVyMg==" in object_yaml(s, resource="secrets", reveal=True)
    assert "aHVudGVyMg==" not in object_yaml({"kind": "Secret", **s})


def _pods_history(gates):
    from driven import Driven, pod

    from kmon.cache.events import ReflectorEvent, ReflectorEventKind
    from kmon.monitor.feed import ReflectorItem

    d = Driven(gates)
    h = History()
    h.apply([ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.ListFinished, 1.0, "10", {}))])
    d.relist([pod("a", rv="1"), pod("b", rv="2"), pod("c", rv="3")], "10")
    d.update(pod("a", rv="11"))
    h.apply(d.take())
    h.apply([ReflectorItem("c", "pods", ReflectorEvent(ReflectorEventKind.ListFinished, 2.0, "812", {}))])
    d.relist([pod("a", rv="12"), pod("b", rv="2")], "812")
    d.resync()
    h.apply(d.take())
    return {k: [e.note for e in h.entries("c", "pods", f"default/{k}")] for k in "abc"}


@pytest.mark.parametrize("version", ["1.32", "1.36"])
def test_each_object_s_history_tells_its_part_of_a_relist_and_the_call_handlers_got(version):
    from kmon.cache.features import FeatureGates

    got = _pods_history(FeatureGates.for_client_go(version))
    resync = ["resync: unchanged (resync on_update)"] * 2
    assert got["a"] == ["initial list at rv 10: added (on_add, initial list)", "watch: updated rv 1 → 11 (on_update)",
                        "relist at rv 812: updated rv 11 → 12 (on_update)", *resync[:1]]
    assert got["b"] == ["initial list at rv 10: added (on_add, initial list)",
                        "relist at rv 812: unchanged (resync on_update)", *resync[:1]]
    assert got["c"] == ["initial list at rv 10: added (on_add, initial list)",
                        "relist at rv 812: deleted, final state unknown (on_delete with a tombstone)"]


def _raw_cm(name, rv, size):
    import orjson

    from kmon.cache.raw_object import RawObject

    o = cm(rv, "x" * size, False)
    o["metadata"]["name"] = name
    return RawObject(orjson.dumps(o))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(["Added", "Updated", "Deleted", "Sync", "Replaced"]),
                                             st.integers(0, 5), st.integers(0, 400)), max_size=12), st.booleans()),
                max_size=12),
       st.integers(1, 6), st.integers(1, 15), st.integers(200, 3000))
def test_entries_are_made_only_for_deltas_that_outlive_the_fold(batches, per_object, capacity, max_bytes):
    """The history makes its entries when somebody reads, and only for the deltas whose
    entries the fold would keep (``History._survivors``): whatever the reads, bounds and
    deltas (resyncs handing the cached object again included), it holds what making every
    entry and evicting would hold, and the bounds hold."""
    lazy = History(per_object=per_object, capacity=capacity, max_bytes=max_bytes)
    every = History(per_object=per_object, capacity=capacity, max_bytes=max_bytes)
    every._survivors = lambda pending, by_bytes=True: (list(pending), False)  # every delta an entry; the fold evicts
    cached: dict[str, object] = {}
    rv = 0
    keys = [f"ns/o{i}" for i in range(6)]

    def state(h):
        return (len(h), h.held_bytes, {k: [(e.type, e.resource_version, e.held, e.note)
                                           for e in h.entries("c", "configmaps", k)] for k in keys})

    for batch, read in batches:
        items = []
        for typ, who, size in batch:
            rv += 1
            key = keys[who]
            obj = cached[key] if typ == "Sync" and key in cached else _raw_cm(f"o{who}", rv, size)
            cached[key] = obj
            items.append(rec(typ, obj, str(rv), key=key))
        lazy.apply(items)
        every.apply(items)
        if read:
            assert state(lazy) == state(every)
            assert len(lazy) <= capacity and lazy.held_bytes <= max_bytes
            assert all(len(lazy.entries("c", "configmaps", k)) <= per_object for k in keys)
    assert state(lazy) == state(every)


def test_unread_deltas_wait_in_bounded_room():
    h = History(per_object=2, capacity=10)
    for i in range(5000):
        h.apply([rec("Updated", cm(i, "x", False), str(i), key=f"ns/o{i % 7}")])
        assert len(h._pending) <= 4 * 10 + 1024
    # the ten newest (per object at most two): 4990..4999 (dicts: a replay's, bounded by count)
    assert len(h) == 10 and [e.resource_version for e in h.entries("c", "configmaps", "ns/o3")] == ["4994"]
    assert [e.resource_version for e in h.entries("c", "configmaps", "ns/o6")] == ["4990", "4997"]


def test_unread_churn_keeps_the_replaced_versions_bounded():
    """Nobody reads, the cache churns: the deltas fold once the versions they replaced
    would pass max_bytes, so what only the history keeps alive stays bounded."""
    one = len(_raw_cm("o0", 1, 1000).raw)
    h = History(capacity=1000, max_bytes=20 * one)
    current: dict[str, object] = {}
    for i in range(2000):
        key = f"ns/o{i % 50}"
        current[key] = obj = _raw_cm(f"o{i % 50}", i + 1, 1000)
        h.apply([rec("Added" if i < 50 else "Updated", obj, str(i + 1), key=key)])
        # every version the history keeps alive (waiting deltas and entries), less the cached ones
        kept = {id(it.record.object): it.record.object for it, _ in h._pending}
        kept.update((id(e.object), e.object) for es in h._by_key.values() for e in es)
        extra = sum(len(o.raw) for k, o in kept.items() if k not in {id(c) for c in current.values()})
        assert extra <= 20 * one + one
    assert len(h) <= 1000 and h.held_bytes <= 20 * one
