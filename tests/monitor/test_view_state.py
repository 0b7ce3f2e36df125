"""``ViewState``: one drained batch folded into the trees, the history and the resource
states, with what else changed told to a listener; the filtered tree; a seek to another
moment. No Qt (the workspace's signals: tests/ui/test_bridge.py)."""

from __future__ import annotations

from kmon.monitor.feed import SessionItem
from kmon.monitor.object_filter import parse_filter
from kmon.monitor.view_state import ViewState

from .helpers import delta, pod, refl


class Heard:
    def __init__(self):
        self.calls = []

    def on_context_state(self, context, state, error):
        self.calls.append(("state", context, state, error))

    def on_resources_changed(self, context):
        self.calls.append(("resources", context))

    def on_message(self, level, text):
        self.calls.append(("message", level, text))


class Resets:
    """A tree listener counting resets and everything else."""

    def __init__(self):
        self.resets, self.other = 0, 0

    def begin_reset(self):
        self.resets += 1

    def end_reset(self):
        pass

    def __getattr__(self, name):
        def other(*_a):
            self.other += 1
        return other


def labelled(name, app, rv):
    o = pod(name, "ns", rv)
    o["metadata"]["labels"] = {"app": app}
    return o


def lab(typ, name, app, rv):
    return delta(typ, name, "ns", rv, ctx="c", obj=labelled(name, app, rv))


def test_a_batch_feeds_tree_history_states_and_tells_the_rest():
    v, heard = ViewState(clock=lambda: 10.0), Heard()
    v.add_context("c")
    v.add_context("gone")
    v.remove_context("gone")
    batch = [SessionItem("c", None, "info", "c: ready", "ready", 1.0),
             refl("ListStarted", ctx="c", t=1.0), refl("Page", ctx="c", t=1.0, items=2, pages=1),
             delta("Added", "a", rv="1", ctx="c", t=1.0), delta("Updated", "a", rv="2", ctx="c", t=1.1),
             SessionItem("c", "pods", "info", "pods: started", "started", 1.2),
             SessionItem("c", "pods", "error", "pods: 403", "failed", 1.3),
             SessionItem("gone", "pods", "error", "not shown: closed", "failed", 1.3)]
    assert v.apply(batch, heard) == batch
    assert [n.key for n in v.tree.objects()] == ["default/a"] and v.tree.find("c", "pods", "default/a").rv == "2"
    assert len(v.history.entries("c", "pods", "default/a")) == 2
    assert v.tree.context("c").state == "ready"
    assert v.tree.context("c").child("default").child("pods").progress == "⚠ pods: 403"
    assert heard.calls == [("state", "c", "ready", ""), ("resources", "c"), ("resources", "c"),
                           ("message", "error", "pods: 403")]
    # a stopped resource: rows and state gone, its late items dropped
    v.stop_resource("c", "pods")
    assert list(v.tree.objects()) == [] and ("c", "pods") not in v.states.resources
    assert v.apply([delta("Added", "late", ctx="c")], heard) == []
    v.start_resource("c", "pods")
    assert len(v.apply([delta("Added", "b", ctx="c")], heard)) == 1


def test_context_progress_sums_the_listing_resources():
    v = ViewState(clock=lambda: 0.0)
    v.add_context("c")
    v.apply([refl("ListStarted", ctx="c"), refl("Page", ctx="c", items=500, pages=1),
             refl("ListStarted", ctx="c", res="nodes"), refl("Page", ctx="c", res="nodes", items=3)], Heard())
    assert v.tree.context("c").progress == "listing 2 resources… 503 items, 2 pages"
    v.apply([refl("ListFinished", ctx="c", items=500), refl("ListFinished", ctx="c", res="nodes", items=3)], Heard())
    assert v.tree.context("c").progress == ""


def test_the_filtered_tree_follows_batches():
    v = ViewState()
    v.add_context("c")
    v.apply([lab("Added", "a", "web", "1"), lab("Added", "b", "db", "2")], Heard())
    tree = v.set_filter(parse_filter("app=web"))
    assert tree is v.filtered and [n.key for n in tree.objects()] == ["ns/a"]
    assert v.trees() == [v.tree, tree]
    v.apply([lab("Updated", "b", "web", "3"), lab("Updated", "a", "api", "4")], Heard())
    assert [n.key for n in tree.objects()] == ["ns/b"] and len(v.tree) == 2
    assert v.set_filter(parse_filter("  ")) is None and v.filtered is None and v.trees() == [v.tree]


def test_reset_to_rebuilds_each_tree_as_one_reset():
    v = ViewState()
    v.add_context("c")
    v.apply([lab("Added", "old", "web", "1")], Heard())
    v.set_filter(parse_filter("app=web"))
    full, filtered = Resets(), Resets()
    v.tree.listener, v.filtered.listener = full, filtered
    history = [refl("ListStarted", ctx="c"), refl("ListFinished", ctx="c", items=2),
               lab("Updated", "a", "web", "5")]
    caches = {("c", "pods"): {"ns/a": labelled("a", "web", "5"), "ns/b": labelled("b", "db", "6")},
              ("closed", "pods"): {"ns/x": labelled("x", "web", "7")}}
    v.reset_to(caches, history)
    assert (full.resets, full.other, filtered.resets, filtered.other) == (1, 0, 1, 0)
    assert sorted(n.key for n in v.tree.objects()) == ["ns/a", "ns/b"]
    assert [n.key for n in v.filtered.objects()] == ["ns/a"]
    a = v.tree.find("c", "pods", "ns/a")
    assert (a.last_type, a.rv, a.changed_at) == ("Updated", "5", 0.0)
    assert [e.resource_version for e in v.history.entries("c", "pods", "ns/a")] == ["5"]
    assert v.states.get("c", "pods").state == "synced"
