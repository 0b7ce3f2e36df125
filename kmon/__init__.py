"""kmon: a monitor of Kubernetes informer caches, as a desktop app and as terminal commands.

Layers, each importing only the ones before it (``docs/architecture.md``;
``tests/test_architecture.py`` checks that no import cycles back):
``kmon.cache`` (informer machinery) -> ``kmon.kube`` (kubeconfig, discovery, REST) ->
``kmon.monitor`` (Qt-free application core) -> ``kmon.headless`` (terminal commands) and
``kmon.ui`` (Qt, the only package that imports it). ``kmon.sim`` is the embedded API server
used by ``kmon --demo`` and by the tests; ``kmon.selectors`` and ``kmon.env`` are leaves every
layer may use.
"""

__version__ = "0.1.0"
