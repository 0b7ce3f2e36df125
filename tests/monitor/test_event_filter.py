"""The event log's filter index (Qt-free): incremental per batch, equal to a full re-filter."""

from __future__ import annotations

from kmon.monitor.event_filter import EventFilter
from kmon.monitor.filtered_index import FilteredIndex
from kmon.monitor.journal import Journal, JournalRow


def rows(n, start):
    return [JournalRow(float(i), "c1" if i % 5 else "c2", "pods" if i % 3 else "nodes", "delta",
                       "Added" if i % 2 else "Updated", f"ns{i % 4}", f"n{i}", str(i), f"detail {i}")
            for i in range(start, start + n)]


def step(j, idx, batch):
    j.append_rows(batch)
    idx.drop_front(idx.front_dropped())
    idx.add_new()


def test_incremental_equals_full_filter_while_the_ring_wraps():
    j = Journal(1000)
    idx = FilteredIndex(j)
    n = 0
    for size in (137,) * 20:
        step(j, idx, rows(size, n))
        n += size
    assert len(idx) == 1000 and idx.rows() == list(j)
    for flt in (EventFilter(hidden_types=frozenset({"Added"}), namespace="ns0"),
                EventFilter(text="N99"), EventFilter(hidden_resources=frozenset({"nodes"}), contexts=frozenset({"c2"})),
                EventFilter(namespace="nowhere")):
        idx.set_filter(flt)
        assert idx.rows() == [r for r in j if flt.matches(r)]
        for size in (333, 1, 2500, 40):
            step(j, idx, rows(size, n))
            n += size
            assert idx.rows() == [r for r in j if flt.matches(r)]
    assert len(idx._seqs) <= 4 * j.capacity


def test_namespaces_and_types_seen():
    j = Journal(10)
    idx = FilteredIndex(j)
    step(j, idx, rows(30, 0))
    assert set(idx.namespaces) == {"ns0", "ns1", "ns2", "ns3"}
    assert set(idx.types) == {"Added", "Updated"} and set(idx.resources) == {"pods", "nodes"}
