"""One API client (and its discovery result) per kubeconfig context.

Why this module exists: a script or tool looking at several contexts, with many informers per
context, should open one connection pool per context (one TLS set-up, one exec-plugin
credential) and ask discovery once, not per informer. ``ClientCache`` owns them and closes
every pool on ``close()``. (A monitor session holds its own client: ``kmon.monitor.session``.)
"""

from __future__ import annotations

import os
import threading
from typing import Any

from kmon.cache.informer import SharedIndexInformer
from kmon.cache.options import InformerOptions
from kmon.kube.api_client import api_client_for, close_client
from kmon.kube.config import KubeConfig, load_kubeconfig
from kmon.kube.discovery import ApiResource, UnknownResourceError, discover, resolve
from kmon.kube.informers import ListWatchOptions, new_informer, new_list_watcher
from kmon.kube.listwatch import RestListerWatcher

__all__ = ["ClientCache"]


class ClientCache:
    """An API client per context name of one kubeconfig, created on first use, and each
    context's discovered resources, asked once. Context names: None is the current one;
    ``KubeconfigError`` for one that cannot be used."""

    def __init__(self, kubeconfig: KubeConfig | str | os.PathLike[str] | None = None) -> None:
        self._source = kubeconfig
        self._config: KubeConfig | None = kubeconfig if isinstance(kubeconfig, KubeConfig) else None
        self._lock = threading.Lock()  # guards every attribute below and _config
        self._clients: dict[str, Any] = {}
        self._resources: dict[str, list[ApiResource]] = {}
        # per context: the API groups that did not answer its last discovery
        self.discovery_errors: dict[str, list[tuple[str, BaseException]]] = {}

    @property
    def config(self) -> KubeConfig:
        with self._lock:
            if self._config is None:
                self._config = load_kubeconfig(self._source)  # type: ignore[arg-type]
            return self._config

    def client(self, context: str | None = None) -> Any:
        """The context's API client (owned by the cache: closed by ``close``)."""
        name = self.config.context(context).name
        with self._lock:
            client = self._clients.get(name)
        if client is not None:
            return client
        client = api_client_for(name, self.config)
        with self._lock:
            existing = self._clients.setdefault(name, client)
        if existing is not client:  # another thread made one meanwhile
            close_client(client)
        return existing

    def resources(self, context: str | None = None, *, refresh: bool = False) -> list[ApiResource]:
        """The context's discovered resources (cached; ``refresh=True`` asks the server again)."""
        name = self.config.context(context).name
        with self._lock:
            found = self._resources.get(name)
        if found is not None and not refresh:
            return found
        errors: list[tuple[str, BaseException]] = []
        found = discover(self.client(name), errors=errors)
        with self._lock:
            self._resources[name] = found
            self.discovery_errors[name] = errors
        return found

    def resolve(self, context: str | None, name: str) -> ApiResource:
        """``name`` as kubectl spells it; re-discovers once if unknown (a CRD may be new)."""
        try:
            return resolve(self.resources(context), name)
        except UnknownResourceError:
            return resolve(self.resources(context, refresh=True), name)

    def list_watcher(self, context: str | None, resource: ApiResource | str,
                     list_watch: ListWatchOptions = ListWatchOptions()) -> RestListerWatcher:
        """A ``RestListerWatcher`` on the context's client."""
        res = self.resolve(context, resource) if isinstance(resource, str) else resource
        return new_list_watcher(self.client(context), res, list_watch)

    def informer(self, context: str | None, resource: ApiResource | str,
                 list_watch: ListWatchOptions = ListWatchOptions(),
                 options: InformerOptions = InformerOptions()) -> SharedIndexInformer:
        """A ``SharedIndexInformer`` on the context's client (not started; its ListerWatcher
        is ``informer.list_watcher``). The client stays owned by the cache."""
        res = self.resolve(context, resource) if isinstance(resource, str) else resource
        return new_informer(self.client(context), res, list_watch, options)

    def reload(self) -> KubeConfig:
        """Re-read the kubeconfig (open clients are kept until closed)."""
        with self._lock:
            self._config = None if not isinstance(self._source, KubeConfig) else self._source
        return self.config

    def close(self) -> None:
        """Close every client; the cache stays usable (the next use opens new ones)."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            self._resources.clear()
        for client in clients:
            close_client(client)

    def __enter__(self) -> "ClientCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
