"""The one informer factory: options objects in, a named informer over a RestListerWatcher out."""

from __future__ import annotations

import pytest

from kmon.cache.clock import FakeClock
from kmon.cache.options import InformerOptions
from kmon.kube import ListWatchOptions, informer_for, new_informer
from kmon.kube.discovery import ApiResource

from .fakeapi import PODS

NODES = ApiResource(group="", version="v1", kind="Node", plural="nodes", namespaced=False)


def test_new_informer_builds_the_list_watcher_from_its_options(fake_client):
    scope = ListWatchOptions(namespace="shop", label_selector="app=web", metadata_only=True, inactivity_timeout=5.0)
    inf = new_informer(fake_client, PODS, scope, InformerOptions(page_size=7))
    lw = inf.list_watcher
    assert (lw.path, lw.label_selector, lw.metadata_only, lw.inactivity_timeout) == (
        "/api/v1/namespaces/shop/pods", "app=web", True, 5.0)
    assert inf.name == "pods@shop" and inf.reflector.options.page_size == 7
    assert new_informer(fake_client, NODES, ListWatchOptions(namespace="shop")).name == "nodes"
    assert new_informer(fake_client, PODS, options=InformerOptions(name="mine")).name == "mine"


def test_informer_for_takes_informer_options_as_keywords_or_an_object(fake_client):
    clock = FakeClock()
    inf = informer_for(PODS, api_client=fake_client, page_size=3, clock=clock)
    assert inf.reflector.options.page_size == 3 and inf.list_watcher.api_client is fake_client
    inf = informer_for(PODS, api_client=fake_client, options=InformerOptions(page_size=4), resync_period=9.0)
    assert (inf.reflector.options.page_size, inf.reflector.resync_period) == (4, 9.0)
    with pytest.raises(TypeError):
        informer_for(PODS, api_client=fake_client, no_such_option=1)


def test_informer_for_runs_the_client_go_path_it_is_given(fake_client, monkeypatch):
    from kmon.cache.features import FeatureGates

    classic = informer_for(PODS, api_client=fake_client, features=FeatureGates.for_client_go("1.32"))
    assert classic.features.profile == "1.32" and classic.stats().queue == "DeltaFIFO"
    assert not classic.reflector.use_watch_list
    monkeypatch.delenv("KUBE_FEATURE_WatchListClient", raising=False)
    current = new_informer(fake_client, PODS)
    assert current.stats().queue == "RealFIFO (atomic, batched, unlocking)" and current.reflector.use_watch_list
