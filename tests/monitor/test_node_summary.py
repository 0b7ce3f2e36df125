"""What the detail pane says of a context, namespace or kind row (``node_summary``, no Qt)."""

from __future__ import annotations

from kmon.monitor.node_summary import summarize_node
from kmon.monitor.resource_states import ResourceStates
from kmon.monitor.tree import ObjectTree

from .helpers import delta, refl


def test_rows_are_described_from_the_tree_counts_and_the_states():
    tree, states = ObjectTree(), ResourceStates(clock=lambda: 0.0)
    tree.add_context("c", state="ready")
    tree.apply([delta("Added", "a", "shop", ctx="c"), delta("Added", "b", "shop", ctx="c"),
                delta("Added", "n1", "", ctx="c", res="nodes")])
    states.apply([refl("ListStarted", ctx="c"), refl("Page", ctx="c", items=2, pages=1),
                  refl("ListStarted", ctx="c", res="nodes"), refl("ListFinished", ctx="c", res="nodes", items=1)])
    ctx = tree.context("c")
    s = summarize_node(ctx, server="https://10.0.0.1:6443", states=states)
    assert (s.title, s.subtitle) == ("Context c", "3 objects in 1 namespace")
    assert "https://10.0.0.1:6443" in s.html and "listing… 2 items, 1 page" in s.html and "synced" in s.html
    kind = ctx.child("shop").child("pods")
    s = summarize_node(kind, states=states)
    assert s.title == "pods in shop" and "2 objects cached; informer: listing… 2 items, 1 page" in s.html
    s = summarize_node(ctx.child("cluster-scoped"))
    assert s.title == "Cluster-scoped objects" and s.subtitle == "c · 1 object of 1 kind"
