"""The comparison's analysis on synthetic notification streams: calls are aligned per object by
resourceVersion, and each difference gets the kind that says why (a relist's skipped version,
a tombstone, a resync on one side, ...); the order across objects, the counts per handler
method, the first divergence and the cache check."""

from __future__ import annotations

import json

from kmon.monitor.compare_analysis import KINDS, analyse, check_caches
from kmon.monitor.compare_causes import causes_of, cause_label
from kmon.monitor.compare_record import ADD, DELETE, UPDATE, Cause, HeardCall, Side
from kmon.monitor.compare_text import KIND_TEXT, TIMING_KINDS, call_text, record, verdict


class Stream:
    """Builds one side's calls (and the deltas that caused them) in order."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.calls: list[HeardCall] = []
        self.causes: list[Cause] = []

    def _t(self) -> float:
        return len(self.calls) * 0.1

    def add(self, key: str, rv: str, *, initial: bool = False, delta: str = "Added", group: str = "") -> "Stream":
        self.causes.append(Cause(key, delta, group, rv, None, False, self._t()))
        self.calls.append(HeardCall(len(self.calls), self._t(), ADD, key, rv, initial=initial))
        return self

    def update(self, key: str, old: str, rv: str, *, delta: str = "Updated", group: str = "",
               recreated: bool = False) -> "Stream":
        self.causes.append(Cause(key, delta, group, rv, old, False, self._t()))
        self.calls.append(HeardCall(len(self.calls), self._t(), UPDATE, key, rv, old_rv=old, recreated=recreated))
        return self

    def delete(self, key: str, rv: str, *, tombstone: bool = False, cached: bool = True, group: str = "") -> "Stream":
        self.causes.append(Cause(key, "Deleted", group, rv, rv if cached else None, True, self._t()))
        self.calls.append(HeardCall(len(self.calls), self._t(), DELETE, key, rv, tombstone=tombstone))
        return self

    def side(self, objects: dict[str, str] | None = None) -> Side:
        objects = dict(objects or {})
        return Side(self.label, "q", "LIST", "", tuple(self.calls), tuple(self.causes), (), objects, dict(objects))


def initial(label: str, **objects: str) -> Stream:
    s = Stream(label)
    for key, rv in objects.items():
        s.add(key, rv, initial=True, delta="Replaced")
    return s


def kinds_of(c) -> list[tuple[str, str]]:
    return [(r.kind, r.key) for r in c.rows if r.differs]


def test_the_same_calls_in_the_same_order_are_the_same():
    a = initial("1.32", x="1", y="2").update("x", "1", "3").delete("y", "4")
    b = initial("1.36", x="1", y="2").update("x", "1", "3").delete("y", "4")
    c = analyse(a.side({"x": "3"}), b.side({"x": "3"}))
    assert c.same and c.kinds == {} and c.reordered == 0 and c.first_divergence is None
    assert c.caches.equal and "same notifications in the same order" in verdict(c)
    assert [r.kind for r in c.rows] == ["same"] * 4


def test_a_relist_skips_the_versions_in_between_and_the_watch_side_heard_them():
    a = initial("1.32", x="1").update("x", "1", "2").update("x", "2", "3")  # watched
    b = initial("1.36", x="1").update("x", "1", "3", delta="Replaced", group="ReplacedAll")  # relisted
    c = analyse(a.side({"x": "3"}), b.side({"x": "3"}))
    assert kinds_of(c) == [("collapsed", "x"), ("collapsed", "x")]
    skipped, paired = [r for r in c.rows if r.differs]
    assert skipped.a.rv == "2" and skipped.b is None
    assert (paired.a.old_rv, paired.b.old_rv) == ("2", "1")  # the same version, from another old one
    assert cause_label(paired.b, paired.cause_b) == "relist (ReplacedAll)"
    assert c.first_divergence is skipped


def test_a_delete_found_by_a_relist_is_a_tombstone_on_that_side_only():
    a = initial("1.32", x="1").delete("x", "5")
    b = initial("1.36", x="1").delete("x", "1", tombstone=True, group="ReplacedAll")
    c = analyse(a.side(), b.side())
    assert kinds_of(c) == [("tombstone", "x")]
    row = c.differences[0]
    assert call_text(row.b) == "on_delete 1 (DeletedFinalStateUnknown)" and call_text(row.a) == "on_delete 5"


def test_resync_deliveries_and_a_relists_unchanged_objects_on_one_side():
    a = initial("1.32", x="1", y="2").update("x", "1", "1", delta="Sync").update("y", "2", "2", delta="Replaced")
    b = initial("1.36", x="1", y="2")
    c = analyse(a.side({"x": "1", "y": "2"}), b.side({"x": "1", "y": "2"}))
    assert sorted(kinds_of(c)) == [("relist_unchanged", "y"), ("resync", "x")]
    assert c.counts[0]["on_update resync"] == 1 and c.counts[0]["on_update relist unchanged"] == 1
    assert "on_update resync" not in c.counts[1]


def test_an_object_recreated_during_a_relist_is_one_update_on_that_side():
    a = initial("1.32", x="1").delete("x", "5").add("x", "6")
    b = initial("1.36", x="1").update("x", "1", "6", delta="Replaced", group="ReplacedAll", recreated=True)
    c = analyse(a.side({"x": "6"}), b.side({"x": "6"}))
    assert sorted(kinds_of(c)) == [("recreated", "x"), ("recreated", "x")]
    assert "new uid" not in call_text(c.differences[-1].b) and "(recreated)" in call_text(c.differences[-1].b)


def test_a_delete_of_an_object_never_cached_and_an_object_only_one_side_heard_of():
    a = initial("1.32", x="1")
    b = initial("1.36", x="1").delete("ghost", "7", cached=False)
    c = analyse(a.side({"x": "1"}), b.side({"x": "1"}))
    assert kinds_of(c) == [("unknown_delete", "ghost")]
    a = initial("1.32", x="1").add("brief", "8").delete("brief", "9").update("x", "1", "10")
    b = initial("1.36", x="1").update("x", "1", "10", delta="Replaced")
    c = analyse(a.side({"x": "10"}), b.side({"x": "10"}))
    assert kinds_of(c) == [("lifetime", "brief"), ("lifetime", "brief")]


def test_a_later_initial_state_is_timing_not_the_path():
    a = initial("1.32", x="1").update("x", "1", "2")
    b = initial("1.36", x="2")
    c = analyse(a.side({"x": "2"}), b.side({"x": "2"}))
    assert kinds_of(c) == [("initial_state", "x"), ("initial_state", "x")]
    assert TIMING_KINDS >= set(c.kinds) and "due to when each started or stopped" in verdict(c)


def test_the_same_calls_in_another_order_across_objects_are_reordered_not_different():
    a = initial("1.32", x="1", y="2", z="3").update("x", "1", "4", delta="Replaced").update(
        "y", "2", "5", delta="Replaced").delete("z", "3", tombstone=True)
    b = initial("1.36", x="1", y="2", z="3").delete("z", "3", tombstone=True, group="ReplacedAll").update(
        "x", "1", "4", delta="Replaced", group="ReplacedAll").update("y", "2", "5", delta="Replaced", group="ReplacedAll")
    c = analyse(a.side({"x": "4", "y": "5"}), b.side({"x": "4", "y": "5"}))
    assert c.kinds == {} and c.reordered == 1
    moved = [r for r in c.rows if r.kind == "reordered"]
    assert [r.key for r in moved] == ["z"]
    assert "another order" in verdict(c) and c.first_divergence is moved[0]


def test_counts_per_handler_method_and_flavour():
    s = initial("1.36", x="1", y="2").add("z", "3").update("x", "1", "4").update("y", "2", "2", delta="SyncAll")
    s.delete("z", "5").delete("y", "2", tombstone=True)
    c = analyse(s.side(), initial("1.32").side())
    assert c.counts[0] == {
        "on_add": 3, "on_add initial": 2, "on_add later": 1, "on_update": 2, "on_update change": 1,
        "on_update resync": 1, "on_delete": 2, "on_delete watch": 1, "on_delete tombstone": 1,
    }


def test_a_delta_that_produced_no_call_is_skipped_when_pairing_calls_with_deltas():
    s = initial("1.32", x="1")
    s.causes.append(Cause("x", "Sync", "", "1", "1", False, 0.5))  # a resync this handler was not due
    s.update("x", "1", "2")
    found = causes_of(s.calls, s.causes)
    assert found[1].type == "Updated" and found[0].type == "Replaced"


def test_the_caches_are_checked_against_each_other_and_the_server():
    a, b = initial("1.32", x="1").side({"x": "1"}), initial("1.36", x="1").side({"x": "1"})
    assert check_caches(a, b, {"x": "1"}).equal
    bad = check_caches(a, b, {"x": "2", "y": "3"})
    assert not bad.equal and bad.server_checked
    assert bad.problems[0] == "1.32 cache differs from the server: lacks y; has other versions of x"
    c = analyse(a, initial("1.36").side({}))
    assert not c.caches.equal and "CACHES DIFFER" in verdict(c)


def test_every_kind_has_words_and_the_record_is_json():
    assert set(KIND_TEXT) == set(KINDS) | {"reordered"}
    a = initial("1.32", x="1").update("x", "1", "2")
    b = initial("1.36", x="1").update("x", "1", "2", delta="Replaced").update("x", "2", "2", delta="Replaced")
    rec = record(analyse(a.side({"x": "2"}), b.side({"x": "2"})), resource="pods")
    assert json.loads(json.dumps(rec))["differences"] == {"relist_unchanged": 1}
    assert rec["rows"][0]["b"]["resync"] is True and rec["a"]["label"] == "1.32"
