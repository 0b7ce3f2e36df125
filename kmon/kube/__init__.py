"""kmon.kube: kubeconfig contexts, API clients, discovery and the REST ListerWatcher.

This layer talks to clusters, read-only: it only ever issues GET (discovery, list, watch,
get). It imports ``kmon.cache`` and never Qt. Every informer on a cluster is built by
``kmon.kube.informers.new_informer`` (``informer_for`` is its convenience for scripts).
"""

from __future__ import annotations

from kmon.kube.api_client import api_client_for, close_client
from kmon.kube.clients import ClientCache
from kmon.kube.config import ContextInfo, KubeConfig, KubeconfigError, load_kubeconfig
from kmon.kube.discovery import ApiResource, UnknownResourceError, discover, resolve
from kmon.kube.informers import ListWatchOptions, informer_for, new_informer, new_list_watcher
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
    "KubeconfigError",
    "ListWatchOptions",
    "RestListerWatcher",
    "RestWatch",
    "UnknownResourceError",
    "WatchCancelledError",
    "WatchDecodeError",
    "api_client_for",
    "close_client",
    "discover",
    "informer_for",
    "load_kubeconfig",
    "new_informer",
    "new_list_watcher",
    "resolve",
]
