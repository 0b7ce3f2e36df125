"""Per-kind summary parts: what the tree's status column reads, decoded from raw bytes alone.

Why this module exists: painting the tree must never decode whole objects. The tree's status
summary (``kmon.monitor.summary.summarize``: pod phase and readiness, replicas, node
readiness...) reads a handful of fields per kind; ``summary_part`` decodes just those from an
object's JSON and returns a *pruned object*: the same shape as the object, so ``summarize``
runs on it unchanged and gives the same text (tests/cache/test_raw_summary.py checks that for
every kind it knows).

A pruned object keeps, at every level it descends into, every key of the original (so
``in``, ``len`` and truthiness answer as on the whole object) but only the selected values;
the others are None. Levels are read with msgspec as ``{key: Raw}``: the skipped values are
scanned, never built. Nothing is cached on the object: the tree keeps the summary *text* of
each row (and recomputes it when the row's object changes), so a cached part would only add
memory.

``SELECTORS`` says what each kind reads: a dict descends into an object (``{}``: keys only),
``ALL`` decodes a value whole, ``[selector]`` descends into each element of a list. Keep it
in step with ``kmon/monitor/summary.py``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from kmon.cache.frozen import FrozenDict, freeze
from kmon.cache.raw_header import HEADER_METADATA_KEYS, UNSET, ObjectMeta

__all__ = ["ALL", "SELECTORS", "summary_part"]

ALL = True  # decode this value whole

_REPLICAS = {"kind": ALL, "spec": {"replicas": ALL},
             "status": {"readyReplicas": ALL, "replicas": ALL, "updatedReplicas": ALL}}
_DATA = {"kind": ALL, "type": ALL, "data": {}, "binaryData": {}, "stringData": {}}
_PHASE = {"kind": ALL, "status": {"phase": ALL}}
_GENERIC = {"kind": ALL, "status": {"phase": ALL, "conditions": [{"type": ALL, "status": ALL}]}}

SELECTORS: dict[str, dict[str, Any]] = {
    "Pod": {
        "kind": ALL,
        "spec": {"containers": [{}]},
        "status": {"reason": ALL, "phase": ALL,
                   "containerStatuses": [{"ready": ALL, "restartCount": ALL, "state": ALL}]},
    },
    "Deployment": _REPLICAS,
    "ReplicaSet": _REPLICAS,
    "StatefulSet": _REPLICAS,
    "ReplicationController": _REPLICAS,
    "DaemonSet": {"kind": ALL, "status": {"desiredNumberScheduled": ALL, "numberReady": ALL}},
    "Node": {"kind": ALL, "spec": {"unschedulable": ALL}, "status": {"conditions": [{"type": ALL, "status": ALL}]}},
    "Service": {"kind": ALL, "spec": {"type": ALL, "clusterIP": ALL, "ports": ALL}},
    "ConfigMap": _DATA,
    "Secret": _DATA,
    "Event": {"kind": ALL, "type": ALL, "reason": ALL, "message": ALL, "note": ALL, "count": ALL,
              "series": {"count": ALL}},
    "Namespace": _PHASE,
    "PersistentVolumeClaim": _PHASE,
    "PersistentVolume": _PHASE,
    "Job": {"kind": ALL, "spec": {"completions": ALL},
            "status": {"succeeded": ALL, "active": ALL, "failed": ALL}},
}

_decode_level = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_items = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode_any = msgspec.json.decode
_OBJECT = ord("{")
_ARRAY = ord("[")


def _first_byte(raw: msgspec.Raw) -> int:
    mv = memoryview(raw)
    return mv[0] if len(mv) else 0


def _prune(raw: msgspec.Raw, selector: Any) -> Any:
    """The value of ``raw`` pruned by ``selector`` (a non-object/non-list value whole)."""
    if selector is ALL:
        return _decode_any(raw)
    first = _first_byte(raw)
    if type(selector) is dict and first == _OBJECT:
        return _prune_object(_decode_level(raw), selector)
    if type(selector) is list and first == _ARRAY:
        sub = selector[0]
        return [_prune(item, sub) for item in _decode_items(raw)]
    return _decode_any(raw)


def _prune_object(level: dict[str, msgspec.Raw], selector: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(level)
    for key, sub in selector.items():
        raw = level.get(key)
        if raw is not None:
            out[key] = _prune(raw, sub)
    return out


def _header_metadata(meta: ObjectMeta) -> dict[str, Any]:
    return {k: v for k in HEADER_METADATA_KEYS if (v := getattr(meta, k)) is not UNSET}


def summary_part(raw: bytes, kind: str, meta: ObjectMeta | None = None) -> FrozenDict:
    """The pruned object of ``raw`` (a JSON object) for ``kind``'s summary (kinds without
    their own selector: phase and Ready/Available conditions). ``meta``: the header's
    metadata, used as the pruned ``metadata`` (read from the bytes when None)."""
    selector = SELECTORS.get(kind, _GENERIC)
    level = _decode_level(raw)
    out = _prune_object(level, selector)
    if "metadata" in level:
        if meta is not None:
            out["metadata"] = _header_metadata(meta)
        else:
            out["metadata"] = _prune(level["metadata"], dict.fromkeys(HEADER_METADATA_KEYS, ALL))
    return freeze(out)
