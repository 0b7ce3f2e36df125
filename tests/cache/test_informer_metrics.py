"""client-go 1.36's informer metrics (informer_metrics.go): informer_queued_items,
informer_processing_latency_seconds and informer_store_resource_version, on both queues,
timed on a fake clock (the processing "takes" what an index function steps the clock by)."""

import math

import pytest

from kmon.cache.clock import FakeClock
from kmon.cache.delta_fifo import DeltaFIFO
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.informer_metrics import (
    LATENCY_BOUNDS, LatencyHistogram, LatencySnapshot, histogram_quantile, store_rv_metric,
)
from kmon.cache.real_fifo import RealFIFO
from kmon.cache.store import Indexer

from .fakes import pod
from .helpers import CLASSIC, CURRENT, drain
from kmon.cache.features import FeatureGates

BATCHED_ONLY = FeatureGates.for_client_go("1.35")  # RealFIFO, not atomic, batched
PER_DELTA = FeatureGates.for_client_go("1.33")  # RealFIFO popped one delta at a time


def slow_informer(features, clock, seconds_per_object):
    """An informer (not started) whose processing takes ``seconds_per_object`` of ``clock``
    per object written to its indexer (an index function steps the clock)."""

    def costly(obj):
        clock.step(seconds_per_object)
        return []

    return SharedIndexInformer(None, name="pods", features=features, clock=clock, indexers={"cost": costly},
                               freeze_gc_after_sync=False, gc_policy=False)


# -- the histogram ---------------------------------------------------------------------------------

def test_histogram_quantile_interpolates_inside_the_bucket_as_prometheus_does():
    bounds = (0.1, 0.2, 0.4)
    assert histogram_quantile(0.5, (0, 4, 0, 0), bounds) == pytest.approx(0.15)  # half-way in (0.1, 0.2]
    assert histogram_quantile(0.25, (4, 0, 0, 0), bounds) == pytest.approx(0.025)  # first bucket from 0
    assert histogram_quantile(0.99, (1, 0, 0, 3), bounds) == 0.4  # in +Inf: the highest finite bound
    assert math.isnan(histogram_quantile(0.5, (0, 0, 0, 0), bounds))


def test_a_histogram_counts_each_observation_in_its_bucket_and_snapshots_agree():
    h = LatencyHistogram()
    for s in (0.00001, 0.003, 0.003, 30.0):
        h.observe(s)
    snap = h.snapshot()
    assert snap.count == 4 and snap.sum == pytest.approx(30.00601) and snap.last == 30.0
    assert len(snap.buckets) == len(LATENCY_BOUNDS) + 1 and snap.buckets[-1] == 1
    assert snap.buckets[LATENCY_BOUNDS.index(0.005)] == 2 and snap.buckets[0] == 1  # le is inclusive
    prom = snap.as_prometheus()
    assert prom["buckets"]["+Inf"] == 4 and prom["buckets"]["0.005"] == 3 and prom["count"] == 4
    # what came after an earlier snapshot; a reset (counts went down) starts again
    h.observe(0.2)
    later = h.snapshot().since(snap)
    assert later.count == 1 and later.sum == pytest.approx(0.2) and later.quantile(0.5) <= 0.25
    assert LatencySnapshot(1, 0.1, 0.1, snap.buckets[:-1] + (0,)).since(h.snapshot()).count == 1


def test_store_rv_metric_is_clientgos_truncated_integer():
    assert store_rv_metric("") is None and store_rv_metric("abc") is None and store_rv_metric("١٢") is None
    assert store_rv_metric("12345") == 12345
    assert store_rv_metric("9" * 20) == int("9" * 15)  # the last 15 digits: exact as a float


# -- on the queues, fed by hand --------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda lat: DeltaFIFO(known_objects=Indexer(), latency=lat),
    lambda lat: RealFIFO(known_objects=Indexer(), latency=lat),
    lambda lat: RealFIFO(atomic_events=True, unlock_while_processing=True, latency=lat),
], ids=["DeltaFIFO", "RealFIFO", "RealFIFO-atomic-unlocking"])
def test_each_pop_observes_how_long_its_processing_took(make):
    clock = FakeClock()
    lat = LatencyHistogram(clock.monotonic)
    q = make(lat)
    q.add(pod("a"))
    clock.step(5.0)  # waiting in the queue is not processing
    assert q.pop(lambda deltas, initial: clock.step(0.3), timeout=0) is None
    with pytest.raises(RuntimeError):  # a failing process is observed too
        q.add(pod("b"))
        q.pop(lambda deltas, initial: (clock.step(0.002), (_ for _ in ()).throw(RuntimeError("x"))), timeout=0)
    snap = lat.snapshot()
    assert snap.count == 2 and snap.sum == pytest.approx(0.302) and snap.last == pytest.approx(0.002)
    assert snap.buckets[LATENCY_BOUNDS.index(0.5)] == 1 and snap.buckets[LATENCY_BOUNDS.index(0.0025)] == 1


def test_queued_items_are_keys_on_the_deltafifo_and_deltas_on_the_realfifo():
    d, r = DeltaFIFO(known_objects=Indexer()), RealFIFO(known_objects=Indexer())
    for q in (d, r):
        q.add(pod("a", "1"))
        q.update(pod("a", "2"))
        q.add(pod("b", "3"))
    assert len(d) == 2  # unique keys with pending deltas
    assert len(r) == 3  # every delta


# -- through the informer: what InformerStats carries ----------------------------------------------

@pytest.mark.parametrize("gates, pops", [(CLASSIC, 1), (PER_DELTA, 3), (BATCHED_ONLY, 1), (CURRENT, 1)],
                         ids=["1.32", "1.33", "1.35", "1.36"])
def test_informer_stats_carry_the_three_metrics(gates, pops):
    clock = FakeClock()
    inf = slow_informer(gates, clock, 0.01)
    empty = inf.stats()
    assert empty.processing_latency.count == 0 and empty.metrics()["informer_queued_items"] == 0
    inf.fifo.replace([pod("a", "5"), pod("b", "6"), pod("c", "7")], "7")
    queued = inf.stats()
    # the classic queue holds three keys; the atomic one a single ReplacedAll; the others 3 deltas
    assert queued.queue_depth == (1 if gates is CURRENT else 3)
    assert queued.metrics()["informer_queued_items"] == queued.queue_depth
    assert drain(inf) == pops
    st = inf.stats()
    assert st.queue_depth == 0 and st.store_size == 3
    lat = st.processing_latency
    assert lat.count == pops and lat.sum == pytest.approx(0.03)
    m = st.metrics()
    assert m["informer_processing_latency_seconds"]["count"] == pops
    assert m["informer_processing_latency_seconds"]["sum"] == pytest.approx(0.03)
    # the store knows its version on the atomic path only (client-go 1.36's store)
    assert m["informer_store_resource_version"] == (7 if gates is CURRENT else None)
    assert st.as_dict()["processing_latency"]["count"] == pops


def test_a_relist_in_one_pop_shows_as_one_slow_observation_on_the_atomic_path():
    clock = FakeClock()
    inf = slow_informer(CURRENT, clock, 0.001)
    inf.fifo.replace([pod(f"p{i}", str(i)) for i in range(400)], "400")
    drain(inf)
    before = inf.stats().processing_latency
    for i in range(10):
        inf.fifo.update(pod("p1", str(500 + i)))
        drain(inf)
    inf.fifo.bookmark("600")
    drain(inf)
    st = inf.stats()
    assert st.store_resource_version == "600" and st.metrics()["informer_store_resource_version"] == 600
    after = st.processing_latency.since(before)
    assert before.count == 1 and before.quantile(0.99) > 0.25  # the 400-object ReplacedAll: 0.4 s
    assert after.count == 11 and after.quantile(0.5) <= 0.001  # ten updates, and the bookmark (no object)


def test_the_slowest_pop_of_each_second_is_kept_exactly_and_since_gives_the_new_ones():
    clock = FakeClock()
    h = LatencyHistogram(clock.monotonic)
    for cost in (0.001, 0.7, 0.002):  # second 1000: the 0.7 s pop is its peak
        h.timed(clock.step, cost)
    first = h.snapshot()
    assert first.slowest == pytest.approx(0.7)
    clock.step(1.0)
    for cost in (0.003, 0.001):
        h.timed(clock.step, cost)
    later = h.snapshot().since(first)
    assert later.count == 2 and later.slowest == pytest.approx(0.003)  # the 0.7 s belongs to the earlier interval
    for _ in range(20):  # only the last few seconds are kept, in preallocated slots
        clock.step(1.0)
        h.timed(clock.step, 0.0001)
    assert len(h.snapshot().peaks) == 8
