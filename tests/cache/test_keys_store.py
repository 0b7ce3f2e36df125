"""Keys and the thread-safe Indexer (client-go store_test / index_test / thread_safe_store_test)."""

import threading

import pytest

from kmon.cache.keys import (
    DeletedFinalStateUnknown,
    KeyFuncError,
    deletion_handling_key,
    meta_namespace_key,
    namespace_index,
    split_key,
)
from kmon.cache.store import Indexer, IndexerError

from .fakes import pod


def test_keys_namespaced_and_cluster_scoped():
    assert meta_namespace_key(pod("a", ns="ns1")) == "ns1/a"
    assert meta_namespace_key(pod("node1", ns="")) == "node1"
    assert meta_namespace_key("explicit/key") == "explicit/key"
    with pytest.raises(KeyFuncError):
        meta_namespace_key({"kind": "Pod"})


def test_deletion_handling_key_unwraps_tombstone():
    t = DeletedFinalStateUnknown("ns/gone", None)
    assert deletion_handling_key(t) == "ns/gone"
    assert deletion_handling_key(pod("a")) == "default/a"
    with pytest.raises(KeyFuncError):
        meta_namespace_key(t)


def test_split_key():
    assert split_key("ns/name") == ("ns", "name")
    assert split_key("name") == ("", "name")
    for bad in ("a/b/c", "ns/", "/"):
        with pytest.raises(ValueError):
            split_key(bad)


def test_namespace_index():
    assert namespace_index(pod("a", ns="x")) == ["x"]
    assert namespace_index(pod("n", ns="")) == [""]


def test_store_add_update_delete_get_list():
    s = Indexer()
    a, b = pod("a"), pod("b", ns="other")
    s.add(a)
    s.add(b)
    assert s.get_by_key("default/a") == (a, True)
    assert s.get(pod("b", ns="other")) == (b, True)
    assert s.get_by_key("missing") == (None, False)
    a2 = pod("a", rv="2")
    s.update(a2)
    assert s.get_by_key("default/a")[0] is a2
    assert sorted(s.list_keys()) == ["default/a", "other/b"]
    s.delete(a2)
    assert s.list() == [b]
    s.delete(pod("never"))  # deleting an absent key is fine
    assert len(s) == 1


def test_store_replace_swaps_content_and_indexes():
    s = Indexer()
    s.add(pod("a", ns="x"))
    s.replace([pod("b", ns="y"), pod("c", ns="y")], "10")
    assert sorted(s.list_keys()) == ["y/b", "y/c"]
    assert s.by_index("namespace", "x") == []
    assert sorted(o["metadata"]["name"] for o in s.by_index("namespace", "y")) == ["b", "c"]


def test_namespace_index_follows_updates_and_deletes():
    s = Indexer(key_func=lambda o: o["metadata"]["name"])  # key without namespace: ns may change
    s.add(pod("a", ns="x"))
    s.add(pod("b", ns="x"))
    assert sorted(s.index_keys("namespace", "x")) == ["a", "b"]
    s.update(pod("a", ns="y"))
    assert s.index_keys("namespace", "x") == ["b"]
    assert s.index_keys("namespace", "y") == ["a"]
    s.delete(pod("b", ns="x"))
    assert s.index_keys("namespace", "x") == []
    assert s.list_index_values("namespace") == ["y"]


def test_multi_value_index_and_index_by_object():
    def by_label(o):
        return sorted(o.get("labels", []))

    s = Indexer(indexers={"label": by_label})
    s.add({"metadata": {"name": "a"}, "labels": ["red", "big"]})
    s.add({"metadata": {"name": "b"}, "labels": ["red"]})
    s.add({"metadata": {"name": "c"}, "labels": ["blue"]})
    assert sorted(s.index_keys("label", "red")) == ["a", "b"]
    probe = {"metadata": {"name": "z"}, "labels": ["big", "blue"]}
    assert sorted(o["metadata"]["name"] for o in s.index("label", probe)) == ["a", "c"]
    s.update({"metadata": {"name": "a"}, "labels": ["blue"]})
    assert s.index_keys("label", "red") == ["b"]
    assert s.index_keys("label", "big") == []
    assert sorted(s.index_keys("label", "blue")) == ["a", "c"]


def test_unknown_index_and_indexer_conflict():
    s = Indexer()
    with pytest.raises(IndexerError):
        s.by_index("nope", "x")
    with pytest.raises(IndexerError):
        s.add_indexers({"namespace": namespace_index})


def test_add_indexers_indexes_existing_items():
    s = Indexer()
    s.add({"metadata": {"name": "a", "namespace": "n"}, "spec": {"nodeName": "n1"}})
    s.add_indexers({"node": lambda o: [o["spec"]["nodeName"]]})
    assert s.index_keys("node", "n1") == ["n/a"]
    s.add({"metadata": {"name": "b", "namespace": "n"}, "spec": {"nodeName": "n1"}})
    assert sorted(s.index_keys("node", "n1")) == ["n/a", "n/b"]


def test_put_returns_previous_and_delete_returns_removed():
    s = Indexer()
    a1, a2 = pod("a", "1"), pod("a", "2")
    assert s.put(a1) is None
    assert s.put(a2) is a1
    assert s.delete(pod("a")) is a2
    assert s.delete(pod("a")) is None


def test_indexer_deletes_tombstones_with_deletion_handling_key():
    s = Indexer(key_func=deletion_handling_key)
    s.add(pod("a"))
    s.delete(DeletedFinalStateUnknown("default/a", None))
    assert len(s) == 0


def test_concurrent_writers_keep_index_consistent():
    s = Indexer()
    barrier = threading.Barrier(4)

    def writer(t):
        barrier.wait(timeout=5)
        for i in range(500):
            s.add(pod(f"p{t}-{i}", ns=f"ns{i % 3}"))
            if i % 2:
                s.delete(pod(f"p{t}-{i}", ns=f"ns{i % 3}"))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(s) == 4 * 250
    total = sum(len(s.index_keys("namespace", f"ns{i}")) for i in range(3))
    assert total == len(s)


def test_new_delta_types_and_their_infos():
    from kmon.cache.delta_fifo import BookmarkInfo, DeltaType, ReplacedAllInfo, SyncAllInfo

    assert [t.value for t in (DeltaType.ReplacedAll, DeltaType.SyncAll, DeltaType.Bookmark)] == [
        "ReplacedAll", "SyncAll", "Bookmark"]
    assert DeltaType("ReplacedAll") is DeltaType.ReplacedAll and str(DeltaType.Bookmark) == "Bookmark"
    info = ReplacedAllInfo("7", [pod("a")])
    assert (info.resource_version, info.objects) == ("7", [pod("a")])
    assert BookmarkInfo("9").resource_version == "9"
    assert SyncAllInfo() == SyncAllInfo()


def test_store_version_follows_replace_bookmark_and_each_write():
    s = Indexer(track_resource_version=True)
    assert s.last_store_sync_resource_version() == ""
    s.replace([pod("a", "3")], "5")
    assert s.last_store_sync_resource_version() == "5"
    s.bookmark("8")
    assert s.last_store_sync_resource_version() == "8"
    s.add(pod("b", "9"))
    assert s.last_store_sync_resource_version() == "9"
    s.update(pod("b", "10"))
    assert s.last_store_sync_resource_version() == "10"
    s.delete(pod("b", "11"))
    assert s.last_store_sync_resource_version() == "11"
    # a tombstone says nothing about the version; nor does a bare key
    s.delete_key("default/a", DeletedFinalStateUnknown("default/a", pod("a", "3")))
    s.delete_key("default/zz")
    assert s.last_store_sync_resource_version() == "11"
    assert s.list() == []


def test_store_version_is_empty_when_not_tracking():
    s = Indexer(track_resource_version=False)
    s.replace([pod("a", "3")], "5")
    s.bookmark("8")
    s.add(pod("b", "9"))
    assert s.last_store_sync_resource_version() == ""


def test_apply_writes_changes_in_one_step_and_returns_what_each_replaced():
    s = Indexer()
    s.add(pod("a", "1"))
    olds = s.apply([("default/a", pod("a", "2"), False), ("default/b", pod("b", "3"), False),
                    ("default/c", pod("c", "4"), True)])
    assert olds == [pod("a", "1"), None, None]
    assert sorted(s.list_keys()) == ["default/a", "default/b"]
    assert s.last_store_sync_resource_version() == "4"  # the last change's object, a deletion too
    assert s.apply([("default/a", pod("a", "5"), True)]) == [pod("a", "2")]
    assert s.by_index("namespace", "default") == [pod("b", "3")]
    assert s.last_store_sync_resource_version() == "5"
