"""Applying ``RealFIFO`` deltas to an informer's indexer and turning them into handler
notifications (client-go's ``processDeltas``, ``processDeltasInBatch`` and
``processReplacedAllInfo`` with ``sharedIndexInformer``'s ``OnAdd``/``OnUpdate``/``OnDelete``).

Per delta type:

- ``Added``/``Updated``/``Replaced``/``Sync``: update the cached object (``on_update(old,
  new)``) or add it (``on_add(obj, is_in_initial_list)``); ``Deleted``: remove it and
  ``on_delete(obj)`` -- whether or not the cache held it.
- a batch of those (``pop_batch``, keys distinct): written to the indexer in one step
  (``Indexer.apply``), then its notifications in order.
- ``ReplacedAll``: deletions (cached keys the list lacks, as ``DeletedFinalStateUnknown(key,
  cached object)``) and, per listed object, update-or-add are worked out first; then the
  indexer is **replaced** (at the list's version), then ``on_delete`` for every deletion,
  then ``on_update``/``on_add`` in list order: handlers always see a cache that matches one
  server version.
- ``SyncAll``: ``on_update(obj, obj)`` for every cached object.
- ``Bookmark``: ``indexer.bookmark(rv)``.

An update whose old and new resourceVersions are equal is a resync notification: only the
handlers whose resync is due (``sync_targets``) receive it. Notifications are collected per
handler and handed over once per call (one wake-up of each handler thread). A delta that
fails (an object without a key, say) is counted and logged; the others are applied.
"""

from __future__ import annotations

import logging
from typing import Any

from kmon.cache.delta_apply import ApplyTo, same_resource_version
from kmon.cache.deltas import Delta, DeltaType
from kmon.cache.events import DeltaGroup, DeltaRecord
from kmon.cache.handlers import ADD, DELETE, UPDATE, HandlerRegistration, Notification
from kmon.cache.keys import DeletedFinalStateUnknown, deletion_handling_key, meta_namespace_key, resource_version_of
from kmon.cache.reasons import ErrorClass
from kmon.cache.stats import Counters
from kmon.cache.store import Indexer

__all__ = ["apply_in_order"]

log = logging.getLogger("kmon.cache.informer")

_DELETED = DeltaType.Deleted
_REPLACED = DeltaType.Replaced
_SYNC = DeltaType.Sync
_REPLACED_ALL = DeltaType.ReplacedAll
_SYNC_ALL = DeltaType.SyncAll
_BOOKMARK = DeltaType.Bookmark


class _Fanout:
    """Notifications collected per handler: changes for all (``change``), resyncs for those
    due (``update``)."""

    __slots__ = ("targets", "due", "outs", "change")

    def __init__(self, targets: tuple[HandlerRegistration, ...], sync_targets: tuple[HandlerRegistration, ...]) -> None:
        self.targets = targets
        self.due = [reg in sync_targets for reg in targets]
        self.outs: list[list[Notification]] = [[] for _ in targets]
        # the common case, one handler: its list's own append
        self.change = self.outs[0].append if len(self.outs) == 1 else self._change_all

    def _change_all(self, notification: Notification) -> None:
        for out in self.outs:
            out.append(notification)

    def update(self, old: Any, new: Any) -> bool:
        """``on_update(old, new)``; a resync (same version) only for the handlers due. True
        if it was a resync."""
        notification = (UPDATE, old, new)
        if not same_resource_version(old, new):
            self.change(notification)
            return False
        for due, out in zip(self.due, self.outs):
            if due:
                out.append(notification)
        return True

    def flush(self) -> None:
        for reg, out in zip(self.targets, self.outs):
            if out:
                reg.add_many(out)


def apply_in_order(deltas: list[Delta], is_in_initial_list: bool, to: ApplyTo) -> int:
    """Apply what one ``pop`` (one delta) or ``pop_batch`` (several, distinct keys,
    per-object types) handed over; queue the notifications to ``to.targets`` and, when
    ``to.records`` is given, append a ``DeltaRecord`` per object changed, stamped ``to.now``.
    Returns how many objects were applied, which is how many records it made (``deltas_processed``
    counts these; a ``Bookmark`` applies none)."""
    indexer, targets, sync_targets, records, now, counters, name = to
    fan = _Fanout(targets, sync_targets)
    try:
        if len(deltas) > 1:
            return _apply_batch(deltas, is_in_initial_list, indexer, fan, records, now, counters, name)
        dtype, obj = deltas[0]
        try:
            if dtype is _REPLACED_ALL:
                return _replace_all(obj, is_in_initial_list, indexer, fan, records, now)
            if dtype is _SYNC_ALL:
                return _sync_all(is_in_initial_list, indexer, fan, records, now)
            if dtype is _BOOKMARK:
                indexer.bookmark(obj.resource_version)
                return 0
            key = deletion_handling_key(obj)
            if dtype is _DELETED:
                old = indexer.delete_key(key, obj)
                fan.change((DELETE, obj, None))
            else:
                old = indexer.put_key(key, obj)
                if old is None:
                    fan.change((ADD, obj, is_in_initial_list))
                else:
                    fan.update(old, obj)
            if records is not None:
                records.append(DeltaRecord(dtype, key, obj, old, resource_version_of(obj), now, is_in_initial_list))
            return 1
        except Exception as err:
            _failed(counters, name, dtype, err)
            return 0
    finally:
        fan.flush()


def _failed(counters: Counters, name: str, dtype: DeltaType, err: Exception) -> None:
    counters.count_error(ErrorClass.PROCESS, f"processing a {dtype} delta failed: {err}")
    log.exception("%s: processing a %s delta failed", name, dtype)


def _apply_batch(
    deltas: list[Delta], initial: bool, indexer: Indexer, fan: _Fanout, records: list[DeltaRecord] | None,
    now: float, counters: Counters, name: str,
) -> int:
    """A batch: one indexer write for all its deltas, then their notifications in order."""
    changes: list[tuple[str, Any, bool]] = []
    applied: list[Delta] = []
    for delta in deltas:
        dtype, obj = delta
        try:
            key = obj.key if obj.__class__ is DeletedFinalStateUnknown else meta_namespace_key(obj)
        except Exception as err:
            _failed(counters, name, dtype, err)
            continue
        changes.append((key, obj, dtype is _DELETED))
        applied.append(delta)
    olds = indexer.apply(changes)
    change, update = fan.change, fan.update
    for (dtype, obj), (key, _obj, deleted), old in zip(applied, changes, olds):
        if deleted:
            change((DELETE, obj, None))
        elif old is None:
            change((ADD, obj, initial))
        else:
            update(old, obj)
        if records is not None:
            records.append(DeltaRecord(dtype, key, obj, old, resource_version_of(obj), now, initial))
    return len(applied)


def _replace_all(
    info: Any, initial: bool, indexer: Indexer, fan: _Fanout, records: list[DeltaRecord] | None, now: float,
) -> int:
    """A relist (see the module doc); raises, changing nothing, if a listed object has no key."""
    objects = info.objects
    keys = [deletion_handling_key(obj) for obj in objects]
    listed = set(keys)
    cached = dict(indexer.items())
    deletions = [(key, DeletedFinalStateUnknown(key, obj)) for key, obj in cached.items() if key not in listed]
    get = cached.get
    olds = [get(key) for key in keys]
    indexer.replace(objects, info.resource_version)
    for _key, tomb in deletions:
        fan.change((DELETE, tomb, None))
    added = updated = unchanged = 0
    for obj, old in zip(objects, olds):
        if old is None:
            fan.change((ADD, obj, initial))
            added += 1
        elif fan.update(old, obj):
            unchanged += 1
        else:
            updated += 1
    if records is not None:
        group = DeltaGroup(_REPLACED_ALL, info.resource_version, len(deletions), updated, added, unchanged)
        for key, tomb in deletions:
            records.append(DeltaRecord(_DELETED, key, tomb, tomb.obj, resource_version_of(tomb), now, initial, group))
        for key, obj, old in zip(keys, objects, olds):
            records.append(DeltaRecord(_REPLACED, key, obj, old, resource_version_of(obj), now, initial, group))
    return len(deletions) + len(objects)


def _sync_all(initial: bool, indexer: Indexer, fan: _Fanout, records: list[DeltaRecord] | None, now: float) -> int:
    """A resync: ``on_update(obj, obj)`` for every cached object (to the handlers due)."""
    cached = indexer.items()
    for _key, obj in cached:
        fan.update(obj, obj)
    if records is not None:
        group = DeltaGroup(_SYNC_ALL, indexer.last_store_sync_resource_version(), unchanged=len(cached))
        for key, obj in cached:
            records.append(DeltaRecord(_SYNC, key, obj, obj, resource_version_of(obj), now, initial, group))
    return len(cached)
