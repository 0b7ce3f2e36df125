"""The schemas of the built-in types, derived at run time from the official ``kubernetes``
client's models (each model's ``openapi_types``, ``attribute_map``, field descriptions and
required flags): for OpenAPI documents (``kmon.sim.openapi``) and for dropping, and
reporting, the fields a write sends that its type does not have (``fieldValidation``).

Type spellings in the models: ``str int bool float datetime date bytes object``,
``List[T]``, ``Dict[str, T]`` and model names (``V1Container``). ``object`` (quantities,
int-or-string, raw extensions) accepts anything.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kmon.sim.catalog import BUILTIN, Resource

# the pydantic models (client >= 34) spell List[T] / Dict[str, T], older ones list[T] / dict(str, T)
_LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
_DICT = re.compile(r"^(?:Dict\[str, (?P<a>.+)\]|dict\(str, (?P<b>.+)\))$")
_META_TYPES = frozenset({"ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference",
                         "ManagedFieldsEntry", "Status", "StatusDetails", "StatusCause", "Condition", "Time",
                         "DeleteOptions", "Preconditions", "APIResource", "APIResourceList", "GroupVersionKind"})


def _models():
    import kubernetes.client.models as models

    return models


@lru_cache(maxsize=None)
def model(name: str):
    """The model class called ``name`` (None when the client has none)."""
    return getattr(_models(), name, None)


def _group_prefix(group: str) -> str:
    return "Core" if not group else "".join(p.capitalize() for p in group.split(".")[0].split("-"))


@lru_cache(maxsize=None)
def model_name_of(res: Resource) -> str | None:
    """The client's model name of a catalogue type (``V1Pod``, ``CoreV1Event``, ...)."""
    v = res.version[0].upper() + res.version[1:]
    for name in (f"{_group_prefix(res.group)}{v}{res.kind}", f"{v}{res.kind}"):
        if model(name) is not None:
            return name
    return None


def fields(name: str) -> list[tuple[str, str, str, bool]]:
    """``(json name, type spelling, description, required)`` of a model's fields."""
    cls = model(name)
    if cls is None:
        return []
    mf = getattr(cls, "model_fields", {})
    out = []
    for attr, typ in cls.openapi_types.items():
        f = mf.get(attr)
        out.append((cls.attribute_map[attr], typ, (f.description if f is not None else "") or "",
                    bool(f is not None and f.is_required())))
    return out


@lru_cache(maxsize=None)
def field_types(name: str) -> dict[str, str]:
    return {j: t for j, t, _, _ in fields(name)}


def description(name: str) -> str:
    cls = model(name)
    first = ((cls.__doc__ or "") if cls is not None else "").strip().split("\n\n")[0]
    return "" if first.startswith("Attributes:") else " ".join(first.split())


def _is_model(t: str) -> bool:
    return t not in ("str", "int", "bool", "float", "datetime", "date", "bytes", "object") and not _LIST.match(t) \
        and not _DICT.match(t)


def _prune(value, t: str, path: str, unknown: list[str]) -> None:
    m = _LIST.match(t)
    if m:
        if isinstance(value, list):
            for i, item in enumerate(value):
                _prune(item, m.group(1), f"{path}[{i}]", unknown)
        return
    m = _DICT.match(t)
    if m:
        if isinstance(value, dict):
            for k, v in value.items():
                _prune(v, m.group("a") or m.group("b"), f"{path}[{k}]", unknown)
        return
    if not _is_model(t) or not isinstance(value, dict):
        return
    known = field_types(t)
    if not known:
        return
    for k in list(value):
        if k not in known:
            unknown.append(f"{path}.{k}" if path else k)
            del value[k]
        else:
            _prune(value[k], known[k], f"{path}.{k}" if path else k, unknown)


def prune_unknown(res: Resource, obj: dict) -> list[str]:
    """Remove from ``obj`` the fields its type does not declare; their paths (as the
    apiserver names them: ``spec.containers[0].bogus``). Custom resources: only metadata."""
    unknown: list[str] = []
    name = model_name_of(res) if res in BUILTIN else None
    if name is None:
        if isinstance(obj.get("metadata"), dict):
            _prune(obj["metadata"], "V1ObjectMeta", "metadata", unknown)
        return unknown
    _prune(obj, name, "", unknown)
    return unknown


def definition_name(model_name: str, group: str) -> str:
    """A Go-package style definition name: ``io.k8s.api.core.v1.Container``."""
    m = re.match(r"^([A-Z][a-z0-9]*?)?(V\d+(?:(?:alpha|beta)\d+)?)([A-Z].*)$", model_name)
    if not m:
        return f"io.k8s.api.{group or 'core'}.{model_name}"
    prefix, version, kind = m.groups()
    version = version.lower()
    if kind in _META_TYPES:
        return f"io.k8s.apimachinery.pkg.apis.meta.{version}.{kind}"
    pkg = (prefix or "").lower() or (group.split(".")[0] if group else "core")
    return f"io.k8s.api.{pkg}.{version}.{kind}"


def element(t: str) -> tuple[str, str]:
    """``("list" | "map" | "scalar" | "model", inner)``."""
    m = _LIST.match(t)
    if m:
        return "list", m.group(1)
    m = _DICT.match(t)
    if m:
        return "map", m.group("a") or m.group("b")
    return ("model", t) if _is_model(t) else ("scalar", t)
