"""kmon.monitor: the Qt-free application core shared by the GUI and the headless commands.

``ContextSession`` (and ``Monitor``, a set of them) runs the informers of a kubeconfig
context as its ``SessionOptions`` say (built from the flags by ``session_args``); their
threads report into a ``Feed``. A consumer drains it: the GUI folds each batch once with
``view_state.ViewState`` (object trees, history, resource states) and feeds the ``Journal``
(event log) and the ``SeriesBook`` (charts); the headless commands print it or record it
(``recording_writer``). A replay is one more producer (``replay_source``), and
``session_api.Session`` is what a live or a replayed context offers the views. Nothing here
imports Qt.

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
