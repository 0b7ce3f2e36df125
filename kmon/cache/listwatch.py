"""The seam between the reflector and whatever serves lists and watches.

The reflector speaks only these types; ``kmon.kube.RestListerWatcher`` implements them over
HTTP and the tests implement them with fakes (see ``tests/cache/fakes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol, runtime_checkable


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


@dataclass(slots=True)
class WatchEvent:
    """One watch event: type is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."""

    type: str
    object: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Watch(Protocol):
    """An open watch: iterate for events; ``stop()`` may be called from any thread and makes
    the iteration end promptly, even while a read is blocked."""

    def __iter__(self) -> Iterator[WatchEvent]: ...

    def stop(self) -> None: ...


@runtime_checkable
class ListerWatcher(Protocol):
    """What a reflector needs from its source. ``list`` raises ``ApiStatusError`` (or an
    ``OSError`` for transport failures); so does iterating a watch.

    Optional hook: an implementation may also define ``cancel()``, which aborts a ``list``
    call in flight on another thread (it then raises promptly, any exception will do). The
    reflector calls it, possibly several times, only while it is stopping; it needs no
    ``cancel()`` for watches, whose ``stop()`` serves that purpose."""

    def list(self, options: ListOptions) -> ListPage: ...

    def watch(self, options: ListOptions) -> Watch: ...
