"""kmon.kube: kubeconfig contexts, API clients, discovery and the REST ListerWatcher.

This layer talks to clusters, read-only: it only ever issues GET (discovery, list, watch,
get). It imports ``kmon.cache`` and never Qt.
"""

from __future__ import annotations

import os
from typing import Any

from kmon.kube.clients import ClientCache, KubeContext
from kmon.kube.config import ContextInfo, KubeConfig, KubeconfigError, api_client_for, load_kubeconfig
from kmon.kube.discovery import ApiResource, UnknownResourceError, discover, resolve
from kmon.kube.listwatch import (
    DEFAULT_INACTIVITY_TIMEOUT,
    RestListerWatcher,
    RestWatch,
    WatchCancelledError,
    WatchDecodeError,
)
from kmon.kube.liveness import HealthCheck

__all__ = [
    "DEFAULT_INACTIVITY_TIMEOUT",
    "ApiResource",
    "ClientCache",
    "ContextInfo",
    "HealthCheck",
    "KubeConfig",
    "KubeContext",
    "KubeconfigError",
    "RestListerWatcher",
    "RestWatch",
    "UnknownResourceError",
    "WatchCancelledError",
    "WatchDecodeError",
    "api_client_for",
    "discover",
    "informer_for",
    "load_kubeconfig",
    "resolve",
]


def informer_for(
    resource: str | ApiResource,
    *,
    context: str | None = None,
    kubeconfig: KubeConfig | str | os.PathLike[str] | None = None,
    namespace: str | None = None,
    label_selector: str | None = None,
    field_selector: str | None = None,
    metadata_only: bool = False,
    api_client: Any = None,
    inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
    health_check: HealthCheck | None = None,
    **informer_kwargs: Any,
):
    """A ``SharedIndexInformer`` for ``resource`` (spelled as for ``kubectl get``) of
    ``context``, ready to ``run(stop_event)``; its ListerWatcher is ``informer.list_watcher``
    (and the API client ``informer.list_watcher.api_client``; the caller owns it unless it
    passed ``api_client``). ``inactivity_timeout`` and ``health_check``: see
    ``RestListerWatcher``. Extra keyword arguments go to ``SharedIndexInformer``."""
    from kmon.cache.informer import SharedIndexInformer

    client = api_client if api_client is not None else api_client_for(context, kubeconfig)
    try:
        res = resource if isinstance(resource, ApiResource) else resolve(discover(client), resource)
        lw = RestListerWatcher(
            client,
            res,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            metadata_only=metadata_only,
            inactivity_timeout=inactivity_timeout,
            health_check=health_check,
        )
        informer_kwargs.setdefault("name", res.full_name + (f"@{namespace}" if namespace and res.namespaced else ""))
        informer = SharedIndexInformer(lw, **informer_kwargs)
    except BaseException:
        if api_client is None:
            client.close()
        raise
    if getattr(informer, "list_watcher", None) is not lw:
        try:
            informer.list_watcher = lw
        except AttributeError:
            pass
    return informer
