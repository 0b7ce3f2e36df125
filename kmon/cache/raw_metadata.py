"""``MetadataView``: ``obj["metadata"]`` of a ``RawObject``, answered from its header.

Why this module exists: every key the cache computes, every index update and every tree row
reads ``obj["metadata"]`` (name, namespace, resourceVersion, labels...). The view answers the
header's keys (``raw_header.HEADER_METADATA_KEYS``) from the decoded header, so none of those
reads decodes anything; any other key, iteration, length and equality come from the whole
metadata, decoded on demand (``RawObject.metadata()``). Labels are handed out as a
``FrozenDict`` copy of the header's (untracked) dict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from kmon.cache.frozen import FrozenDict, content_hash
from kmon.cache.raw_bodies import STATS
from kmon.cache.raw_header import HEADER_METADATA_KEYS, UNSET, metadata_bytes

__all__ = ["MetadataView"]

_VIEW_KEYS = tuple(HEADER_METADATA_KEYS)
_loads = orjson.loads


class MetadataView(Mapping[str, Any]):
    """``obj["metadata"]`` of a ``RawObject``: the header's keys (``HEADER_METADATA_KEYS``)
    are read from the header; any other key, iteration, length and equality from the whole
    metadata, decoded on demand."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:  # a RawObject (which imports this module)
        self._obj = obj

    def __getitem__(self, key: str) -> Any:
        if key in HEADER_METADATA_KEYS:
            v = getattr(self._obj._head.meta, key)
            if v is UNSET:
                raise KeyError(key)
            return FrozenDict(v) if type(v) is dict else v  # labels: kept untracked, handed out frozen
        return self._obj.metadata()[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in HEADER_METADATA_KEYS:
            v = getattr(self._obj._head.meta, key)
            return default if v is UNSET else FrozenDict(v) if type(v) is dict else v
        return self._obj.metadata().get(key, default)

    def __contains__(self, key: object) -> bool:
        if key in HEADER_METADATA_KEYS:
            return getattr(self._obj._head.meta, key) is not UNSET  # type: ignore[arg-type]
        return key in self._obj.metadata()

    def __iter__(self) -> Iterator[str]:
        return iter(self._obj.metadata())

    def __bool__(self) -> bool:  # ``obj.get("metadata") or {}`` must not decode it
        meta = self._obj._head.meta
        if any(getattr(meta, k) is not UNSET for k in _VIEW_KEYS):
            return True
        return bool(self._obj.metadata())

    def __len__(self) -> int:
        return len(self._obj.metadata())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MetadataView):
            other = other._obj.metadata()
        return self._obj.metadata() == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return content_hash(self._obj.metadata())

    def to_dict(self) -> dict[str, Any]:
        STATS.copies += 1
        return _loads(metadata_bytes(self._obj._raw))

    def __copy__(self) -> dict[str, Any]:
        return dict(self._obj.metadata())

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return self.to_dict()

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self._obj.metadata()),))

    def __repr__(self) -> str:
        return f"MetadataView({self._obj.metadata()!r})"
