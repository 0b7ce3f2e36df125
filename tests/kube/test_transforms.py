"""The informer transforms work on cached RawObjects (the cache's representation) as on
dicts: a transform gets the object and returns the one to cache (client-go's SetTransform)."""

import orjson

from kmon.cache import raw_bodies
from kmon.cache.raw_object import RawObject
from kmon.kube import transforms


def pod():
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "team", "resourceVersion": "7", "labels": {"app": "web"},
                         "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}}


def test_drop_managed_fields_on_raw_object_without_decoding():
    obj = RawObject(pod())
    raw_bodies.STATS.reset()
    slim = transforms.drop_managed_fields(obj)
    assert raw_bodies.STATS.decodes() == 0  # the bytes are spliced, nothing decoded
    assert type(slim) is RawObject and b"managedFields" not in slim.raw
    expected = pod()
    del expected["metadata"]["managedFields"]
    assert slim == expected and slim.cache_key == "team/p" and slim.resource_version == "7"
    assert "managedFields" in obj["metadata"]  # the input is not changed


def test_compact_and_intern_on_raw_objects_and_dicts_agree():
    raw = transforms.compact(RawObject(pod()))
    d = transforms.compact(pod())
    assert raw == d and "managedFields" not in d["metadata"]
    obj = RawObject(pod())
    assert transforms.intern_metadata(obj) is obj  # the header shares its strings already


def test_raw_object_without_managed_fields_returned_as_is():
    p = pod()
    del p["metadata"]["managedFields"]
    obj = RawObject(orjson.dumps(p))
    assert transforms.drop_managed_fields(obj) is obj
