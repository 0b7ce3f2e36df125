"""Which decoded bodies of ``RawObject``s are kept, and how many decodes there were.

Why this module exists: a ``RawObject`` decodes its body when a view reads it (the detail
pane, a diff, Verify) and keeps it while it is among the ``BODY_CACHE`` most recently decoded
ones, so reading an object several times costs one decode while browsing never grows the
cache by the decoded size of what was browsed (measured: keeping is ~8x cheaper for a detail
pane's five reads than decoding each time; ``BODY_CACHE`` pod bodies are ~7 MiB). ``STATS``
counts every decode beyond headers, process-wide: tests assert that the informer's hot path
makes none.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

__all__ = ["BODY_CACHE", "RECENT", "STATS", "RawStats"]

BODY_CACHE = 256  # decoded bodies kept (most recently decoded first); ~27 KiB each for a pod


class RawStats:
    """What has been decoded beyond headers, process-wide (for tests and benchmarks)."""

    __slots__ = ("bodies", "metadata", "key_scans", "summaries", "copies")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.bodies = 0  # whole bodies decoded and frozen
        self.metadata = 0  # whole metadata decoded (a key the header does not hold)
        self.key_scans = 0  # top-level key lists read from the bytes
        self.summaries = 0  # per-kind summary parts decoded (raw_summary)
        self.copies = 0  # to_dict() and mutable copies

    def decodes(self) -> int:
        """Every decode beyond headers, summaries excepted."""
        return self.bodies + self.metadata + self.key_scans + self.copies


STATS = RawStats()


class _Recent:
    """The objects whose decoded body (or metadata) is kept; the oldest drops its own when
    more than ``BODY_CACHE`` are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: deque[Any] = deque()

    def add(self, obj: Any) -> None:
        with self._lock:
            self._objects.append(obj)
            while len(self._objects) > BODY_CACHE:
                old = self._objects.popleft()
                old._body = old._md = None

    def clear(self) -> None:
        with self._lock:
            while self._objects:
                old = self._objects.popleft()
                old._body = old._md = None


RECENT = _Recent()
