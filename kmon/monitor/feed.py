"""The hand-off between informer threads and whoever consumes what they saw.

Why this module exists: informer listeners run on the reflector and processing threads and
must never block, while the GUI (and the headless commands) want what happened in batches,
oldest first, on their own schedule (the GUI drains on a ~10 Hz timer). A ``Feed`` is the one
queue between the two: producers append in O(1) without taking a lock, the consumer takes
everything queued at once.

Items are small, immutable records that *reference* the cache's objects; consumers must treat
those objects as read-only (they are the indexer's own dicts).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Literal, Union

import msgspec

if TYPE_CHECKING:  # the cache is only needed for the types
    from kmon.cache.events import DeltaRecord, ReflectorEvent

__all__ = [
    "DeltaItem",
    "Feed",
    "FeedItem",
    "ReflectorItem",
    "SessionItem",
    "attach",
]

Level = Literal["info", "warning", "error"]


class DeltaItem(msgspec.Struct, frozen=True, gc=False):
    """One delta the informer applied to its indexer (the indexer already reflects it).

    A msgspec Struct: one is made per delta on the informer's thread (150,000 for a large
    cluster's initial lists), and a frozen dataclass sets each field through
    ``object.__setattr__`` (0.71 us against 0.07 us). Not tracked by the cyclic collector:
    it refers to a record and strings, never back to itself."""

    context: str
    resource: str
    record: "DeltaRecord"

    @property
    def time(self) -> float:
        return self.record.time


@dataclass(frozen=True, slots=True)
class ReflectorItem:
    """One thing the reflector did: list, page, watch start/end, bookmark, 410, backoff..."""

    context: str
    resource: str
    event: "ReflectorEvent"

    @property
    def time(self) -> float:
        return self.event.time


@dataclass(frozen=True, slots=True)
class SessionItem:
    """A change in the life of a session or of one of its resources (``resource`` None means
    the whole context). ``state`` is e.g. "connecting", "ready", "failed", "started",
    "stopped", "verified"; ``message`` is for people and never holds a credential.
    ``detail`` carries machine-readable extras (a verify outcome's counts, for instance)."""

    context: str
    resource: str | None
    level: Level
    message: str
    state: str
    time: float = field(default_factory=time.time)
    detail: dict[str, Any] | None = None


FeedItem = Union[DeltaItem, ReflectorItem, SessionItem]


class Feed:
    """A thread-safe FIFO of feed items with many producers and (usually) one consumer.

    ``put``/``extend`` are a single ``deque.append``/``deque.extend`` (atomic in CPython, no
    lock), so an informer thread pushing tens of thousands of items per second spends well
    under a microsecond per item here. ``drain`` pops exactly the items that were queued when
    it started, oldest first; items put meanwhile wait for the next drain. Concurrent drains
    are serialised by ``_drain_lock`` (which guards nothing but the popping).

    The feed is unbounded: a consumer that stops draining makes it grow. ``high_water`` (the
    largest length seen by ``drain``) lets a consumer notice it is falling behind.
    """

    __slots__ = ("_items", "_drain_lock", "high_water")

    def __init__(self, items: Iterable[FeedItem] = ()) -> None:
        self._items: deque[FeedItem] = deque(items)
        self._drain_lock = threading.Lock()  # guards: popping from _items (drainers only)
        self.high_water = 0

    def put(self, item: FeedItem) -> None:
        self._items.append(item)

    def extend(self, items: Iterable[FeedItem]) -> None:
        """Append several items; they stay together and in order only if ``items`` is a
        sequence (a generator is iterated while other producers may append)."""
        self._items.extend(items)

    def drain(self, max_items: int | None = None) -> list[FeedItem]:
        """Everything queued (at most ``max_items``), oldest first."""
        with self._drain_lock:
            items = self._items
            n = len(items)
            if n > self.high_water:
                self.high_water = n
            if max_items is not None and max_items < n:
                n = max(0, max_items)
            pop = items.popleft
            return [pop() for _ in range(n)]

    def clear(self) -> int:
        """Drop everything queued; returns how many items were dropped."""
        return len(self.drain())

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"<Feed queued={len(self._items)} high_water={self.high_water}>"


def attach(informer: Any, feed: Feed, context: str, resource: str) -> None:
    """Make ``informer`` report into ``feed``: every applied delta becomes a ``DeltaItem``
    and every reflector event a ``ReflectorItem``, tagged with ``context`` and ``resource``.

    The listeners only build small records and append them: they never block the informer.
    Call before ``informer.run`` so that the initial list is reported too.
    """
    put = feed.put
    extend = feed.extend

    def on_deltas(records: list["DeltaRecord"]) -> None:
        extend([DeltaItem(context, resource, r) for r in records])

    def on_reflector(event: "ReflectorEvent") -> None:
        put(ReflectorItem(context, resource, event))

    informer.add_delta_listener(on_deltas)
    informer.add_reflector_listener(on_reflector)
