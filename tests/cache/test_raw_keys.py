"""The cache's fast paths for RawObjects (keys, namespace index, versions, the watch loop's
reads) answer exactly as the generic Mapping reads do for the same JSON, without decoding."""

import pytest
from hypothesis import given, settings, strategies as st

from kmon.cache import raw_bodies
from kmon.cache.delta_apply import same_resource_version
from kmon.cache.keys import KeyFuncError, meta_namespace_key, namespace_index, resource_version_of
from kmon.cache.raw_object import RawObject
from kmon.cache.store import _version_of

from .raw_samples import sim_objects

_text = st.one_of(st.none(), st.text(max_size=6), st.integers(0, 3))
_meta = st.fixed_dictionaries({}, optional={"name": _text, "namespace": _text, "resourceVersion": _text})
_objects = st.fixed_dictionaries({}, optional={"kind": st.sampled_from(["Pod", "Table"]), "metadata": st.one_of(st.none(), _meta)})


def outcome(f, *args):
    try:
        return f(*args)
    except KeyFuncError:
        return KeyFuncError
    except Exception as e:  # the generic path's own errors on odd JSON
        return type(e)


@settings(max_examples=100, deadline=None)
@given(_objects, _objects)
def test_fast_paths_answer_as_the_mapping_reads(a, b):
    ra, rb = RawObject(a), RawObject(b)
    assert outcome(meta_namespace_key, ra) == outcome(meta_namespace_key, a)
    assert outcome(namespace_index, ra) == outcome(namespace_index, a)
    assert resource_version_of(ra) == resource_version_of(a)
    assert _version_of(ra) == _version_of(a)
    assert same_resource_version(ra, rb) == same_resource_version(a, b)


@pytest.mark.parametrize("obj", sim_objects(), ids=lambda o: o["kind"])
def test_real_objects_are_keyed_without_a_decode(obj):
    raw = RawObject(obj)
    raw_bodies.STATS.reset()
    assert meta_namespace_key(raw) == meta_namespace_key(obj)
    assert namespace_index(raw) == namespace_index(obj)
    assert resource_version_of(raw) == resource_version_of(obj) == _version_of(raw)
    assert raw_bodies.STATS.decodes() == 0
