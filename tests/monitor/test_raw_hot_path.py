"""Nothing on the hot path decodes an object's body: the counter test of issue 14.

Realistic objects (kmon.sim's workload: pods with statuses, deployments, nodes, Secrets,
events) flow RestListerWatcher -> reflector -> queue (both client-go paths) -> informer ->
indexer -> one handler -> the monitor's feed -> the event log's journal -> the tree, the
per-object history and the resource states -> the tree's cells (status summary and age).
``raw_object.STATS`` counts every decode beyond an object's header: it must stay at zero
(the status summaries decode their per-kind part only). The detail pane's YAML, a history
diff and a Secret's masking then decode on demand."""

from __future__ import annotations

import threading

import pytest

from kmon.cache import raw_bodies
from kmon.cache.features import FeatureGates
from kmon.cache.informer import FuncHandler
from kmon.cache.options import InformerOptions
from kmon.cache.raw_object import RawObject
from kmon.kube import api_client_for, discover, resolve
from kmon.kube.api_client import close_client
from kmon.kube.informers import new_informer
from kmon.monitor.feed import Feed, attach
from kmon.monitor.history import object_yaml
from kmon.monitor.journal import Journal
from kmon.monitor.masking import MASK
from kmon.monitor.summary import created_epoch, summarize
from kmon.monitor.tree_node import OBJECT
from kmon.monitor.view_state import ViewState
from kmon.sim.workload import Workload

from waiting import wait_for

pytestmark = pytest.mark.timeout(60)

RESOURCES = ("pods", "deployments.apps", "nodes", "secrets", "configmaps", "events", "namespaces")


class _Listener:
    def on_context_state(self, *a):
        pass

    def on_resources_changed(self, *a):
        pass

    def on_message(self, *a):
        pass


@pytest.mark.parametrize("client_go", ["1.32", "1.36"])
def test_no_body_is_decoded_from_the_wire_to_the_painted_tree(sim, kubeconfig, client_go):
    workload = Workload(sim.store, seed=5, pods=60, namespaces=2)
    workload.populate()
    client = api_client_for("good", kubeconfig)
    stop = threading.Event()
    feed = Feed()
    handled = []

    def on_update(old, new):
        handled.append((old["metadata"]["resourceVersion"], new["metadata"]["name"], new.get("kind")))

    threads, informers = [], []
    found = discover(client)
    for name in RESOURCES:
        res = resolve(found, name)
        inf = new_informer(client, res, options=InformerOptions(features=FeatureGates.for_client_go(client_go)))
        attach(inf, feed, "good", res.full_name)
        inf.add_event_handler(FuncHandler(on_add=lambda o, _i: handled.append(o["metadata"]["name"]),
                                          on_update=on_update, on_delete=lambda o: handled.append(o)))
        informers.append(inf)
        threads.append(threading.Thread(target=inf.run, args=(stop,), daemon=True))
    raw_bodies.RECENT.clear()
    raw_bodies.STATS.reset()
    view, journal = ViewState(), Journal()
    view.add_context("good")
    try:
        for t in threads:
            t.start()
        wait_for(lambda: all(i.has_synced() for i in informers), 20, "initial sync")
        before = sum(sum(i.stats().events.values()) for i in informers)
        workload.step(300)  # pod statuses, replacements (Terminating, deleted), events, scaling
        wait_for(lambda: sum(sum(i.stats().events.values()) for i in informers) >= before + 250, 20, "churn watched")
        items = feed.drain()
        journal.append_items(items)
        view.apply(items, _Listener())
        rows = [n for n in view.tree.walk() if n.level == OBJECT]
        summaries = {n.key: summarize(n.obj, n.resource) for n in rows}  # what the tree's cells paint
        ages = [created_epoch(n.obj) for n in rows]
        s = raw_bodies.STATS
        assert (s.bodies, s.metadata, s.key_scans, s.copies) == (0, 0, 0, 0)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        close_client(client)

    pods = [n for n in rows if n.resource == "pods" and not n.is_deleted]
    assert pods and all(type(n.obj) is RawObject for n in pods)
    assert any(summaries[n.key] for n in pods) and all(ages)  # real summaries came from the parts
    assert handled and len(journal) >= len(items) // 2
    assert s.summaries > 0

    # the views decode on demand
    secret = next(n for n in rows if n.resource == "secrets")
    shown = object_yaml(secret.obj, resource="secrets")
    assert MASK in shown and s.bodies > 0
    assert all(v not in shown for v in secret.obj["data"].values())
    entries = view.history.entries("good", "pods", pods[0].key)
    assert entries and all(type(e.object) is RawObject for e in entries)  # references to raw versions
    assert view.history.diff("good", "pods", pods[0].key, -1) is not None
