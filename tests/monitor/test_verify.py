"""verify_informer against scripted list-watchers (no server, no threads)."""

from types import SimpleNamespace

import pytest

from kmon.cache.errors import ApiStatusError
from kmon.cache.listwatch import ListPage
from kmon.cache.store import Indexer
from kmon.monitor.verify import VerifyResult, list_consistent, verify_informer

from .helpers import pod


class PagedLW:
    """Serves ``snapshots`` (one per full list) in pages of ``limit``; ``expire_once`` makes
    the first continue request answer 410."""

    def __init__(self, snapshots, expire_once=False):
        self.snapshots = list(snapshots)
        self.calls = []
        self.expire_once = expire_once
        self.current = None

    def list(self, opts):
        self.calls.append((opts.resource_version, opts.limit, opts.continue_))
        if not opts.continue_:
            assert opts.resource_version == ""  # consistent read
            rv, items = self.snapshots.pop(0) if len(self.snapshots) > 1 else self.snapshots[0]
            self.current = (rv, items)
            start = 0
        else:
            if self.expire_once:
                self.expire_once = False
                raise ApiStatusError(410, "Expired", "continue token expired")
            start = int(opts.continue_)
        rv, items = self.current
        end = start + opts.limit if opts.limit else len(items)
        return ListPage(items[start:end], rv, str(end) if end < len(items) else "")


def informer_with(objs, synced_rv="100", queue=0, processed=0):
    idx = Indexer()
    for o in objs:
        idx.add(o)
    stats = SimpleNamespace(last_synced_version=synced_rv, queue_depth=queue, deltas_processed=processed)
    return SimpleNamespace(indexer=idx, stats=lambda: stats, list_watcher=None)


PODS = [pod(f"p{i}", "ns", str(10 + i)) for i in range(7)]


def test_paged_consistent_list_and_restart_on_410():
    lw = PagedLW([("100", PODS)], expire_once=True)
    found, rv = list_consistent(lw, page_size=3)
    assert rv == "100" and found == {f"ns/p{i}": str(10 + i) for i in range(7)}
    assert lw.calls[0] == ("", 3, None) and lw.calls[1] == (None, 3, "3")  # then 410, restart
    assert lw.calls[2] == ("", 3, None) and len(lw.calls) == 5


def test_clean_compare_returns_after_one_list():
    inf = informer_with(PODS)
    lw = PagedLW([("100", PODS)])
    r = verify_informer(inf, lw, page_size=2)
    assert isinstance(r, VerifyResult) and r.ok and r.attempts == 1
    assert (r.server_count, r.cache_count, r.server_rv) == (7, 7, "100")
    assert "matches" in r.summary()


def test_real_differences_persist_across_attempts():
    cached = PODS[1:] + [pod("ghost", "ns", "50")]
    cached[0] = pod("p1", "ns", "9")  # older than the server's 11
    inf = informer_with(cached)
    lw = PagedLW([("100", PODS)])
    r = verify_informer(inf, lw, settle=0.05, attempts=2)
    assert r.missing == ["ns/p0"] and r.extra == ["ns/ghost"] and r.stale == [("ns/p1", "9", "11")]
    assert not r.ok and r.attempts == 2
    d = r.as_dict()
    assert d["ok"] is False and d["stale"] == [["ns/p1", "9", "11"]]
    assert "1 missing" in r.summary() and "ns/p0" in r.summary()


def test_in_flight_differences_are_not_reported():
    # snapshot 1 still has p0 (deleted since, the cache already knows), snapshot 2 does not;
    # the cache also holds p9, created after snapshot 1 (newer version than the snapshot)
    cache = PODS[1:] + [pod("p9", "ns", "120")]
    inf = informer_with(cache, synced_rv="120")
    lw = PagedLW([("100", PODS), ("121", PODS[1:] + [pod("p9", "ns", "120")])])
    r = verify_informer(inf, lw, settle=0.05)
    assert r.ok, r
    assert r.server_rv == "121"


def test_opaque_versions_compare_by_equality():
    objs = [pod("a", "ns", "x1"), pod("b", "ns", "y2")]
    inf = informer_with(objs, synced_rv="zz")
    assert verify_informer(inf, PagedLW([("zz", objs)]), settle=0.05).ok
    r = verify_informer(inf, PagedLW([("zz", [pod("a", "ns", "x2"), objs[1]])]), settle=0.05, attempts=1)
    assert r.stale == [("ns/a", "x1", "x2")]


def test_list_errors_propagate():
    class Failing:
        def list(self, opts):
            raise ApiStatusError(403, "Forbidden", "nope")

    with pytest.raises(ApiStatusError):
        verify_informer(informer_with([]), Failing())
