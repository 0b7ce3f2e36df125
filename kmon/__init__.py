"""kmon: a desktop monitor of Kubernetes informer caches.

Layers, each importing only the ones before it:
``kmon.cache`` (informer machinery) -> ``kmon.kube`` (kubeconfig, discovery, REST) ->
``kmon.monitor`` (Qt-free application core) -> ``kmon.ui`` (Qt). ``kmon.sim`` is the
embedded API server used by ``kmon --demo`` and by the tests.
"""

__version__ = "0.1.0"
