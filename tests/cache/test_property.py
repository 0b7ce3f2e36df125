"""Property (the classic path, client-go 1.32): any sequence of add/update/delete/replace/resync pushed through a DeltaFIFO into
the informer's processing -- the path that ships: ``pop_batch`` of up to ``process_batch``
keys, applied and then told to the delta listeners -- leaves the indexer equal to a plain
model, and both the handler notifications and the delta records replay to the same state."""

from hypothesis import given, settings, strategies as st

from kmon.cache.delta_fifo import DeltaType
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.keys import DeletedFinalStateUnknown

from .fakes import pod
from .helpers import CLASSIC

NAMES = ["a", "b", "c", "d", "e"]
NSS = ["x", "y"]

op = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(NAMES), st.sampled_from(NSS)),
    st.tuples(st.just("update"), st.sampled_from(NAMES), st.sampled_from(NSS)),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.sampled_from(NSS)),
    st.tuples(st.just("replace"), st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NSS)), unique=True, max_size=6)),
    st.tuples(st.just("resync")),
    st.tuples(st.just("pop"), st.integers(min_value=1, max_value=4)),
)


class Mirror:
    """A handler that rebuilds the state from notifications alone."""

    def __init__(self):
        self.state = {}

    def on_add(self, obj, initial):
        self.state[_key(obj)] = obj

    def on_update(self, old, new):
        assert _key(old) == _key(new)
        self.state[_key(new)] = new

    def on_delete(self, obj):
        key = obj.key if isinstance(obj, DeletedFinalStateUnknown) else _key(obj)
        self.state.pop(key, None)


def _key(o):
    return f"{o['metadata']['namespace']}/{o['metadata']['name']}"


class RecordMirror:
    """A delta listener that rebuilds the state from the records alone."""

    def __init__(self):
        self.state = {}

    def __call__(self, records):
        for r in records:
            if r.type is DeltaType.Deleted:
                self.state.pop(r.key, None)
            else:
                self.state[r.key] = r.object


@settings(max_examples=200, deadline=None)
@given(st.lists(op, max_size=40), st.integers(min_value=1, max_value=4))
def test_fifo_plus_informer_converge_to_the_model(ops, process_batch):
    inf = SharedIndexInformer(None, freeze_gc_after_sync=False, gc_policy=False, process_batch=process_batch,
                              features=CLASSIC)
    fifo = inf.fifo
    mirror = Mirror()
    reg = inf.add_event_handler(mirror)
    records = RecordMirror()
    inf.add_delta_listener(records)
    model = {}
    rv = 0

    def drain(n=None):
        while n is None or n > 0:
            if not inf._process_next(timeout=0):
                break
            if n is not None:
                n -= 1
        while True:  # deliver notifications synchronously (the thread is not started)
            try:
                kind, a, b = reg._buf.popleft()
            except IndexError:
                break
            (mirror.on_add if kind == 0 else mirror.on_update if kind == 1 else lambda x, y: mirror.on_delete(x))(a, b)

    for o in ops:
        rv += 1
        if o[0] in ("add", "update"):
            obj = pod(o[1], str(rv), o[2])
            (fifo.add if o[0] == "add" else fifo.update)(obj)
            model[_key(obj)] = obj
        elif o[0] == "delete":
            obj = pod(o[1], str(rv), o[2])
            fifo.delete(obj)
            model.pop(_key(obj), None)
        elif o[0] == "replace":
            objs = [pod(n, str(rv), ns) for n, ns in o[1]]
            fifo.replace(objs, str(rv))
            model = {_key(x): x for x in objs}
        elif o[0] == "resync":
            fifo.resync()
        else:
            drain(o[1])
    drain()
    assert {k: inf.indexer.get_by_key(k)[0] for k in inf.indexer.list_keys()} == model
    assert mirror.state == model
    assert records.state == model
    # the namespace index agrees with the content
    for ns in NSS:
        assert sorted(inf.indexer.index_keys("namespace", ns)) == sorted(k for k in model if k.startswith(ns + "/"))
