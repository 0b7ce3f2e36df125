"""The seam between the reflector and whatever serves lists and watches.

The reflector speaks only these types; ``kmon.kube.RestListerWatcher`` implements them over
HTTP and the tests implement them with fakes (see ``tests/cache/fakes.py``).

Two capabilities are optional, each declared here as its own Protocol so the reflector asks
for it by type (once per watch or per reflector, never per event): ``BatchedWatch`` (a watch
that hands over its events in the batches they arrived in) and ``CancellableListerWatcher``
(a list-watcher that can abort a ``list`` in flight).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Protocol, runtime_checkable

import msgspec


@dataclass(slots=True)
class ListOptions:
    """Query options of a list or watch call (the fields of metav1.ListOptions kmon uses)."""

    resource_version: str | None = None
    resource_version_match: str | None = None  # "NotOlderThan" | "Exact" | None
    limit: int = 0
    continue_: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    timeout_seconds: int | None = None
    allow_watch_bookmarks: bool = False
    send_initial_events: bool = False


@dataclass(slots=True)
class ListPage:
    """One page of a list: decoded items, the list's resourceVersion and continue token."""

    items: list[dict[str, Any]]
    resource_version: str
    continue_: str = ""
    # how many objects the server says remain after this page (metadata.remainingItemCount)
    remaining_item_count: int | None = None


class WatchEvent(msgspec.Struct):
    """One watch event: type is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. (A msgspec
    Struct: one is made per event on the watch's thread, in a tenth of a dataclass's time.)"""

    type: str
    object: dict[str, Any] = msgspec.field(default_factory=dict)


@runtime_checkable
class Watch(Protocol):
    """An open watch: iterate for events; ``stop()`` may be called from any thread and makes
    the iteration end promptly, even while a read is blocked."""

    def __iter__(self) -> Iterator[WatchEvent]: ...

    def stop(self) -> None: ...


@runtime_checkable
class BatchedWatch(Watch, Protocol):
    """A watch that can also hand over its events in batches (``kmon.kube.RestWatch``: all
    complete lines of one socket read). ``batches()`` is read *instead of* iterating the
    watch; the reflector prefers it, so a burst costs one hand-over to the store per batch."""

    def batches(self) -> Iterator[list[WatchEvent]]: ...


@runtime_checkable
class ListerWatcher(Protocol):
    """What a reflector needs from its source. ``list`` raises ``ApiStatusError`` (or an
    ``OSError`` for transport failures); so does iterating a watch.

    An implementation may also offer ``cancel()``: see ``CancellableListerWatcher``."""

    def list(self, options: ListOptions) -> ListPage: ...

    def watch(self, options: ListOptions) -> Watch: ...


@runtime_checkable
class CancellableListerWatcher(ListerWatcher, Protocol):
    """A list-watcher whose ``cancel()`` aborts a ``list`` call in flight on another thread
    (it then raises promptly, any exception will do). The reflector calls it, possibly
    several times, only while it is stopping; watches need no ``cancel()``, their ``stop()``
    serves that purpose."""

    def cancel(self) -> None: ...


def event_batches(watch: Watch) -> Iterator[list[WatchEvent]]:
    """The events of ``watch`` in batches: its own (``BatchedWatch``), else one event each."""
    if isinstance(watch, BatchedWatch):
        return watch.batches()
    return one_by_one(iter(watch))


def one_by_one(events: Iterator[WatchEvent]) -> Iterator[list[WatchEvent]]:
    """``events`` as batches of one (what the watch loop reads from a plain iterator)."""
    for event in events:
        yield [event]
