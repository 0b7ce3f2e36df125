"""Informer transforms that shrink what the cache keeps.

Full mode applies none by default (the cache keeps each object as the API sent it).
Metadata-only mode (``RestListerWatcher(metadata_only=True)``, ``informer_for(...,
metadata_only=True)``) applies ``compact`` to every object by default: that mode exists for
huge clusters, and managedFields are most of a PartialObjectMetadata; ``get_full`` still
fetches the whole object on demand.

Why this module exists: ``managedFields`` is often a third of an object and rarely shown.
Pass one of these as ``transform=`` to ``SharedIndexInformer`` / ``informer_for`` (like
client-go's SetTransform: a transform gets the object and returns the one to cache).

Objects arrive as ``RawObject``s (``kmon.cache.raw_object``: read-only, kept as their wire
bytes with a small decoded header); each function here also takes a plain dict (replays,
``RestListerWatcher(raw_objects=False)``), which it changes in place and returns. What they
cost on a RawObject:

- ``drop_managed_fields``: a new RawObject with ``metadata.managedFields`` cut out of the
  bytes (two scans of the top-level and metadata keys, no value decoded, the header reused):
  about a third of what decoding, changing and re-encoding it costs (measured 11 µs against
  31 µs for a 6.3 KB pod on a loaded 2-core machine). In
  metadata-only mode the list and watch decoders do this themselves.
- ``intern_metadata``: nothing (the object itself): a RawObject's header interns the strings
  that repeat (namespace, label values, the creation second) and shares owner references.
- your own transform: it reads a RawObject like a dict without decoding the header's keys
  (``obj["metadata"]["name"]``, labels, ``obj["kind"]``...); any other key decodes the body
  once. To change an object, return ``RawObject(changed)`` or a plain dict (the cache takes
  both) built from ``obj.to_dict()``: about a decode and an encode of the object, once per
  object as it enters the queue (never per handler).
"""

from __future__ import annotations

import sys
from typing import Any

from kmon.cache.raw_decode import without_managed_fields
from kmon.cache.raw_object import RawObject

__all__ = ["compact", "drop_managed_fields", "intern_metadata"]

_intern = sys.intern
_MAX_INTERN = 256  # longer values are rarely shared


def drop_managed_fields(obj: Any) -> Any:
    """Remove ``metadata.managedFields`` (what ``kubectl get -o yaml`` hides by default)."""
    if obj.__class__ is RawObject:
        return without_managed_fields(obj)
    md = obj.get("metadata") if type(obj) is dict else None
    if type(md) is dict:
        md.pop("managedFields", None)
    return obj


def _intern_map(d: dict[str, Any]) -> None:
    for k, v in d.items():
        if type(v) is str and len(v) <= _MAX_INTERN:
            d[k] = _intern(v)


def intern_metadata(obj: Any) -> Any:
    """Intern the metadata strings that repeat across objects: namespace, generateName,
    label and annotation values, owner references (dict keys are shared by orjson already).
    A RawObject is returned as it is (its header interns them already)."""
    md = obj.get("metadata") if type(obj) is dict else None
    if type(md) is not dict:
        return obj
    for f in ("namespace", "generateName"):
        v = md.get(f)
        if type(v) is str:
            md[f] = _intern(v)
    for f in ("labels", "annotations"):
        v = md.get(f)
        if type(v) is dict:
            _intern_map(v)
    refs = md.get("ownerReferences")
    if type(refs) is list:
        for r in refs:
            if type(r) is dict:
                _intern_map(r)
    for f in ("kind", "apiVersion"):
        v = obj.get(f)
        if type(v) is str:
            obj[f] = _intern(v)
    return obj


def compact(obj: Any) -> Any:
    """``drop_managed_fields`` then ``intern_metadata``."""
    return intern_metadata(drop_managed_fields(obj))
