"""One API client (and its discovery result) per kubeconfig context.

Why this module exists: the monitor shows several contexts and many informers per context;
each context should have one connection pool (one TLS set-up, one exec-plugin credential) and
discovery should be asked once, not per informer. ``ClientCache`` owns them and closes every
pool on ``close()``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from kmon.kube.config import ContextInfo, KubeConfig, api_client_for, load_kubeconfig
from kmon.kube.discovery import ApiResource, discover, resolve

__all__ = ["ClientCache", "KubeContext"]


class KubeContext:
    """A context's API client and (lazily, once) its discovered resources."""

    def __init__(self, info: ContextInfo, api_client: Any) -> None:
        self.info = info
        self.name = info.name
        self.api_client = api_client
        self._lock = threading.Lock()  # guards _resources and _closed
        self._resources: list[ApiResource] | None = None
        self.discovery_errors: list[tuple[str, BaseException]] = []
        self._closed = False

    def resources(self, *, refresh: bool = False) -> list[ApiResource]:
        """Discovered resources (cached; ``refresh=True`` asks the server again)."""
        with self._lock:
            if self._resources is not None and not refresh:
                return self._resources
        errors: list[tuple[str, BaseException]] = []
        found = discover(self.api_client, errors=errors)
        with self._lock:
            self._resources = found
            self.discovery_errors = errors
        return found

    def resolve(self, name: str) -> ApiResource:
        """``name`` as kubectl spells it; re-discovers once if unknown (a CRD may be new)."""
        from kmon.kube.discovery import UnknownResourceError

        try:
            return resolve(self.resources(), name)
        except UnknownResourceError:
            return resolve(self.resources(refresh=True), name)

    def list_watcher(self, resource: ApiResource | str, **kwargs: Any):
        from kmon.kube.listwatch import RestListerWatcher

        res = self.resolve(resource) if isinstance(resource, str) else resource
        return RestListerWatcher(self.api_client, res, **kwargs)

    def informer(
        self,
        resource: ApiResource | str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
        **informer_kwargs: Any,
    ):
        """A ``SharedIndexInformer`` on this context's client (not started; its
        ListerWatcher is ``informer.list_watcher``). The client stays owned by this context."""
        from kmon.kube import informer_for

        res = self.resolve(resource) if isinstance(resource, str) else resource
        return informer_for(res, api_client=self.api_client, namespace=namespace, label_selector=label_selector,
                            field_selector=field_selector, metadata_only=metadata_only, **informer_kwargs)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.api_client.rest_client.pool_manager.clear()
        finally:
            self.api_client.close()

    def __repr__(self) -> str:
        return f"KubeContext({self.name!r}, server={self.info.server!r})"


class ClientCache:
    """``KubeContext`` per context name of one kubeconfig, created on first use."""

    def __init__(self, kubeconfig: KubeConfig | str | os.PathLike[str] | None = None) -> None:
        self._source = kubeconfig
        self._config: KubeConfig | None = kubeconfig if isinstance(kubeconfig, KubeConfig) else None
        self._lock = threading.Lock()  # guards _contexts and _config
        self._contexts: dict[str, KubeContext] = {}

    @property
    def config(self) -> KubeConfig:
        with self._lock:
            if self._config is None:
                self._config = load_kubeconfig(self._source)  # type: ignore[arg-type]
            return self._config

    def get(self, context: str | None = None) -> KubeContext:
        """The context (current one when None); ``KubeconfigError`` if it cannot be used."""
        cfg = self.config
        info = cfg.context(context)
        with self._lock:
            kc = self._contexts.get(info.name)
            if kc is not None and not kc.closed:
                return kc
        client = api_client_for(info.name, cfg)
        with self._lock:
            kc = self._contexts.get(info.name)
            if kc is not None and not kc.closed:
                client.close()
                return kc
            kc = KubeContext(info, client)
            self._contexts[info.name] = kc
            return kc

    __getitem__ = get

    def reload(self) -> KubeConfig:
        """Re-read the kubeconfig (contexts keep their clients until closed)."""
        with self._lock:
            self._config = None if not isinstance(self._source, KubeConfig) else self._source
        return self.config

    def close(self) -> None:
        with self._lock:
            contexts = list(self._contexts.values())
            self._contexts.clear()
        for kc in contexts:
            kc.close()

    def __enter__(self) -> "ClientCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
