"""The dict decoders: watch lines and list pages decoded with orjson into plain dicts.

Why this module exists: kmon's informers keep objects as their wire bytes
(``kmon.cache.raw_decode``: ``RawObject``s, a quarter of the memory and faster than decoding
the stream). These are the decoders they replaced, kept for two users: the benchmark, which
prints the dict path beside the raw one in the same run so the gain stays visible, and
scripts that want mutable dicts in their cache (``RestListerWatcher(raw_objects=False)``;
the cache accepts both). They fail where and as the raw decoders do
(tests/cache/test_raw_decode.py runs both on the same bytes).
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

from kmon.cache import gcguard
from kmon.cache.errors import ApiStatusError
from kmon.cache.listwatch import ListPage, WatchEvent
from kmon.cache.raw_decode import DecodeOptions, WatchDecodeError

__all__ = ["DictWatchDecoder", "decode_list_dicts", "partial_object_metadata"]

_OBJECT_EVENTS = frozenset(("ADDED", "MODIFIED", "DELETED"))
_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError


def partial_object_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """A full object reduced to PartialObjectMetadata (for servers that ignored the Accept)."""
    return {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": obj.get("metadata") or {}}


def _describe_line(line: Any) -> str:
    return f"{len(line)} bytes starting {bytes(line[:40])!r}"


class DictWatchDecoder:
    """Decodes watch lines into ``WatchEvent``s of plain dicts; ``shrink`` (metadata-only
    mode: e.g. ``transforms.compact``) is applied to each object."""

    def __init__(self, metadata_only: bool = False, shrink: Callable[[Any], Any] | None = None) -> None:
        self.metadata_only = metadata_only
        self.shrink = shrink

    def decode(self, lines: list[Any]) -> tuple[list[WatchEvent], WatchDecodeError | None]:
        """Events of ``lines`` up to the first bad one (returned as the error) or ERROR."""
        loads = _loads
        metadata_only = self.metadata_only
        shrink = self.shrink
        object_events = _OBJECT_EVENTS
        out: list[WatchEvent] = []
        append = out.append
        for line in lines:  # bytes, or memoryviews into the read buffer (no copy)
            if not line:
                continue
            try:
                ev = loads(line)
            except _JSONDecodeError as e:
                if bytes(line).isspace():
                    continue
                return out, WatchDecodeError(f"malformed watch line ({e}): {_describe_line(line)}")
            if type(ev) is not dict:
                return out, WatchDecodeError(f"watch line is not an event object: {_describe_line(line)}")
            etype = ev.get("type")
            obj = ev.get("object")
            if type(obj) is not dict:
                return out, WatchDecodeError(f"watch event {etype!r} has no object: {_describe_line(line)}")
            if etype in object_events:
                md = obj.get("metadata")
                if type(md) is not dict or not md.get("name"):
                    return out, WatchDecodeError(f"watch event {etype} object has no metadata.name: {_describe_line(line)}")
                if metadata_only:
                    if obj.get("kind") != "PartialObjectMetadata":
                        obj = partial_object_metadata(obj)
                    if shrink is not None:
                        obj = shrink(obj)
            elif etype == "BOOKMARK":
                md = obj.get("metadata")
                if type(md) is not dict or "resourceVersion" not in md:
                    return out, WatchDecodeError(f"BOOKMARK without metadata.resourceVersion: {_describe_line(line)}")
            elif etype == "ERROR":
                append(WatchEvent("ERROR", obj))
                return out, None
            else:
                return out, WatchDecodeError(f"unknown watch event type {etype!r}")
            append(WatchEvent(etype, obj))
        return out, None


def decode_list_dicts(body: bytes, *, status: int = 200, content_type: str = "", path: str = "",
                      options: DecodeOptions = DecodeOptions(),
                      shrink: Callable[[Any], Any] | None = None) -> ListPage:
    """One list page as a ``ListPage`` of plain dicts (errors as ``raw_decode.decode_list``'s);
    ``shrink`` is applied to each item in metadata-only mode."""
    try:
        with gcguard.paused():  # bulk decode: no collections walking it
            doc = _loads(body)
    except _JSONDecodeError:
        ctype = (content_type or "no content type").split(";")[0]
        raise ApiStatusError(status, "", f"expected a JSON list from {path}, got {ctype} ({len(body)} bytes)") from None
    if type(doc) is not dict:
        raise ApiStatusError(status, "", f"expected a list object from {path}, got {type(doc).__name__}")
    if doc.get("kind") == "Status":
        raise ApiStatusError.from_status(doc, http_code=status)
    items = doc.get("items")
    if items is None:
        items = []
    if type(items) is not list:
        raise ApiStatusError(status, "", f"list from {path} has no items array")
    md = doc.get("metadata") or {}
    list_kind = doc.get("kind") or ""
    if options.metadata_only:
        if list_kind != "PartialObjectMetadataList":
            items = [partial_object_metadata(i) for i in items]
        if shrink is not None:
            items = [shrink(i) for i in items]
    elif options.fill_type_meta and items and "kind" not in items[0]:
        # like client-go's UnstructuredList decoding: items carry the list's type
        kind = list_kind[:-4] if list_kind.endswith("List") else options.kind
        api_version = doc.get("apiVersion") or options.api_version
        for it in items:
            if "kind" not in it:
                it["kind"] = kind
                it["apiVersion"] = api_version
    rem = md.get("remainingItemCount")
    return ListPage(
        items=items,
        resource_version=str(md.get("resourceVersion") or ""),
        continue_=str(md.get("continue") or ""),
        remaining_item_count=int(rem) if rem is not None else None,
    )
