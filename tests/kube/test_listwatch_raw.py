"""RestListerWatcher decodes lists and watches into RawObjects (each object kept as its wire
bytes with a decoded header) without decoding any body; ``raw_objects=False`` keeps the
dict decoders (the benchmark's comparison, and scripts that want mutable dicts)."""

from __future__ import annotations

import orjson

from kmon.cache import raw_bodies
from kmon.cache.listwatch import ListOptions
from kmon.cache.raw_object import RawObject
from kmon.kube import RestListerWatcher

from .fakeapi import PODS, chunk, end_chunked, event, pod, send_json, start_chunked
from .test_listwatch_wire import NS_PATH, PATH, pod_list


def managed(p):
    p["metadata"]["managedFields"] = [{"manager": "kubelet", "operation": "Update", "fieldsV1": {"f:status": {}}}]
    return p


def test_list_and_watch_yield_raw_objects_without_body_decodes(fake, fake_client):
    items = [pod("a", "5"), pod("b", "6")]
    fake.routes[PATH] = lambda h, q: (
        send_json(h, 200, pod_list(items, "10")) if "watch" not in q else
        (start_chunked(h), chunk(h, event("ADDED", pod("c", "11")) + event("BOOKMARK", {"metadata": {"resourceVersion": "12"}})),
         end_chunked(h)))
    lw = RestListerWatcher(fake_client, PODS)
    raw_bodies.STATS.reset()
    page = lw.list(ListOptions())
    evs = list(lw.watch(ListOptions()))
    assert [type(i) for i in page.items] == [RawObject, RawObject]
    assert [i.cache_key for i in page.items] == ["default/a", "default/b"] and page.items[0]["kind"] == "Pod"
    assert type(evs[0].object) is RawObject and evs[0].object.resource_version == "11"
    assert type(evs[1].object) is dict  # a bookmark is never cached
    assert raw_bodies.STATS.decodes() == 0
    # the same content as the dict path's
    dicts = RestListerWatcher(fake_client, PODS, raw_objects=False)
    assert dicts.list(ListOptions()).items == page.items
    assert [e.object for e in dicts.watch(ListOptions())] == [e.object for e in evs]
    assert type(dicts.list(ListOptions()).items[0]) is dict


def test_metadata_only_raw_objects_lose_managed_fields_from_the_bytes(fake, fake_client):
    partial = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "3"},
               "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                          "metadata": managed(pod("a", "2", "team"))["metadata"]}]}
    fake.routes[NS_PATH] = lambda h, q: (
        send_json(h, 200, partial) if "watch" not in q else
        (start_chunked(h), chunk(h, event("MODIFIED", managed(pod("a", "4", "team")))), end_chunked(h)))
    lw = RestListerWatcher(fake_client, PODS, namespace="team", metadata_only=True)
    raw_bodies.STATS.reset()
    item = lw.list(ListOptions()).items[0]
    ev = list(lw.watch(ListOptions()))[0].object
    assert raw_bodies.STATS.decodes() == 0
    for obj in (item, ev):
        assert type(obj) is RawObject and obj.kind == "PartialObjectMetadata" and b"managedFields" not in obj.raw
    assert ev.resource_version == "4" and orjson.loads(ev.raw)["metadata"]["name"] == "a"
    kept = RestListerWatcher(fake_client, PODS, namespace="team", metadata_only=True, metadata_shrink=None)
    assert b"managedFields" in kept.list(ListOptions()).items[0].raw
