"""What the queues hand the informer: ``Delta(type, object)`` and its types, shared by the
classic ``DeltaFIFO`` and the in-order ``RealFIFO`` (client-go's ``Delta``, ``DeltaType``,
``ReplacedAllInfo``, ``SyncAllInfo``, ``BookmarkInfo``).

A delta's ``object`` is an API object (or a ``DeletedFinalStateUnknown``) for the per-object
types; the three atomic types, which only a ``RealFIFO`` with atomic events queues, carry an
info value instead: ``ReplacedAll`` a whole relist (``ReplacedAllInfo``), ``SyncAll`` a whole
resync (``SyncAllInfo``) and ``Bookmark`` a version the store has reached (``BookmarkInfo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple, Protocol

__all__ = [
    "BookmarkInfo", "Delta", "DeltaType", "FIFOClosedError", "KeyListerGetter", "ReplacedAllInfo",
    "SyncAllInfo",
]


class DeltaType(str, Enum):
    Added = "Added"
    Updated = "Updated"
    Deleted = "Deleted"
    # the object came from a relist (Replace)
    Replaced = "Replaced"
    # a periodic resync, or a Replace when emit_delta_type_replaced is False
    Sync = "Sync"
    # (RealFIFO with atomic events) a whole relist as one delta: ReplacedAllInfo
    ReplacedAll = "ReplacedAll"
    # (RealFIFO with atomic events) a whole resync as one delta: SyncAllInfo
    SyncAll = "SyncAll"
    # (RealFIFO emitting bookmarks) the store has reached a version: BookmarkInfo
    Bookmark = "Bookmark"

    def __str__(self) -> str:
        return self.value


class Delta(NamedTuple):
    type: DeltaType
    object: Any


@dataclass(frozen=True, slots=True)
class ReplacedAllInfo:
    """A relist: the version and the objects handed to ``replace`` (transformed already)."""

    resource_version: str
    objects: list[Any]


@dataclass(frozen=True, slots=True)
class SyncAllInfo:
    """A resync of everything the informer holds."""


@dataclass(frozen=True, slots=True)
class BookmarkInfo:
    """The version a watch bookmark reported."""

    resource_version: str


class FIFOClosedError(Exception):
    """``pop`` on a closed, empty queue."""


class KeyListerGetter(Protocol):
    """What a queue asks of the consumer's store (client-go's ``KeyListerGetter``)."""

    def list_keys(self) -> list[str]: ...

    def get_by_key(self, key: str) -> tuple[Any, bool]: ...
