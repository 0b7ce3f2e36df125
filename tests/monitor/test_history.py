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


def test_yaml_masks_secrets_unless_revealed():
    s = {"metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}}
    assert "aHVudGVyMg==" not in object_yaml(s, resource="secrets")
    assert "aHVudGVyMg==" in object_yaml(s, resource="secrets", reveal=True)
    assert "aHVudGVyMg==" not in object_yaml({"kind": "Secret", **s})
