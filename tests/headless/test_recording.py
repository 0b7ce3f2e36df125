"""The recording format: writer and reader round trip, damage, versions, rebuild, replay."""

from __future__ import annotations

import gzip
import os

import orjson
import pytest

from kmon.cache.delta_fifo import DeltaType
from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.monitor.feed import DeltaItem, ReflectorItem, SessionItem
from kmon.monitor.masking import MASK
from kmon.cache.features import FeatureGates
from kmon.monitor.recording_format import (RecordingError, context_path, informer_paths, item_from_record, make_header,
                                           record_from_item)
from kmon.monitor.recording_reader import read_recording
from kmon.monitor.recording_writer import RecordingWriter
from kmon.monitor.replay_rebuild import rebuild_cache
from kmon.monitor.replayer import Replayer

pytestmark = pytest.mark.timeout(60)

T0 = 1_800_000_000.0


def pod(name, rv, ns="shop", **extra):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "resourceVersion": str(rv)},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}, **extra}


def delta(typ, obj, t, *, res="pods", initial=False, old=None, key=None):
    m = obj.obj["metadata"] if isinstance(obj, DeletedFinalStateUnknown) else obj["metadata"]
    key = key or f"{m['namespace']}/{m['name']}"
    return DeltaItem("ctx", res, DeltaRecord(DeltaType(typ), key, obj, old, m["resourceVersion"], t, initial))


def refl(kind, t, rv="", **detail):
    return ReflectorItem("ctx", "pods", ReflectorEvent(ReflectorEventKind(kind), t, rv, detail))


def scenario(n_updates=200):
    """A list, updates, a relist with a final-state-unknown delete, a secret, session items."""
    items = [SessionItem("ctx", None, "info", "ctx: connecting", "connecting", T0),
             refl("Relist", T0 + 0.1, reason="initial"),
             refl("ListFinished", T0 + 0.2, "10", items=3, pages=1)]
    items += [delta("Replaced", pod(f"p{i}", 10), T0 + 0.2, initial=True) for i in range(3)]
    t = T0 + 1
    for i in range(n_updates):
        t += 0.01
        items.append(delta("Updated", pod(f"p{i % 3}", 11 + i), t))
    items.append(delta("Added", pod("p9", 500), t + 0.01))
    items.append(delta("Deleted", pod("p1", 501), t + 0.02))
    items.append(refl("Expired", t + 0.5, error="too old resource version: 400 (450)", reason="watch"))
    items.append(refl("Relist", t + 0.5, reason="watch expired (410)"))
    items.append(delta("Deleted", DeletedFinalStateUnknown("shop/p9", pod("p9", 500)), t + 0.6))
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop", "resourceVersion": "600"},
              "data": {"password": "aHVudGVyMg=="}}
    items.append(DeltaItem("ctx", "secrets", DeltaRecord(DeltaType.Added, "shop/s", secret, None, "600", t + 0.7, False)))
    items.append(SessionItem("ctx", "pods", "warning", "pods: 500 Internal error; retrying with backoff", "error", t + 0.8,
                             {"n": 1}))
    return items


def write(path, items, *, mask=True, batch=50, footer=True):
    header = make_header(contexts=[{"name": "ctx", "server": "https://x", "server_version": None}],
                         resources=["pods", "secrets"], started=T0)
    w = RecordingWriter(path, header, mask=mask, flush_interval=0.0)
    for i in range(0, len(items), batch):
        w.write_items(items[i:i + batch])
    if footer:
        w.close()
    else:
        w.abort()
    return w


def test_round_trip_every_item(tmp_path):
    items = scenario()
    path = tmp_path / "r.kmonrec"
    w = write(path, items)
    with open(path, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"  # gzip
    rec = read_recording(path)
    assert rec.error is None and rec.complete, rec.error
    assert rec.header["format"] == "kmon-recording" and rec.header["version"] == "1.2"
    assert rec.footer["records"] == len(items) == w.records_written == len(rec.records)
    # every record comes back as written, and turns back into the same kind of item
    for item, r in zip(items, rec.records):
        assert r == orjson.loads(orjson.dumps(record_from_item(item)))
        back = item_from_record(r)
        assert type(back) is type(item) and back.context == item.context and back.time == item.time
        if isinstance(item, DeltaItem) and not isinstance(item.record.object, DeletedFinalStateUnknown):
            assert back.record.type == item.record.type and back.record.key == item.record.key
            if item.resource == "pods":
                assert back.record.object == item.record.object
    dfsu = next(r for r in rec.records if r["kind"] == "delta" and r["final_state_unknown"])
    assert dfsu["key"] == "shop/p9" and dfsu["object"]["metadata"]["name"] == "p9"
    assert isinstance(item_from_record(dfsu).record.object, DeletedFinalStateUnknown)
    # secrets masked by default, kept when asked
    sec = next(r for r in rec.records if r["resource"] == "secrets")
    assert sec["object"]["data"] == {"password": MASK} and rec.header["secret_values"] == "masked"
    write(tmp_path / "plain.kmonrec", items, mask=False)
    rec2 = read_recording(tmp_path / "plain.kmonrec")
    sec2 = next(r for r in rec2.records if r["resource"] == "secrets")
    assert sec2["object"]["data"] == {"password": "aHVudGVyMg=="} and rec2.header["secret_values"] == "included"


def test_rebuild_cache_and_replayer(tmp_path):
    items = scenario()
    path = tmp_path / "r.kmonrec"
    write(path, items)
    rec = read_recording(path)
    end = rebuild_cache(rec.records)
    # p1 deleted, p9 added then deleted by the relist (final state unknown); last updates win
    assert set(end[("ctx", "pods")]) == {"shop/p0", "shop/p2"}
    assert end[("ctx", "pods")]["shop/p0"]["metadata"]["resourceVersion"] == str(11 + 198)
    assert set(end[("ctx", "secrets")]) == {"shop/s"}
    at_list = rebuild_cache(rec.records, until=T0 + 0.5)
    assert {k: o["metadata"]["resourceVersion"] for k, o in at_list[("ctx", "pods")].items()} == {
        "shop/p0": "10", "shop/p1": "10", "shop/p2": "10"}
    # the replayer hands back items in order with their times and old objects, and seeks
    now = [0.0]
    rp = Replayer(rec, speed=10.0, clock=lambda: now[0])
    got = rp.items_until(T0 + 0.5)
    assert [type(i).__name__ for i in got] == ["SessionItem", "ReflectorItem", "ReflectorItem",
                                               "DeltaItem", "DeltaItem", "DeltaItem"]
    first_update = rp.items_until(T0 + 1.011)
    assert len(first_update) == 1 and first_update[0].record.old_object["metadata"]["resourceVersion"] == "10"
    rp.seek(rec.end_time)
    assert rp.cache() == end
    rp.seek(T0 + 0.5)  # back
    assert rp.cache() == at_list
    rp.play()
    now[0] = 0.1  # 1 s of recording at 10x
    played = rp.tick()
    assert played and all(T0 + 0.5 < i.time <= T0 + 1.5 for i in played)
    now[0] = 100.0
    rp.tick()
    assert rp.at_end and not rp.playing and rp.cache() == end


def test_truncated_recording_loads_up_to_the_cut(tmp_path):
    items = scenario(600)
    path = tmp_path / "r.kmonrec"
    write(path, items, batch=20)
    full = read_recording(path)
    data = path.read_bytes()
    size = len(data)
    header_end = None
    previous = -1
    for cut in sorted({5, 15, 40, 120, size // 4, size // 2, size * 3 // 4, size - 30, size - 8, size - 4, size - 1}):
        cut_path = tmp_path / f"cut{cut}.kmonrec"
        cut_path.write_bytes(data[:cut])
        try:
            rec = read_recording(cut_path)
        except RecordingError as e:
            assert header_end is None, f"cut {cut}: header lost after a cut that kept it"
            assert "before its header was complete" in str(e) and f"byte {cut}" in str(e)
            continue
        header_end = header_end or cut
        assert rec.header == full.header
        assert rec.error and rec.error.startswith(f"recording truncated at byte {cut} (record "), rec.error
        n = len(rec.records)
        assert rec.records == full.records[:n]  # a prefix, nothing invented
        nxt = n + 2 + (rec.footer is not None)  # the header is record 1
        assert f"(record {nxt})" in rec.error and f"{n} records after the header were loaded" in rec.error
        assert n >= previous
        previous = n
    assert header_end is not None and previous >= len(full.records) - 1
    # a cut exactly between records of a plain (gunzipped) recording
    plain = gzip.decompress(data)
    lines = plain.split(b"\n")
    (tmp_path / "plain.jsonl").write_bytes(b"\n".join(lines[:101]) + b"\n")
    rec = read_recording(tmp_path / "plain.jsonl")
    assert len(rec.records) == 100 and "without a footer" in rec.error


def test_corrupt_recording_reports_where(tmp_path):
    path = tmp_path / "r.kmonrec"
    write(path, scenario(600), batch=20)
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 16] = b"\x00" * 16
    path.write_bytes(bytes(data))
    rec = read_recording(path)
    assert rec.error and rec.error.startswith("recording corrupt at ") and "record " in rec.error, rec.error
    assert len(rec.records) < 600


def test_versions_and_unknown_fields(tmp_path):
    def jsonl(path, *records):
        with gzip.open(path, "wb") as f:
            for r in records:
                f.write(orjson.dumps(r) + b"\n")
        return path

    hdr = {"kind": "header", "format": "kmon-recording", "version": "2.0"}
    with pytest.raises(RecordingError, match=r"version 2.0 is not supported \(this kmon reads version 1.x\)"):
        read_recording(jsonl(tmp_path / "v2", hdr))
    with pytest.raises(RecordingError, match="not a kmon recording"):
        read_recording(jsonl(tmp_path / "other", {"hello": 1}))
    with pytest.raises(RecordingError, match="cannot open"):
        read_recording(tmp_path / "missing")
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        read_recording(tmp_path / "empty")
    d = record_from_item(delta("Added", pod("a", 5), T0))
    future = jsonl(
        tmp_path / "v1.7",
        {**hdr, "version": "1.7", "new_header_field": {"x": 1}},
        {**d, "new_field": 1},
        {"kind": "hologram", "time": T0, "context": "ctx", "resource": "pods"},
        {**d, "type": "Teleported", "key": "shop/b"},
        {"kind": "footer", "time": T0 + 1, "records": 3},
    )
    rec = read_recording(future)
    assert rec.complete and len(rec.records) == 3
    assert set(rebuild_cache(rec.records)[("ctx", "pods")]) == {"shop/a"}
    assert [item_from_record(r) is None for r in rec.records] == [False, True, True]


def test_writer_flushes_at_least_every_interval(tmp_path):
    now = [0.0]
    path = tmp_path / "r.kmonrec"
    w = RecordingWriter(path, make_header(contexts=[], resources=["pods"]), flush_interval=1.0, clock=lambda: now[0])
    w.write_items([delta("Added", pod("a", 1), T0)])
    assert len(read_recording(path).records) == 0  # not flushed yet (within the second)
    now[0] = 1.0
    assert w.flush_if_due()
    rec = read_recording(path)  # the writer is still open: a crash now loses nothing written
    assert len(rec.records) == 1 and "without a footer" not in (rec.error or "") and "truncated" in rec.error
    w.close()
    assert read_recording(path).complete


_CUT_CACHE: dict = {}


def _cut_fixture(tmp_dir):
    if not _CUT_CACHE:
        path = os.path.join(tmp_dir, "r.kmonrec")
        write(path, scenario(300), batch=7)
        _CUT_CACHE["data"] = open(path, "rb").read()
        _CUT_CACHE["full"] = read_recording(path)
    return _CUT_CACHE["data"], _CUT_CACHE["full"]


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(fraction=st.floats(0.0, 1.0, exclude_max=True))
def test_any_cut_loads_a_prefix_and_says_where(tmp_path_factory, fraction):
    d = tmp_path_factory.getbasetemp()
    data, full = _cut_fixture(str(d))
    cut = int(len(data) * fraction)
    path = d / "cut-any.kmonrec"
    path.write_bytes(data[:cut])
    try:
        rec = read_recording(path)
    except RecordingError as e:
        assert "before its header was complete" in str(e) or "empty file" in str(e)
        return
    assert rec.records == full.records[: len(rec.records)]
    assert rec.error.startswith(f"recording truncated at byte {cut} (record ")


OLD = os.path.join(os.path.dirname(__file__), "data", "recording-1.0.kmonrec")  # made by kmon at 2f58eb0


def test_the_header_says_the_client_go_path_of_each_context(tmp_path):
    gates = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "false"}, "1.35")
    ctx = {"name": "ctx", "server": "https://x", "server_version": None,
           **context_path(gates, {"pods": "RealFIFO (batched)"})}
    header = make_header(contexts=[ctx, {"name": "old", "server": "https://y", "server_version": None}],
                         resources=["pods", "secrets"], started=T0)
    w = RecordingWriter(tmp_path / "r.kmonrec", header)
    w.write_items([refl("Relist", T0 + 0.1, reason="initial"), refl("ListFinished", T0 + 0.2, "10", items=1, pages=1),
                   delta("Replaced", pod("p0", 10), T0 + 0.2, initial=True)])
    w.close()
    rec = read_recording(tmp_path / "r.kmonrec")
    paths = informer_paths(rec.header)
    assert set(paths) == {("ctx", "pods"), ("ctx", "secrets")}  # a context that says nothing: nothing known
    queue, back = paths[("ctx", "pods")]
    assert queue == "RealFIFO (batched)" and paths[("ctx", "secrets")][0] == ""
    assert back == gates and back.profile == "1.35" and back.sources == gates.sources
    # a replay's informers say the path they ran, as live ones do
    from kmon.monitor.replay_source import ReplaySource

    src = ReplaySource(rec)
    src.advance_to(rec.end_time)
    st = src.stats("ctx")["pods"]
    assert (st.queue, st.features, st.features.source("WatchListClient")) == ("RealFIFO (batched)", gates, "environment")


def test_a_version_1_0_recording_still_reads_and_replays(tmp_path):
    from kmon.monitor.replay_source import ReplaySource

    rec = read_recording(OLD)
    assert rec.complete and rec.header["version"] == "1.0" and "client_go" not in rec.header["contexts"][0]
    assert informer_paths(rec.header) == {}
    src = ReplaySource(rec)
    src.advance_to(rec.end_time)
    stats = src.stats("kmon-demo")
    assert set(stats) == {"configmaps", "deployments.apps"}
    for st in stats.values():  # the path is not known: said as nothing, not guessed
        assert (st.queue, st.initial_sync, st.features) == ("", "", None) and st.synced and st.store_size > 0
    assert set(rebuild_cache(rec.records)) == {("kmon-demo", "configmaps"), ("kmon-demo", "deployments.apps")}


@pytest.mark.parametrize("version", ["1.32", "1.36"])
def test_replay_shows_the_same_rows_grouped_and_notified_as_live(tmp_path, version):
    """Format 1.2: a delta record says its notification and old version and, on the atomic
    path, its group; replayed (with the Replayer's old objects, or without any, as after a
    seek) the event log's rows are the live ones."""
    from driven import Driven

    from kmon.monitor.journal import Journal
    from kmon.monitor.replay_source import ReplaySource

    d = Driven(FeatureGates.for_client_go(version), ctx="ctx")
    d.relist([pod(f"p{i}", i + 1) for i in range(4)], "10")
    d.update(pod("p1", 11))
    d.relist([pod("p1", 12), pod("p2", 3), pod("p3", 4), pod("new", 13)], "13")
    d.resync()
    items = [DeltaItem(i.context, i.resource, DeltaRecord(i.record.type, i.record.key, i.record.object,
                                                          i.record.old_object, i.record.resource_version, T0 + n,
                                                          i.record.is_in_initial_list, i.record.group))
             for n, i in enumerate(d.take())]
    live = Journal()
    live.append_items(items)
    path = tmp_path / "r.kmonrec"
    write(path, items)
    rec = read_recording(path)
    deltas = [r for r in rec.records if r["kind"] == "delta"]
    assert [r["notification"] for r in deltas] == [r.notification for r in live if not r.members]
    if version == "1.36":
        g = next(r["group"] for r in deltas if r.get("group") and r["group"]["resource_version"] == "13")
        assert g == {"type": "ReplacedAll", "resource_version": "13", "deleted": 1, "updated": 1, "added": 1,
                     "unchanged": 2}
        assert sum(1 for r in live if r.members) == 3  # initial list, relist, resync
    else:
        assert not any("group" in r for r in deltas) and not any(r.members for r in live)
    # with the Replayer's old objects
    replayed = Journal()
    replayed.append_items(Replayer(rec).items_until(rec.end_time))
    assert [r[1:] for r in replayed] == [r[1:] for r in live]
    # and without them (what a seek hands the views)
    src = ReplaySource(rec)
    again = Journal()
    again.append_items([i for i in src.history_until(rec.end_time) if isinstance(i, DeltaItem)])
    assert [r[1:] for r in again] == [r[1:] for r in live]


OLD_1_2 = os.path.join(os.path.dirname(__file__), "data", "recording-1.2.kmonrec")  # made by kmon at ce61d77 (dict cache)


def _replayed_to_the_end(path, version):
    """An old recording of the demo's deployments, pods and secrets read and replayed to its
    end: complete, of ``version``, every informer synced with objects, its secrets masked.
    Returns the recording and the informers' stats."""
    from kmon.monitor.replay_source import ReplaySource

    rec = read_recording(path)
    assert rec.complete and rec.header["version"] == version
    src = ReplaySource(rec)
    src.advance_to(rec.end_time)
    stats = src.stats("kmon-demo")
    assert set(stats) == {"deployments.apps", "pods", "secrets"}
    assert all(st.synced and st.store_size > 0 for st in stats.values())
    secrets = rebuild_cache(rec.records)[("kmon-demo", "secrets")]
    assert secrets and all(set(s["data"].values()) <= {MASK} for s in secrets.values())
    return rec, stats


def test_a_version_1_2_recording_made_by_the_dict_cache_still_replays_and_records_the_same():
    """Recorded before objects were cached as their wire bytes (RawObjects): it replays, and
    a replayed delta recorded again gives the record it came from."""
    rec, _stats = _replayed_to_the_end(OLD_1_2, "1.2")
    deltas = [r for r in rec.records if r.get("kind") == "delta"]
    assert deltas and any(r["object"].get("status") for r in deltas)
    for r in deltas:
        it = item_from_record(r)
        again = orjson.loads(orjson.dumps(record_from_item(it, mask=False), default=str))
        assert again == r


OLD_1_1 = os.path.join(os.path.dirname(__file__), "data", "recording-1.1.kmonrec")  # made by kmon at ccf43f5


def test_a_version_1_1_recording_replays_with_the_notifications_its_deltas_gave():
    """Format 1.1 (the client-go profile in the header, no notification or group per delta):
    it replays, its informers say the path they ran, and the event log says each delta's
    notification from the record alone."""
    from kmon.monitor.journal_rows import row_from_item

    rec, stats = _replayed_to_the_end(OLD_1_1, "1.1")
    assert all(st.features is not None for st in stats.values())
    assert {st.queue for st in stats.values()} == {"RealFIFO (atomic, batched, unlocking)"}
    rows = [row_from_item(item_from_record(r)) for r in rec.records if r.get("kind") == "delta"]
    assert rows and all(r.notification for r in rows)
    assert any(r.notification == "on_add (initial list)" for r in rows)
