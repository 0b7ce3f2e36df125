"""Summary parts: the tree's status text from a RawObject's per-kind part equals the text from
the whole object, for every kind the tree summarises, without decoding the body."""


import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kmon.cache import raw_bodies
from kmon.cache.raw_object import STATS, RawObject
from kmon.cache.raw_summary import SELECTORS
from kmon.monitor.summary import kind_for, summarize

from .raw_samples import sim_objects

KINDS = [*SELECTORS, "Widget", ""]  # and kinds without their own selector, and none at all

any_value = st.recursive(st.none() | st.booleans() | st.integers(-3, 5) | st.sampled_from(["", "True", "x"]),
                         lambda c: st.lists(c, max_size=2) | st.dictionaries(st.sampled_from(["a", "type"]), c, max_size=2),
                         max_leaves=5)
small_ints = st.integers(0, 4) | st.none()
words = st.sampled_from(["", "Running", "Pending", "CrashLoopBackOff", "Completed", "Ready", "Available",
                         "True", "False", "Warning", "ClusterIP", "NodePort"])


def sometimes(strategy, odd=None):
    """Mostly ``strategy``, now and then a value of another JSON type."""
    return st.one_of(strategy, strategy, strategy, odd if odd is not None else any_value)


def noisy(strategy_dict):
    """A dict of some of the given fields, plus fields the summary never reads, or now and
    then something that is not a dict at all."""
    return sometimes(st.fixed_dictionaries({}, optional={**strategy_dict, "noise": any_value, "images": any_value}))


container_status = st.fixed_dictionaries({}, optional={
    "ready": sometimes(st.booleans()), "restartCount": small_ints, "name": words, "image": words,
    "state": st.fixed_dictionaries({}, optional={
        "waiting": st.fixed_dictionaries({}, optional={"reason": words}),
        "terminated": st.fixed_dictionaries({}, optional={"reason": words, "exitCode": small_ints}),
        "running": st.fixed_dictionaries({"startedAt": words})}),
})
condition = st.fixed_dictionaries({"type": words}, optional={"status": words, "reason": words})
statuses = noisy({
    "phase": words, "reason": words, "containerStatuses": sometimes(st.lists(container_status, max_size=3)),
    "conditions": sometimes(st.lists(condition, max_size=3)), "readyReplicas": small_ints, "replicas": small_ints,
    "updatedReplicas": small_ints, "desiredNumberScheduled": small_ints, "numberReady": small_ints,
    "succeeded": small_ints, "active": small_ints, "failed": small_ints,
})
specs = noisy({
    "containers": sometimes(st.lists(st.fixed_dictionaries({"name": words, "image": words}), max_size=3)),
    "replicas": small_ints, "unschedulable": sometimes(st.booleans()), "type": words, "clusterIP": words,
    "ports": st.lists(st.fixed_dictionaries({"port": small_ints}, optional={"protocol": words}), max_size=2),
    "completions": small_ints,
})
metadata = st.fixed_dictionaries({"name": st.just("o")}, optional={
    "namespace": st.just("ns"), "deletionTimestamp": st.just("2026-01-01T00:00:00Z") | st.none(),
    "creationTimestamp": st.just("2026-01-01T00:00:00Z"), "labels": st.just({"a": "b"}),
    "managedFields": any_value, "annotations": st.just({"x": "y"}),
})
def objects(kind):
    return st.builds(lambda fields, md: {**({"kind": kind} if kind else {}), "metadata": md, **fields}, FIELDS, metadata)


FIELDS = st.fixed_dictionaries({}, optional={
        "status": statuses, "spec": specs, "type": words, "reason": words, "message": words | st.just("a\nb" * 50),
        "note": words, "count": small_ints, "series": st.fixed_dictionaries({}, optional={"count": small_ints}) | any_value,
        "data": st.dictionaries(st.sampled_from(["a", "b", "c"]), words, max_size=3) | st.none(),
        "binaryData": st.dictionaries(st.sampled_from(["x"]), words, max_size=1), "stringData": st.just({}),
    })


@pytest.fixture(autouse=True)
def fresh_stats():
    STATS.reset()
    raw_bodies.RECENT.clear()
    yield


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), resource=st.sampled_from(["pods", "nodes", "services", "jobs", "configmaps", "widgets.example.com"]))
def test_a_summary_part_summarises_as_the_whole_object(kind, data, resource):
    d = data.draw(objects(kind))
    o = RawObject(orjson.dumps(d))
    part = o.summary(kind_for(resource))
    assert STATS.decodes() == 0
    assert summarize(part, resource) == summarize(d, resource)


def test_summaries_of_the_sims_objects_decode_no_body():
    objs = sim_objects(11)
    texts = []
    for obj in objs:
        o = RawObject(orjson.dumps(obj))
        texts.append(summarize(o.summary()))
        assert texts[-1] == summarize(obj)
    assert STATS.decodes() == 0 and STATS.summaries == len(objs)
    assert any(texts)


def test_a_part_is_a_fresh_plain_dict_nobody_shares():
    o = RawObject({"kind": "Pod", "metadata": {"name": "a"}, "status": {"phase": "Running"}})
    part = o.summary()
    part["status"]["phase"] = "changed"
    assert o.summary()["status"]["phase"] == "Running" and o["status"]["phase"] == "Running"
