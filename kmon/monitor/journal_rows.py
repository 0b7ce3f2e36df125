"""Journal rows: what one line of the event log says, built from feed items.

Why this module exists: the event log, its exports and ``kmon watch`` print the same lines,
so turning a feed item into a ``JournalRow`` lives in one place. A row holds short strings
only (never the cached object), including the notification the delta produced for the
informer's handlers (``kmon.monitor.notifications``).

An atomic relist or resync (the ``DeltaRecord`` records sharing one ``DeltaGroup``, client-go
1.36's ``ReplacedAll``/``SyncAll``) becomes a *header* row (type "ReplacedAll"/"SyncAll",
its counts, ``members`` = how many rows follow) followed by one *member* row per object,
each carrying the header's sequence number in ``group``. ``RowBuilder`` does the grouping
across batches (a 50,000-object relist reaches the GUI in many slices): a member continues
its group only while rows stay contiguous; an interrupted group gets a "(continued)"
header, so a header's members always directly follow it. On the classic path (DeltaFIFO) a
relist stays one ``Replaced`` row per object (what those handlers get); each says the
version of the list it came from ("relist at rv X: ..."), the version the reflector's
ListFinished row shows.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Iterable, NamedTuple

from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.monitor.feed import DeltaItem, FeedItem, ReflectorItem, SessionItem
from kmon.monitor.masking import redact_text
from kmon.monitor.notifications import group_handlers_text, group_label, group_text, notification_of, type_text

__all__ = ["FIELDS", "JournalRow", "RowBuilder", "enum_text", "list_version", "metadata_of", "reflector_detail",
           "row_from_item"]


class JournalRow(NamedTuple):
    """One line of the event log. ``category`` is "delta", "reflector" or "session";
    ``type`` the delta type ("Added"...), reflector event kind ("Relist"...) or session
    state ("failed"...); ``detail`` (a property) a short human text; ``level``
    "info"/"warning"/"error"; ``notification``: what the handlers received (a
    ``notifications.LABELS`` label; for a group header the calls it made, e.g. "on_delete ×2,
    on_update ×5"); ``group``: the sequence number of the group's header row (on the header
    and on its members; -1 outside a group); ``members``: on a header, how many member rows
    follow it; ``old_rv``: on an update, the version it replaced.

    ``text`` is the detail as stored. A watch update's detail, "rv 5 → 9", is made from
    ``old_rv`` when asked: as a string of its own per row it would cost ~110 bytes (the
    arrow makes it a two-byte string), 11 MB in a full journal of updates, while ``old_rv``
    is the string the previous row of that object already holds."""

    time: float
    context: str
    resource: str
    category: str
    type: str
    namespace: str
    name: str
    resource_version: str
    text: str
    level: str = "info"
    notification: str = ""
    group: int = -1
    members: int = 0
    old_rv: str = ""

    @property
    def detail(self) -> str:
        if self.old_rv and not self.text:
            return f"rv {self.old_rv} → {self.resource_version}"
        return self.text


# what an exported row holds (``detail`` made, ``text`` and ``old_rv`` not repeated)
FIELDS: tuple[str, ...] = ("time", "context", "resource", "category", "type", "namespace", "name",
                           "resource_version", "detail", "level", "notification", "group", "members")


def enum_text(v: Any) -> str:
    """An enum's value or the string itself (DeltaType and ReflectorEventKind are str enums)."""
    v = getattr(v, "value", v)
    return v if isinstance(v, str) else ("" if v is None else str(v))


def metadata_of(obj: Any) -> Mapping[str, Any]:
    """The object's ``metadata`` (a dict, or a cached ``RawObject``'s view that answers name,
    namespace and resourceVersion without decoding), or ``{}`` when it has none."""
    if isinstance(obj, Mapping):
        m = obj.get("metadata")
        if isinstance(m, Mapping):
            return m
    return {}


def _split_key(key: str) -> tuple[str, str]:
    ns, sep, name = key.partition("/")
    # one string per namespace for every row naming it, as the cache's headers share them
    # (kmon.cache.raw_header); an interned string goes when its last row does
    return (sys.intern(ns), name) if sep else ("", ns)


def _seconds(v: Any) -> str:
    try:
        return f"{float(v):.2f} s"
    except (TypeError, ValueError):
        return str(v)


def reflector_detail(kind: str, d: dict[str, Any], rv: str = "") -> str:
    """Short text for a reflector event, e.g. "relist: watch expired (410)", "backoff 1.6 s"."""
    err = d.get("error")
    err = redact_text(str(err)) if err else ""
    reason = redact_text(str(d.get("reason") or "")) or err
    if kind == "ListStarted":
        req = d.get("resource_version_requested")
        text = f'list from rv "{req if req is not None else rv}"'
        return text + (" (paged)" if d.get("paginated") else "")
    if kind == "ListFinished":
        parts = [f"{d.get('items', '?')} items"]
        if d.get("pages"):
            parts.append(f"{d['pages']} page{'s' if d['pages'] != 1 else ''}")
        if d.get("duration") is not None:
            parts.append(_seconds(d["duration"]))
        return "listed " + ", ".join(parts)
    if kind == "Page":
        return f"page {d.get('pages', '?')}: {d.get('items', '?')} items"
    if kind == "Relist":
        return f"relist: {reason}" if reason else "relist"
    if kind == "WatchStarted":
        return f"watch from rv {rv}" if rv else "watch started"
    if kind == "WatchEnded":
        if err and err != reason:  # why, too: e.g. "no data from server for 90 s" (re-watched)
            return f"watch ended: {d.get('reason') or 'error'}: {err}"
        return f"watch ended: {reason}" if reason else "watch ended"
    if kind == "Bookmark":
        return "bookmark"
    if kind == "Expired":
        return f"expired (410): {err}" if err else "expired (410)"
    if kind == "Error" and d.get("fallback"):  # a refused WatchList: client-go lists at once
        return f"{redact_text(str(d['fallback']))}; listing instead"
    if kind == "Error":
        return f"error: {err or reason}" if (err or reason) else "error"
    if kind == "Backoff":
        return f"backoff {float(d['delay']):.1f} s" if d.get("delay") is not None else "backoff"
    extra = ", ".join(f"{k}={redact_text(str(v))}" for k, v in d.items())
    return f"{kind}: {extra}" if extra else kind


_REFLECTOR_LEVEL = {"Error": "error", "Expired": "warning"}


def _reflector_row(item: ReflectorItem) -> JournalRow:
    ev = item.event
    kind = enum_text(ev.kind)
    rv = enum_text(ev.resource_version)
    d = ev.detail or {}
    detail = reflector_detail(kind, d, rv)
    level = "warning" if d.get("fallback") else _REFLECTOR_LEVEL.get(kind, "info")  # not a failure: it lists
    return JournalRow(ev.time, item.context, item.resource, "reflector", kind, "", "", rv, detail, level)


def _session_row(item: SessionItem) -> JournalRow:
    return JournalRow(
        item.time, item.context, item.resource or "", "session", item.state, "", "", "",
        redact_text(item.message), item.level,
    )




def _delta_row(item: DeltaItem, list_rv: str = "", group: int = -1) -> JournalRow:
    """A delta's row; ``list_rv``: the version of the list a classic relist came from;
    ``group``: its group header's sequence number."""
    rec = item.record
    typ = type_text(rec.type)
    obj = rec.object
    key = rec.key
    unknown = obj.__class__ is DeletedFinalStateUnknown
    if unknown:
        key = key or obj.key
        obj = obj.obj
    if key:
        namespace, name = _split_key(key)
    else:
        m = metadata_of(obj)
        namespace, name = m.get("namespace") or "", m.get("name") or ""
    rv = rec.resource_version or metadata_of(obj).get("resourceVersion") or ""
    note = notification_of(rec)
    old_rv = ""
    if unknown:
        detail = "deleted while not watching (final state unknown)"
    elif rec.is_in_initial_list:
        detail = "initial list"
    elif rec.group is not None:  # under its group's header, which says the rest
        detail = note.outcome
    elif typ == "Replaced":
        detail = f"relist at rv {list_rv}: {note.outcome}" if list_rv else f"relist: {note.outcome}"
    elif typ == "Sync":
        detail = "resync"
    elif typ == "Updated":  # "rv old → new", made when shown (JournalRow.detail)
        detail, old_rv = "", note.old_rv or ""
    else:
        detail = ""
    return JournalRow(rec.time, item.context, item.resource, "delta", typ, namespace, name, str(rv), detail,
                      "info", note.label, group, 0, old_rv)


def row_from_item(item: FeedItem) -> JournalRow:
    """The journal row for one feed item, alone (no grouping: see ``RowBuilder``)."""
    if isinstance(item, DeltaItem):
        return _delta_row(item)
    if isinstance(item, ReflectorItem):
        return _reflector_row(item)
    if isinstance(item, SessionItem):
        return _session_row(item)
    raise TypeError(f"not a feed item: {type(item).__name__}")


def list_version(item: ReflectorItem) -> str | None:
    """The version a reflector event says a list was taken at (a ListFinished, or the
    bookmark ending a WatchList's initial events), else None: what a classic relist's
    ``Replaced`` deltas that follow came from."""
    ev = item.event
    kind = enum_text(ev.kind)
    if kind == "ListFinished" or (kind == "Bookmark" and (ev.detail or {}).get("items")):
        return enum_text(ev.resource_version)
    return None


def _group_size(g: Any) -> int:
    return g.deleted + g.updated + g.added + g.unchanged


class RowBuilder:
    """Turns feed items into rows, numbering them from ``seq`` on and grouping atomic
    relists and resyncs (see the module doc). One builder per row sequence (a journal, a
    ``kmon watch`` table); not thread-safe."""

    __slots__ = ("seq", "_open", "_list_rv")

    def __init__(self, seq: int = 0) -> None:
        self.seq = seq  # the sequence number of the next row
        # the group being filled: [group, context, resource, header seq, next member seq, members left]
        self._open: list[Any] | None = None
        self._list_rv: dict[tuple[str, str], str] = {}  # (context, resource) -> last list's version

    def interrupt(self) -> None:
        """The rows before this point are gone (a cleared journal): a group still being
        filled goes on under a new, "(continued)" header."""
        if self._open is not None:
            self._open[4] = -1

    def rows(self, items: Iterable[FeedItem], seq: int | None = None) -> list[JournalRow]:
        """The rows for a drained batch, the first numbered ``seq`` (default: where the
        last call stopped)."""
        if seq is not None:
            self.seq = seq
        out: list[JournalRow] = []
        append = out.append
        list_rv = self._list_rv
        for it in items:
            cls = it.__class__
            if cls is DeltaItem:
                rec = it.record
                g = rec.group
                if g is not None:
                    append(_delta_row(it, "", self._member_of(it, g, out)))
                    self.seq += 1
                    continue
                append(_delta_row(it, list_rv.get((it.context, it.resource), "")))
            elif cls is ReflectorItem:
                rv = list_version(it)
                if rv is not None:
                    list_rv[(it.context, it.resource)] = rv
                append(_reflector_row(it))
            else:
                append(row_from_item(it))
            self.seq += 1
        return out

    def _member_of(self, it: DeltaItem, g: Any, out: list[JournalRow]) -> int:
        """The header sequence of the group ``it`` belongs to, appending a header first
        when it starts one."""
        op = self._open
        seq = self.seq
        if op is not None and op[5] > 0 and (op[0] is g or op[0] == g) and op[1] == it.context and op[2] == it.resource:
            if op[4] == seq:  # contiguous: a member of the open group
                op[4] += 1
                op[5] -= 1
                return op[3]
            left, continued = op[5], True  # interrupted: the rest under a new header
        else:
            left, continued = _group_size(g), False
        initial = bool(it.record.is_in_initial_list)
        detail = group_text(g, initial=initial) + (" (continued)" if continued else "")
        out.append(JournalRow(
            it.record.time, it.context, it.resource, "delta", group_label(g), "", "", str(g.resource_version or ""),
            detail, "info", group_handlers_text(g, initial=initial), seq, max(1, left),
        ))
        self._open = [g, it.context, it.resource, seq, seq + 2, max(1, left) - 1]
        self.seq = seq + 1
        return seq
