"""The header of a cached object: what keys, indexes and the tree read, decoded eagerly.

Why this module exists: a ``RawObject`` keeps an object as its wire bytes and decodes only
this header when it arrives: ``kind``, ``apiVersion`` and the part of ``metadata`` that the
cache's keys (name, namespace), its version bookkeeping (resourceVersion), the namespace and
label indexes and filters (labels), the tree (creationTimestamp, deletionTimestamp,
generation) and owner grouping (uid, ownerReferences) read. Everything else stays in the
bytes. The header is a typed ``msgspec.Struct``: msgspec skips the rest of the object without
building it (what makes a raw cache faster than merely decoding the stream with orjson), and
Structs without GC tracking keep a full collection of a large cache short.

Annotations are not in the header: nothing on the hot path reads them, and they can be most
of an object (``kubectl.kubernetes.io/last-applied-configuration``); they are read from the
bytes on demand.

A header field holds ``UNSET`` when the object lacks the key (so a ``Mapping`` view can tell
"absent" from "null"). An object whose header fields have unexpected JSON types (a label
value that is a number) cannot be held in the typed header: ``decode_header`` returns None
and ``lenient_header`` builds what it can from the decoded object; such an object then
answers every read from its decoded body.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import msgspec
from msgspec import UNSET, Struct, UnsetType


__all__ = [
    "HEADER_METADATA_KEYS",
    "UNSET",
    "Header",
    "ObjectMeta",
    "OwnerReference",
    "decode_header",
    "lenient_header",
    "metadata_bytes",
]

_intern = sys.intern
_MAX_INTERN = 256  # longer values are rarely shared between objects


class OwnerReference(Struct, frozen=True, gc=False):
    """One ``metadata.ownerReferences`` entry (the fields owner grouping reads)."""

    apiVersion: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool | None = None


class _MetaScalars(Struct, gc=False):
    """The plain fields of ``metadata`` a header keeps (``ObjectMeta`` and its wire form)."""

    name: str | None | UnsetType = UNSET
    namespace: str | None | UnsetType = UNSET
    uid: str | None | UnsetType = UNSET
    resourceVersion: str | None | UnsetType = UNSET
    generation: int | None | UnsetType = UNSET
    creationTimestamp: str | None | UnsetType = UNSET
    deletionTimestamp: str | None | UnsetType = UNSET


class ObjectMeta(_MetaScalars, frozen=True, gc=False):
    """The decoded part of ``metadata``. ``labels`` is a plain dict of strings, which the
    cyclic GC does not track (a dict subclass it would): never change it; ``RawObject``
    hands it out as a ``FrozenDict``."""

    labels: dict[str, str] | None | UnsetType = UNSET
    ownerReferences: tuple[OwnerReference, ...] | None | UnsetType = UNSET


# the metadata keys a header answers exactly as the decoded JSON would (ownerReferences is
# typed: its entries keep only the fields above, so a Mapping view reads it from the bytes)
HEADER_METADATA_KEYS = frozenset(
    ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "labels")
)
_EMPTY_META = ObjectMeta()


class _WireMeta(_MetaScalars, gc=False):
    """``ObjectMeta`` as read from the wire: labels and owner references kept as their JSON
    bytes, which key the caches that share them (``_labels``, ``_owners``): an object whose
    labels were seen before costs a bytes copy and one lookup, not a dict and its strings."""

    labels: msgspec.Raw | UnsetType = UNSET
    ownerReferences: msgspec.Raw | UnsetType = UNSET


class _Wire(Struct, gc=False):
    kind: str | None | UnsetType = UNSET
    apiVersion: str | None | UnsetType = UNSET
    metadata: _WireMeta | None | UnsetType = UNSET


class Header(Struct, frozen=True, gc=False):
    """``kind`` and ``apiVersion`` (UNSET when absent) and the metadata. ``has_metadata``:
    the object has a ``metadata`` object; ``exact``: every field is what the JSON holds
    (False for a lenient header: then only the decoded body answers Mapping reads)."""

    kind: str | None | UnsetType
    apiVersion: str | None | UnsetType
    meta: ObjectMeta
    has_metadata: bool
    exact: bool = True


_decode_wire = msgspec.json.Decoder(_Wire).decode


class _MetadataOnly(Struct, gc=False):
    metadata: msgspec.Raw = msgspec.Raw(b"null")


_decode_metadata_only = msgspec.json.Decoder(_MetadataOnly).decode


def metadata_bytes(raw: bytes) -> memoryview:
    """The bytes of the ``metadata`` value of the JSON object ``raw`` (``null`` when absent),
    the rest of the object skipped."""
    return memoryview(_decode_metadata_only(raw).metadata)


_MAX_SHARED = 16384  # distinct label sets (owner lists) kept for sharing, then forgotten at once


def _sharing(decode: Callable[[bytes], Any], finish: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], Any]:
    """A function from a value's JSON bytes to one shared object per distinct JSON:
    ``finish(decode(json))``, made once (``decode`` validates: a ``ValidationError`` goes
    to the caller) and kept among the last ``_MAX_SHARED``; a JSON ``null`` is None."""
    made: dict[bytes, Any] = {}

    def shared(raw: Any) -> Any:
        key = bytes(raw)
        value = made.get(key)
        if value is None:
            value = decode(key)
            if value is None:
                return None
            if len(made) >= _MAX_SHARED:
                made.clear()
            value = made[key] = finish(value)
        return value

    return shared


# label sets: the pods of a ReplicaSet (or a StatefulSet's, but for one label) carry the same
# labels, so one dict serves them all (~180 bytes less per pod: 1.58 -> 1.40 KiB per
# metadata-only pod, measured with benchmarks/bench_pipeline.py's pods), values interned
_labels = _sharing(msgspec.json.Decoder(dict[str, str] | None).decode,
                   lambda d: {k: _intern(v) if len(v) <= _MAX_INTERN else v for k, v in d.items()})
# owner references: a ReplicaSet's pods all name it, so one tuple serves them all
_owners = _sharing(msgspec.json.Decoder(tuple[OwnerReference, ...] | None).decode)


def _meta(md: _WireMeta) -> ObjectMeta:
    """``md`` with what repeats across objects shared: namespace, label values and the
    creation second interned (interned strings are freed with their last user), equal owner
    references one tuple, equal label sets one dict: ~500 bytes less per pod."""
    ns = md.namespace
    created = md.creationTimestamp
    labels = md.labels
    owners = md.ownerReferences
    return ObjectMeta(
        name=md.name, namespace=_intern(ns) if type(ns) is str else ns, uid=md.uid,
        resourceVersion=md.resourceVersion, generation=md.generation,
        creationTimestamp=_intern(created) if type(created) is str and len(created) <= 32 else created,
        deletionTimestamp=md.deletionTimestamp,
        labels=labels if labels is UNSET else _labels(labels),
        ownerReferences=owners if owners is UNSET else _owners(owners),
    )


def decode_header(raw: bytes) -> Header | None:
    """The header of the JSON object ``raw``; None when a header field has an
    unexpected type or ``raw`` is valid JSON but not an object (``lenient_header`` then).
    Raises ``msgspec.DecodeError`` (not a ``ValidationError``) for malformed JSON."""
    if not raw.isascii():  # msgspec does not check the UTF-8 of the values it skips
        try:
            raw.decode()
        except UnicodeDecodeError as e:
            raise msgspec.DecodeError(f"not UTF-8: {e.reason} at byte {e.start}") from None
    try:
        wire = _decode_wire(raw)
        md = wire.metadata
        meta = _meta(md) if type(md) is _WireMeta else _EMPTY_META
    except msgspec.ValidationError:
        return None
    kind = wire.kind
    api_version = wire.apiVersion
    return Header(
        _intern(kind) if type(kind) is str else kind,
        _intern(api_version) if type(api_version) is str else api_version,
        meta,
        type(md) is _WireMeta,
    )


def _typed(value: Any, types: tuple[type, ...]) -> Any:
    return value if isinstance(value, types) and type(value) is not bool else UNSET


def lenient_header(doc: dict[str, Any]) -> Header:
    """What can be read of the header of a decoded object whose fields have unexpected
    types: the well-typed ones; ``exact`` is False."""
    md = doc.get("metadata")
    has_md = type(md) is dict
    m: dict[str, Any] = md if has_md else {}  # type: ignore[assignment]
    labels = m.get("labels")
    labels_ok = type(labels) is dict and all(type(v) is str for v in labels.values())
    refs = m.get("ownerReferences")
    owners: Any = UNSET
    if type(refs) is list:
        try:
            owners = tuple(msgspec.convert(r, OwnerReference) for r in refs)
        except msgspec.ValidationError:
            owners = UNSET
    meta = ObjectMeta(
        name=_typed(m.get("name"), (str,)),
        namespace=_typed(m.get("namespace"), (str,)),
        uid=_typed(m.get("uid"), (str,)),
        resourceVersion=_typed(m.get("resourceVersion"), (str,)),
        generation=_typed(m.get("generation"), (int,)),
        creationTimestamp=_typed(m.get("creationTimestamp"), (str,)),
        deletionTimestamp=_typed(m.get("deletionTimestamp"), (str,)),
        labels=dict(labels) if labels_ok else UNSET,
        ownerReferences=owners,
    )
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    return Header(kind if type(kind) is str else UNSET, api_version if type(api_version) is str else UNSET,
                  meta, has_md, exact=False)
