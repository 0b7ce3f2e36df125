"""The one place kmon builds an informer on a Kubernetes API server.

Why this module exists: every informer kmon runs (a session's resources, ``informer_for`` in
scripts and tests, ``ClientCache``) is a ``RestListerWatcher`` for one resource and scope under
a ``SharedIndexInformer``. ``new_informer`` builds that pair from two options objects:
``ListWatchOptions`` (what the server is asked for and how long kmon waits on it) and the
cache's ``InformerOptions`` (how the informer runs). ``new_list_watcher`` is the first half,
for callers that only list or fetch. ``informer_for`` is the convenience for scripts: it loads
the kubeconfig, builds the client and resolves the resource name first.

Which client-go path an informer runs is ``InformerOptions.features`` (a
``kmon.cache.features.FeatureGates``; None: what a current controller runs, with the
``KUBE_FEATURE_*`` overrides): ``informer_for("pods", features=FeatureGates.for_client_go("1.32"))``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from kmon.cache.clock import Clock
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.options import InformerOptions
from kmon.kube.api_client import api_client_for, close_client
from kmon.kube.config import KubeConfig
from kmon.kube.discovery import ApiResource, discover, resolve
from kmon.kube.listwatch import RestListerWatcher
from kmon.kube.liveness import DEFAULT_INACTIVITY_TIMEOUT, HealthCheck

__all__ = ["ListWatchOptions", "informer_for", "informer_name", "new_informer", "new_list_watcher"]


@dataclass(frozen=True)
class ListWatchOptions:
    """What a ``RestListerWatcher`` asks the server for (kubectl's ``-n``, ``-l``,
    ``--field-selector``; ``metadata_only``: ``PartialObjectMetadata``) and how long it waits:
    ``inactivity_timeout`` (None: no limit) and ``health_check`` (None: client-go's settings
    from the environment); see ``RestListerWatcher``."""

    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    metadata_only: bool = False
    inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT
    health_check: HealthCheck | None = None


def informer_name(resource: ApiResource, namespace: str | None = None) -> str:
    """The name an informer gets unless its options give one: the resource's full name, and
    ``@namespace`` when it watches one namespace of a namespaced resource."""
    return resource.full_name + (f"@{namespace}" if namespace and resource.namespaced else "")


def new_list_watcher(api_client: Any, resource: ApiResource,
                     list_watch: ListWatchOptions = ListWatchOptions()) -> RestListerWatcher:
    """A ``RestListerWatcher`` for ``resource`` on ``api_client`` (the caller owns the client)."""
    return RestListerWatcher(
        api_client,
        resource,
        namespace=list_watch.namespace,
        label_selector=list_watch.label_selector,
        field_selector=list_watch.field_selector,
        metadata_only=list_watch.metadata_only,
        inactivity_timeout=list_watch.inactivity_timeout,
        health_check=list_watch.health_check,
    )


def new_informer(
    api_client: Any,
    resource: ApiResource,
    list_watch: ListWatchOptions = ListWatchOptions(),
    options: InformerOptions = InformerOptions(),
    *,
    clock: Clock | None = None,
) -> SharedIndexInformer:
    """A ``SharedIndexInformer`` (not started: ``run(stop_event)``) over a new
    ``RestListerWatcher`` for ``resource`` on ``api_client``; the ListerWatcher is
    ``informer.list_watcher``. Unnamed ``options`` get ``informer_name``."""
    lw = new_list_watcher(api_client, resource, list_watch)
    if not options.name:
        options = replace(options, name=informer_name(resource, list_watch.namespace))
    return SharedIndexInformer(lw, options=options, clock=clock)


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
    clock: Clock | None = None,
    options: InformerOptions | None = None,
    **informer_options: Any,
) -> SharedIndexInformer:
    """A ``SharedIndexInformer`` for ``resource`` (spelled as for ``kubectl get``) of
    ``context``, ready to ``run(stop_event)``; its ListerWatcher is ``informer.list_watcher``
    (and the API client ``informer.list_watcher.api_client``; the caller owns it unless it
    passed ``api_client``). ``inactivity_timeout`` and ``health_check``: see
    ``RestListerWatcher``. ``options``, or else the other keyword arguments (each an
    ``InformerOptions`` field), say how the informer runs."""
    if options is None:
        options = InformerOptions(**informer_options)
    elif informer_options:
        options = replace(options, **informer_options)
    list_watch = ListWatchOptions(
        namespace=namespace,
        label_selector=label_selector,
        field_selector=field_selector,
        metadata_only=metadata_only,
        inactivity_timeout=inactivity_timeout,
        health_check=health_check,
    )
    client = api_client if api_client is not None else api_client_for(context, kubeconfig)
    try:
        res = resource if isinstance(resource, ApiResource) else resolve(discover(client), resource)
        return new_informer(client, res, list_watch, options, clock=clock)
    except BaseException:
        if api_client is None:
            close_client(client)
        raise
