"""SessionOptions: one frozen value from the flags to every session; variants by replace."""

from __future__ import annotations

import dataclasses

import pytest

from kmon.cache.features import GATES, FeatureGates
from kmon.cache.options import InformerOptions
from kmon.monitor.feed import Feed, SessionItem
from kmon.monitor.contexts import Monitor
from kmon.monitor.session import ContextSession
from kmon.monitor.session_options import DEFAULT_RESOURCES, SessionOptions, informer_features, resolve_options

pytestmark = pytest.mark.timeout(60)


def test_options_are_frozen_normalised_and_varied_by_replace():
    o = SessionOptions(namespace="", label_selector="", resources=["pods", "svc"], metadata_only=1)
    assert (o.namespace, o.label_selector, o.resources, o.metadata_only) == (None, None, ("pods", "svc"), True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.namespace = "x"  # type: ignore[misc]
    v = dataclasses.replace(o, resources=["nodes"])
    assert v.resources == ("nodes",) and o.resources == ("pods", "svc")
    assert SessionOptions().resources == DEFAULT_RESOURCES and SessionOptions().informer == InformerOptions()
    with pytest.raises(TypeError):
        SessionOptions(resources="pods")  # one string is not a list of names


def test_resolve_fills_the_timeout_from_the_environment_and_lists_problems_in_order(monkeypatch):
    monkeypatch.setenv("KMON_WATCH_INACTIVITY_TIMEOUT", "7")
    opts, problems, warnings = resolve_options(SessionOptions())
    assert opts.watch_inactivity_timeout == 7.0 and problems == [] and warnings == []
    assert resolve_options(SessionOptions(watch_inactivity_timeout=3.0))[0].watch_inactivity_timeout == 3.0
    monkeypatch.setenv("KMON_WATCH_INACTIVITY_TIMEOUT", "abc")
    monkeypatch.setenv("HTTP2_PING_TIMEOUT_SECONDS", "-1")
    opts, problems, _ = resolve_options(SessionOptions(label_selector="a in (b", client_go="1.2"))
    assert opts.watch_inactivity_timeout == 90.0
    assert [p.split(" ")[:3] for p in problems] == [
        ["invalid", "label", "selector"],
        ["environment", "variable", "KMON_WATCH_INACTIVITY_TIMEOUT='abc'"],
        ["environment", "variable", "HTTP2_PING_TIMEOUT_SECONDS='-1'"],
        ["--client-go:", "client-go", "1.2"],
    ]


def _no_feature_variables(monkeypatch):
    for gate in GATES:
        monkeypatch.delenv(f"KUBE_FEATURE_{gate}", raising=False)


def test_resolve_gives_the_informers_the_gates_of_client_go_and_the_environment(monkeypatch):
    _no_feature_variables(monkeypatch)
    opts, problems, warnings = resolve_options(SessionOptions())
    assert opts.informer.features == FeatureGates() and opts.informer.features.profile == ""  # the latest
    assert problems == warnings == []
    monkeypatch.setenv("KUBE_FEATURE_WatchListClient", "true")
    monkeypatch.setenv("KUBE_FEATURE_AtomicFIFO", "on")  # not Go's ParseBool: said, default kept
    opts, problems, warnings = resolve_options(SessionOptions(client_go="1.33"))
    gates = opts.informer.features
    assert (gates.profile, gates.in_order_informers, gates.watch_list_client) == ("1.33", True, True)
    assert gates.source("WatchListClient") == "environment" and gates.source("InOrderInformers") == "profile"
    assert problems == [] and warnings == []  # (1.33 has no AtomicFIFO gate: the variable is not read)
    opts, problems, warnings = resolve_options(SessionOptions(client_go="1.36"))
    assert warnings == ["KUBE_FEATURE_AtomicFIFO='on' is not a boolean (true/false, 1/0, t/f); AtomicFIFO stays true"]
    assert opts.informer.features.atomic_fifo
    chosen = FeatureGates.for_client_go("1.32")  # gates already chosen win over client_go
    opts, _, warnings = resolve_options(SessionOptions(client_go="1.36", informer=InformerOptions(features=chosen)))
    assert opts.informer.features is chosen and warnings == []


def test_informer_features_collects_only_its_own_threads_warnings(monkeypatch):
    env = {"KUBE_FEATURE_InOrderInformers": "false"}
    gates, warnings = informer_features("1.36", env)
    assert gates.in_order_informers and warnings == [
        "KUBE_FEATURE_InOrderInformers=false ignored: InOrderInformers is locked to true in client-go 1.36"]
    gates, warnings = informer_features("1.35", env)
    assert not gates.in_order_informers and warnings == []
    with pytest.raises(ValueError):
        informer_features("2")


def test_a_session_says_the_feature_variables_client_go_would_ignore(sim, kubeconfig, monkeypatch):
    _no_feature_variables(monkeypatch)
    monkeypatch.setenv("KUBE_FEATURE_WatchListClient", "yes")
    feed = Feed()
    with ContextSession("good", SessionOptions(kubeconfig=kubeconfig, resources=("configmaps",), client_go="1.35"),
                        feed=feed) as s:
        assert s.options.informer.features.profile == "1.35"
        assert s.wait_synced(10), s.error
        said = [it for it in feed.drain() if isinstance(it, SessionItem) and it.level == "warning"]
    assert [(it.resource, it.message) for it in said] == [
        (None, "good: KUBE_FEATURE_WatchListClient='yes' is not a boolean (true/false, 1/0, t/f); "
               "WatchListClient stays true")]


def test_a_session_runs_its_informers_with_the_options_informer_settings(sim, kubeconfig):
    opts = SessionOptions(kubeconfig=kubeconfig, resources=("configmaps",),
                          informer=InformerOptions(page_size=3, min_watch_timeout=600.0))
    with ContextSession("good", opts, feed=Feed()) as s:
        assert s.options.context == "good" and s.options.resources == ("configmaps",)
        assert s.wait_synced(10), s.error
        inf = s.resources["configmaps"].informer
        assert inf.name == "good/configmaps"  # named per resource unless the options name it
        assert inf.reflector.options.page_size == 3 and inf.reflector.options.min_watch_timeout == 600.0
        assert s.resources["configmaps"].list_watcher is inf.list_watcher


def test_keyword_overrides_are_options_fields(sim, kubeconfig):
    with pytest.raises(TypeError):
        ContextSession("good", kubeconfig=kubeconfig, informer_options={"page_size": 3})
    s = ContextSession("good", SessionOptions(resources=("pods",)), kubeconfig=kubeconfig, namespace="shop")
    assert (s.options.kubeconfig, s.options.namespace, s.options.resources) == (kubeconfig, "shop", ("pods",))


def test_monitor_opens_the_options_context_with_its_kubeconfig(sim, kubeconfig):
    with Monitor(kubeconfig=kubeconfig) as mon:
        s = mon.open_context(options=SessionOptions(context="good", resources=("namespaces",)))
        assert s.context == "good" and s.options.kubeconfig == kubeconfig
        assert s.wait_synced(10), s.error
        assert set(s.resources) == {"namespaces"}
