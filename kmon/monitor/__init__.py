"""kmon.monitor: the Qt-free application core shared by the GUI and the headless commands.

Informer threads report into a ``Feed``; the consumer drains it and hands the batch to the
``Journal`` (event log), the ``SeriesBook`` (charts) and the object tree. ``Monitor`` /
``ContextSession`` run the informers of each kubeconfig context, as its ``SessionOptions``
say (the demo's two embedded clusters are ``kmon.sim.demo.DemoCluster``). Nothing here imports Qt.

Public names are re-exported lazily, so ``import kmon.monitor.feed`` stays cheap (the session
layer pulls in the Kubernetes client).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DeltaItem": "feed",
    "Feed": "feed",
    "FeedItem": "feed",
    "ReflectorItem": "feed",
    "SessionItem": "feed",
    "attach": "feed",
    "Journal": "journal",
    "JournalRow": "journal",
    "export_csv": "journal",
    "export_jsonl": "journal",
    "matches": "journal",
    "MASK": "masking",
    "mask_secret": "masking",
    "redact_text": "masking",
    "ResourceSeries": "timeseries",
    "SeriesBook": "timeseries",
    "DEFAULT_RESOURCES": "session_options",
    "SessionOptions": "session_options",
    "ContextSession": "session",
    "SessionState": "session",
    "Monitor": "contexts",
    "ResourceHandle": "resource_handle",
    "VerifyResult": "verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kmon.monitor' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kmon.monitor.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
