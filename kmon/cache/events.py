"""What the cache tells its listeners (the monitor's ``Feed``): reflector events and applied
deltas.

``ReflectorEvent`` is emitted on the reflector thread at each step of list/watch/backoff;
``DeltaRecord`` once per delta the informer applied to its indexer. Both are plain values.

Detail keys of ``ReflectorEvent.detail`` by kind:

=============  ==============================================================
``Relist``     ``reason`` ("initial", "watch expired (410)", "watch error: ...",
               "list error: ...", ...), ``resource_version_requested``
``ListStarted`` ``resource_version_requested``, ``reason``
``Page``       ``items`` (in this page), ``pages`` (pages so far)
``ListFinished`` ``items``, ``pages``, ``duration``, ``paginated``,
               ``resource_version_requested``
``WatchStarted`` ``resource_version_requested``, ``reason`` ("watch" or "watch-list")
``WatchEnded`` ``reason`` (a ``kmon.cache.reasons.WatchEndReason``), ``duration``,
               ``items`` (events received), ``error`` (text, when it ended in one)
``Bookmark``   ``items`` (1 when it ended a WatchList's initial events, else 0)
``Expired``    ``error``, ``reason`` (a ``kmon.cache.reasons.ReflectorPhase``: "list",
               "watch", "watch-start")
``Error``      ``error``, ``reason`` (where: a ``kmon.cache.reasons.ReflectorPhase``:
               "list", "watch", "watch-start", "resync", "watch-list"), ``permanent``
               (True when a round failed for good)
``Backoff``    ``delay``, ``reason`` ("round" after each list-and-watch round,
               "watch-retry" before re-watching after a refused watch or a 429)
=============  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ReflectorEventKind(str, Enum):
    ListStarted = "ListStarted"
    ListFinished = "ListFinished"
    Page = "Page"
    Relist = "Relist"
    WatchStarted = "WatchStarted"
    WatchEnded = "WatchEnded"
    Bookmark = "Bookmark"
    Expired = "Expired"
    Error = "Error"
    Backoff = "Backoff"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True, frozen=True)
class ReflectorEvent:
    kind: ReflectorEventKind
    time: float
    resource_version: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class DeltaRecord:
    """One delta as applied by the informer. ``type`` is a ``DeltaType``; ``old_object`` is the
    cached object it replaced (``None`` for adds); ``resource_version`` is the object's."""

    type: Any
    key: str
    object: Any
    old_object: Any
    resource_version: str
    time: float
    is_in_initial_list: bool
