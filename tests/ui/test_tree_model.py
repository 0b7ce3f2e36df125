"""Model tier: the Qt tree model without a view, checked by QAbstractItemModelTester."""

from __future__ import annotations

import random

from PySide6.QtCore import QModelIndex, Qt

from kmon.ui.tree_model import COL_STATUS, NodeRole, ObjectTreeModel

from helpers import item, obj


def rows(model, parent=QModelIndex()):
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def test_model_follows_batches_under_the_tester(qapp, qtmodeltester):
    model = ObjectTreeModel()
    qtmodeltester.check(model, force_py=True)
    rnd = random.Random(3)
    live = {}
    for _ in range(12):
        batch = []
        for _ in range(rnd.randint(1, 12)):
            ctx = rnd.choice(["c1", "c2"])
            res = rnd.choice(["pods", "configmaps", "nodes"])
            ns = None if res == "nodes" else rnd.choice(["a", "b"])
            name = f"o{rnd.randint(0, 20)}"
            k = (ctx, res, name, ns)
            if k in live and rnd.random() < 0.4:
                batch.append(item("Deleted", live.pop(k), ctx, res))
            else:
                live[k] = obj(name, ns, kind="Node" if res == "nodes" else "Pod")
                batch.append(item("Updated" if k in live else "Added", live[k], ctx, res))
        model.apply(batch)
    assert sum(n.count for n in model.tree.root.children) == len(live)
    model.tree.remove_context("c2")
    model.tree.clear()
    assert model.rowCount() == 0


def test_counts_labels_and_changed_rows_only():
    model = ObjectTreeModel()
    model.apply([item("Added", obj(f"p{i}", "ns")) for i in range(10)])
    ctx = model.index(0, 0)
    assert ctx.data() == "c1 (10)"
    ns = model.index(0, 0, ctx)
    kind = model.index(0, 0, ns)
    assert ns.data() == "ns (10)" and kind.data() == "pods (10)"
    assert rows(model, kind)[:3] == ["p0", "p1", "p2"]
    seen = []
    model.dataChanged.connect(lambda a, b: seen.append((a.parent().data(), a.row(), b.row())))
    p3 = model.tree.find("c1", "pods", "ns/p3").obj
    p4 = model.tree.find("c1", "pods", "ns/p4").obj
    p8 = model.tree.find("c1", "pods", "ns/p8").obj
    model.apply([item("Updated", {**p3, "status": {"phase": "Running"}}), item("Updated", p4), item("Updated", p8)])
    object_ranges = [s for s in seen if s[0] == "pods (10)"]
    assert sorted(object_ranges) == [("pods (10)", 3, 4), ("pods (10)", 8, 8)]
    assert model.index(3, COL_STATUS, kind).data() == "Running"
    assert model.index(3, 0, kind).data(NodeRole).key == "ns/p3"
    assert model.index(3, 0, kind).data(Qt.ItemDataRole.BackgroundRole) is not None


def test_sort_inside_the_model_under_the_tester(qapp, qtmodeltester):
    model = ObjectTreeModel(row_cap=3)
    qtmodeltester.check(model, force_py=True)
    objs = {n: obj(n, "a") for n in ("v", "w", "x", "y", "z")}
    model.apply([item("Added", o) for o in objs.values()])
    model.sort(2, Qt.SortOrder.DescendingOrder)  # resourceVersion, newest first
    kind = model.index(0, 0, model.index(0, 0, model.index(0, 0)))
    assert rows(model, kind) == ["z", "y", "x", "… 2 more pods"]
    model.apply([item("Updated", {**objs["v"], "metadata": {**objs["v"]["metadata"], "resourceVersion": "999999"}})])
    assert rows(model, kind) == ["v", "z", "y", "… 2 more pods"]  # the updated row moved up
    model.sort(-1)
    assert rows(model, kind) == ["v", "w", "x", "… 2 more pods"]


def test_row_cap_under_the_tester(qapp, qtmodeltester):
    """Kinds show at most ``row_cap`` objects and a '... more' row; the translation of the
    tree's notifications keeps the model consistent through inserts and removals."""
    from kmon.monitor.tree_node import MORE

    model = ObjectTreeModel(row_cap=4)
    qtmodeltester.check(model, force_py=True)
    rnd = random.Random(11)
    live = {}
    for step in range(40):
        batch = []
        for _ in range(rnd.randint(1, 6)):
            name = f"o{rnd.randint(0, 12):02d}"
            if name in live and rnd.random() < 0.45:
                batch.append(item("Deleted", live.pop(name)))
            else:
                batch.append(item("Updated" if name in live else "Added", live.setdefault(name, obj(name, "ns"))))
        model.apply(batch)
        if not live:
            continue
        kind_idx = model.index(0, 0, model.index(0, 0, model.index(0, 0)))
        shown = [model.index(r, 0, kind_idx).data(NodeRole) for r in range(model.rowCount(kind_idx))]
        names = sorted(live)
        real = [n for n in shown if n.level != MORE]
        assert [n.name for n in real] == names[:4]
        assert (shown[-1].level == MORE) == (len(names) > 4)
        if len(names) > 4:
            assert model.index(len(real), 0, kind_idx).data() == f"… {len(names) - 4:,} more pods"
    model.set_row_cap(None)
    kind_idx = model.index(0, 0, model.index(0, 0, model.index(0, 0)))
    assert model.rowCount(kind_idx) == len(live)


def test_fades_tracked_per_parent_and_the_fade_timer_stops_when_nothing_fades(qapp):
    from kmon.monitor.tree import ObjectTree
    from kmon.ui.tree_view import ObjectTreeView

    now = [100.0]
    model = ObjectTreeModel(ObjectTree(clock=lambda: now[0]))
    view = ObjectTreeView(model)
    model.apply([item("Added", obj("p0", "ns"))])  # a new kind row: collapsed, nothing shown fades
    kind = model.tree.context("c1").child("ns").child("pods")
    assert model.fading_parents() == []
    model.apply([item("Added", obj(f"p{i}", "ns")) for i in range(1, 5)])
    assert model.fading_parents() == [kind]
    assert view._fade.isActive()
    for n in (kind.parent.parent, kind.parent, kind):
        view.expand_node(n)
    assert view._shown(kind)
    view._repaint_fades()
    assert view._fade.isActive()
    now[0] += 2.0  # every fade is over: one last tick forgets them and stops the timer
    view._repaint_fades()
    assert model.fading_parents() == [] and not view._fade.isActive()
    p1 = model.tree.find("c1", "pods", "ns/p1").obj
    model.apply([item("Updated", p1)])
    assert model.fading_parents() == [kind] and view._fade.isActive()
    view.collapse(model.index_for(kind))
    assert not view._shown(kind)


def test_painting_raw_objects_decodes_no_body():
    """The cache's objects are RawObjects (wire bytes + a decoded header): every cell of the
    tree, sorted by status and by age, comes from the header and the per-kind summary part."""
    import orjson

    from kmon.cache import raw_bodies
    from kmon.cache.raw_object import RawObject

    pods = [RawObject(orjson.dumps(obj(f"p{i}", "ns", spec={"containers": [{"name": "c"}]},
                                       status={"phase": "Running", "containerStatuses": [{"ready": True, "restartCount": i}]})))
            for i in range(6)]
    node = RawObject(orjson.dumps(obj("n1", kind="Node", status={"conditions": [{"type": "Ready", "status": "True"}]})))
    model = ObjectTreeModel()
    raw_bodies.STATS.reset()
    model.apply([item("Added", p) for p in pods] + [item("Added", node, res="nodes")])
    texts = []

    def paint(parent=QModelIndex()):
        for r in range(model.rowCount(parent)):
            for c in range(model.columnCount(parent)):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole):
                    texts.append(model.index(r, c, parent).data(role))
            paint(model.index(r, 0, parent))

    paint()
    for column in range(model.columnCount()):
        model.sort(column)
        paint()
    s = raw_bodies.STATS
    assert (s.bodies, s.metadata, s.key_scans, s.copies) == (0, 0, 0, 0)
    assert "Running, 1/1 ready, 5 restarts" in texts and "Ready" in texts  # the summaries themselves
