"""The reflector's resource-version bookkeeping (client-go's ``lastSyncResourceVersion``,
``isLastSyncResourceVersionUnavailable`` and ``paginatedResult``) and what follows from it:
the version a list, a watch or a WatchList asks for, and the page size of a list.

Only the reflector that owns a ``SyncVersion`` writes it (from its own thread); anyone may
read it (``InformerStats`` does).
"""

from __future__ import annotations

import threading

from kmon.cache.pager import DEFAULT_PAGE_SIZE


class SyncVersion:
    __slots__ = ("_lock", "_last", "_unavailable", "paginated")

    def __init__(self) -> None:
        # _lock makes reading the pair (_last, _unavailable) consistent against
        # ``set_unavailable``; _last alone is read and written without it (atomic)
        self._lock = threading.Lock()
        self._last = ""
        self._unavailable = False
        self.paginated = False  # an initial "0" list came back in pages

    @property
    def last(self) -> str:
        """The last synced version ("" before any sync)."""
        return self._last

    @property
    def unavailable(self) -> bool:
        """The last list or watch said the version is gone (410) or not there yet."""
        return self._unavailable

    def synced(self, resource_version: str) -> None:
        # (no lock: only the owning reflector's thread writes, and it reads the pair itself;
        # an attribute store is atomic for other readers -- the watch hot path calls this)
        self._last = resource_version

    def set_unavailable(self, unavailable: bool) -> None:
        with self._lock:
            self._unavailable = unavailable

    def for_relist(self) -> str:
        """``""`` if the last version is unavailable, ``"0"`` before any sync, else the last
        synced version."""
        with self._lock:
            if self._unavailable:
                return ""
            return self._last or "0"

    def for_watch_list(self) -> str:
        """``""`` if the last version is unavailable (or before any sync), else the last one."""
        with self._lock:
            return "" if self._unavailable else self._last

    def page_size(self, configured: int, resource_version: str) -> int:
        """Page size of a list from ``resource_version``: the configured one if set; else the
        pager's once an initial list came back paginated; else none for versions other
        than ``""``/``"0"`` (the server answers those from its watch cache); else the pager's."""
        if configured:
            return configured
        if self.paginated:
            return DEFAULT_PAGE_SIZE
        if resource_version not in ("", "0"):
            return 0
        return DEFAULT_PAGE_SIZE
