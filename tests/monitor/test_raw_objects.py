"""The monitor reads cached RawObjects (objects kept as their wire bytes) as it reads dicts:
status summaries from the per-kind part, versions and names from the header, recordings
write the bytes unparsed, YAML, diffs and revealed Secret values decode on demand."""

from __future__ import annotations

import base64
import time

import orjson

from kmon.cache import raw_bodies
from kmon.cache.delta_fifo import DeltaType
from kmon.cache.events import DeltaRecord
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.cache.raw_object import RawObject
from kmon.monitor.feed import DeltaItem
from kmon.monitor.history import History, diff_objects, object_yaml
from kmon.monitor.journal_rows import metadata_of, row_from_item
from kmon.monitor.recording_format import dumps_record, item_from_record, record_from_item
from kmon.monitor.secret_values import decoded_secret
from kmon.monitor.summary import summarize
from kmon.monitor.verify import _rv

from .helpers import pod


def running_pod(rv="7"):
    return pod("web-1", "shop", rv, spec={"containers": [{"name": "a"}, {"name": "b"}]},
               status={"phase": "Running", "containerStatuses": [
                   {"ready": True, "restartCount": 2, "state": {"running": {}}},
                   {"ready": False, "restartCount": 0, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]})


def raw(obj):
    return RawObject(orjson.dumps(obj))


def item(obj, typ="Updated", rv=""):
    key = "shop/web-1"
    return DeltaItem("c", "pods", DeltaRecord(DeltaType(typ), key, obj, None, rv, time.time(), False))


def test_summary_of_a_raw_object_is_the_dicts_without_a_body_decode():
    d = running_pod()
    obj = raw(d)
    raw_bodies.STATS.reset()
    assert summarize(obj, "pods") == summarize(d, "pods") != ""
    assert raw_bodies.STATS.decodes() == 0 and raw_bodies.STATS.summaries == 1
    no_kind = {k: v for k, v in d.items() if k not in ("kind", "apiVersion")}
    assert summarize(raw(no_kind), "pods") == summarize(no_kind, "pods") != ""


def test_versions_and_metadata_read_from_the_header():
    obj = raw(running_pod("42"))
    raw_bodies.STATS.reset()
    assert _rv(obj) == "42"
    assert metadata_of(obj)["name"] == "web-1"
    row = row_from_item(item(obj))  # a record without its own resourceVersion
    assert (row.namespace, row.name, row.resource_version) == ("shop", "web-1", "42")
    tomb = row_from_item(item(DeletedFinalStateUnknown("shop/web-1", obj), "Deleted"))
    assert tomb.resource_version == "42" and "final state unknown" in tomb.detail
    assert raw_bodies.STATS.decodes() == 0


def test_recording_writes_the_bytes_verbatim_and_replays_them():
    obj = RawObject(b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","resourceVersion":"7"},'
                    b'"status":{"phase":"Running"}}')
    raw_bodies.STATS.reset()
    line = dumps_record(record_from_item(item(obj)))
    assert obj.raw in line and raw_bodies.STATS.decodes() == 0  # written as received, never re-encoded
    back = item_from_record(orjson.loads(line))
    assert back.record.object == obj and back.record.resource_version == "7"


def test_recorded_secret_is_masked():
    s = raw({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
             "data": {"password": "aHVudGVyMg=="}})
    line = dumps_record(record_from_item(item(s)))
    assert b"aHVudGVyMg==" not in line and orjson.loads(line)["object"]["data"] == {"password": "••••••"}


def test_yaml_and_diffs_of_raw_objects_equal_the_dicts():
    a, b = running_pod("7"), running_pod("8")
    b["metadata"]["managedFields"] = [{"manager": "kubelet"}]
    b["status"]["phase"] = "Failed"
    assert object_yaml(raw(b)) == object_yaml(b) and "managedFields" not in object_yaml(raw(b))
    assert "managedFields" in object_yaml(raw(b), show_managed_fields=True)
    assert diff_objects(raw(a), raw(b)) == diff_objects(a, b) != ""
    h = History()
    h.apply([item(raw(a), "Added"), item(raw(b))])
    assert [type(e.object) for e in h.entries("c", "pods", "shop/web-1")] == [RawObject, RawObject]
    assert "+  phase: Failed" in h.diff("c", "pods", "shop/web-1", 1)


def test_revealed_secret_values_are_decoded():
    s = raw({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
             "data": {"password": base64.b64encode(b"hunter2").decode()}})
    assert decoded_secret(s)["data"] == {"password": "hunter2"}
