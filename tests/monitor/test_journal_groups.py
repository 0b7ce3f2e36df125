"""Atomic relists and resyncs in the event log's journal and its filtered index (Qt-free):
one header row per group, its members behind it, collapsed by default, and filters that
show a group because of the members they match."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kmon.cache.features import FeatureGates
from kmon.monitor.event_filter import EventFilter
from kmon.monitor.filtered_index import FilteredIndex
from kmon.monitor.feed import DeltaItem
from kmon.monitor.journal import Journal
from kmon.monitor.journal_rows import RowBuilder

from driven import Driven, pod

from .helpers import delta, refl

CLASSIC = FeatureGates.for_client_go("1.32")
CURRENT = FeatureGates()


def _relisted(gates=CURRENT, n=5):
    """A journal-ready item list: an initial list of n pods, a watch event, then a relist at
    rv 100 that drops p0, changes p1, keeps the others and adds "new"."""
    d = Driven(gates)
    items = [refl("ListFinished", "10", items=n)]
    d.relist([pod(f"p{i}", rv=str(i + 1)) for i in range(n)], "10")
    items += d.take()
    d.add(pod("w", rv="11"))
    items += d.take()
    items.append(refl("Relist", "11", reason="watch expired (410)"))
    items.append(refl("ListFinished", "100", items=n))
    d.relist([pod("p1", rv="50"), *[pod(f"p{i}", rv=str(i + 1)) for i in range(2, n)], pod("w", rv="11"), pod("new", rv="99")], "100")
    items += d.take()
    return items


def _step(j, idx, items):
    j.append_items(items)
    idx.drop_front(idx.front_dropped())
    idx.add_new()


def test_an_atomic_relist_is_one_header_row_with_its_members_behind_it():
    j = Journal()
    j.append_items(_relisted())
    rows = list(j)
    heads = [(i, r) for i, r in enumerate(rows) if r.members]
    assert [r.type for _, r in heads] == ["ReplacedAll", "ReplacedAll"]
    (i0, init), (i1, relist) = heads
    assert init.detail == "initial list: ReplacedAll at rv 10: 0 deleted, 0 updated, 5 added, 0 unchanged"
    assert init.notification == "on_add (initial list) ×5" and init.members == 5
    assert relist.detail == "ReplacedAll at rv 100: 1 deleted, 1 updated, 1 added, 4 unchanged"
    assert relist.resource_version == "100" and relist.members == 7
    members = rows[i1 + 1:i1 + 8]
    assert all(r.group == j.first_seq + i1 for r in members) and relist.group == j.first_seq + i1
    assert [(r.name, r.notification, r.detail) for r in members] == [
        ("p0", "on_delete (tombstone)", "deleted while not watching (final state unknown)"),
        ("p1", "on_update", "updated rv 2 → 50"),
        ("p2", "on_update (resync)", "unchanged"),
        ("p3", "on_update (resync)", "unchanged"),
        ("p4", "on_update (resync)", "unchanged"),
        ("w", "on_update (resync)", "unchanged"),
        ("new", "on_add", "added"),
    ]


def test_the_classic_path_keeps_one_replaced_row_per_object_naming_the_list():
    j = Journal()
    j.append_items(_relisted(CLASSIC))
    rows = list(j)
    assert not any(r.members or r.group >= 0 for r in rows)
    replaced = [r for r in rows if r.type == "Replaced" and not r.detail.startswith("initial")]
    assert [(r.name, r.notification, r.detail) for r in replaced] == [
        ("p1", "on_update", "relist at rv 100: updated rv 2 → 50"),
        ("p2", "on_update (resync)", "relist at rv 100: unchanged"),
        ("p3", "on_update (resync)", "relist at rv 100: unchanged"),
        ("p4", "on_update (resync)", "relist at rv 100: unchanged"),
        ("w", "on_update (resync)", "relist at rv 100: unchanged"),
        ("new", "on_add", "relist at rv 100: added"),
    ]
    tomb = [r for r in rows if r.type == "Deleted"]
    assert [(r.name, r.notification) for r in tomb] == [("p0", "on_delete (tombstone)")]


def test_a_group_split_across_batches_keeps_one_header_and_an_interrupted_one_says_continued():
    items = _relisted()
    whole = Journal()
    whole.append_items(items)
    sliced = Journal()
    for k in range(0, len(items), 3):  # the GUI's bridge hands a relist over in slices
        sliced.append_items(items[k:k + 3])
    assert list(sliced) == list(whole)
    b = RowBuilder()
    g = [it for it in items if isinstance(it, DeltaItem) and it.record.group is not None]
    rows = b.rows(g[:7]) + b.rows([refl("Page", "1")]) + b.rows(g[7:])  # 5 + 2 of 7, then the 5 left
    heads = [r for r in rows if r.members]
    assert [h.detail.endswith("(continued)") for h in heads] == [False, False, True]
    assert heads[2].members == 5 and rows[rows.index(heads[2]) + 1].group == heads[2].group


def test_groups_start_collapsed_and_open_on_demand():
    j = Journal()
    idx = FilteredIndex(j)
    _step(j, idx, _relisted())
    shown = idx.rows()
    assert [r.type for r in shown] == ["ListFinished", "ReplacedAll", "Added", "Relist", "ListFinished", "ReplacedAll"]
    i = len(shown) - 1
    assert idx.group_at(i).expanded is False and idx.shown_members(i) == 0
    assert idx.set_expanded(i, True) == 7
    assert [r.name for r in idx.rows()[i + 1:]] == ["p0", "p1", "p2", "p3", "p4", "w", "new"]
    assert idx.header_of(i + 3) == i and idx.header_of(0) == -1
    assert idx.set_expanded(i, True) == 0
    assert idx.set_expanded(i, False) == -7 and len(idx) == 6
    # a shown-events export writes a collapsed group's members after it
    assert [r.name for r in idx.rows(with_members=True)][-7:] == ["p0", "p1", "p2", "p3", "p4", "w", "new"]


@pytest.mark.parametrize("flt, shown_names, expanded", [
    # a name: the relists holding it open on it
    (EventFilter(text="p3"), ["", "p3", "", "p3"], True),
    # a namespace: header rows have none, so they show for their members
    (EventFilter(namespace="default"), None, True),
    # the relist's own version: found by its header, which stays closed
    (EventFilter(text="rv 100"), [""], False),
    # hiding the group type hides the group, members included
    (EventFilter(hidden_types=frozenset({"ReplacedAll"})), [], None),
    # members' types and notifications: a group shows while a member is left
    (EventFilter(hidden_notifications=frozenset({"on_add (initial list)"})), [""], False),
])
def test_filters_and_groups(flt, shown_names, expanded):
    j = Journal()
    idx = FilteredIndex(j, flt)
    _step(j, idx, _relisted())
    grouped = [(i, r) for i, r in enumerate(idx.rows()) if r.members or r.group >= 0]
    if shown_names is not None:
        assert [r.name for _, r in grouped] == shown_names
    for i, r in grouped:
        if r.members:
            assert idx.group_at(i).expanded is expanded
    # the same as a fresh index over the whole journal (incremental = full)
    assert FilteredIndex(j, flt).rows() == idx.rows()


def test_a_header_found_by_its_text_opens_on_all_its_members():
    j = Journal()
    idx = FilteredIndex(j, EventFilter(text="rv 100"))
    _step(j, idx, _relisted())
    assert idx.set_expanded(0, True) == 7


def test_incremental_equals_full_under_random_slicing_and_a_wrapping_ring():
    rng = random.Random(7)
    items = []
    for k in range(6):
        items += _relisted(n=40 + k)
    filters = [EventFilter(), EventFilter(text="p1"), EventFilter(namespace="default"),
               EventFilter(hidden_notifications=frozenset({"on_update (resync)"})), EventFilter(text="ReplacedAll")]
    for flt in filters:
        j = Journal(150)
        idx = FilteredIndex(j, flt)
        k = 0
        while k < len(items):
            n = rng.randint(1, 60)
            _step(j, idx, items[k:k + n])
            k += n
            fresh = FilteredIndex(j, flt)
            assert idx.rows() == fresh.rows(), (flt, k)
            assert np.all(np.diff(idx._seqs[idx._start:idx._end]) > 0)


def test_a_header_falling_off_the_ring_takes_its_shown_members_along():
    j = Journal(30)
    idx = FilteredIndex(j)
    items = _relisted(n=20)
    _step(j, idx, items[:-10])
    heads = [i for i, r in enumerate(idx.rows()) if r.members]
    idx.set_expanded(heads[-1], True)
    _step(j, idx, items[-10:] + [delta("Added", "late", rv="200")])
    assert all(r.group < 0 or r.group >= j.first_seq for r in idx.rows())
    assert idx.rows() == [r for r in idx.rows() if r.group < 0 or r.group >= j.first_seq]
    assert idx.rows()[-1].name == "late"
