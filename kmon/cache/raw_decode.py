"""Watch lines and list pages decoded into ``RawObject``s, with today's error behaviour.

Why this module exists: the list and watch decoders of ``kmon.kube`` build a dict per
object with orjson; these build ``RawObject``s instead (the object's bytes plus its typed
header, read with msgspec, which scans the rest of the object without building it), so the
cache never holds or frees a decoded body. They fail exactly where and as the dict decoders
do, so they can replace them:

- a watch line that is malformed JSON, not an event object, an event without an object, an
  ADDED/MODIFIED/DELETED object without ``metadata.name``, a BOOKMARK without
  ``metadata.resourceVersion`` or an unknown event type -> ``WatchDecodeError`` (500, as
  client-go reports undecodable watch data); ``WatchDecoder.decode`` returns the events
  before it with the error, stops at an ERROR event (its object, a Status, stays a plain
  dict, as do BOOKMARK objects: neither is cached) and skips blank lines.
- a list body that is not JSON, not an object, a ``Status`` or without an items array ->
  ``ApiStatusError`` with the same messages as ``RestListerWatcher``'s.
- metadata-only mode (``PartialObjectMetadata``): full objects from a server that ignored
  the Accept header are reduced to their metadata; ``drop_managed_fields`` removes
  ``metadata.managedFields`` from the bytes (no decode of the values, see
  ``without_managed_fields``).

The fast path of a watch line: kube-apiserver writes ``{"type":"MODIFIED","object":{...}}``,
so the object's bytes are cut out of the line and only they are read (once). Anything else
(other key order, whitespace, ERROR and BOOKMARK events, every malformed line) takes the
general path, which reads the event as ``{key: Raw}`` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from kmon.cache.errors import ApiStatusError
from kmon.cache.listwatch import ListPage, WatchEvent
from kmon.cache.raw_header import UNSET, Header, decode_header, lenient_header
from kmon.cache.raw_object import RawObject

__all__ = ["DecodeOptions", "WatchDecodeError", "WatchDecoder", "decode_list", "without_managed_fields"]

PARTIAL_KIND = "PartialObjectMetadata"
PARTIAL_API_VERSION = "meta.k8s.io/v1"
_OBJECT_EVENTS = frozenset(("ADDED", "MODIFIED", "DELETED"))
_FAST_TYPES = {b"ADDED": "ADDED", b"MODIFIED": "MODIFIED", b"DELETED": "DELETED"}
_PREFIX = b'{"type":"'
_SEP = b'","object":'
_CLOSE = ord("}")
_OPEN = ord("{")
_NULL = b"null"
_SPACE = b" \t\r\n"
_PARTIAL_PREFIX = b'{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":'

_decode_fields = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_items = msgspec.json.Decoder(list[msgspec.Raw]).decode
_loads = orjson.loads
_dumps = orjson.dumps
_DecodeError = msgspec.DecodeError
# what msgspec raises for a JSON document it cannot read: malformed, or nested deeper than
# its recursion limit (a RecursionError, as orjson's JSONDecodeError says "recursion limit")
_Undecodable = (msgspec.DecodeError, RecursionError)
_ValidationError = msgspec.ValidationError


class WatchDecodeError(ApiStatusError, ValueError):
    """A watch line that is not a well-formed event (bad JSON, not UTF-8, unknown type, no
    metadata). The reflector treats it like any other watch error: end the round, relist."""

    def __init__(self, message: str) -> None:
        super().__init__(500, "InternalError", message)


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How objects are decoded. ``kind``/``api_version``: the resource's, given to list items
    that carry none (``fill_type_meta``, as client-go's UnstructuredList decoding does)."""

    metadata_only: bool = False
    drop_managed_fields: bool = False
    fill_type_meta: bool = True
    kind: str = ""
    api_version: str = ""


def _describe_line(line: Any) -> str:
    return f"{len(line)} bytes starting {bytes(line[:40])!r}"


def _is_object(raw: Any) -> bool:
    mv = memoryview(raw)
    return len(mv) > 0 and mv[0] == _OPEN


def _join_fields(fields: dict[str, msgspec.Raw] | list[tuple[str, Any]]) -> bytes:
    items = fields.items() if isinstance(fields, dict) else fields
    return b"{" + b",".join(_dumps(k) + b":" + bytes(v) for k, v in items) + b"}"


def _object(raw: bytes) -> tuple[RawObject, Any]:
    """The RawObject of ``raw`` (a JSON object's bytes), and its decoded dict when the header
    was not exact (the caller checks that one), else None."""
    head = decode_header(raw)
    if head is not None:
        return RawObject(raw, head), None
    doc = _loads(raw)
    return RawObject(raw, lenient_header(doc)), doc


def _has_name(obj: RawObject, doc: Any) -> bool:
    if doc is None:
        return obj.header.has_metadata and bool(obj.header.meta.name)
    md = doc.get("metadata")
    return type(md) is dict and bool(md.get("name"))


def without_managed_fields(obj: RawObject) -> RawObject:
    """``obj`` without ``metadata.managedFields`` (``obj`` itself when it has none): the
    bytes are spliced, no value is decoded (the raw form of ``transforms.drop_managed_fields``)."""
    fields = _decode_fields(obj.raw)
    md = fields.get("metadata")
    if md is None or not _is_object(md):
        return obj
    meta = _decode_fields(md)
    if "managedFields" not in meta:
        return obj
    del meta["managedFields"]
    fields["metadata"] = _join_fields(meta)  # type: ignore[assignment]
    return RawObject(_join_fields(fields), obj.header)


def _partial(obj: RawObject) -> RawObject:
    """``obj`` reduced to a PartialObjectMetadata (a server that ignored the Accept header)."""
    md = _decode_fields(obj.raw).get("metadata")
    if md is not None and _is_object(md):
        raw = _PARTIAL_PREFIX + bytes(md) + b"}"
        head = obj.header
        if head.exact:
            return RawObject(raw, msgspec.structs.replace(head, kind=PARTIAL_KIND, apiVersion=PARTIAL_API_VERSION))
        return RawObject(raw)
    # as partial_object_metadata: ``obj.get("metadata") or {}``
    value = _loads(memoryview(md)) if md is not None else None
    return RawObject(_PARTIAL_PREFIX + (bytes(md) if value else b"{}") + b"}")


class WatchDecoder:
    """Decodes watch lines (bytes or memoryviews, newline excluded) into ``WatchEvent``s whose
    ADDED/MODIFIED/DELETED objects are ``RawObject``s."""

    def __init__(self, options: DecodeOptions = DecodeOptions()) -> None:
        self.options = options
        self._plain = not options.metadata_only and not options.drop_managed_fields

    def decode(self, lines: list[Any]) -> tuple[list[WatchEvent], WatchDecodeError | None]:
        """The events of ``lines`` up to the first bad one (returned as the error) or ERROR."""
        out: list[WatchEvent] = []
        append = out.append
        decode_line = self.decode_line
        for line in lines:
            if not line:
                continue
            try:
                ev = decode_line(line)
            except WatchDecodeError as err:
                return out, err
            if ev is None:
                continue
            append(ev)
            if ev.type == "ERROR":
                break
        return out, None

    def decode_line(self, line: Any) -> WatchEvent | None:
        """One line's event; None for a blank line; raises ``WatchDecodeError``."""
        n = len(line)
        if n > 24 and line[n - 1] == _CLOSE:
            head = bytes(line[:48])
            if head.startswith(_PREFIX):
                j = head.find(_SEP, 9)
                etype = _FAST_TYPES.get(head[9:j]) if j > 0 else None
                if etype is not None:
                    raw = bytes(line[j + 11:n - 1])
                    try:
                        h = decode_header(raw)
                    except _Undecodable:
                        h = None  # the general path names the error
                    if h is not None and h.has_metadata and h.meta.name:
                        obj = RawObject(raw, h)
                        return WatchEvent(etype, obj if self._plain else self._shrink(obj))
        return self._general(line)

    def _shrink(self, obj: RawObject) -> RawObject:
        if self.options.metadata_only and obj.kind != PARTIAL_KIND:
            obj = _partial(obj)
        if self.options.drop_managed_fields:
            obj = without_managed_fields(obj)
        return obj

    def _general(self, line: Any) -> WatchEvent | None:
        try:
            fields = _decode_fields(line)
        except _ValidationError:
            raise WatchDecodeError(f"watch line is not an event object: {_describe_line(line)}") from None
        except _Undecodable as e:
            if bytes(line).isspace():
                return None
            raise WatchDecodeError(f"malformed watch line ({e}): {_describe_line(line)}") from None
        t = fields.get("type")
        etype = msgspec.json.decode(t) if t is not None else None
        raw = fields.get("object")
        if raw is None or not _is_object(raw):
            raise WatchDecodeError(f"watch event {etype!r} has no object: {_describe_line(line)}")
        try:
            if etype in _OBJECT_EVENTS:
                obj, doc = _object(bytes(raw))
                if not _has_name(obj, doc):
                    raise WatchDecodeError(f"watch event {etype} object has no metadata.name: {_describe_line(line)}")
                return WatchEvent(etype, obj if self._plain else self._shrink(obj))
            if etype == "BOOKMARK":
                doc = _loads(memoryview(raw))
                md = doc.get("metadata")
                if type(md) is not dict or "resourceVersion" not in md:
                    raise WatchDecodeError(f"BOOKMARK without metadata.resourceVersion: {_describe_line(line)}")
                return WatchEvent("BOOKMARK", doc)
            if etype == "ERROR":
                return WatchEvent("ERROR", _loads(memoryview(raw)))
        except (*_Undecodable, orjson.JSONDecodeError) as e:  # what msgspec skipped: bad UTF-8, depth
            raise WatchDecodeError(f"malformed watch line ({e}): {_describe_line(line)}") from None
        raise WatchDecodeError(f"unknown watch event type {etype!r}")


class _ListDoc(msgspec.Struct, gc=False):
    kind: Any = None
    apiVersion: Any = None
    metadata: Any = None
    items: msgspec.Raw = msgspec.Raw(_NULL)


_decode_list_doc = msgspec.json.Decoder(_ListDoc).decode


def _list_error(body: bytes, status: int, content_type: str, path: str) -> ApiStatusError:
    try:
        doc = _loads(body)
    except orjson.JSONDecodeError:
        ctype = (content_type or "no content type").split(";")[0]
        return ApiStatusError(status, "", f"expected a JSON list from {path}, got {ctype} ({len(body)} bytes)")
    return ApiStatusError(status, "", f"expected a list object from {path}, got {type(doc).__name__}")


def _has_kind(obj: RawObject) -> bool:
    head = obj.header
    return head.kind is not UNSET if head.exact else "kind" in obj


def _with_type(raw: bytes, head: Header, kind: str, api_version: str) -> RawObject:
    """A list item given the list's kind and apiVersion (the item has no ``kind``)."""
    if head.apiVersion is UNSET:
        prefix = b'{"kind":%b,"apiVersion":%b' % (_dumps(kind), _dumps(api_version))
        first = 1
        while raw[first] in _SPACE:
            first += 1
        raw = prefix + raw[first:] if raw[first] == _CLOSE else b"".join((prefix, b",", memoryview(raw)[1:]))
    else:
        fields = list(_decode_fields(raw).items())
        raw = _join_fields([("kind", _dumps(kind)), ("apiVersion", _dumps(api_version)),
                            *((k, v) for k, v in fields if k != "apiVersion")])
    return RawObject(raw, msgspec.structs.replace(head, kind=kind, apiVersion=api_version))


def decode_list(body: bytes, *, status: int = 200, content_type: str = "", path: str = "",
                options: DecodeOptions = DecodeOptions()) -> ListPage:
    """One list page (``body``: the response's JSON) as a ``ListPage`` of ``RawObject``s;
    ``status``, ``content_type`` and ``path`` name the response in errors."""
    try:
        doc = _decode_list_doc(body)
    except _Undecodable:  # a ValidationError too: valid JSON that is not an object
        raise _list_error(body, status, content_type, path) from None
    list_kind = doc.kind if type(doc.kind) is str else ""
    if list_kind == "Status":
        raise ApiStatusError.from_status(_loads(body), http_code=status)
    items_raw = doc.items
    if bytes(items_raw) == _NULL:
        raws: list[msgspec.Raw] = []
    else:
        try:
            raws = _decode_items(items_raw)
        except _ValidationError:
            raise ApiStatusError(status, "", f"list from {path} has no items array") from None
    items: list[RawObject] = []
    append = items.append
    for r in raws:
        if not _is_object(r):
            raise ApiStatusError(status, "", f"list from {path} has an item that is not an object")
        try:
            append(_object(bytes(r))[0])
        except (*_Undecodable, orjson.JSONDecodeError):  # what msgspec skipped: bad UTF-8, depth
            raise _list_error(body, status, content_type, path) from None
    if options.metadata_only:
        if list_kind != "PartialObjectMetadataList":
            items = [_partial(i) for i in items]
        if options.drop_managed_fields:
            items = [without_managed_fields(i) for i in items]
    elif options.fill_type_meta and items and not _has_kind(items[0]):
        kind = list_kind[:-4] if list_kind.endswith("List") else options.kind
        api_version = doc.apiVersion if type(doc.apiVersion) is str and doc.apiVersion else options.api_version
        items = [i if _has_kind(i) else _with_type(i.raw, i.header, kind, api_version) for i in items]
    md = doc.metadata if type(doc.metadata) is dict else {}
    rem = md.get("remainingItemCount")
    return ListPage(
        items=items,  # type: ignore[arg-type]
        resource_version=str(md.get("resourceVersion") or ""),
        continue_=str(md.get("continue") or ""),
        remaining_item_count=int(rem) if rem is not None else None,
    )
