"""ClientCache / KubeContext: one client and one discovery per context, closeable."""

from __future__ import annotations

import pytest

from kmon.cache.listwatch import ListOptions
from kmon.kube import ClientCache, KubeconfigError, UnknownResourceError


def test_client_cache_per_context(tmp_path):
    from kmon.sim import SimServer
    from kmon.sim.kubeconfig import write_kubeconfig

    with SimServer(token="a") as s1, SimServer(token="b") as s2:
        path = write_kubeconfig(tmp_path / "kc", [("one", s1), ("two", s2)], namespace="team")
        cache = ClientCache(path)
        assert cache.config.current_context == "one"
        assert [c.namespace for c in cache.config.contexts] == ["team", "team"]
        one = cache.get()
        assert cache.get("one") is one and cache.get("two") is not one
        assert one.api_client.configuration.host == s1.url
        res = one.resources()
        assert one.resources() is res  # discovery asked once
        n = sum(1 for r in s1.requests if r.path == "/apis")
        one.resolve("po")
        assert sum(1 for r in s1.requests if r.path == "/apis") == n
        lw = cache.get("two").list_watcher("deploy", namespace="x")
        assert lw.path == "/apis/apps/v1/namespaces/x/deployments"
        assert lw.list(ListOptions()).items == []
        with pytest.raises(UnknownResourceError):
            one.resolve("nosuchthing")
        with pytest.raises(KubeconfigError):
            cache.get("three")
        inf = cache.get("two").informer("wd", namespace="x")
        assert inf.list_watcher.api_client is cache.get("two").api_client
        assert inf.list_watcher.path == "/apis/demo.kmon.io/v1/namespaces/x/widgets"
        cache.close()
        assert one.closed
        assert cache.get("one") is not one  # a new client after close
        cache.close()
    assert not any(r.method != "GET" for r in list(s1.requests) + list(s2.requests))
