"""What the cache tells its listeners (the monitor's ``Feed``): reflector events and applied
deltas.

``ReflectorEvent`` is emitted on the reflector thread at each step of list/watch/backoff;
``DeltaRecord`` once per object a delta changed in the informer's indexer (per delta on the
classic path). Both are plain values.

On the in-order path with atomic events (``RealFIFO``, client-go's ``AtomicFIFO``), one
``ReplacedAll`` delta (a relist) yields a record per object it touched -- ``Deleted`` with a
``DeletedFinalStateUnknown`` for each cached object the list lacks, then ``Replaced`` for each
listed object, in the order the handlers hear of them -- and one ``SyncAll`` (a resync) a
``Sync`` record per cached object; each of these records carries the same ``DeltaGroup``
(the atomic delta: its type, version and counts), which is how a reader tells one relist
from another. A ``Bookmark`` delta changes no object and yields no record (the store's
version is in ``InformerStats.store_resource_version``; the reflector reports the bookmark).

Detail keys of ``ReflectorEvent.detail`` by kind:

=============  ==============================================================
``Relist``     once per round: ``reason`` ("initial", "watch expired (410)", "watch
               error: ...", "list error: ...", ...), ``resource_version_requested``
``ListStarted`` per attempt: ``resource_version_requested``, ``reason`` (the round's; a
               LIST after a WatchList failed adds "; WatchList refused: ..., listing
               instead"), ``watch_list`` (True for a WatchList)
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
               (True when a round failed for good), ``fallback`` (a WatchList failed and
               the round lists instead: why, "WatchList refused: 422 Invalid")
``Backoff``    ``delay``, ``reason`` ("round" after each list-and-watch round,
               "watch-retry" before re-watching after a refused watch or a 429)
=============  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import msgspec


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
class DeltaGroup:
    """The atomic delta a ``DeltaRecord`` is part of: a ``ReplacedAll`` (a relist at
    ``resource_version``: how many cached objects it deleted, how many listed ones updated a
    cached object with a new version, added one, or left it unchanged -- a resync
    notification) or a ``SyncAll`` (``unchanged``: every cached object)."""

    type: Any  # DeltaType.ReplacedAll or DeltaType.SyncAll
    resource_version: str = ""
    deleted: int = 0
    updated: int = 0
    added: int = 0
    unchanged: int = 0


class DeltaRecord(msgspec.Struct, frozen=True):
    """One delta as applied by the informer. ``type`` is a ``DeltaType``; ``old_object`` is the
    cached object it replaced (``None`` for adds); ``resource_version`` is the object's.
    ``group``: the atomic delta it is part of (see the module doc), else None.

    A msgspec Struct, not a frozen dataclass: one is made per delta on the informer's
    thread, and a frozen dataclass sets each of its eight fields through
    ``object.__setattr__`` (1.2 us against 0.1 us)."""

    type: Any
    key: str
    object: Any
    old_object: Any
    resource_version: str
    time: float
    is_in_initial_list: bool
    group: DeltaGroup | None = None
