"""The informer on client-go 1.33+'s in-order path: which queue its gates pick (newQueueFIFO),
and how RealFIFO deltas reach the indexer and the handlers (controller_test.go's
processDeltas / processDeltasInBatch / processReplacedAllInfo cases, shared_informer_test.go's
resync rules), driven by hand: the informer is not started, its processing step runs here."""

from dataclasses import replace

import pytest

from kmon.cache.delta_fifo import Delta, DeltaFIFO, DeltaType as T
from kmon.cache.events import DeltaGroup
from kmon.cache.features import FeatureGates
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.options import InformerOptions
from kmon.cache.real_fifo import RealFIFO

from .fakes import pod
from .helpers import CLASSIC, CURRENT, drain, notifications


def informer(features, **kw):
    kw.setdefault("freeze_gc_after_sync", False)
    kw.setdefault("gc_policy", False)
    return SharedIndexInformer(None, name="pods", features=features, **kw)


def handled(features, **kw):
    """An informer and one registered (not started) handler."""
    inf = informer(features, **kw)
    return inf, inf.add_event_handler(_Nothing())


class _Nothing:
    def on_add(self, obj, initial): ...

    def on_update(self, old, new): ...

    def on_delete(self, obj): ...


# -- the path the gates pick ---------------------------------------------------------------------

@pytest.mark.parametrize("version, queue, atomic, batched, unlocking", [
    ("1.32", "DeltaFIFO", None, None, None),
    ("1.33", "RealFIFO", False, False, False),
    ("1.35", "RealFIFO (batched)", False, True, False),
    ("1.36", "RealFIFO (atomic, batched, unlocking)", True, True, True),
])
def test_the_gates_pick_the_queue_as_client_go_does(version, queue, atomic, batched, unlocking):
    gates = FeatureGates.for_client_go(version)
    inf = informer(gates)
    assert inf.features == gates
    assert inf.stats().queue == queue and inf.stats().features == gates
    if atomic is None:
        assert type(inf.fifo) is DeltaFIFO
        return
    f = inf.fifo
    assert type(f) is RealFIFO
    assert (f.atomic_events, f.unlock_while_processing, f.emit_bookmarks) == (atomic, unlocking, atomic)
    assert inf._pop_batches is batched
    # the store keeps its version only with AtomicFIFO
    inf.indexer.bookmark("7")
    assert inf.indexer.last_store_sync_resource_version() == ("7" if atomic else "")


def test_unlocking_without_atomic_events_does_nothing_as_in_client_go():
    inf = informer(replace(CURRENT, atomic_fifo=False))
    assert not inf.fifo.atomic_events and not inf.fifo.unlock_while_processing
    assert inf.stats().queue == "RealFIFO (batched)"


def test_gates_come_from_the_options_or_the_environment(monkeypatch):
    assert informer(None, options=InformerOptions(features=CLASSIC)).features == CLASSIC
    monkeypatch.setenv("KUBE_FEATURE_AtomicFIFO", "false")
    monkeypatch.setenv("KUBE_FEATURE_WatchListClient", "true")
    inf = SharedIndexInformer(None, options=InformerOptions(gc_policy=False))
    assert inf.features.atomic_fifo is False and inf.features.watch_list_client is True
    assert inf.features.source("WatchListClient") == "environment"
    assert not isinstance(inf.fifo, RealFIFO) or not inf.fifo.atomic_events


# -- per-object deltas ----------------------------------------------------------------------------

@pytest.mark.parametrize("gates", [replace(CURRENT, in_order_informers_batch_process=False), CURRENT,
                                   FeatureGates.for_client_go("1.33")], ids=["single", "batched", "not-atomic"])
def test_every_watch_event_is_one_notification_in_arrival_order(gates):
    inf, reg = handled(gates)
    f = inf.fifo
    f.replace([pod("a", "1")], "1")
    drain(inf)
    assert notifications(reg) == [("add", "a@1", True)]
    f.update(pod("a", "2"))
    f.add(pod("b", "3"))
    f.update(pod("a", "4"))
    f.delete(pod("a", "5"))
    f.delete(pod("never-cached", "6"))  # the classic path drops this one; a 1.33+ controller hears it
    drain(inf)
    assert notifications(reg) == [("update", "a@1", "a@2"), ("add", "b@3", False), ("update", "a@2", "a@4"),
                                  ("delete", "a@5"), ("delete", "never-cached@6")]
    assert inf.indexer.list_keys() == ["default/b"]


def test_the_classic_path_merges_nothing_either_but_drops_unknown_deletes():
    inf, reg = handled(CLASSIC)
    inf.fifo.replace([], "1")
    drain(inf)
    inf.fifo.delete(pod("never-cached", "6"))
    inf.fifo.update(pod("a", "2"))
    inf.fifo.update(pod("a", "3"))
    drain(inf)
    assert notifications(reg) == [("add", "a@2", False), ("update", "a@2", "a@3")]


def test_a_batch_is_written_in_one_step_then_notified_in_order():
    inf, reg = handled(CURRENT)
    writes = []
    apply = inf.indexer.apply
    inf.indexer.apply = lambda changes: (writes.append([k for k, _o, _d in changes]), apply(changes))[1]
    inf.fifo.replace([], "1")
    drain(inf)
    for name in "abc":
        inf.fifo.add(pod(name, "2"))
    inf.fifo.delete(pod("b", "3"))  # same key: the next pop (alone: a single delta)
    assert drain(inf) == 2
    assert writes == [["default/a", "default/b", "default/c"]]
    assert notifications(reg) == [("add", "a@2", False), ("add", "b@2", False), ("add", "c@2", False),
                                  ("delete", "b@3")]
    assert inf.indexer.last_store_sync_resource_version() == "3"


def test_a_broken_object_in_a_batch_is_counted_and_the_others_are_applied():
    inf, reg = handled(CURRENT)
    inf.fifo.replace([], "1")
    drain(inf)
    with inf.fifo._lock:  # (a key function that failed only now)
        inf.fifo._items.extend([Delta(T.Added, pod("a", "2")), Delta(T.Added, {"kind": "Pod", "metadata": {}}),
                                Delta(T.Added, pod("c", "3"))])
    drain(inf)
    assert notifications(reg) == [("add", "a@2", False), ("add", "c@3", False)]
    assert inf.stats().errors == {"process": 1}


# -- ReplacedAll -----------------------------------------------------------------------------------

class StoreWitness:
    """A handler noting, at each notification, what the informer's indexer held."""

    def __init__(self, inf):
        self.inf = inf
        self.seen = []

    def _note(self, what):
        self.seen.append((what, sorted(self.inf.indexer.list_keys()), self.inf.indexer.last_store_sync_resource_version()))

    def on_add(self, obj, initial):
        self._note(("add", obj["metadata"]["name"]))

    def on_update(self, old, new):
        self._note(("update", new["metadata"]["name"]))

    def on_delete(self, obj):
        self._note(("delete", obj.key))


def test_a_relist_replaces_the_store_first_then_deletes_then_updates_and_adds_in_list_order():
    inf, reg = handled(CURRENT)
    inf.fifo.replace([pod("p1", "1"), pod("p2", "2"), pod("p3", "3")], "3")
    drain(inf)
    notifications(reg)
    inf.fifo.replace([pod("p4", "6"), pod("p1", "4"), pod("p2", "5")], "6")
    drain(inf)
    got = notifications(reg)
    assert got == [("delete", "tombstone:default/p3"), ("add", "p4@6", False), ("update", "p1@1", "p1@4"),
                   ("update", "p2@2", "p2@5")]
    assert sorted(inf.indexer.list_keys()) == ["default/p1", "default/p2", "default/p4"]


def test_handlers_see_the_whole_new_state_at_every_relist_notification():
    inf = informer(CURRENT)
    witness = StoreWitness(inf)
    reg = inf.add_event_handler(witness)
    inf.fifo.replace([pod("p1", "1"), pod("p3", "3")], "3")
    drain(inf)
    inf.fifo.replace([pod("p4", "6"), pod("p1", "4")], "6")
    drain(inf)
    # deliver as the handler thread would, after the step
    while reg._buf:
        kind, a, b = reg._buf.popleft()
        (witness.on_add if kind == 0 else witness.on_update if kind == 1 else lambda x, y: witness.on_delete(x))(a, b)
    relist = witness.seen[2:]
    assert [what for what, _keys, _rv in relist] == [("delete", "default/p3"), ("add", "p4"), ("update", "p1")]
    assert {(tuple(keys), rv) for _what, keys, rv in relist} == {(("default/p1", "default/p4"), "6")}


def test_a_relist_with_unchanged_versions_notifies_only_handlers_whose_resync_is_due():
    inf = informer(CURRENT)
    quiet = inf.add_event_handler(_Nothing())
    due = inf.add_event_handler(_Nothing(), resync_period=30.0)
    inf.fifo.replace([pod("a", "1"), pod("b", "2")], "2")
    drain(inf)
    notifications(quiet), notifications(due)
    inf._sync_targets = (due,)  # (what _should_resync decides when its period has passed)
    inf.fifo.replace([pod("a", "1"), pod("b", "5")], "5")
    drain(inf)
    assert notifications(quiet) == [("update", "b@2", "b@5")]
    assert notifications(due) == [("update", "a@1", "a@1"), ("update", "b@2", "b@5")]


def test_the_initial_relist_adds_as_initial_list():
    inf, reg = handled(CURRENT)
    inf.fifo.replace([pod("a", "1"), pod("b", "2")], "2")
    assert not inf.has_synced()
    drain(inf)
    assert inf.has_synced()
    assert notifications(reg) == [("add", "a@1", True), ("add", "b@2", True)]
    assert inf.indexer.last_store_sync_resource_version() == "2"
    assert inf.stats().store_resource_version == "2"


def test_a_relist_lacking_a_listed_key_changes_nothing_and_is_counted():
    inf, reg = handled(CURRENT)
    inf.fifo.replace([pod("a", "1")], "1")
    drain(inf)
    notifications(reg)
    inf.fifo.replace([pod("b", "2"), {"kind": "Pod", "metadata": {}}], "2")
    drain(inf)
    assert notifications(reg) == [] and inf.indexer.list_keys() == ["default/a"]
    assert inf.stats().errors == {"process": 1}


def test_relist_records_carry_their_group():
    inf, reg = handled(CURRENT)
    records = []
    inf.add_delta_listener(records.extend)
    inf.fifo.replace([pod("a", "1"), pod("b", "2"), pod("c", "3")], "3")
    drain(inf)
    records.clear()
    inf.fifo.replace([pod("d", "9"), pod("a", "1"), pod("b", "8")], "9")
    drain(inf)
    group = DeltaGroup(T.ReplacedAll, "9", deleted=1, updated=1, added=1, unchanged=1)
    assert [(r.type, r.key, r.resource_version, r.group) for r in records] == [
        (T.Deleted, "default/c", "3", group), (T.Replaced, "default/d", "9", group),
        (T.Replaced, "default/a", "1", group), (T.Replaced, "default/b", "8", group)]
    assert records[0].old_object == pod("c", "3") and records[3].old_object == pod("b", "2")
    assert inf.stats().deltas_processed == 3 + 4


# -- SyncAll and Bookmark -----------------------------------------------------------------------------

def test_a_resync_is_one_sync_all_heard_by_the_handlers_due():
    inf = informer(CURRENT)
    quiet = inf.add_event_handler(_Nothing())
    due = inf.add_event_handler(_Nothing(), resync_period=30.0)
    records = []
    inf.add_delta_listener(records.extend)
    inf.fifo.replace([pod("a", "1"), pod("b", "2")], "2")
    drain(inf)
    notifications(quiet), notifications(due)
    records.clear()
    inf._sync_targets = (due,)
    inf.fifo.resync()
    assert len(inf.fifo) == 1
    drain(inf)
    assert notifications(quiet) == []
    assert sorted(notifications(due)) == [("update", "a@1", "a@1"), ("update", "b@2", "b@2")]
    assert {(r.type, r.group) for r in records} == {(T.Sync, DeltaGroup(T.SyncAll, "2", unchanged=2))}


def test_a_bookmark_moves_the_store_version_and_nothing_else():
    inf, reg = handled(CURRENT)
    records = []
    inf.add_delta_listener(records.extend)
    inf.fifo.replace([pod("a", "1")], "1")
    drain(inf)
    records.clear()
    inf.fifo.bookmark("40")
    drain(inf)
    assert inf.indexer.last_store_sync_resource_version() == "40"
    assert notifications(reg) == [("add", "a@1", True)] and records == []
