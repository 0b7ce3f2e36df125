"""ClientCache: one client and one discovery per context, closeable."""

from __future__ import annotations

import pytest

from kmon.cache.listwatch import ListOptions
from kmon.kube import ClientCache, KubeconfigError, ListWatchOptions, UnknownResourceError


def test_client_cache_per_context(tmp_path):
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import write_kubeconfig

    with SimServer(token="a") as s1, SimServer(token="b") as s2:
        path = write_kubeconfig(tmp_path / "kc", [("one", s1), ("two", s2)], namespace="team")
        cache = ClientCache(path)
        assert cache.config.current_context == "one"
        assert [c.namespace for c in cache.config.contexts] == ["team", "team"]
        one = cache.client()
        assert cache.client("one") is one and cache.client("two") is not one
        assert one.configuration.host == s1.url
        res = cache.resources()
        assert cache.resources("one") is res  # discovery asked once
        n = sum(1 for r in s1.requests if r.path == "/apis")
        cache.resolve("one", "po")
        assert sum(1 for r in s1.requests if r.path == "/apis") == n
        lw = cache.list_watcher("two", "deploy", ListWatchOptions(namespace="x"))
        assert lw.path == "/apis/apps/v1/namespaces/x/deployments"
        assert lw.list(ListOptions()).items == []
        with pytest.raises(UnknownResourceError):
            cache.resolve("one", "nosuchthing")
        assert sum(1 for r in s1.requests if r.path == "/apis") == n + 1  # asked again once: a CRD may be new
        with pytest.raises(KubeconfigError):
            cache.client("three")
        inf = cache.informer("two", "wd", ListWatchOptions(namespace="x"))
        assert inf.list_watcher.api_client is cache.client("two")
        assert inf.list_watcher.path == "/apis/demo.kmon.io/v1/namespaces/x/widgets"
        assert inf.name == "widgets.demo.kmon.io@x"
        assert len(one.rest_client.pool_manager.pools) == 1
        cache.close()
        assert len(one.rest_client.pool_manager.pools) == 0  # its connections are closed
        assert cache.client("one") is not one  # a new client after close
        cache.close()
    assert not any(r.method != "GET" for r in list(s1.requests) + list(s2.requests))
