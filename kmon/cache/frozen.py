"""Read-only JSON containers: what a cached object hands out when its body is read.

Why this module exists: the informer cache shares one object between every handler, index,
view and recording; a caller that mutated a value it read would silently change what the
cache holds for everyone (client-go's rule "never mutate cached objects", enforced here).
``freeze`` turns freshly decoded JSON into ``FrozenDict``/``FrozenList``: subclasses of dict
and list (so ``isinstance(v, dict)``, C-speed reads, orjson serialisation and equality with
plain dicts all keep working) whose mutating methods raise ``TypeError``.

Measured against the alternatives (benchmarks/bench_raw_object.py): lazy read-only proxies
cost nothing up front but make every read a Python call (a pod's status summary 4x slower)
and fail ``isinstance(v, dict)``; ``MappingProxyType`` with tuples is as costly to build as
freezing and breaks YAML, orjson and ``isinstance(v, list)``; a fresh decode per access is
cheapest but hands out mutable values. Freezing costs about one more decode of the body,
paid only when a body is read (never on the informer's hot path).

``copy.copy`` of a frozen value is a plain (mutable) shallow copy and ``copy.deepcopy`` a
plain deep copy (``thaw``): code copies a value in order to change it. Pickling keeps it
frozen. YAML: ``yaml.safe_dump`` represents both types as the mapping and sequence they are.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["FrozenDict", "FrozenList", "freeze", "thaw"]


def _read_only(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"{type(self).__name__} is read-only: a cached object is shared; "
                    "change a copy (copy.deepcopy(value) or RawObject.to_dict())")


class FrozenDict(dict):  # type: ignore[type-arg]
    """A dict whose mutating methods raise ``TypeError``; nested values are frozen too."""

    __slots__ = ()
    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return thaw(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_frozen_dict, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def __hash__(self) -> int:  # type: ignore[override]
        return content_hash(self)


class FrozenList(list):  # type: ignore[type-arg]
    """A list whose mutating methods raise ``TypeError``; nested values are frozen too."""

    __slots__ = ()
    __setitem__ = __delitem__ = append = extend = insert = pop = remove = _read_only
    reverse = sort = clear = __iadd__ = __imul__ = _read_only

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return thaw(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_frozen_list, (list(self),))

    def __repr__(self) -> str:
        return f"FrozenList({list.__repr__(self)})"

    def __hash__(self) -> int:  # type: ignore[override]
        return content_hash(self)


def _frozen_dict(d: dict[str, Any]) -> FrozenDict:
    return FrozenDict(d)


def _frozen_list(v: list[Any]) -> FrozenList:
    return FrozenList(v)


def freeze(value: Any) -> Any:
    """``value`` (freshly decoded JSON, not shared yet) with every dict and list replaced by
    its frozen counterpart. Containers are rebuilt once each: the children of a dict are
    replaced in place first (the dict is still private), then it is copied into its frozen
    type."""
    t = type(value)
    if t is dict:
        setitem = dict.__setitem__
        for k, v in value.items():
            tv = type(v)
            if tv is dict or tv is list:
                setitem(value, k, freeze(v))
        return FrozenDict(value)
    if t is list:
        return FrozenList([freeze(v) if (type(v) is dict or type(v) is list) else v for v in value])
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy of a (possibly frozen) JSON value; any Mapping becomes a
    dict and any list or tuple a list."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    to_dict = getattr(value, "to_dict", None)  # a RawObject (or another read-only Mapping)
    if to_dict is not None:
        return to_dict()
    return value


def content_hash(value: Any) -> int:
    """A hash consistent with ``==`` on JSON values (dicts compare regardless of key order;
    1 == 1.0 == True as in Python)."""
    if isinstance(value, dict):
        return hash(frozenset((k, content_hash(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return hash(tuple(content_hash(v) for v in value))
    return hash(value)


def _register_yaml() -> None:
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return
    for dumper in (yaml.SafeDumper, yaml.Dumper):
        dumper.add_representer(FrozenDict, dumper.represent_dict)
        dumper.add_representer(FrozenList, dumper.represent_list)


_register_yaml()
