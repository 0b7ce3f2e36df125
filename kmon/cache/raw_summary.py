"""Per-kind summary parts: what the tree's status column reads, decoded from raw bytes alone.

Why this module exists: painting the tree must never decode whole objects. The tree's status
summary (``kmon.monitor.summary.summarize``: pod phase and readiness, replicas, node
readiness...) reads a handful of fields per kind; ``summary_part`` decodes just those from an
object's JSON and returns a *pruned object*: the same shape as the object, so ``summarize``
runs on it unchanged and gives the same text (tests/cache/test_raw_summary.py checks that for
every kind it knows).

``SELECTORS`` says what each kind reads: a dict descends into an object and keeps the keys it
names, ``Keys({...})`` also keeps every other key of the object with a None value (for code
that asks ``len``, ``in`` or whether the object is empty), ``ALL`` keeps a value whole and
``[selector]`` descends into each element of a list. Keep it in step with
``kmon/monitor/summary.py``. Each selector is compiled into msgspec Structs, so a part is
decoded in one pass that skips (scans, never builds) everything else: several times faster
than decoding the object with orjson (benchmarks/bench_raw_object.py). An object whose
selected values have unexpected JSON types is decoded whole instead.

Nothing is cached on the object: the tree keeps the summary *text* of each row and
recomputes it only when the row's object changes, so a cached part would only add memory
(~3.6 KiB per pod).
"""

from __future__ import annotations

from typing import Any, Callable

import msgspec
import orjson

from kmon.cache.raw_header import HEADER_METADATA_KEYS, UNSET, ObjectMeta

__all__ = ["ALL", "SELECTORS", "Keys", "summary_part"]

ALL = True  # keep this value whole


class Keys(dict):  # type: ignore[type-arg]
    """A selector that also keeps every other key of its object (with a None value)."""


_REPLICAS = {"kind": ALL, "spec": {"replicas": ALL},
             "status": {"readyReplicas": ALL, "replicas": ALL, "updatedReplicas": ALL}}
_DATA = {"kind": ALL, "type": ALL, "data": Keys(), "binaryData": Keys(), "stringData": Keys()}
_PHASE = {"kind": ALL, "status": {"phase": ALL}}
_CONDITIONS = [{"type": ALL, "status": ALL}]
_GENERIC = {"kind": ALL, "status": {"phase": ALL, "conditions": _CONDITIONS}}

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
    "Node": {"kind": ALL, "spec": {"unschedulable": ALL}, "status": Keys(conditions=_CONDITIONS)},
    "Service": {"kind": ALL, "spec": Keys(type=ALL, clusterIP=ALL, ports=ALL)},
    "ConfigMap": _DATA,
    "Secret": _DATA,
    "Event": {"kind": ALL, "type": ALL, "reason": ALL, "message": ALL, "note": ALL, "count": ALL,
              "series": {"count": ALL}},
    "Namespace": _PHASE,
    "PersistentVolumeClaim": _PHASE,
    "PersistentVolume": _PHASE,
    "Job": {"kind": ALL, "spec": {"completions": ALL},
            "status": Keys(succeeded=ALL, active=ALL, failed=ALL)},
}

def _type(selector: Any, name: str) -> Any:
    """The msgspec type that decodes what ``selector`` keeps (a ``Keys`` object as
    ``{key: Raw}``: its values are decoded afterwards, see ``_keys_paths``)."""
    if selector is ALL:
        return Any
    if type(selector) is list:
        return list[_type(selector[0], name + "Item")] | None  # type: ignore[misc]
    if isinstance(selector, Keys):
        return dict[str, msgspec.Raw] | None
    fields = [(k, _type(sub, name + k[:1].upper() + k[1:]), UNSET) for k, sub in selector.items()]
    return msgspec.defstruct(name, fields, gc=False) | None


def _keys_paths(selector: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Keys]]:
    """Where ``Keys`` selectors sit (never under a list in ``SELECTORS``)."""
    out = []
    for k, sub in selector.items():
        if isinstance(sub, Keys):
            out.append(((*path, k), sub))
        elif type(sub) is dict:
            out.extend(_keys_paths(sub, (*path, k)))
    return out


def _value_decoder(selector: Any, name: str) -> Callable[[bytes], Any]:
    if selector is ALL:
        return _loads
    decode = msgspec.json.Decoder(_type(selector, name)).decode
    return lambda raw: _builtins(decode(raw))


def _fill_keys(part: dict[str, Any], path: tuple[str, ...], decoders: dict[str, Callable[[bytes], Any]]) -> None:
    """The ``Keys`` object at ``path`` of ``part`` (its values as bytes) with its selected
    values decoded and the others None."""
    *parents, last = path
    for k in parents:
        part = part.get(k)  # type: ignore[assignment]
        if type(part) is not dict:
            return
    raws = part.get(last)
    if type(raws) is dict:
        part[last] = {k: decoders[k](v) if k in decoders else None for k, v in raws.items()}


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value, builtin_types=(bytes,), enc_hook=bytes)


def _decoder(selector: dict[str, Any], kind: str) -> Callable[[bytes], dict[str, Any]]:
    decode = msgspec.json.Decoder(_type(selector, f"_{kind}Part")).decode
    keys = [(path, {k: _value_decoder(sub, f"_{kind}{k}") for k, sub in sel.items()})
            for path, sel in _keys_paths(selector)]

    def part(raw: bytes) -> dict[str, Any]:
        out = _builtins(decode(raw))
        for path, decoders in keys:
            _fill_keys(out, path, decoders)
        return out
    return part


_loads = orjson.loads
_DECODERS = {kind: _decoder(sel, kind) for kind, sel in SELECTORS.items()}
_GENERIC_DECODER = _decoder(_GENERIC, "Generic")


class _MetaOnly(msgspec.Struct, gc=False):
    metadata: Any = UNSET


_decode_metadata = msgspec.json.Decoder(_MetaOnly).decode


def summary_part(raw: bytes, kind: str, meta: ObjectMeta | None = None) -> dict[str, Any]:
    """The pruned object of ``raw`` (a JSON object) for ``kind``'s summary (kinds without
    their own selector: phase and Ready/Available conditions), a fresh plain dict (shared
    with nobody, like ``RawObject.to_dict()``). ``meta``: the header's metadata, used as the
    pruned ``metadata`` (read from the bytes when None)."""
    try:
        part = _DECODERS.get(kind, _GENERIC_DECODER)(raw)
    except msgspec.ValidationError:  # a selected value of an unexpected type
        return _loads(raw)
    if meta is not None:
        md: Any = {k: dict(v) if type(v) is dict else v  # the header's labels are the cache's
                   for k in HEADER_METADATA_KEYS if (v := getattr(meta, k)) is not UNSET}
    else:
        md = _decode_metadata(raw).metadata
        if type(md) is dict:
            md = {k: v for k, v in md.items() if k in HEADER_METADATA_KEYS}
    if md is not UNSET:
        part["metadata"] = md
    return part
