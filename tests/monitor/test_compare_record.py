"""The recording handler writes down each call exactly as a controller's handler receives it,
keeps the handler's view of the objects, and the deltas and reflector steps that explain it."""

from __future__ import annotations

from kmon.cache.deltas import DeltaType
from kmon.cache.events import DeltaGroup, DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.monitor.compare_causes import cause_label, causes_of, origin
from kmon.monitor.compare_record import Recorder


def pod(name: str, rv: str, uid: str = "u1") -> dict:
    return {"metadata": {"namespace": "ns", "name": name, "resourceVersion": rv, "uid": uid}}


class Tick:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        self.t += 0.5
        return self.t


def test_each_call_is_recorded_as_the_handler_received_it():
    rec = Recorder(clock=Tick())
    rec.on_add(pod("a", "1"), True)
    rec.on_update(pod("a", "1"), pod("a", "2"))
    rec.on_update(pod("a", "2"), pod("a", "2"))
    rec.on_update(pod("a", "2"), pod("a", "3", uid="u2"))
    rec.on_delete(DeletedFinalStateUnknown("ns/a", pod("a", "3")))
    rec.on_add(pod("b", "4"), False)
    rec.on_delete(pod("b", "5"))
    calls = rec.calls
    assert [(c.method, c.key, c.rv, c.old_rv) for c in calls] == [
        ("on_add", "ns/a", "1", ""), ("on_update", "ns/a", "2", "1"), ("on_update", "ns/a", "2", "2"),
        ("on_update", "ns/a", "3", "2"), ("on_delete", "ns/a", "3", ""), ("on_add", "ns/b", "4", ""),
        ("on_delete", "ns/b", "5", ""),
    ]
    assert [c.initial for c in calls if c.method == "on_add"] == [True, False]
    assert [c.resync for c in calls] == [False, False, True, False, False, False, False]
    assert [c.recreated for c in calls].index(True) == 3
    assert [c.tombstone for c in calls if c.method == "on_delete"] == [True, False]
    assert [c.seq for c in calls] == list(range(7)) and calls[0].time == 0.5
    assert rec.view == {}


def test_deltas_and_reflector_steps_explain_the_calls():
    rec = Recorder(clock=Tick())
    group = DeltaGroup(DeltaType.ReplacedAll, "9", updated=1)
    old, new = pod("a", "1"), pod("a", "2")
    rec.on_add(old, True)
    rec.on_update(old, new)
    rec.on_deltas([DeltaRecord(DeltaType.Replaced, "ns/a", old, None, "1", 0.0, True),
                   DeltaRecord(DeltaType.Replaced, "ns/a", new, old, "2", 0.0, False, group)])
    rec.on_reflector_event(ReflectorEvent(ReflectorEventKind.Relist, 0.0, "", {"reason": "watch expired (410)"}))
    rec.on_reflector_event(ReflectorEvent(ReflectorEventKind.WatchStarted, 0.0, "5", {"reason": "watch"}))
    rec.on_reflector_event(ReflectorEvent(ReflectorEventKind.ListFinished, 0.0, "9", {"items": 1}))
    found = causes_of(rec.calls, rec.causes)
    assert [origin(c, found.get(c.seq)) for c in rec.calls] == ["initial", "relist"]
    assert cause_label(rec.calls[1], found[1]) == "relist (ReplacedAll)"
    assert [(m.kind, m.text) for m in rec.marks] == [
        ("Relist", "relist: watch expired (410)"), ("ListFinished", "list done: 1 objects")]
    assert rec.view == {"ns/a": "2"}
