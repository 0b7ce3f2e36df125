"""Applying popped deltas to an informer's indexer and turning them into handler
notifications (client-go's ``processDeltas`` with ``sharedProcessor.distribute``).

Each key's deltas are applied oldest first: ``Deleted`` removes the key (``on_delete``), any
other type updates the cached object (``on_update(old, new)``) or adds it (``on_add(obj,
is_in_initial_list)``). An update whose resourceVersion did not change is a resync, not a
change: only the handlers whose resync is due hear about it. Notifications are collected
per handler and handed over once per batch (one wake-up of each handler thread).
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from kmon.cache.delta_fifo import Delta, DeltaType
from kmon.cache.events import DeltaRecord
from kmon.cache.handlers import ADD, DELETE, UPDATE, HandlerRegistration, Notification
from kmon.cache.keys import resource_version_of
from kmon.cache.raw_header import UNSET
from kmon.cache.raw_object import RawObject
from kmon.cache.reasons import ErrorClass
from kmon.cache.stats import Counters
from kmon.cache.store import Indexer

log = logging.getLogger("kmon.cache.informer")

_DELETED = DeltaType.Deleted


class ApplyTo(NamedTuple):
    """Where popped deltas go, whichever queue they came from: the informer's ``indexer``,
    the handlers (``targets``; ``sync_targets``: those whose resync is due), the delta
    listeners' ``records`` (None: no listener) stamped ``now``, and the ``counters`` and
    ``name`` a failure is reported under."""

    indexer: Indexer
    targets: tuple[HandlerRegistration, ...]
    sync_targets: tuple[HandlerRegistration, ...]
    records: list[DeltaRecord] | None
    now: float
    counters: Counters
    name: str


def same_resource_version(old: Any, new: Any) -> bool:
    """True when both objects carry the same resourceVersion (a resync, not a change)."""
    if old.__class__ is RawObject and new.__class__ is RawObject:
        a, b = old.header, new.header
        if a.exact and b.exact and a.has_metadata and b.has_metadata:
            va, vb = a.meta.resourceVersion, b.meta.resourceVersion
            return (None if va is UNSET else va) == (None if vb is UNSET else vb)  # absent reads as None
    try:
        return old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion")
    except (KeyError, TypeError, AttributeError):
        return False


def apply_batch(batch: list[tuple[str, list[Delta], bool]], to: ApplyTo) -> int:
    """Apply ``batch`` (``DeltaFIFO.pop_batch``: ``(key, deltas, is_in_initial_list)`` in
    queue order) to ``to.indexer``, each key exactly as one ``pop`` would; append each
    notification to the ``to.targets`` it is for (``to.sync_targets``: those whose resync is
    due) and, when ``to.records`` is given, a ``DeltaRecord`` per delta stamped ``to.now``. A
    key whose processing fails is counted and logged, and the others are applied. Returns how
    many deltas were applied."""
    indexer, targets, sync_targets, records, now, counters, name = to
    put_key = indexer.put_key
    delete_key = indexer.delete_key
    outs: list[list[Notification]] = [[] for _ in targets]
    out0 = outs[0] if len(targets) == 1 else None  # the common case: one handler
    n = 0
    for key, deltas, is_in_initial_list in batch:
        try:
            for dtype, obj in deltas:
                if dtype is _DELETED:
                    old = delete_key(key)
                    notification: Notification = (DELETE, obj, None)
                    same = False
                else:
                    old = put_key(key, obj)
                    if old is None:
                        notification = (ADD, obj, is_in_initial_list)
                        same = False
                    else:
                        notification = (UPDATE, old, obj)
                        same = same_resource_version(old, obj)
                if same:
                    for i, reg in enumerate(targets):
                        if reg in sync_targets:
                            outs[i].append(notification)
                elif out0 is not None:
                    out0.append(notification)
                else:
                    for out in outs:
                        out.append(notification)
                if records is not None:
                    records.append(DeltaRecord(dtype, key, obj, old, resource_version_of(obj), now, is_in_initial_list))
            n += len(deltas)
        except Exception as err:
            counters.count_error(ErrorClass.PROCESS, f"processing deltas failed: {err}")
            log.exception("%s: processing deltas of %s failed", name, key)
    for reg, out in zip(targets, outs):
        if out:
            reg.add_many(out)
    return n
