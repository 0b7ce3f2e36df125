"""RawObject: an object kept as its wire bytes is indistinguishable from the dict it stands for
(every Mapping read, equality, hashing, copies, pickling, JSON and YAML), read-only at every
level, and its header answers without decoding the body."""

import copy
import json
import pickle

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from kmon.cache import raw_bodies
from kmon.cache.frozen import FrozenDict, FrozenList, freeze, thaw
from kmon.cache.keys import meta_namespace_key, namespace_index, resource_version_of
from kmon.cache.raw_header import UNSET
from kmon.cache.raw_object import STATS, MetadataView, RawObject, dumps, json_default

from .raw_samples import sim_objects

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                           max_leaves=25)
keys = st.sampled_from(["kind", "apiVersion", "metadata", "spec", "status", "data"]) | st.text(max_size=6)
# metadata: the header's keys with their usual types, or anything (the lenient header)
meta_values = st.fixed_dictionaries({}, optional={
    "name": st.text(max_size=8) | scalars, "namespace": st.text(max_size=8) | st.none(),
    "uid": st.text(max_size=8), "resourceVersion": st.text(max_size=6) | scalars,
    "generation": st.integers(min_value=0, max_value=2**40) | scalars,
    "creationTimestamp": st.text(max_size=20) | st.none(), "deletionTimestamp": st.text(max_size=20),
    "labels": st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3) | json_values,
    "annotations": st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
    "ownerReferences": st.lists(st.fixed_dictionaries({"kind": st.text(max_size=5), "name": st.text(max_size=5),
                                                       "uid": st.text(max_size=5), "controller": st.booleans()}),
                                max_size=2) | json_values,
    "managedFields": json_values, "finalizers": st.lists(st.text(max_size=5), max_size=2),
})
objects = st.dictionaries(keys, json_values, max_size=5).flatmap(
    lambda d: st.builds(lambda md, kind: {**d, **({"metadata": md} if md is not None else {}), **kind},
                        st.none() | meta_values | json_values,
                        st.just({}) | st.fixed_dictionaries({"kind": st.text(max_size=5) | scalars})))


@pytest.fixture(autouse=True)
def fresh_stats():
    STATS.reset()
    raw_bodies.RECENT.clear()
    yield


# -- a dict in every way ------------------------------------------------------------------------------

@SETTINGS
@given(d=objects)
def test_any_json_object_reads_as_the_dict_it_was_encoded_from(d):
    raw = orjson.dumps(d)
    o = RawObject(raw)
    assert o == d and d == o and not (o != d)
    assert RawObject(d) == d  # from a mapping
    assert type(o.to_dict()) is dict and o.to_dict() == d
    assert list(o) == list(d) and len(o) == len(d)
    assert list(o.keys()) == list(d.keys())
    assert list(o.values()) == list(d.values())
    assert list(o.items()) == list(d.items())
    assert dict(o) == d
    for k in d:
        assert k in o
        assert o[k] == d[k] and o.get(k) == d[k]
    assert "\x00missing" not in o
    assert o.get("\x00missing") is None and o.get("\x00missing", 5) == 5
    with pytest.raises(KeyError):
        o["\x00missing"]
    md = d.get("metadata")
    if isinstance(md, dict):
        view = o["metadata"]
        assert view == md and md == view
        assert list(view) == list(md) and len(view) == len(md) and dict(view.items()) == md
        for k in ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                  "deletionTimestamp", "labels", "annotations", "ownerReferences", "\x00missing"):
            assert view.get(k) == md.get(k) and (k in view) == (k in md)
            if k in md:
                assert view[k] == md[k]
            else:
                with pytest.raises(KeyError):
                    view[k]
    # serialisation writes the bytes as they came, and nothing else differs
    assert dumps({"x": [o]}) == orjson.dumps({"x": [d]})
    assert orjson.loads(dumps(o)) == d
    assert yaml.safe_dump(o, sort_keys=False) == yaml.safe_dump(d, sort_keys=False)


@SETTINGS
@given(d=objects)
def test_equal_content_in_other_bytes_is_equal_and_hashes_alike(d):
    a = RawObject(orjson.dumps(d))
    b = RawObject(json.dumps(dict(reversed(list(d.items()))), indent=1, ensure_ascii=False))
    assert a.raw != b.raw or not d
    assert a == b and hash(a) == hash(b)
    assert hash(a) == hash(freeze(orjson.loads(a.raw)))
    assert len({a, b}) == 1


def test_different_content_is_not_equal():
    a = RawObject({"kind": "Pod", "metadata": {"name": "a", "resourceVersion": "1"}, "spec": {"x": 1}})
    b = RawObject({"kind": "Pod", "metadata": {"name": "a", "resourceVersion": "1"}, "spec": {"x": 2}})
    c = RawObject({"kind": "Pod", "metadata": {"name": "a", "resourceVersion": "2"}, "spec": {"x": 1}})
    assert a != b and a != c and a != {"kind": "Pod"} and a != [1]
    assert (a == 1) is False


def test_json_numbers_compare_and_hash_as_python_does():
    a, b = RawObject(b'{"n":1,"t":true}'), RawObject(b'{"n":1.0,"t":1}')
    assert a == b and hash(a) == hash(b)


# -- read-only at every level ---------------------------------------------------------------------------

DICT_MUTATIONS = [
    lambda v: v.__setitem__("x", 1), lambda v: v.__delitem__(next(iter(v), "x")), lambda v: v.pop("x", None),
    lambda v: v.popitem(), lambda v: v.setdefault("x", 1), lambda v: v.update(x=1), lambda v: v.clear(),
    lambda v: v.__ior__({"x": 1}),
]
LIST_MUTATIONS = [
    lambda v: v.__setitem__(0, 1), lambda v: v.__delitem__(0), lambda v: v.append(1), lambda v: v.extend([1]),
    lambda v: v.insert(0, 1), lambda v: v.pop(), lambda v: v.remove(1), lambda v: v.sort(), lambda v: v.reverse(),
    lambda v: v.clear(), lambda v: v.__iadd__([1]), lambda v: v.__imul__(2),
]


def _mutable_places(v):
    if isinstance(v, (dict, MetadataView, RawObject)):
        yield v
        for x in v.values():
            yield from _mutable_places(x)
    elif isinstance(v, list):
        yield v
        for x in v:
            yield from _mutable_places(x)


@SETTINGS
@given(d=objects)
def test_every_mutation_at_every_level_raises_type_error(d):
    o = RawObject(orjson.dumps(d))
    with pytest.raises(TypeError):
        o["x"] = 1
    with pytest.raises(TypeError):
        del o["kind"]
    for place in _mutable_places(o):
        if isinstance(place, list):
            assert type(place) is FrozenList
            mutations = LIST_MUTATIONS
        elif isinstance(place, dict):
            assert type(place) is FrozenDict
            mutations = DICT_MUTATIONS
        else:  # RawObject, MetadataView: no mutating method at all
            mutations = [lambda v: v.__setitem__("x", 1), lambda v: v.__delitem__("x")]
        for mutate in mutations:
            with pytest.raises((TypeError, AttributeError)) as info:
                mutate(place)
            assert info.type is TypeError or not isinstance(place, (dict, list))
    assert o == d  # nothing changed


def test_copies_are_plain_and_mutable_and_leave_the_cache_alone():
    d = sim_objects()[4]
    o = RawObject(orjson.dumps(d))
    shallow = copy.copy(o)
    assert type(shallow) is dict and shallow == d
    shallow["status"] = None
    deep = copy.deepcopy(o)
    deep["spec"]["containers"][0]["name"] = "changed"
    status = copy.copy(o["status"])
    status["phase"] = "x"
    assert type(copy.deepcopy(o["metadata"])) is dict
    assert type(thaw(o["spec"])["containers"]) is list
    assert o == d


def test_pickling_keeps_bytes_and_frozenness():
    d = sim_objects()[4]
    o = RawObject(orjson.dumps(d))
    back = pickle.loads(pickle.dumps(o))
    assert type(back) is RawObject and back.raw == o.raw and back == o and hash(back) == hash(o)
    spec = pickle.loads(pickle.dumps(o["spec"]))
    assert type(spec) is FrozenDict and type(spec["containers"]) is FrozenList and spec == d["spec"]
    md = pickle.loads(pickle.dumps(o["metadata"]))
    assert type(md) is FrozenDict and md == d["metadata"]


def test_serialisation_writes_the_received_bytes_verbatim():
    raw = b'{ "kind" : "Pod",\n "metadata": {"name": "a"} }'
    o = RawObject(raw)
    assert dumps({"o": o}) == b'{"o":' + raw + b"}"
    assert orjson.dumps([o], default=json_default) == b"[" + raw + b"]"
    assert orjson.dumps(o.fragment()) == raw
    assert orjson.dumps(o["metadata"], default=json_default) == b'{"name":"a"}'
    with pytest.raises(TypeError):
        json_default(object())


# -- the header: no body decoded ---------------------------------------------------------------------

@pytest.mark.parametrize("d", sim_objects(), ids=lambda d: d["kind"])
def test_header_reads_decode_nothing(d):
    o = RawObject(orjson.dumps(d))
    md = d["metadata"]
    assert o.kind == d["kind"] and o["kind"] == d["kind"] and o.get("apiVersion") == d["apiVersion"]
    assert "kind" in o and "metadata" in o
    assert o.name == md["name"] and o.namespace == md.get("namespace", "")
    assert o.resource_version == md["resourceVersion"] and o.labels == md.get("labels", {})
    assert o.cache_key == (f"{md['namespace']}/{md['name']}" if md.get("namespace") else md["name"])
    view = o["metadata"]
    for k in ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "deletionTimestamp", "labels"):
        assert view.get(k) == md.get(k)
    # what the cache reads of every object
    assert meta_namespace_key(o) == o.cache_key
    assert namespace_index(o) == [md.get("namespace") or ""]
    assert resource_version_of(o) == md["resourceVersion"]
    owners = md.get("ownerReferences")
    if owners:
        assert [(r.kind, r.name, r.uid, r.controller) for r in o.meta.ownerReferences] == \
               [(r["kind"], r["name"], r["uid"], r.get("controller")) for r in owners]
    assert STATS.decodes() == 0 and STATS.summaries == 0
    body_key = next(k for k in d if k not in ("kind", "apiVersion", "metadata"))
    assert o[body_key] == d[body_key]
    assert STATS.bodies == 1


def test_a_body_is_decoded_once_and_only_the_recent_ones_are_kept(monkeypatch):
    monkeypatch.setattr(raw_bodies, "BODY_CACHE", 2)
    objs = [RawObject({"kind": "Pod", "metadata": {"name": str(i)}, "spec": {"i": i}}) for i in range(3)]
    for o in objs:
        assert o["spec"]["i"] == int(o.name)
        assert o["spec"] is o["spec"]  # kept while recent
    assert STATS.bodies == 3
    assert objs[0]["spec"]["i"] == 0  # the oldest was dropped: decoded again
    assert STATS.bodies == 4
    assert objs[2]["spec"]["i"] == 2
    assert STATS.bodies == 4


@pytest.mark.parametrize("d", [
    {"kind": "Pod", "metadata": {"name": "a", "labels": {"x": 1}}},  # a label that is not a string
    {"kind": 5, "metadata": {"name": "a", "generation": 1.5}},
    {"metadata": "not an object"},
    {"metadata": None, "kind": "Pod"},
    {"spec": {}},
    {},
])
def test_objects_the_typed_header_cannot_hold_still_read_as_dicts(d):
    o = RawObject(orjson.dumps(d))
    assert o == d and list(o) == list(d) and dict(o.items()) == d
    for k in ("kind", "apiVersion", "metadata", "spec"):
        assert o.get(k) == d.get(k) and (k in o) == (k in d)
    assert isinstance(o.name, str) and isinstance(o.cache_key, str)


@pytest.mark.parametrize("data,error", [
    (b"[1]", TypeError), (b'"x"', TypeError), (b"{", ValueError), (b"", ValueError),
    (b'{"a":"\xff"}', ValueError), (b'{"a":1} x', ValueError),
])
def test_what_is_not_a_json_object_is_refused(data, error):
    with pytest.raises(error):
        RawObject(data)


def test_header_values_that_repeat_across_objects_are_shared():
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u-1", "controller": True}
    a, b = (RawObject({"kind": "Pod", "metadata": {
        "name": name, "namespace": "team-7", "labels": {"app": "web"}, "creationTimestamp": "2026-01-01T00:00:00Z",
        "ownerReferences": [owner]}}) for name in "ab")
    assert a.namespace is b.namespace and a.labels["app"] is b.labels["app"] and a.kind is b.kind
    assert a.meta.creationTimestamp is b.meta.creationTimestamp
    assert a.meta.ownerReferences is b.meta.ownerReferences and a.meta.ownerReferences[0].name == "web-1"
    assert a.meta.uid is UNSET


def test_sharing_forgets_when_full_and_still_refuses_what_is_not_a_label(monkeypatch):
    from kmon.cache import raw_header

    monkeypatch.setattr(raw_header, "_MAX_SHARED", 2)
    objs = [RawObject({"kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"app": f"a{i % 3}"}}}) for i in range(7)]
    assert [o.labels["app"] for o in objs] == [f"a{i % 3}" for i in range(7)]
    odd = RawObject(b'{"kind":"Pod","metadata":{"name":"x","labels":{"app":1}}}')
    assert not odd.header.exact and odd["metadata"]["labels"] == {"app": 1}
    again = RawObject(b'{"kind":"Pod","metadata":{"name":"y","labels":{"app":"a1"}}}')
    assert again.header.exact and again.labels == {"app": "a1"}


def test_no_attribute_makes_it_look_like_a_tombstone_or_an_enum():
    # kmon tells a DeletedFinalStateUnknown by its ``key``/``obj`` and an enum by its ``value``
    o = RawObject({"kind": "Pod", "metadata": {"name": "a"}})
    assert not hasattr(o, "key") and not hasattr(o, "obj") and not hasattr(o, "value")
