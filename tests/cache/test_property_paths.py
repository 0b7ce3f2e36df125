"""Properties of both informer paths (the classic one of client-go 1.32, the in-order ones of
1.33 to 1.36):

- any sequence of queue operations, popped in any rhythm and batch size through the path that
  ships (the informer's own processing step: pop, apply, then the delta listeners), leaves the
  indexer, a handler that rebuilds state from its notifications and a delta listener that
  rebuilds it from the records all equal to a plain model (every path);
- under RealFIFO every watch event yields exactly one handler notification, in arrival order
  (whatever else comes between: bookmarks, resyncs no handler is due for, pops of any size);
- a reflector and informer against a fake server, through any interleaving of writes, dropped
  watches, compactions and restarts, converge to the server's objects (both paths, the
  in-order one with WatchList).
"""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kmon.cache.clock import Clock
from kmon.cache.features import FeatureGates
from kmon.cache.informer import SharedIndexInformer

from waiting import wait_for

from .fakes import FakeCluster, pod
from .helpers import CLASSIC, CURRENT, Mirror, RecordMirror, running

NAMES = ["a", "b", "c", "d", "e"]
NSS = ["x", "y"]

PATHS = {
    "1.32": CLASSIC,
    "1.33": FeatureGates.for_client_go("1.33"),  # RealFIFO, not atomic, one delta per pop
    "1.35": FeatureGates.for_client_go("1.35"),  # ... popped in batches
    "1.36": CURRENT,  # atomic, batched, unlocking
    "1.36-single": replace(CURRENT, in_order_informers_batch_process=False),
}
IN_ORDER = [p for p in PATHS if p != "1.32"]


def _key(o):
    return f"{o['metadata']['namespace']}/{o['metadata']['name']}"


def informer(features, batch_size=None):
    """An informer driven by hand; ``batch_size``: the most a pop takes (a DeltaFIFO's
    ``process_batch`` keys, a RealFIFO's ``batch_size`` deltas)."""
    inf = SharedIndexInformer(None, freeze_gc_after_sync=False, gc_policy=False, features=features,
                              process_batch=batch_size or 3)
    if batch_size is not None and features.in_order_informers:
        inf.fifo.batch_size = batch_size
    return inf


def deliver(reg, handler):
    """Hand a (not started) registration's queued notifications to ``handler``, as its thread would."""
    while reg._buf:
        kind, a, b = reg._buf.popleft()
        if kind == 0:
            handler.on_add(a, b)
        elif kind == 1:
            handler.on_update(a, b)
        else:
            handler.on_delete(a)


def drain(inf, n=None):
    while n is None or n > 0:
        if not inf._process_next(timeout=0):
            return
        if n is not None:
            n -= 1


# -- 1: every path converges to the model -------------------------------------------------------------

queue_op = st.one_of(
    st.tuples(st.sampled_from(["add", "update", "delete"]), st.sampled_from(NAMES), st.sampled_from(NSS)),
    st.tuples(st.just("replace"), st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NSS)), unique=True, max_size=6)),
    st.tuples(st.just("resync")),
    st.tuples(st.just("bookmark")),
    st.tuples(st.just("pop"), st.integers(min_value=1, max_value=4)),
)


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=150, deadline=None)
@given(ops=st.lists(queue_op, max_size=40), batch_size=st.integers(min_value=1, max_value=4))
def test_every_path_leaves_indexer_notifications_and_records_equal_to_the_model(path, ops, batch_size):
    inf = informer(PATHS[path], batch_size)
    fifo = inf.fifo
    mirror, records = Mirror(), RecordMirror()
    reg = inf.add_event_handler(mirror, resync_period=60.0)
    inf._sync_targets = (reg,)  # its resync is due whenever one comes
    inf.add_delta_listener(records)
    model = {}
    for rv, op in enumerate(ops, start=1):
        if op[0] in ("add", "update", "delete"):
            obj = pod(op[1], str(rv), op[2])
            getattr(fifo, op[0])(obj)
            if op[0] == "delete":
                model.pop(_key(obj), None)
            else:
                model[_key(obj)] = obj
        elif op[0] == "replace":
            objs = [pod(n, str(rv), ns) for n, ns in op[1]]
            fifo.replace(objs, str(rv))
            model = {_key(o): o for o in objs}
        elif op[0] == "resync":
            fifo.resync()
        elif op[0] == "bookmark":
            if hasattr(fifo, "bookmark"):
                fifo.bookmark(str(rv))
        else:
            drain(inf, op[1])
            deliver(reg, mirror)
    drain(inf)
    deliver(reg, mirror)
    assert dict(inf.indexer.items()) == model
    assert mirror.state == model
    assert records.state == model
    for ns in NSS:
        assert sorted(inf.indexer.index_keys("namespace", ns)) == sorted(k for k in model if k.startswith(ns + "/"))


# -- 2: one notification per watch event, in order ------------------------------------------------------

watch_op = st.one_of(
    st.tuples(st.sampled_from(["ADDED", "MODIFIED", "DELETED"]), st.sampled_from(NAMES)),
    st.tuples(st.just("run"), st.lists(st.tuples(st.sampled_from(["ADDED", "MODIFIED", "DELETED"]),
                                                 st.sampled_from(NAMES)), min_size=1, max_size=5)),
    st.tuples(st.just("bookmark")),
    st.tuples(st.just("resync")),
    st.tuples(st.just("pop"), st.integers(min_value=1, max_value=4)),
)


class Log:
    def __init__(self):
        self.got = []

    def on_add(self, obj, initial):
        self.got.append(("add", obj))

    def on_update(self, old, new):
        self.got.append(("update", new))

    def on_delete(self, obj):
        self.got.append(("delete", obj))


@pytest.mark.parametrize("path", IN_ORDER)
@settings(max_examples=150, deadline=None)
@given(initial=st.lists(st.sampled_from(NAMES), unique=True, max_size=4), ops=st.lists(watch_op, max_size=30),
       batch_size=st.integers(min_value=1, max_value=5))
def test_under_real_fifo_every_watch_event_is_one_notification_in_arrival_order(path, initial, ops, batch_size):
    inf = informer(PATHS[path], batch_size)
    fifo = inf.fifo
    log = Log()
    reg = inf.add_event_handler(log)  # no resync period: a resync is not for it
    fifo.replace([pod(n, "1", "x") for n in initial], "1")
    drain(inf)
    deliver(reg, log)
    log.got.clear()
    cached = set(initial)
    expected = []
    rv = 1

    def event(etype, name):
        nonlocal rv
        rv += 1
        obj = pod(name, str(rv), "x")
        kind = "delete" if etype == "DELETED" else "update" if name in cached else "add"
        (cached.discard if etype == "DELETED" else cached.add)(name)
        expected.append((kind, obj))
        return obj

    for op in ops:
        if op[0] in ("ADDED", "MODIFIED", "DELETED"):
            obj = event(*op)
            {"ADDED": fifo.add, "MODIFIED": fifo.update, "DELETED": fifo.delete}[op[0]](obj)
        elif op[0] == "run":  # one read of a watch stream: queued in one call
            fifo.queue_watch_events([(etype, event(etype, name)) for etype, name in op[1]])
        elif op[0] == "bookmark":
            rv += 1
            fifo.bookmark(str(rv))
        elif op[0] == "resync":
            inf._sync_targets = ()  # (no handler due)
            fifo.resync()
        else:
            drain(inf, op[1])
    drain(inf)
    deliver(reg, log)
    assert log.got == expected


# -- 3: both paths converge to the server through faults ------------------------------------------------

class QuickClock(Clock):
    """Real time, backoff sleeps capped (fault rounds stay short)."""

    __slots__ = ()

    def sleep(self, seconds, stop_event=None):
        return super().sleep(min(seconds, 0.02), stop_event)


write_op = st.tuples(st.sampled_from(["create", "update", "remove"]), st.sampled_from(NAMES))
server_op = st.one_of(
    write_op,
    st.tuples(st.sampled_from(["compact", "reset_watches", "restart", "bump"])),
    # the informer loses the server, writes happen meanwhile, history is compacted: on its
    # return its version is gone and only a relist (with tombstones) can catch it up
    st.tuples(st.just("outage"), st.lists(write_op, max_size=5), st.booleans()),
)


def apply_server_op(cluster, op):
    name = op[1] if len(op) > 1 else None
    if op[0] == "outage":
        cluster.outage(True)
        for write in op[1]:
            apply_server_op(cluster, write)
        if op[2]:
            cluster.compact()
        cluster.outage(False)
    elif op[0] == "create" and f"default/{name}" not in cluster.objects:
        cluster.create(name)
    elif op[0] == "update" and f"default/{name}" in cluster.objects:
        cluster.update(name)
    elif op[0] == "remove" and f"default/{name}" in cluster.objects:
        cluster.remove(name)
    elif op[0] in ("compact", "reset_watches", "restart", "bump"):
        getattr(cluster, op[0])()


def state(objects):
    return {k: o["metadata"]["resourceVersion"] for k, o in objects}


@pytest.mark.integration  # informer threads
@pytest.mark.parametrize("path", ["1.32", "1.36"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(before=st.lists(server_op, max_size=8), during=st.lists(server_op, max_size=25))
def test_both_paths_converge_to_the_servers_objects_through_any_faults(path, before, during):
    cluster = FakeCluster()
    for op in before:
        apply_server_op(cluster, op)
    inf = SharedIndexInformer(cluster, name="pods", clock=QuickClock(), freeze_gc_after_sync=False, gc_policy=False,
                              features=PATHS[path])
    mirror = Mirror()
    inf.add_event_handler(mirror)
    with running(inf.run, timeout=10):
        wait_for(inf.has_synced, 10)
        for op in during:
            apply_server_op(cluster, op)
        want = state(cluster.objects.items())
        wait_for(lambda: state(inf.indexer.items()) == want and len(inf.fifo) == 0, 10,
                 lambda: f"cache {state(inf.indexer.items())} != server {want}")
        wait_for(lambda: {k: o["metadata"]["resourceVersion"] for k, o in mirror.state.items()} == want, 10,
                 lambda: f"handler {sorted(mirror.state)} != server {want}")
    assert inf.stats().initial_sync == ("WatchList" if path == "1.36" else "LIST")
