import csv
import gc
import time
import tracemalloc
import weakref

import orjson
import pytest

from kmon.monitor.feed import SessionItem
from kmon.monitor.journal import FIELDS, Journal, JournalRow, export_csv, export_jsonl, matches, row_from_item
from kmon.monitor.masking import MASK

from .helpers import delta, dfsu, pod, refl


def test_rows_from_items():
    r = row_from_item(delta("Added", "web-1", "shop", "12", initial=True))
    assert (r.category, r.type, r.namespace, r.name, r.resource_version, r.detail) == (
        "delta", "Added", "shop", "web-1", "12", "initial list")
    r = row_from_item(delta("Updated", "web-1", "shop", "13", old=pod("web-1", "shop", "12")))
    assert r.detail == "rv 12 → 13"
    r = row_from_item(delta("Added", "node-1", "", "3"))
    assert (r.namespace, r.name) == ("", "node-1")
    r = row_from_item(dfsu("gone", "shop"))
    assert (r.type, r.namespace, r.name) == ("Deleted", "shop", "gone")
    assert "final state unknown" in r.detail
    assert row_from_item(refl("Relist", reason="watch expired (410)")).detail == "relist: watch expired (410)"
    assert row_from_item(refl("Backoff", delay=1.6, reason="round")).detail == "backoff 1.6 s"
    assert row_from_item(refl("Bookmark", "99")).detail == "bookmark"
    assert row_from_item(refl("Bookmark", "99")).resource_version == "99"
    r = row_from_item(refl("ListFinished", "5", items=3, pages=1, duration=0.25))
    assert r.detail == "listed 3 items, 1 page, 0.25 s"
    r = row_from_item(refl("Error", error="401 Unauthorized: Bearer abc123", reason="list"))
    assert r.level == "error" and "abc123" not in r.detail
    r = row_from_item(SessionItem("c", None, "error", "cannot connect: token=abc", "failed"))
    assert (r.category, r.type, r.level, r.resource) == ("session", "failed", "error", "")
    assert "abc" not in r.detail
    with pytest.raises(TypeError):
        row_from_item(object())


def test_ring_bound_random_access_and_dropped():
    j = Journal(capacity=5)
    assert j.append_items([delta(name=f"p{i}") for i in range(3)]) == (3, 0)
    assert [r.name for r in j] == ["p0", "p1", "p2"]
    assert j.append_items([delta(name=f"p{i}") for i in range(3, 7)]) == (4, 2)
    assert len(j) == 5 and j.total == 7 and j.dropped == 2 and j.first_seq == 2
    assert [j[i].name for i in range(5)] == ["p2", "p3", "p4", "p5", "p6"]
    assert j[-1].name == "p6" and [r.name for r in j[1:3]] == ["p3", "p4"]
    with pytest.raises(IndexError):
        j[5]
    # a batch larger than the ring keeps its newest rows
    assert j.append_items([delta(name=f"q{i}") for i in range(12)]) == (12, 12)
    assert [r.name for r in j] == [f"q{i}" for i in range(7, 12)]
    assert j.total == 19 and j.first_seq == 14
    rows, missed = j.since(10)
    assert missed == 4 and [r.name for r in rows] == [f"q{i}" for i in range(7, 12)]
    rows, missed = j.since(17)
    assert missed == 0 and [r.name for r in rows] == ["q10", "q11"]
    j.clear()
    assert len(j) == 0 and j.total == 19


def test_ring_agrees_with_a_list_model():
    import random

    rnd = random.Random(3)
    j, model = Journal(capacity=37), []
    n = 0
    for _ in range(200):
        k = rnd.randrange(0, 60)
        batch = [delta(name=f"p{n + i}") for i in range(k)]
        n += k
        added, dropped = j.append_items(batch)
        before = len(model)
        model.extend(r.record.key for r in batch)
        model = model[-37:]
        assert added == k and dropped == before + k - len(model)
        assert [f"default/{r.name}" for r in j] == model
        assert j.total == n


def test_million_events_bounded():
    j = Journal(capacity=100_000)
    batch_size = 10_000
    ts = time.time()

    class Obj(dict):  # weak-referenceable, to prove rows do not keep objects alive
        pass

    sentinel = Obj(pod("keep-me"))
    ref = weakref.ref(sentinel)
    j.append_items([delta(obj=sentinel, name="keep-me")])
    del sentinel
    gc.collect()
    assert ref() is None
    base = [delta(name=f"p{i}", t=ts) for i in range(batch_size)]
    for _ in range(100):
        j.append_items(base)
    assert len(j) == 100_000 and j.total == 1_000_001 and j.dropped == 900_001
    assert j[0].name == "p0" and j[-1].name == f"p{batch_size - 1}"


def test_memory_does_not_grow_past_capacity():
    j = Journal(capacity=10_000)
    batch = [delta(name=f"p{i}", ns=f"ns{i % 7}") for i in range(1000)]
    tracemalloc.start()
    try:
        for _ in range(15):
            j.append_items(batch)
        mid = tracemalloc.get_traced_memory()[0]
        for _ in range(60):
            j.append_items(batch)
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert end - mid < 0.1 * mid + 200_000


def test_matches_filters():
    rows = [
        row_from_item(delta("Added", "web-1", "shop", "1", res="pods")),
        row_from_item(delta("Deleted", "db-0", "payments", "2", res="pods")),
        row_from_item(delta("Added", "n1", "", "3", res="nodes")),
        row_from_item(refl("Relist", reason="watch expired (410)")),
    ]
    names = lambda **kw: [r.name or r.type for r in rows if matches(r, **kw)]  # noqa: E731
    assert names() == ["web-1", "db-0", "n1", "Relist"]
    assert names(types={"Added"}) == ["web-1", "n1"]
    assert names(resources={"nodes"}) == ["n1"]
    assert names(namespace="shop") == ["web-1"]
    assert names(text="EXPIRED") == ["Relist"]
    assert names(text="db-") == ["db-0"]
    assert names(types={"Added"}, namespace="") == ["n1"]
    assert names(categories={"reflector"}) == ["Relist"]
    assert names(levels={"error"}) == []
    j = Journal(10)
    j.append_rows(rows)
    assert [r.name for r in j.filtered(namespace="payments")] == ["db-0"]


def test_exports_mask_and_roundtrip(tmp_path):
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    sec = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-pass", "namespace": "shop", "resourceVersion": "4"},
           "data": {"password": "aHVudGVyMg=="}}
    rows = [
        row_from_item(delta("Added", "db-pass", "shop", "4", obj=sec, res="secrets")),
        row_from_item(refl("Error", error=f"401 Unauthorized: Authorization: Bearer {token}", reason="list")),
        JournalRow(1.0, "c", "pods", "session", "failed", "", "", "", "oops password=hunter2", "error"),
        row_from_item(delta("Added", "a,b\"c", "shop", "5")),
    ]
    pj, pc = tmp_path / "log.jsonl", tmp_path / "log.csv"
    assert export_jsonl(rows, pj) == 4
    assert export_csv(rows, pc) == 4
    for p in (pj, pc):
        text = p.read_text(encoding="utf-8")
        assert "aHVudGVyMg==" not in text and token not in text and "hunter2" not in text
        assert MASK in text
    lines = [orjson.loads(l) for l in pj.read_bytes().splitlines()]
    assert lines[0]["name"] == "db-pass" and lines[0]["resource"] == "secrets" and lines[0]["time_iso"]
    assert set(FIELDS) <= set(lines[0])
    with open(pc, newline="", encoding="utf-8") as fh:
        recs = list(csv.DictReader(fh))
    assert len(recs) == 4 and recs[3]["name"] == 'a,b"c' and recs[2]["level"] == "error"


def test_an_update_rows_detail_is_made_from_the_version_the_previous_row_holds(tmp_path):
    """A watch update's "rv 12 → 13" is not kept as a string of its own per row (~110 bytes
    each in a journal full of updates): the row keeps the old version, the very string the
    object's previous row holds, and the detail is made when shown, searched or exported."""
    first = pod("web-1", "shop", "12")
    j = Journal()
    j.append_items([delta("Added", "web-1", "shop", "12", obj=first),
                    delta("Updated", "web-1", "shop", "13", old=first)])
    added, updated = j[-2:]
    assert updated.old_rv is added.resource_version or updated.old_rv is first["metadata"]["resourceVersion"]
    assert updated.text == "" and updated.detail == "rv 12 → 13"
    assert [r.name for r in j.filtered(text="12 → 13")] == ["web-1"]
    export_jsonl([updated], tmp_path / "u.jsonl")
    rec = orjson.loads((tmp_path / "u.jsonl").read_bytes())
    assert rec["detail"] == "rv 12 → 13" and set(rec) == {*FIELDS, "time_iso"}


def test_a_refused_watch_list_is_a_warning_that_says_it_lists_instead():
    # client-go falls back to LIST at once: not an error the user must act on
    r = row_from_item(refl("Error", error="422 Invalid: sendInitialEvents", reason="watch-list",
                           fallback="WatchList refused: 422 Invalid"))
    assert (r.level, r.detail) == ("warning", "WatchList refused: 422 Invalid; listing instead")
    assert row_from_item(refl("Error", error="boom", reason="watch")).level == "error"
