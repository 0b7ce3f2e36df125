"""What a controller's event handlers received for one applied delta.

Why this module exists: kmon shows what an informer's *handlers* see, and that is not the
delta type. client-go's ``processDeltas`` / ``processDeltasInBatch`` /
``processReplacedAllInfo`` turn every delta into one call of ``OnAdd(obj,
isInInitialList)``, ``OnUpdate(old, new)`` or ``OnDelete(obj)``, and
``sharedIndexInformer.OnUpdate`` marks an update whose old and new resourceVersions are equal
as a *resync*, which only reaches the handlers whose resync period is due. The event log,
the per-object history, the exports, ``kmon watch`` and the compare view all say it the same
way, from a ``DeltaRecord`` alone: ``notification_of(record)``.

How a record maps (client-go 1.36, both paths):

- ``Deleted``: ``on_delete``; ``final_state_unknown`` when the object is a
  ``DeletedFinalStateUnknown`` (a "tombstone": the deletion happened while not watching).
- any other type with no cached object before it (``old_object`` None): ``on_add``,
  ``initial`` when the record is part of the informer's initial list.
- otherwise ``on_update``; ``resync`` when the old and new resourceVersions are equal (a
  ``Sync``, or a ``Replaced`` that brought the version the cache held).

``group_text`` / ``group_handlers_text`` say the same of an atomic relist or resync as a whole
(a ``DeltaGroup``). Qt-free, no I/O.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kmon.cache.keys import DeletedFinalStateUnknown

__all__ = [
    "LABELS",
    "RESYNC_NOTE",
    "Notification",
    "group_handlers_text",
    "group_label",
    "group_text",
    "history_text",
    "label_tooltip",
    "notification_of",
    "type_text",
]

ON_ADD, ON_UPDATE, ON_DELETE = "on_add", "on_update", "on_delete"

# every label a row can carry, in the order the filter menu offers them
LABELS: tuple[str, ...] = (
    "on_add (initial list)", "on_add", "on_update", "on_update (resync)", "on_delete", "on_delete (tombstone)",
)
RESYNC_NOTE = "a resync notification only reaches the handlers whose resync period is due"
_TIPS = {
    "on_add (initial list)": "OnAdd(obj, isInInitialList=true): the object came with the informer's initial list",
    "on_add": "OnAdd(obj, isInInitialList=false): a new object",
    "on_update": "OnUpdate(old, new): the object changed (its resourceVersion moved)",
    "on_update (resync)": f"OnUpdate(obj, obj) with equal resourceVersions: a resync; {RESYNC_NOTE}",
    "on_delete": "OnDelete(obj): the object was deleted",
    "on_delete (tombstone)": (
        "OnDelete(cache.DeletedFinalStateUnknown): the object was deleted while the informer was not "
        "watching (a relist no longer returned it); its final state is unknown"
    ),
}


_TYPE_TEXT: dict[Any, str] = {}


def type_text(t: Any) -> str:
    """A delta type (``DeltaType`` member or plain string) as its value, cached: an enum's
    ``.value`` costs a descriptor call, and this runs for every delta row."""
    try:
        return _TYPE_TEXT[t]
    except KeyError:
        v = getattr(t, "value", t)
        text = _TYPE_TEXT[t] = v if isinstance(v, str) else str(v)
        return text
    except TypeError:  # (unhashable: never a type)
        return str(t)


def _rv(obj: Any) -> str:
    if obj.__class__ is DeletedFinalStateUnknown:
        obj = obj.obj
    try:
        rv = obj["metadata"].get("resourceVersion")
    except (TypeError, KeyError, AttributeError):
        return ""
    return rv if isinstance(rv, str) else ("" if rv is None else str(rv))


class Notification(NamedTuple):
    """One handler call: ``handler`` ("on_add", "on_update" or "on_delete"); ``initial``
    (on_add's isInInitialList); ``resync`` (an on_update with equal versions: only the
    handlers whose resync is due get it); ``final_state_unknown`` (on_delete of a
    ``DeletedFinalStateUnknown``); ``old_rv``/``new_rv``: the versions it went from/to
    ("" when there is none: no old object for on_add, no new one for on_delete). A
    named tuple: frozen, and cheap to make for every row."""

    handler: str
    initial: bool = False
    resync: bool = False
    final_state_unknown: bool = False
    old_rv: str = ""
    new_rv: str = ""

    @property
    def label(self) -> str:
        """Short and filterable: one of ``LABELS``."""
        if self.handler == ON_ADD:
            return "on_add (initial list)" if self.initial else ON_ADD
        if self.handler == ON_UPDATE:
            return "on_update (resync)" if self.resync else ON_UPDATE
        return "on_delete (tombstone)" if self.final_state_unknown else ON_DELETE

    @property
    def tooltip(self) -> str:
        return _TIPS[self.label]

    @property
    def outcome(self) -> str:
        """What it did to the cached object, e.g. "updated rv 5 → 9", "unchanged",
        "added", "deleted (final state unknown)"."""
        if self.handler == ON_ADD:
            return "added"
        if self.handler == ON_UPDATE:
            return "unchanged" if self.resync else f"updated rv {self.old_rv or '?'} → {self.new_rv or '?'}"
        return "deleted (final state unknown)" if self.final_state_unknown else "deleted"


def history_text(note: Notification, where: str) -> str:
    """How the per-object history says one delta: where it came from, what it did to the
    object and the handler call, e.g. "relist at rv 812: updated rv 5 → 9 (on_update)",
    "relist at rv 812: unchanged (resync on_update)", "relist at rv 812: deleted, final
    state unknown (on_delete with a tombstone)", "watch: added (on_add)"."""
    if note.handler == ON_ADD:
        call = "on_add, initial list" if note.initial else ON_ADD
    elif note.handler == ON_UPDATE:
        call = "resync on_update" if note.resync else ON_UPDATE
    else:
        call = "on_delete with a tombstone" if note.final_state_unknown else ON_DELETE
    outcome = "deleted, final state unknown" if note.final_state_unknown else note.outcome
    return f"{where}: {outcome} ({call})"


def notification_of(record: Any) -> Notification:
    """The handler call client-go made for a ``DeltaRecord`` (see the module doc)."""
    t = type_text(record.type)
    obj = record.object
    if t == "Deleted":
        fsu = obj.__class__ is DeletedFinalStateUnknown
        old = record.old_object if record.old_object is not None else obj
        return Notification(ON_DELETE, final_state_unknown=fsu, old_rv=_rv(old))
    new_rv = record.resource_version or _rv(obj)
    old = record.old_object
    if old is None:
        return Notification(ON_ADD, initial=bool(record.is_in_initial_list), new_rv=new_rv)
    old_rv = _rv(old)
    return Notification(ON_UPDATE, resync=old_rv == new_rv, old_rv=old_rv, new_rv=new_rv)


def group_label(group: Any) -> str:
    """The group's type as text: "ReplacedAll" or "SyncAll"."""
    return type_text(group.type)


def group_text(group: Any, *, initial: bool = False) -> str:
    """One line for an atomic relist or resync, e.g. "ReplacedAll at rv 812: 2 deleted,
    5 updated, 1 added, 40 unchanged" or "SyncAll at rv 812: resync of 48 objects" (the
    store's version, when it keeps one)."""
    if group_label(group) == "SyncAll":
        n = group.unchanged
        at = f" at rv {group.resource_version}" if group.resource_version else ""
        return f"SyncAll{at}: resync of {n:,} object{'s' if n != 1 else ''}"
    text = (f"ReplacedAll at rv {group.resource_version or '?'}: {group.deleted:,} deleted, "
            f"{group.updated:,} updated, {group.added:,} added, {group.unchanged:,} unchanged")
    return f"initial list: {text}" if initial else text


def group_handlers_text(group: Any, *, initial: bool = False) -> str:
    """How many of each handler call it made, e.g. "on_delete ×2, on_update ×5, on_add ×1,
    on_update (resync) ×40" (the deletions come first; updates and adds follow in list
    order, mixed)."""
    add = "on_add (initial list)" if initial else ON_ADD
    parts = [(ON_DELETE, group.deleted), (ON_UPDATE, group.updated), (add, group.added),
             ("on_update (resync)", group.unchanged)]
    if group_label(group) == "ReplacedAll":
        # processReplacedAllInfo: all deletions first, then updates and adds in list order
        return ", ".join(f"{name} ×{n:,}" for name, n in parts if n)
    return f"on_update (resync) ×{group.unchanged:,}"


def label_tooltip(label: str) -> str:
    """What a label means (for tooltips and help), "" for an unknown one."""
    return _TIPS.get(label, "")
