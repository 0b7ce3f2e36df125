"""Informer transforms that shrink what the cache keeps.

Full mode applies none by default (the cache keeps each object as the API sent it).
Metadata-only mode (``RestListerWatcher(metadata_only=True)``, ``informer_for(...,
metadata_only=True)``) applies ``compact`` to every object by default: that mode exists for
huge clusters, and managedFields plus unshared strings are most of a PartialObjectMetadata
(~6 KiB -> ~1.9 KiB per pod); ``get_full`` still fetches the whole object on demand.

Why this module exists: a cache of tens of thousands of objects is mostly strings and dicts.
``managedFields`` is often a third of an object and rarely shown; the same namespace, label,
annotation and owner strings repeat across thousands of objects. Pass one of these as
``transform=`` to ``SharedIndexInformer`` / ``informer_for`` (like client-go's SetTransform).
They mutate and return the object they are given, which is freshly decoded and not yet
shared (the cache never hands it out before the transform ran).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["compact", "drop_managed_fields", "intern_metadata"]

_intern = sys.intern
_MAX_INTERN = 256  # longer values are rarely shared


def drop_managed_fields(obj: Any) -> Any:
    """Remove ``metadata.managedFields`` (what ``kubectl get -o yaml`` hides by default)."""
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
    label and annotation values, owner references (dict keys are shared by orjson already)."""
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
