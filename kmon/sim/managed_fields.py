"""``metadata.managedFields`` and server-side apply.

Every write through the API records which manager set which fields (FieldsV1: ``f:<field>``,
``k:{"name":"x"}`` for items of keyed lists, ``v:<value>`` for set members, ``.`` for a map
or list item owned as a whole). The manager is the request's ``fieldManager`` or its user
agent's product name; an update takes over the fields it changed from other managers; a
server-side apply (``application/apply-patch+yaml``) owns exactly the fields it applied,
removes the ones it applied before and no longer does, and fails with 409 on fields another
manager owns with a different value unless ``force=true``.
"""

from __future__ import annotations

import orjson

from kmon.sim.catalog import Resource
from kmon.sim.errors import StoreError
from kmon.sim.patch import strategic_merge_patch

Path = tuple[str, ...]
_KEYS = {"containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",), "env": ("name",),
         "volumes": ("name",), "volumeMounts": ("mountPath",), "conditions": ("type",), "ownerReferences": ("uid",),
         "imagePullSecrets": ("name",), "containerStatuses": ("name",), "initContainerStatuses": ("name",)}
_SETS = frozenset({"finalizers"})
_SKIP_META = frozenset({"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                        "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"})


def _dump(v) -> str:
    return orjson.dumps(v).decode()


def _item_key(field: str, item: dict) -> str | None:
    keys = _KEYS.get(field)
    if keys is None and field == "ports":
        keys = ("containerPort", "protocol") if "containerPort" in item else ("port", "protocol")
    if keys is None or not all(k in item for k in keys[:1]):
        return None
    return "k:" + _dump({k: item[k] for k in keys if k in item})


def _walk(value, path: Path, field: str, out: set[Path]) -> None:
    if isinstance(value, dict) and value:
        if all(isinstance(v, str) for v in value.values()):  # a map (labels, data, requests...)
            out.add(path + (".",))
        for k, v in value.items():
            _walk(v, path + (f"f:{k}",), k, out)
    elif isinstance(value, list) and value and field in _SETS:
        out.add(path + (".",))
        out.update(path + (f"v:{_dump(v)}",) for v in value)
    elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value) and \
            all(_item_key(field, i) for i in value):
        for item in value:
            ip = path + (_item_key(field, item),)
            out.add(ip + (".",))
            for k, v in item.items():
                _walk(v, ip + (f"f:{k}",), k, out)
    else:
        out.add(path)


def field_set(obj: dict, res: Resource, sub: str | None) -> set[Path]:
    """The leaves of ``obj`` a write to the main endpoint (``sub`` None) or ``/status`` sets."""
    out: set[Path] = set()
    for k, v in obj.items():
        if k in ("apiVersion", "kind"):
            continue
        if (sub == "status") != (k == "status") and (res.has_status or sub == "status"):
            continue
        if k == "metadata" and isinstance(v, dict):
            for mk, mv in v.items():
                if mk not in _SKIP_META:
                    _walk(mv, ("f:metadata", f"f:{mk}"), mk, out)
        else:
            _walk(v, (f"f:{k}",), k, out)
    return out


def _value(obj, path: Path):
    cur = obj
    for p in path:
        if p == ".":
            return cur
        kind, _, name = p.partition(":")
        if kind == "f" and isinstance(cur, dict):
            cur = cur.get(name)
        elif kind == "k" and isinstance(cur, list):
            want = orjson.loads(name)
            cur = next((i for i in cur if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())), None)
        elif kind == "v":
            return orjson.loads(name) if isinstance(cur, list) and orjson.loads(name) in cur else None
        else:
            return None
    return cur


def to_fields_v1(paths: set[Path]) -> dict:
    root: dict = {}
    for p in sorted(paths):
        node = root
        for part in p:
            node = node.setdefault(part, {})
    return root


def from_fields_v1(doc, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(doc, dict):
        return out
    for k, v in doc.items():
        if isinstance(v, dict) and v:
            out |= from_fields_v1(v, prefix + (k,))
        else:
            out.add(prefix + (k,))
    return out


def _entries(obj: dict | None) -> list[dict]:
    mf = ((obj or {}).get("metadata") or {}).get("managedFields")
    return [e for e in mf if isinstance(e, dict)] if isinstance(mf, list) else []


def record(old: dict | None, new: dict, res: Resource, manager: str, operation: str, sub: str | None, now: str,
           owned: set[Path] | None = None) -> None:
    """Set ``new.metadata.managedFields`` for a write by ``manager`` (``owned``: the exact
    set an apply owns)."""
    new_set = field_set(new, res, sub)
    if old is None:
        entries = _entries(new)
        changed = new_set
    else:
        entries = _entries(old)
        old_set = field_set(old, res, sub)
        changed = {p for p in new_set if p not in old_set or (p[-1] != "." and _value(new, p) != _value(old, p))}
        gone = old_set - new_set
        entries = [{**e, "fieldsV1": to_fields_v1(from_fields_v1(e.get("fieldsV1")) - gone)}
                   if e.get("subresource") == sub else e for e in entries]
        if not changed and owned is None:
            new.setdefault("metadata", {})["managedFields"] = [e for e in entries if e.get("fieldsV1")] or entries
            if not new["metadata"]["managedFields"]:
                new["metadata"].pop("managedFields")
            return
    mine = owned if owned is not None else set()
    out = []
    for e in entries:
        same = (e.get("manager"), e.get("operation"), e.get("subresource")) == (manager, operation, sub)
        paths = from_fields_v1(e.get("fieldsV1"))
        if same:
            if owned is None:
                mine |= paths
            continue
        if e.get("subresource") == sub:
            paths -= changed  # taken over (an unchanged field applied by two managers stays shared)
        if paths:
            out.append({**e, "fieldsV1": to_fields_v1(paths)})
    if owned is None:
        mine = (mine | changed) & new_set
    entry = {"manager": manager, "operation": operation, "apiVersion": res.api_version, "time": now,
             "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(mine)}
    if sub:
        entry["subresource"] = sub
    if mine:
        out.append(entry)
    meta = new.setdefault("metadata", {})
    if out:
        meta["managedFields"] = out
    else:
        meta.pop("managedFields", None)


def _remove(obj, path: Path) -> None:
    parent = _value(obj, path[:-1]) if len(path) > 1 else obj
    kind, _, name = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(name, None)


def apply(res: Resource, cur: dict, applied: dict, manager: str, *, force: bool) -> dict:
    """Server-side apply of ``applied`` (the manager's whole intent) onto ``cur``: the
    merged object, with its managedFields. 409 on conflicts unless ``force``."""
    mine = field_set(applied, res, None)
    conflicts: list[tuple[str, str]] = []
    previous: set[Path] = set()
    others: set[Path] = set()
    for e in _entries(cur):
        paths = from_fields_v1(e.get("fieldsV1"))
        if e.get("subresource"):
            continue
        if e.get("manager") == manager and e.get("operation") == "Apply":
            previous = paths
            continue
        others |= paths
        if e.get("manager") == manager:
            continue
        for p in sorted(paths & mine):
            if p[-1] != "." and _value(cur, p) != _value(applied, p):
                conflicts.append((e.get("manager", ""), "." + ".".join(x.partition(":")[2] for x in p)))
    if conflicts and not force:
        n = len(conflicts)
        lines = [f'conflict with "{m}" using {res.api_version}: {f}' for m, f in conflicts]
        raise StoreError(409, "Conflict", f"Apply failed with {n} conflict{'s' if n > 1 else ''}: " + "\n".join(lines),
                         causes=[{"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using '
                                  f"{res.api_version}", "field": f} for m, f in conflicts])
    body = {k: v for k, v in applied.items() if k not in ("status",) or not res.has_status}
    new = strategic_merge_patch(cur, body)
    for p in sorted(previous - mine - others, key=len, reverse=True):  # no longer applied, nobody else's
        if p[-1] != "." and all(x.startswith("f:") for x in p) and p[0] != "f:metadata" or \
                p[:2] in (("f:metadata", "f:labels"), ("f:metadata", "f:annotations")):
            _remove(new, p)
    new["metadata"]["managedFields"] = cur["metadata"].get("managedFields") or []
    return new
