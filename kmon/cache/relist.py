"""The LIST half of a reflector round (client-go's ``Reflector.list``): list everything,
paged by the pager's rules, and ``store.replace`` it.

A list whose version is gone (410 Expired) or not there yet ("too large resource version")
is asked again at once from the newest data (``""``), with the same paging; the version is
then marked unavailable until a list succeeds. Decoding runs with the collector paused
(``gcguard``): a list creates millions of containers at once.
"""

from __future__ import annotations

from typing import Callable

from kmon.cache import gcguard
from kmon.cache.errors import is_expired, is_too_large_resource_version
from kmon.cache.events import ReflectorEventKind as K
from kmon.cache.listwatch import ListerWatcher, ListPage
from kmon.cache.pager import ListResult, _Stopped, list_all
from kmon.cache.reasons import InformerState, ReflectorPhase, classify_error
from kmon.cache.report import ReflectorReport
from kmon.cache.sync_version import SyncVersion
from kmon.cache.watch_sink import ReflectorStore


def list_into(
    lw: ListerWatcher,
    store: ReflectorStore,
    version: SyncVersion,
    report: ReflectorReport,
    *,
    page_size: int,
    reason: str,
    stopped: Callable[[], bool],
) -> bool:
    """List from ``version.for_relist()`` and replace ``store`` (``reason``: why, for the
    report); ``page_size``: the configured one (0: the pager's rules). False if abandoned
    because ``stopped()``; raises what the list raises otherwise."""
    rv = version.for_relist()
    start = report.list_started(rv, reason)
    size = version.page_size(page_size, rv)

    def on_page(page: ListPage, n: int) -> None:
        report.page(len(page.items), n)

    try:
        with gcguard.paused():
            result: ListResult
            try:
                result = list_all(lw, rv, size, on_page=on_page, stopped=stopped)
            except _Stopped:
                return False
            except Exception as err:
                if stopped():
                    return False
                if not (is_expired(err) or is_too_large_resource_version(err)):
                    raise
                version.set_unavailable(True)
                c = report.counters
                if is_expired(err):
                    c.expired += 1
                c.count_error(classify_error(err), f"list error: {err}")
                report.emit(K.Expired, error=str(err), reason=ReflectorPhase.LIST)
                rv = version.for_relist()
                result = list_all(lw, rv, size, on_page=on_page, stopped=stopped)
            if stopped():
                return False
            if rv == "0" and result.paginated:
                version.paginated = True
            version.set_unavailable(False)
            # listed: from here on the reflector follows changes. Said before the store can
            # report synced, so no one sees a synced informer still "listing"
            report.counters.state = InformerState.WATCHING
            store.replace(result.items, result.resource_version)
            version.synced(result.resource_version)
    except _Stopped:
        return False
    except Exception:
        if stopped():
            return False
        raise
    report.list_finished(rv, start, len(result.items), result.pages, result.paginated)
    return True
