"""The recording format: what a recording file holds, and how a feed item becomes a record.

Why this module exists: ``kmon record`` writes, and ``kmon replay`` and the GUI read, one
documented, versioned format (``docs/recording-format.md``, version 1.2): gzip-compressed JSON
Lines, a header record, one record per feed item (deltas with their objects, reflector
events, session items), a footer. This module is the one place that knows a record's shape:
the header (``make_header``, ``check_header``; each context's client-go path:
``context_path``, ``informer_paths``), the codec between feed items and records
(``record_from_item``, ``item_from_record``) and a record's bytes (``dumps_record``). Writing
files is ``recording_writer``, reading them ``recording_reader``. No Qt, no I/O.

Records are plain dicts (decoded JSON). The same dicts are what ``kmon watch -o json`` prints,
so scripts see one schema for live and recorded events.
"""

from __future__ import annotations

import functools
import time
from enum import StrEnum
from typing import Any

import orjson

from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.cache.raw_object import MetadataView, RawObject, json_default
from kmon.monitor.feed import DeltaItem, FeedItem, ReflectorItem, SessionItem
from kmon.monitor.path_text import gates_from_json, gates_json
from kmon.monitor.journal import enum_text, metadata_of
from kmon.monitor.masking import mask_secret, redact_text
from kmon.monitor.notifications import notification_of

__all__ = [
    "DELTA_TYPES",
    "FORMAT",
    "MAJOR",
    "VERSION",
    "EndReason",
    "RecordKind",
    "RecordingError",
    "SecretValues",
    "check_header",
    "context_path",
    "dumps_record",
    "informer_paths",
    "item_from_record",
    "make_header",
    "record_from_item",
]

FORMAT = "kmon-recording"
# MAJOR.MINOR: readers reject another MAJOR, accept any MINOR. 1.1: each context of the header
# says the client-go path its informers ran (``client_go``, ``queues``). 1.2: a delta record
# says what the handlers received (``notification``, ``old_resource_version``) and, when it is
# part of an atomic relist or resync, that ``group``
VERSION = "1.2"
MAJOR = 1
DELTA_TYPES = ("Added", "Updated", "Deleted", "Replaced", "Sync")
_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS


class RecordKind(StrEnum):
    """A record's ``kind``. Readers skip kinds they do not know (a newer minor version's)."""

    HEADER = "header"
    FOOTER = "footer"
    DELTA = "delta"
    REFLECTOR = "reflector"
    SESSION = "session"


class SecretValues(StrEnum):
    """The header's ``secret_values``: whether Secret values were masked when recorded."""

    MASKED = "masked"
    INCLUDED = "included"


class EndReason(StrEnum):
    """The footer's ``reason``: why recording ended."""

    STOPPED = "stopped"  # Ctrl+C, SIGTERM or Recorder.stop()
    DURATION = "duration"  # --duration elapsed
    ERROR = "error"  # writing failed


_DELTA, _REFLECTOR, _SESSION = RecordKind.DELTA, RecordKind.REFLECTOR, RecordKind.SESSION


class RecordingError(Exception):
    """A file that cannot be read as a recording at all (missing, not a recording, unknown
    major version, cut before its header). Damage *after* the header is not an exception:
    ``Recording.error`` says where reading stopped."""


# --- feed item <-> record -----------------------------------------------------------------
def _clean_detail(detail: Any) -> dict[str, Any]:
    """A reflector/session detail with its free texts redacted (they can quote errors)."""
    if not detail:
        return {}
    out: dict[str, Any] = {}
    for k, v in dict(detail).items():
        if isinstance(v, str):
            v = redact_text(v)
        elif not isinstance(v, (int, float, bool, type(None), list, dict)):
            v = redact_text(str(v))
        out[str(k)] = v
    return out


def record_from_item(item: FeedItem, *, mask: bool = True) -> dict[str, Any]:
    """The record (a JSON-ready dict, see docs/recording-format.md) for one feed item.
    ``mask``: Secret values replaced by ``masking.MASK`` (the default everywhere)."""
    if isinstance(item, DeltaItem):
        rec = item.record
        obj = rec.object
        key = rec.key or ""
        unknown = obj.__class__ is DeletedFinalStateUnknown
        if unknown:  # DeletedFinalStateUnknown: the last state the cache knew (maybe None)
            key = key or obj.key
            obj = obj.obj
        if mask and obj is not None:
            obj = mask_secret(obj, item.resource)
        m = metadata_of(obj)
        if key:
            ns, sep, name = key.partition("/")
            if not sep:
                ns, name = "", key
        else:
            ns, name = m.get("namespace") or "", m.get("name") or ""
            key = f"{ns}/{name}" if ns else name
        note = notification_of(rec)
        out = {
            "kind": _DELTA,
            "time": rec.time,
            "context": item.context,
            "resource": item.resource,
            "type": enum_text(rec.type),
            "namespace": ns,
            "name": name,
            "key": key,
            "resource_version": enum_text(rec.resource_version or m.get("resourceVersion") or ""),
            "initial": bool(rec.is_in_initial_list),
            "final_state_unknown": unknown,
            "notification": note.label,
            # (on_add: there was none; on_delete: the deleted object's)
            "old_resource_version": None if note.handler == "on_add" else note.old_rv,
            "object": obj,
        }
        g = rec.group
        if g is not None:
            out["group"] = {"type": enum_text(g.type), "resource_version": enum_text(g.resource_version),
                            "deleted": g.deleted, "updated": g.updated, "added": g.added, "unchanged": g.unchanged}
        return out
    if isinstance(item, ReflectorItem):
        ev = item.event
        return {
            "kind": _REFLECTOR,
            "time": ev.time,
            "context": item.context,
            "resource": item.resource,
            "type": enum_text(ev.kind),
            "resource_version": enum_text(ev.resource_version),
            "detail": _clean_detail(ev.detail),
        }
    if isinstance(item, SessionItem):
        return {
            "kind": _SESSION,
            "time": item.time,
            "context": item.context,
            "resource": item.resource,
            "type": item.state,
            "level": item.level,
            "message": redact_text(item.message),
            "detail": _clean_detail(item.detail) if item.detail else None,
        }
    raise TypeError(f"not a feed item: {type(item).__name__}")


def _default(v: Any) -> Any:
    cls = v.__class__
    if cls is RawObject or cls is MetadataView:  # a cached object: written as its wire bytes
        return json_default(v)
    value = getattr(v, "value", None)  # enums
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    return str(v)


def dumps_record(record: dict[str, Any]) -> bytes:
    """One record as a JSON line (no trailing newline). A cached ``RawObject`` is written as
    the bytes it arrived as."""
    return orjson.dumps(record, default=_default, option=_ORJSON_OPTS)


@functools.lru_cache(maxsize=64)
def _group(kind: str, rv: str, deleted: int, updated: int, added: int, unchanged: int) -> Any:
    """One ``DeltaGroup`` per distinct value (a relist's members share it, as live)."""
    from kmon.cache.delta_fifo import DeltaType
    from kmon.cache.events import DeltaGroup

    return DeltaGroup(DeltaType(kind), rv, deleted, updated, added, unchanged)


def _group_of(record: dict[str, Any]) -> Any:
    g = record.get("group")
    if not isinstance(g, dict):
        return None
    try:
        return _group(str(g["type"]), str(g.get("resource_version") or ""), *(int(g.get(k) or 0) for k in
                      ("deleted", "updated", "added", "unchanged")))
    except (KeyError, ValueError, TypeError):
        return None  # a group type this version does not know: the delta alone


def _old_stand_in(record: dict[str, Any], obj: Any) -> Any:
    """What the record says of the object it replaced, when the caller does not know the
    cache (format 1.2: ``old_resource_version``; null: none, an add): its metadata."""
    old_rv = record.get("old_resource_version")
    if old_rv is None or record.get("type") == "Deleted":
        return None
    md = obj.get("metadata") if isinstance(obj, dict) else None
    md = {k: md[k] for k in ("name", "namespace", "uid") if k in md} if isinstance(md, dict) else {}
    return {"metadata": {**md, "resourceVersion": str(old_rv)}}


def item_from_record(record: dict[str, Any], old_object: Any = None) -> FeedItem | None:
    """The feed item a record came from (objects are the recorded, possibly masked, ones;
    ``old_object`` is supplied by the caller, who knows the cache; without it, a 1.2 record's
    ``old_resource_version`` stands in for its metadata, so the notification is still
    right). None for records that are not feed items (header, footer, kinds or types this
    version does not know)."""
    from kmon.cache.delta_fifo import DeltaType
    from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
    from kmon.cache.keys import DeletedFinalStateUnknown

    kind = record.get("kind")
    try:
        t = float(record.get("time") or 0.0)
        if kind == _DELTA:
            obj = record.get("object")
            key = record.get("key") or ""
            if old_object is None:
                old_object = _old_stand_in(record, obj)
            if record.get("final_state_unknown"):
                obj = DeletedFinalStateUnknown(key, obj)
            rec = DeltaRecord(
                DeltaType(record["type"]), key, obj, old_object, str(record.get("resource_version") or ""), t,
                bool(record.get("initial")), _group_of(record),
            )
            return DeltaItem(record["context"], record["resource"], rec)
        if kind == _REFLECTOR:
            ev = ReflectorEvent(
                ReflectorEventKind(record["type"]), t, str(record.get("resource_version") or ""),
                dict(record.get("detail") or {}),
            )
            return ReflectorItem(record["context"], record["resource"], ev)
        if kind == _SESSION:
            level = record.get("level") if record.get("level") in ("info", "warning", "error") else "info"
            return SessionItem(
                record["context"], record.get("resource"), level, str(record.get("message") or ""),
                str(record.get("type") or ""), t, record.get("detail"),
            )
    except (KeyError, ValueError, TypeError):
        return None  # an unknown delta type or event kind from a newer minor version
    return None


# --- the header ---------------------------------------------------------------------------
def make_header(
    *,
    contexts: list[dict[str, Any]],
    resources: list[str],
    selection: dict[str, Any] | None = None,
    secret_values: str = SecretValues.MASKED,
    started: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A version-1.2 header. ``contexts``: [{"name", "server", "server_version", and
    ``context_path``'s "client_go" and "queues"}];
    ``secret_values``: a ``SecretValues`` ("masked" or "included")."""
    from kmon import __version__

    started = time.time() if started is None else started
    return {
        "kind": RecordKind.HEADER,
        "format": FORMAT,
        "version": VERSION,
        "kmon_version": __version__,
        "started": started,
        "started_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "contexts": contexts,
        "resources": list(resources),
        "selection": dict(selection or {}),
        "secret_values": secret_values,
        **extra,
    }


def context_path(features: Any, queues: dict[str, str]) -> dict[str, Any]:
    """What a header's context entry says of the path its informers ran (format 1.1):
    ``client_go``, the profile and every gate with its source (``path_text.gates_json``;
    null when unknown), and ``queues``, each resource's queue ("RealFIFO (atomic, batched)")."""
    return {"client_go": gates_json(features), "queues": {str(k): str(v) for k, v in queues.items()}}


def informer_paths(header: dict[str, Any]) -> dict[tuple[str, str], tuple[str, Any]]:
    """``{(context, resource): (queue, FeatureGates)}`` from a header: the context's gates
    for each resource it recorded (its queue "" when unsaid). Empty for a version 1.0
    header, which says neither."""
    out: dict[tuple[str, str], tuple[str, Any]] = {}
    for ctx in header.get("contexts") or []:
        if not isinstance(ctx, dict) or not ctx.get("name"):
            continue
        gates = gates_from_json(ctx.get("client_go"))
        queues = ctx.get("queues") if isinstance(ctx.get("queues"), dict) else {}
        if gates is None and not queues:
            continue
        for res in dict.fromkeys([*(header.get("resources") or []), *queues]):
            out[(str(ctx["name"]), str(res))] = (str(queues.get(res) or ""), gates)
    return out


def check_header(header: Any, path: str) -> dict[str, Any]:
    """``header`` when it is a recording header this version reads; ``RecordingError``
    (naming ``path``) otherwise."""
    if not isinstance(header, dict) or header.get("kind") != RecordKind.HEADER or header.get("format") != FORMAT:
        raise RecordingError(f"{path}: not a kmon recording (its first record is not a {FORMAT} header)")
    version = str(header.get("version", ""))
    major = version.split(".", 1)[0]
    if major != str(MAJOR):
        raise RecordingError(
            f"{path}: recording format version {version or '?'} is not supported "
            f"(this kmon reads version {MAJOR}.x); use a kmon that knows it"
        )
    return header
