"""SessionOptions: one frozen value from the flags to every session; variants by replace."""

from __future__ import annotations

import dataclasses

import pytest

from kmon.cache.options import InformerOptions
from kmon.monitor.feed import Feed
from kmon.monitor.contexts import Monitor
from kmon.monitor.session import ContextSession
from kmon.monitor.session_options import DEFAULT_RESOURCES, SessionOptions, resolve_options

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
    opts, problems = resolve_options(SessionOptions())
    assert opts.watch_inactivity_timeout == 7.0 and problems == []
    assert resolve_options(SessionOptions(watch_inactivity_timeout=3.0))[0].watch_inactivity_timeout == 3.0
    monkeypatch.setenv("KMON_WATCH_INACTIVITY_TIMEOUT", "abc")
    monkeypatch.setenv("HTTP2_PING_TIMEOUT_SECONDS", "-1")
    opts, problems = resolve_options(SessionOptions(label_selector="a in (b"))
    assert opts.watch_inactivity_timeout == 90.0
    assert [p.split(" ")[:3] for p in problems] == [
        ["invalid", "label", "selector"],
        ["environment", "variable", "KMON_WATCH_INACTIVITY_TIMEOUT='abc'"],
        ["environment", "variable", "HTTP2_PING_TIMEOUT_SECONDS='-1'"],
    ]


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
