"""The raw decoders fail where and as today's dict decoders do (kmon.kube's RestWatch and
RestListerWatcher, run side by side on the same bytes), produce RawObjects equal to their
dicts, and the informer's hot path (watch handling, queues, indexer, handlers) decodes no
body from them."""


import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kmon.cache import raw_bodies
from kmon.cache.errors import ApiStatusError
from kmon.cache.raw_decode import DecodeOptions, WatchDecodeError, WatchDecoder, decode_list, without_managed_fields
from kmon.cache.raw_object import STATS, RawObject
from kmon.cache.watch_handler import handle_watch
from kmon.kube import transforms
from kmon.kube.discovery import ApiResource
from kmon.kube.listwatch import RestListerWatcher
from kmon.kube.dict_decode import DictWatchDecoder, partial_object_metadata

from .helpers import CLASSIC, CURRENT
from .raw_samples import sim_pods

PODS = ApiResource(group="", version="v1", kind="Pod", plural="pods", namespaced=True, short_names=("po",),
                   verbs=("get", "list", "watch"), singular="pod", versions=("v1",))


@pytest.fixture(autouse=True)
def fresh_stats():
    STATS.reset()
    raw_bodies.RECENT.clear()
    yield


def today_watch(metadata_only=False):
    """kmon.kube's dict watch decoder as RestListerWatcher(raw_objects=False) configures it."""
    return DictWatchDecoder(metadata_only, transforms.compact if metadata_only else None)


def today_lister(metadata_only=False):
    lw = RestListerWatcher.__new__(RestListerWatcher)
    lw.resource = PODS
    lw._path = "/api/v1/pods"
    lw.metadata_only = metadata_only
    lw.metadata_shrink = transforms.compact if metadata_only else None
    lw.fill_type_meta = True
    lw.raw_objects = False
    return lw


class Resp:
    def __init__(self, status=200, ctype="application/json"):
        self.status = status
        self.headers = {"Content-Type": ctype}


def event(etype, obj):
    return orjson.dumps({"type": etype, "object": obj})


def same_watch_outcome(lines, metadata_only=False):
    old_events, old_err = today_watch(metadata_only).decode(lines)
    options = DecodeOptions(metadata_only=metadata_only, drop_managed_fields=metadata_only)
    new_events, new_err = WatchDecoder(options).decode(lines)
    assert [e.type for e in new_events] == [e.type for e in old_events]
    for a, b in zip(new_events, old_events):
        assert a.object == b.object
        if a.type in ("ADDED", "MODIFIED", "DELETED"):
            assert type(a.object) is RawObject
        else:
            assert type(a.object) is dict  # BOOKMARK and ERROR objects are not cached
    # the same error, in its own class until kmon.kube's WatchDecodeError becomes this one
    assert (new_err is None) == (old_err is None)
    if old_err is not None:
        assert isinstance(new_err, WatchDecodeError) and isinstance(new_err, (ApiStatusError, ValueError))
        assert new_err.code == old_err.code == 500 and new_err.reason == old_err.reason
        # the same sentence; a JSON syntax error names the decoder's own diagnosis
        assert new_err.message.split("(")[0] == old_err.message.split("(")[0]
        assert new_err.message.split("): ")[-1] == old_err.message.split("): ")[-1]
    return new_events, new_err


# -- watch lines ---------------------------------------------------------------------------------------

P = sim_pods()
BAD_LINES = {
    "not JSON": b'{"type":"ADDED","object":{"metadata":',
    "not UTF-8 inside the object": b'{"type":"ADDED","object":{"metadata":{"name":"a"},"spec":"\xff"}}',
    "not an event object": b"[1,2]",
    "no object": b'{"type":"ADDED"}',
    "object not an object": b'{"type":"ADDED","object":[1]}',
    "no metadata": b'{"type":"MODIFIED","object":{"kind":"Pod"}}',
    "metadata not an object": b'{"type":"MODIFIED","object":{"kind":"Pod","metadata":"x"}}',
    "no name": b'{"type":"DELETED","object":{"kind":"Pod","metadata":{"namespace":"a"}}}',
    "empty name": b'{"type":"ADDED","object":{"metadata":{"name":""}}}',
    "bookmark without version": b'{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{}}}',
    "unknown type": b'{"type":"CHANGED","object":{"metadata":{"name":"a"}}}',
    "type not a string": b'{"type":5,"object":{"metadata":{"name":"a"}}}',
    "trailing garbage": b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}x',
    "escaped type": b'{"type":"ADD\\u0045D","object":{"metadata":{"name":"a"}},"x":1',
    # deeper than the decoders' recursion limits (msgspec raises a RecursionError)
    "deeply nested": b'{"type":"MODIFIED","object":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
    "deeply nested metadata": b'{"type":"MODIFIED","object":{"metadata":' + b'{"a":' * 5000 + b"1" + b"}" * 5001 + b"}",
}
GOOD_LINES = {
    "fast path": event("MODIFIED", P[0]),
    "keys in another order": orjson.dumps({"object": P[1], "type": "ADDED"}),
    "pretty printed": b'{ "type" : "DELETED",\n "object" : ' + orjson.dumps(P[2], option=orjson.OPT_INDENT_2) + b" }",
    "escaped type": b'{"type":"ADD\\u0045D","object":{"metadata":{"name":"a"}}}',
    "name of another type": b'{"type":"ADDED","object":{"metadata":{"name":7,"labels":{"a":1}}}}',
    "bookmark": event("BOOKMARK", {"kind": "Pod", "apiVersion": "v1",
                                   "metadata": {"resourceVersion": "99", "annotations": {"k8s.io/initial-events-end": "true"}}}),
    "table": event("ADDED", {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "t"}}),
    "blank": b"",
    "spaces": b"  \t",
}


@pytest.mark.parametrize("name", GOOD_LINES)
def test_every_well_formed_event_decodes_as_today(name):
    events, err = same_watch_outcome([GOOD_LINES[name], event("ADDED", P[0])])
    assert err is None and events[-1].object == P[0]


@pytest.mark.parametrize("name", BAD_LINES)
def test_every_malformed_line_fails_as_today_after_the_events_before_it(name):
    events, err = same_watch_outcome([event("ADDED", P[0]), BAD_LINES[name], event("ADDED", P[1])])
    assert isinstance(err, WatchDecodeError) and [e.object for e in events] == [P[0]]


def test_an_error_event_ends_the_batch_with_its_status_as_today():
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410, "reason": "Expired",
              "message": "too old resource version"}
    events, err = same_watch_outcome([event("ADDED", P[0]), event("ERROR", status), event("ADDED", P[1])])
    assert err is None and [e.type for e in events] == ["ADDED", "ERROR"]
    assert ApiStatusError.from_status(events[-1].object).code == 410


def test_lines_cut_from_a_read_buffer_are_copied_out_of_it():
    buf = event("ADDED", P[0]) + b"\n" + event("MODIFIED", P[1])
    cut = buf.index(b"\n")
    mv = memoryview(buf)
    events, err = same_watch_outcome([mv[:cut], mv[cut + 1:]])
    assert err is None and all(type(e.object.raw) is bytes for e in events)
    assert len(events[0].object.raw) < len(buf) // 2  # the object's bytes alone, not the buffer


@pytest.mark.parametrize("as_partial", [True, False], ids=["PartialObjectMetadata", "full objects"])
def test_metadata_only_watch_keeps_metadata_without_managed_fields_as_today(as_partial):
    objs = [partial_object_metadata(p) if as_partial else p for p in P]
    events, err = same_watch_outcome([event("ADDED", o) for o in objs], metadata_only=True)
    assert err is None
    for ev, p in zip(events, P):
        assert ev.object.kind == "PartialObjectMetadata" and ev.object.name == p["metadata"]["name"]
        assert "managedFields" not in ev.object["metadata"] and b"managedFields" not in ev.object.raw
        assert set(ev.object) == {"apiVersion", "kind", "metadata"}


json_values = st.recursive(st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=6),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                           max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(etype=st.sampled_from(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR", "OTHER", None]),
       obj=json_values | st.dictionaries(st.sampled_from(["kind", "metadata", "spec"]), json_values)
       | st.fixed_dictionaries({"metadata": st.dictionaries(st.sampled_from(["name", "resourceVersion", "labels"]),
                                                            json_values)}),
       cut=st.integers(0, 80))
def test_any_event_or_broken_line_decodes_as_today(etype, obj, cut):
    line = orjson.dumps({"type": etype, "object": obj})
    same_watch_outcome([line])
    same_watch_outcome([line[:cut]])


# -- list pages ----------------------------------------------------------------------------------------

def page(items, kind=b"PodList", api_version=b"v1", md=b'{"resourceVersion":"7"}'):
    return b'{"kind":"%s","apiVersion":"%s","metadata":%s,"items":[%s]}' % (
        kind, api_version, md, b",".join(orjson.dumps(i) for i in items))


def same_list_outcome(body, resp=None, metadata_only=False):
    resp = resp or Resp()
    try:
        old = today_lister(metadata_only)._decode_list(body, resp)
    except ApiStatusError as e:
        old = e
    options = DecodeOptions(metadata_only=metadata_only, drop_managed_fields=metadata_only, kind="Pod", api_version="v1")
    try:
        new = decode_list(body, status=resp.status, content_type=resp.headers["Content-Type"], path="/api/v1/pods",
                          options=options)
    except ApiStatusError as e:
        new = e
    same_list_outcome.decodes = STATS.decodes()  # before comparing (which decodes bodies)
    assert type(new) is type(old)
    if isinstance(old, ApiStatusError):
        assert (new.code, new.reason, new.message) == (old.code, old.reason, old.message)
        return new
    assert (new.resource_version, new.continue_, new.remaining_item_count) == \
           (old.resource_version, old.continue_, old.remaining_item_count)
    assert new.items == old.items and all(type(i) is RawObject for i in new.items)
    return new


def _items():
    return [{k: v for k, v in p.items() if k not in ("kind", "apiVersion")} for p in sim_pods(4)]


@pytest.mark.parametrize("case", ["typed", "untyped", "apiVersion only", "empty item", "no items", "null items",
                                  "continued", "other list kind"])
def test_list_pages_decode_as_today(case):
    items = _items()
    if case == "typed":
        body = page(sim_pods(4))
    elif case == "untyped":
        body = page(items)
    elif case == "apiVersion only":
        body = page([{**items[0], "apiVersion": "v0"}, *items[1:]])
    elif case == "empty item":
        body = page([{}, *items])
    elif case == "no items":
        body = b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"}}'
    elif case == "null items":
        body = b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":null}'
    elif case == "continued":
        body = page(items, md=b'{"resourceVersion":"7","continue":"abc","remainingItemCount":12}')
    else:
        body = page(items, kind=b"Whatever", api_version=b"")
    got = same_list_outcome(body)
    assert same_list_outcome.decodes == 0 or case in ("apiVersion only", "empty item")
    for item in got.items:
        assert len(item.raw) < len(body) // 2 or len(got.items) == 1  # its own bytes, not the page


@pytest.mark.parametrize("body,status,ctype", [
    (b"<html>proxy error</html>", 502, "text/html; charset=utf-8"),
    (b"", 200, ""),
    (b"[1,2]", 200, "application/json"),
    (b'"text"', 200, "application/json"),
    (b'{"kind":"Status","apiVersion":"v1","code":410,"reason":"Expired","message":"continue expired"}', 410, "application/json"),
    (b'{"kind":"PodList","items":{"a":1}}', 200, "application/json"),
    (b'{"kind":"PodList","items":[{"metadata":{"name":"a"},"spec":"\xff"}]}', 200, "application/json"),
    (b'{"kind":"PodList","items":[' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"]}", 200, "application/json"),
])
def test_list_errors_are_todays(body, status, ctype):
    err = same_list_outcome(body, Resp(status, ctype))
    assert isinstance(err, ApiStatusError)


def test_an_item_that_is_not_an_object_is_a_clear_error():
    with pytest.raises(ApiStatusError, match="not an object"):
        decode_list(b'{"kind":"PodList","items":[1]}', path="/api/v1/pods")


@pytest.mark.parametrize("as_partial", [True, False], ids=["PartialObjectMetadataList", "full list"])
def test_metadata_only_lists_decode_as_today(as_partial):
    pods = sim_pods(3)
    if as_partial:
        body = page([partial_object_metadata(p) for p in pods], kind=b"PartialObjectMetadataList",
                    api_version=b"meta.k8s.io/v1")
    else:
        body = page(pods)
    got = same_list_outcome(body, metadata_only=True)
    assert all(b"managedFields" not in i.raw and i.kind == "PartialObjectMetadata" for i in got.items)


def test_dropping_managed_fields_splices_the_bytes():
    p = sim_pods(1)[0]
    o = RawObject(orjson.dumps(p))
    slim = without_managed_fields(o)
    assert slim == transforms.drop_managed_fields(orjson.loads(o.raw))
    assert slim.header == o.header and b"managedFields" not in slim.raw
    assert without_managed_fields(slim) is slim


# -- the hot path decodes no body -------------------------------------------------------------------------

class Sink:
    def __init__(self):
        self.applied = []
        self.bookmarks = []

    def apply(self, run, rv):
        self.applied.extend(run)

    def bookmark(self, rv, end):
        self.bookmarks.append((rv, end))


def test_watch_handling_reads_only_headers():
    pods = sim_pods(5)
    lines = [event("ADDED", p) for p in pods] + [
        event("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "50",
                                                       "annotations": {"k8s.io/initial-events-end": "true"}}})]
    events, err = WatchDecoder().decode(lines)
    sink = Sink()
    result = handle_watch([events], sink, lambda: False, until_initial_events_end=True, name="pods")
    assert err is None and result.error is None and len(sink.applied) == 5 and sink.bookmarks == [("50", True)]
    assert STATS.decodes() == 0


class Recorder:
    def __init__(self):
        self.seen = 0

    def on_add(self, obj, initial):
        self.seen += 1

    def on_update(self, old, new):
        self.seen += 1

    def on_delete(self, obj):
        self.seen += 1


@pytest.mark.parametrize("features", [CLASSIC, CURRENT], ids=["1.32", "1.36"])
def test_queues_indexer_and_handlers_decode_no_body(features):
    from kmon.cache.informer import SharedIndexInformer

    inf = SharedIndexInformer(None, freeze_gc_after_sync=False, gc_policy=False, features=features)
    handler = Recorder()
    reg = inf.add_event_handler(handler)
    pods = [RawObject(orjson.dumps(p)) for p in sim_pods(6)]
    inf.fifo.replace(pods[:4], "20")
    for i, p in enumerate(pods[4:]):
        inf.fifo.add(p)
    changed = dict(orjson.loads(pods[0].raw))
    changed["metadata"] = {**changed["metadata"], "resourceVersion": "30"}
    inf.fifo.update(RawObject(orjson.dumps(changed)))
    inf.fifo.delete(pods[1])
    while inf._process_next(timeout=0):
        pass
    while reg._buf:
        kind, a, b = reg._buf.popleft()
        (handler.on_add, handler.on_update, lambda o, _: handler.on_delete(o))[kind](a, b)
    assert STATS.decodes() == 0
    assert sorted(inf.indexer.list_keys()) == sorted(p.cache_key for p in pods if p is not pods[1])
    obj, exists = inf.indexer.get_by_key(pods[0].cache_key)
    assert exists and obj.resource_version == "30"
    assert sorted(inf.indexer.index_keys("namespace", "team")) == sorted(inf.indexer.list_keys())
    assert handler.seen == 8  # six adds, an update, a delete


@pytest.mark.parametrize("md", [None, {}, "x", 0, [1], {"name": "a", "labels": {"x": 1}}], ids=repr)
def test_list_items_reduced_to_their_metadata_as_today(md):
    item = {"kind": "Pod", "spec": {}} if md is None else {"kind": "Pod", "metadata": md, "spec": {}}
    same_list_outcome(page([item, *sim_pods(1)]), metadata_only=True)
