"""``RawObject``: a cached Kubernetes object kept as its wire bytes, read as a ``Mapping``.

Why this module exists: decoding a 5.4 KB pod into dicts costs more than the rest of the
informer pipeline and keeps ~27 KiB per pod; keeping the bytes with a small decoded header
(``raw_header``) keeps ~6 KiB and reads a watch event ~1.5-2x faster than orjson builds the
dict (figures and method: benchmarks/bench_raw_object.py). Handlers, indexers, the tree,
YAML, diffs, exports and recordings read it as the read-only mapping it is:

- ``kind``, ``apiVersion`` and the header's metadata keys (name, namespace, uid,
  resourceVersion, generation, creation/deletionTimestamp, labels) are answered without
  decoding anything: ``obj["metadata"]`` is a ``MetadataView`` reading the header first.
- any other key decodes the body once, frozen (``frozen.freeze``: values are ``FrozenDict``/
  ``FrozenList``, read-only at every level); the most recent ``raw_bodies.BODY_CACHE``
  bodies decoded are kept, older ones dropped (re-decoded if read again), so browsing
  objects never grows the cache by their decoded size. A body is read by views (detail pane, diff, Verify), not
  by the informer.
- equality and hashing by content (like the dict it stands for: ``RawObject == dict``);
  ``to_dict()`` a fresh mutable deep copy; ``copy.copy``/``copy.deepcopy`` mutable copies (a
  caller copies in order to change); pickling by bytes.
- serialisation without re-encoding: ``raw`` (the bytes), ``fragment()`` (an
  ``orjson.Fragment`` written verbatim), ``json_default`` for ``orjson.dumps(...,
  default=...)`` and ``dumps``. ``STATS`` counts every decode beyond the header (tests
  assert that the hot path makes none).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

import msgspec
import orjson

from kmon.cache.frozen import FrozenDict, content_hash, freeze
from kmon.cache.raw_bodies import RECENT, STATS
from kmon.cache.raw_header import UNSET, Header, ObjectMeta, decode_header, lenient_header, metadata_bytes
from kmon.cache.raw_metadata import MetadataView
from kmon.cache.raw_summary import summary_part

__all__ = ["STATS", "MetadataView", "RawObject", "dumps", "json_default"]

_loads = orjson.loads
_Fragment = orjson.Fragment


_decode_top_keys = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_KEYSETS: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct key list
_MAX_KEYSETS = 1024  # then forgotten, all at once


def _text(value: Any) -> str:
    return value if type(value) is str else ""


def _doc_or_error(raw: bytes) -> dict[str, Any]:
    doc = _loads(raw)
    if type(doc) is not dict:
        raise TypeError(f"a RawObject holds a JSON object, not {type(doc).__name__}")
    return doc


class RawObject(msgspec.Struct, gc=False, eq=False):
    """A read-only Kubernetes object kept as the JSON bytes of one object (a ``Mapping``).

    ``RawObject(data)``: ``data`` is the JSON of an object (bytes, bytearray, memoryview or
    str) or a mapping (encoded once). Raises ``ValueError`` for malformed JSON and
    ``TypeError`` for JSON that is not an object.

    A msgspec Struct without GC tracking (like its header): the cyclic collector never walks
    a cache of them (a full collection with 50,000 pods cached costs what an empty process's
    does; a tracked class cost ~55 ms more). It holds no reference cycle: a decoded body
    never refers back to its object."""

    _raw: Any
    _head: Header | None = None
    _keys: tuple[str, ...] | None = None
    _body: FrozenDict | None = None
    _md: Any = None
    _hash: int = -1

    def __post_init__(self) -> None:
        if self._head is not None:  # a decoder's: bytes and header known good
            return
        data = self._raw
        if isinstance(data, Mapping):
            raw = orjson.dumps(data, default=json_default)
        elif isinstance(data, str):
            raw = data.encode()
        else:
            raw = bytes(data)
        try:
            head = decode_header(raw)
        except (msgspec.DecodeError, RecursionError) as e:  # (nested beyond msgspec's limit)
            raise ValueError(f"not a JSON object: {e}") from None
        self._raw = raw
        self._head = head if head is not None else lenient_header(_doc_or_error(raw))

    # ------------------------------------------------------------------ header, typed
    @property
    def raw(self) -> bytes:
        """The object's JSON, as received (never re-encoded)."""
        return self._raw

    @property
    def header(self) -> Header:
        return self._head  # type: ignore[return-value]

    @property
    def meta(self) -> ObjectMeta:
        """The decoded part of ``metadata`` (fields are ``UNSET`` when absent)."""
        return self._head.meta

    @property
    def kind(self) -> str:
        return _text(self._head.kind)

    @property
    def name(self) -> str:
        return _text(self._head.meta.name)

    @property
    def namespace(self) -> str:
        return _text(self._head.meta.namespace)

    @property
    def resource_version(self) -> str:
        return _text(self._head.meta.resourceVersion)

    @property
    def cache_key(self) -> str:
        """The cache key: ``"namespace/name"``, or ``"name"`` for cluster-scoped objects; ""
        when the header holds no name (``keys.meta_namespace_key`` then decides)."""
        m = self._head.meta
        name = m.name
        if type(name) is not str or not name:
            return ""
        ns = m.namespace
        return f"{ns}/{name}" if ns else name

    @property
    def labels(self) -> Mapping[str, str]:
        """``metadata.labels`` (read-only; empty when absent)."""
        lb = self._head.meta.labels
        return FrozenDict(lb) if type(lb) is dict else _NO_LABELS

    # ------------------------------------------------------------------ decoding
    def body(self) -> FrozenDict:
        """The whole object, decoded and frozen (kept among the most recent ``raw_bodies.BODY_CACHE``)."""
        b = self._body
        if b is None:
            b = freeze(_loads(self._raw))
            STATS.bodies += 1
            self._body = b
            RECENT.add(self)
        return b

    def metadata(self) -> Any:
        """The whole ``metadata`` value, decoded and frozen (from the body when decoded)."""
        b = self._body
        if b is not None:
            return b.get("metadata")
        md = self._md
        if md is None:
            md = freeze(_loads(metadata_bytes(self._raw)))
            STATS.metadata += 1
            self._md = md
            RECENT.add(self)
        return md

    def summary(self, kind: str = "") -> dict[str, Any]:
        """The parts of the object the tree's status summary reads (``raw_summary``), decoded
        from the bytes without decoding the rest; ``kind`` when the object has none."""
        STATS.summaries += 1
        head = self._head
        return summary_part(self._raw, self.kind or kind, head.meta if head.exact and head.has_metadata else None)

    def to_dict(self) -> dict[str, Any]:
        """A fresh, mutable deep copy (plain dicts and lists)."""
        STATS.copies += 1
        return _loads(self._raw)

    def fragment(self) -> orjson.Fragment:
        """The bytes as an ``orjson.Fragment``: written verbatim by ``orjson.dumps``."""
        return _Fragment(self._raw)

    # ------------------------------------------------------------------ Mapping
    def __getitem__(self, key: str) -> Any:
        head = self._head
        if head.exact:
            if key == "metadata":
                if head.has_metadata:
                    return MetadataView(self)
            elif key == "kind" or key == "apiVersion":
                v = head.kind if key == "kind" else head.apiVersion
                if v is UNSET:
                    raise KeyError(key)
                return v
        return self.body()[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def _key_set(self) -> tuple[str, ...]:
        keys = self._keys
        if keys is None:
            b = self._body
            if b is not None:
                keys = tuple(b)
            else:
                keys = tuple(_decode_top_keys(self._raw))
                STATS.key_scans += 1
            if len(_KEYSETS) >= _MAX_KEYSETS:
                _KEYSETS.clear()
            keys = self._keys = _KEYSETS.setdefault(keys, keys)
        return keys

    def __contains__(self, key: object) -> bool:
        head = self._head
        if head.exact:
            if key == "metadata" and head.has_metadata:
                return True
            if key == "kind" and head.kind is not UNSET:
                return True
            if key == "apiVersion" and head.apiVersion is not UNSET:
                return True
        return key in self._key_set()

    def __iter__(self) -> Iterator[str]:
        return iter(self._key_set())

    def __bool__(self) -> bool:  # ``obj or {}`` must not scan the keys
        head = self._head
        if head.exact and (head.has_metadata or head.kind is not UNSET or head.apiVersion is not UNSET):
            return True
        return bool(self._key_set())

    def __len__(self) -> int:
        return len(self._key_set())

    def keys(self) -> KeysView[str]:
        return KeysView(self)

    def values(self) -> ValuesView[Any]:
        return ValuesView(self)

    def items(self) -> ItemsView[str, Any]:
        return ItemsView(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is RawObject:
            if self._raw == other._raw:  # type: ignore[attr-defined]
                return True
            a, b = self._head, other._head  # type: ignore[attr-defined]
            if a.exact and b.exact:
                ma, mb = a.meta, b.meta
                if ma.name != mb.name or ma.namespace != mb.namespace or ma.resourceVersion != mb.resourceVersion:
                    return False  # strings: different here means different content
            return self.body() == other.body()  # type: ignore[attr-defined]
        if isinstance(other, dict):
            return self.body() == other
        if isinstance(other, Mapping):
            return self.body() == {k: other[k] for k in other}
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        h = self._hash
        if h == -1:
            h = self._hash = content_hash(self.body())
        return h

    # ------------------------------------------------------------------ copies, pickling
    def __copy__(self) -> dict[str, Any]:
        return dict(self.body())

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return self.to_dict()

    def __reduce__(self) -> tuple[Any, ...]:
        return (RawObject, (self._raw,))  # the header is decoded again

    def __repr__(self) -> str:
        head = self._head
        rv = head.meta.resourceVersion
        return f"RawObject({self.kind or '?'} {self.cache_key or '?'}" + (f" rv={rv}" if type(rv) is str else "") + \
            f", {len(self._raw)} bytes)"


Mapping.register(RawObject)
_NO_LABELS: Mapping[str, str] = FrozenDict()


def json_default(value: Any) -> Any:
    """``default=`` for ``orjson.dumps``: a ``RawObject`` is written as its bytes (no
    re-encoding), a ``MetadataView`` as the metadata. Anything else raises ``TypeError`` (as
    orjson asks); call it first from another default function to combine them."""
    cls = value.__class__
    if cls is RawObject:
        return _Fragment(value._raw)
    if cls is MetadataView:
        return value._obj.metadata()
    raise TypeError(f"Type is not JSON serializable: {cls.__name__}")


def dumps(value: Any, option: int = 0) -> bytes:
    """``orjson.dumps`` that writes ``RawObject``s as their bytes. With ``OPT_INDENT_2`` or
    ``OPT_SORT_KEYS`` the bytes of a RawObject are still written verbatim (orjson does not
    re-format fragments): use ``to_dict()`` for pretty output."""
    return orjson.dumps(value, default=json_default, option=option)


def _register_yaml() -> None:
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return

    def represent(dumper: Any, data: Any) -> Any:
        return dumper.represent_dict(data.body() if data.__class__ is RawObject else data._obj.metadata())

    for dumper in (yaml.SafeDumper, yaml.Dumper):
        dumper.add_representer(RawObject, represent)
        dumper.add_representer(MetadataView, represent)


_register_yaml()
