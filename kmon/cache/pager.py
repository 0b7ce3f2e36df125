"""Chunked lists (client-go's ``tools/pager``): follow ``continue`` tokens until done.

If a continuation page fails with Expired (the snapshot the first page pinned was compacted
away while we were paging), fall back to one full, unpaged list at the originally requested
version. The first page failing is the caller's problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from kmon.cache.errors import is_expired
from kmon.cache.listwatch import ListerWatcher, ListOptions, ListPage

DEFAULT_PAGE_SIZE = 500


@dataclass(slots=True)
class ListResult:
    items: list[Any]
    resource_version: str
    paginated: bool  # more than one page was needed
    pages: int  # list calls made (including a fallback full list)


def list_all(
    lw: ListerWatcher,
    resource_version: str,
    page_size: int,
    *,
    on_page: Callable[[ListPage, int], None] | None = None,
    stopped: Callable[[], bool] | None = None,
) -> ListResult:
    """List everything at ``resource_version`` in pages of ``page_size`` (0: one call)."""
    options = ListOptions(resource_version=resource_version, limit=page_size)
    items: list[Any] | None = None
    list_rv = ""
    paginated = False
    pages = 0
    while True:
        if stopped is not None and stopped():
            raise _Stopped()
        try:
            page = lw.list(options)
        except Exception as err:
            if not options.continue_ or not is_expired(err):
                raise
            options.limit = 0
            options.continue_ = None
            options.resource_version = resource_version
            page = lw.list(options)
            pages += 1
            if on_page is not None:
                on_page(page, pages)
            return ListResult(page.items, page.resource_version, paginated, pages)
        pages += 1
        if on_page is not None:
            on_page(page, pages)
        if not page.continue_ and items is None:
            return ListResult(page.items, page.resource_version, paginated, pages)
        if items is None:
            items = []
            list_rv = page.resource_version
        items.extend(page.items)
        if not page.continue_:
            return ListResult(items, list_rv, paginated, pages)
        options.continue_ = page.continue_
        # a continue token carries the version; the server refuses both
        options.resource_version = ""
        options.resource_version_match = None
        paginated = True


class _Stopped(Exception):
    """Internal: the list was abandoned because the reflector is stopping."""
