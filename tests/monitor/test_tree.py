"""ObjectTree: the Qt-free tree, checked through its notifications (no Qt here)."""

from __future__ import annotations

import itertools

from kmon.cache.events import DeltaRecord
from kmon.monitor.feed import DeltaItem
from kmon.monitor.tree import ObjectTree
from kmon.monitor.tree_node import CLUSTER_SCOPED, CONTEXT, KIND, NAMESPACE, OBJECT

_rv = itertools.count(1)


def obj(name, ns=None, kind="Pod", **extra):
    meta = {"name": name, "resourceVersion": str(next(_rv))}
    if ns:
        meta["namespace"] = ns
    return {"kind": kind, "metadata": meta, **extra}


def item(t, o, ctx="c1", res="pods"):
    m = o["metadata"]
    key = f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]
    return DeltaItem(ctx, res, DeltaRecord(t, key, o, None, m["resourceVersion"], 0.0, False))


class Recorder:
    """A listener that mirrors the tree the way a Qt model would (rows only), to prove the
    notifications are sufficient and in the right order."""

    def __init__(self):
        self.calls = []
        self.pending = None

    def begin_insert(self, parent, first, last):
        assert self.pending is None
        assert 0 <= first <= len(parent.children)
        self.pending = ("insert", parent, first, last, len(parent.children))
        self.calls.append(("insert", parent.path(), first, last))

    def end_insert(self):
        _, parent, first, last, before = self.pending
        assert len(parent.children) == before + (last - first + 1)
        self.pending = None

    def begin_remove(self, parent, first, last):
        assert self.pending is None
        assert 0 <= first <= last < len(parent.children)
        self.pending = ("remove", parent, first, last, len(parent.children))
        self.calls.append(("remove", parent.path(), first, last))

    def end_remove(self):
        _, parent, first, last, before = self.pending
        assert len(parent.children) == before - (last - first + 1)
        self.pending = None

    def changed(self, nodes):
        self.calls.append(("changed", sorted(n.path() for n in nodes)))

    def begin_reset(self):
        self.calls.append(("reset",))

    def end_reset(self):
        pass


def check_invariants(tree):
    def rec(node):
        assert node.names == sorted(node.names)
        assert [c.okey for c in node.children] == node.names
        total = 0
        for i, c in enumerate(node.children):
            assert c.parent is node and c.row() == i and c.attached
            total += rec(c) if c.level != OBJECT else (0 if c.is_deleted else 1)
        assert node.count == total, node
        return total

    rec(tree.root)


def test_levels_counts_and_cluster_scoped():
    r = Recorder()
    t = ObjectTree(r)
    t.apply([item("Added", obj("b", "ns1")), item("Added", obj("a", "ns1")),
             item("Added", obj("n1", kind="Node"), res="nodes")])
    check_invariants(t)
    ctx = t.context("c1")
    assert ctx.level == CONTEXT and ctx.count == 3
    assert [n.name for n in ctx.children] == [CLUSTER_SCOPED, "ns1"]
    ns1 = ctx.child("ns1")
    assert ns1.level == NAMESPACE and ns1.child("pods").level == KIND
    assert [o.name for o in ns1.child("pods").children] == ["a", "b"]
    # the whole new context arrived in one insertion at the root
    assert r.calls[0] == ("insert", (), 0, 0)
    assert sum(1 for c in r.calls if c[0] == "insert") == 1


def test_coalescing_and_runs():
    r = Recorder()
    t = ObjectTree(r)
    t.apply([item("Added", obj(n, "ns")) for n in ("a", "c", "e")])
    r.calls.clear()
    o = obj("b", "ns")
    batch = [item("Added", o), item("Updated", {**o, "status": {"phase": "Running"}}),
             item("Added", obj("b2", "ns")), item("Added", obj("f", "ns")),
             item("Updated", obj("a", "ns")), item("Updated", obj("a", "ns"))]
    assert t.apply(batch) == 4  # b, b2, f, a
    check_invariants(t)
    inserts = [c for c in r.calls if c[0] == "insert"]
    # b and b2 fall in the same gap: one run; f is another run (inserted first, at the end)
    assert sorted(inserts) == [("insert", ("c1", "ns", "pods"), 1, 2), ("insert", ("c1", "ns", "pods"), 3, 3)]
    changed = [c for c in r.calls if c[0] == "changed"]
    assert len(changed) == 1  # one notification per batch
    assert ("c1", "ns", "pods", "a") in changed[0][1]
    node = t.find("c1", "pods", "ns/b")
    assert node.last_type == "Updated" and node.obj["status"]["phase"] == "Running"


def test_delete_removes_runs_and_prunes_empty_containers():
    r = Recorder()
    t = ObjectTree(r)
    objs = [obj(n, "ns") for n in "abcdef"] + [obj("x", "other")]
    t.apply([item("Added", o) for o in objs])
    r.calls.clear()
    t.apply([item("Deleted", objs[i]) for i in (1, 2, 4)] + [item("Deleted", objs[6])])
    check_invariants(t)
    removes = [c for c in r.calls if c[0] == "remove"]
    assert ("remove", ("c1", "ns", "pods"), 4, 4) in removes
    assert ("remove", ("c1", "ns", "pods"), 1, 2) in removes
    # namespace "other" went away with its only object
    assert t.context("c1").child("other") is None
    assert [o.name for o in t.context("c1").child("ns").child("pods").children] == ["a", "d", "f"]
    # added then deleted in one batch: nothing at all
    r.calls.clear()
    o = obj("tmp", "ns")
    t.apply([item("Added", o), item("Deleted", o)])
    assert [c for c in r.calls if c[0] in ("insert", "remove")] == []
    assert t.find("c1", "pods", "ns/tmp") is None


def test_keep_deleted_greys_then_expires():
    now = [100.0]
    t = ObjectTree(Recorder(), keep_deleted=3.0, clock=lambda: now[0])
    o = obj("a", "ns")
    t.apply([item("Added", o), item("Added", obj("b", "ns"))])
    t.apply([item("Deleted", o)])
    n = t.find("c1", "pods", "ns/a")
    assert n is not None and n.is_deleted
    assert t.context("c1").count == 1
    check_invariants(t)
    assert t.expire() == 0
    now[0] += 3.5
    assert t.expire() == 1
    assert t.find("c1", "pods", "ns/a") is None
    check_invariants(t)


def test_remove_context_and_resource_and_clear():
    r = Recorder()
    t = ObjectTree(r)
    t.add_context("c0", state="connecting")
    t.apply([item("Added", obj("a", "ns")), item("Added", obj("cm", "ns", kind="ConfigMap"), res="configmaps"),
             item("Added", obj("z", "ns2"), ctx="c2")])
    check_invariants(t)
    assert [c.name for c in t.root.children] == ["c0", "c1", "c2"]
    t.remove_resource("c1", "pods")
    check_invariants(t)
    assert t.find("c1", "pods", "ns/a") is None and t.context("c1").count == 1
    t.remove_context("c2")
    check_invariants(t)
    assert [c.name for c in t.root.children] == ["c0", "c1"]
    t.set_context_state("c0", "failed", "401 Unauthorized")
    assert t.context("c0").error == "401 Unauthorized"
    t.clear()
    assert t.root.children == [] and len(t) == 0 and ("reset",) in r.calls


def test_random_batches_match_a_plain_dict():
    import random

    rnd = random.Random(7)
    t = ObjectTree(Recorder())
    truth = {}
    for _ in range(60):
        batch = []
        for _ in range(rnd.randint(1, 40)):
            ctx = rnd.choice(["c1", "c2"])
            res = rnd.choice(["pods", "configmaps", "nodes"])
            ns = None if res == "nodes" else rnd.choice(["a", "b", "c"])
            name = f"o{rnd.randint(0, 30)}"
            k = (ctx, res, f"{ns}/{name}" if ns else name)
            o = obj(name, ns)
            if k in truth and rnd.random() < 0.4:
                batch.append(item("Deleted", o, ctx, res))
                del truth[k]
            else:
                batch.append(item("Updated" if k in truth else "Added", o, ctx, res))
                truth[k] = o["metadata"]["resourceVersion"]
        t.apply(batch)
        check_invariants(t)
        got = {(n.context, n.resource, n.key): n.rv for n in t.objects()}
        assert got == truth


def test_kind_emptied_and_refilled_in_one_batch():
    r = Recorder()
    t = ObjectTree(r)
    a = obj("a", "ns")
    t.apply([item("Added", a)])
    t.apply([item("Deleted", a), item("Added", obj("b", "ns"))])
    check_invariants(t)
    assert [n.key for n in t.objects()] == ["ns/b"]
    assert t.context("c1").child("ns").child("pods").children[0].name == "b"


def test_sorted_order_moves_rows_and_keeps_invariants():
    import random

    rnd = random.Random(5)
    r = Recorder()
    t = ObjectTree(r)
    live = {}
    t.apply([item("Added", live.setdefault(f"o{i}", obj(f"o{i}", "ns"))) for i in range(20)])
    t.set_order(lambda n: int(n.rv), reverse=True)  # newest resourceVersion first
    assert ("reset",) in r.calls
    for _ in range(30):
        batch = []
        for _ in range(rnd.randint(1, 8)):
            name = f"o{rnd.randint(0, 25)}"
            if name in live and rnd.random() < 0.3:
                batch.append(item("Deleted", live.pop(name)))
            else:
                live[name] = obj(name, "ns")
                batch.append(item("Added", live[name]))
        t.apply(batch)
        check_invariants(t)
        kind = t.context("c1").child("ns").child("pods")
        rvs = [int(n.rv) for n in kind.children]
        assert rvs == sorted(rvs, reverse=True)
        assert {n.name for n in kind.children} == set(live)
    t.set_order(None)
    check_invariants(t)
    kind = t.context("c1").child("ns").child("pods")
    assert [n.name for n in kind.children] == sorted(live)


def test_a_filtered_tree_holds_only_what_matches():
    """``apply(items, match)``: a delta of an object the predicate refuses takes it out (a
    label change, a delete), one that it accepts puts it in."""
    r = Recorder()
    t = ObjectTree(r)
    web = lambda key, o: (o["metadata"].get("labels") or {}).get("app") == "web"  # noqa: E731
    a, b = obj("a", "ns"), obj("b", "ns")
    a["metadata"]["labels"], b["metadata"]["labels"] = {"app": "web"}, {"app": "db"}
    t.apply([item("Added", a), item("Added", b)], web)
    check_invariants(t)
    assert [n.key for n in t.objects()] == ["ns/a"]
    b2 = {**b, "metadata": {**b["metadata"], "labels": {"app": "web"}}}
    a2 = {**a, "metadata": {**a["metadata"], "labels": {"app": "api"}}}
    t.apply([item("Updated", b2), item("Updated", a2)], web)
    check_invariants(t)
    assert [n.key for n in t.objects()] == ["ns/b"] and t.find("c1", "pods", "ns/b").last_type == "Updated"
    t.apply([item("Deleted", b2)], web)
    assert list(t.objects()) == [] and t.context("c1") is not None


def test_load_and_resetting_rebuild_a_tree_as_one_reset():
    from kmon.monitor.tree import Entry

    r = Recorder()
    t = ObjectTree(r)
    t.apply([item("Added", obj("old", "ns"))])
    r.calls.clear()
    pod = obj("p", "ns")
    with t.resetting():
        t.clear()
        t.add_context("c1", state="ready")
        assert t.load([Entry("c1", "pods", "ns/p", pod, last_type="Updated"),
                       Entry("c1", "nodes", "n1", obj("n1", kind="Node"), "77")]) == 2
    assert r.calls == [("reset",)]  # one reset, nothing heard inside it
    check_invariants(t)
    p, n = t.find("c1", "pods", "ns/p"), t.find("c1", "nodes", "n1")
    assert (p.last_type, p.rv, n.rv, n.last_type) == ("Updated", pod["metadata"]["resourceVersion"], "77", "Added")
    assert t.find("c1", "pods", "ns/old") is None and t.context("c1").state == "ready"
    # the listener hears the tree again afterwards
    t.apply([item("Added", obj("q", "ns"))])
    assert any(c[0] == "insert" for c in r.calls)
