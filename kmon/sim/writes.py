"""The write path of the API (POST, PUT, PATCH, DELETE), as kube-apiserver runs it:
decode -> unknown-field check (``fieldValidation``) -> system metadata reset -> status
through the main endpoint ignored -> defaulting -> admission (namespace lifecycle) ->
validation (422 Invalid) -> managedFields -> store (or, with ``dryRun=All``, nothing stored).

The store (``kmon.sim.storage``) is etcd plus defaulting: in-process writers (the demo
workload, tests) use it directly and skip this path, as controllers' writes would be
trusted; every HTTP client goes through here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import orjson
import yaml

from kmon.sim import defaulting, deletion, managed_fields, schema, validation
from kmon.sim.catalog import Resource
from kmon.sim.errors import StoreError
from kmon.sim.patch import PatchError, apply_patch
from kmon.sim.selection import request_matchers
from kmon.sim.storage import Store, now_rfc3339

PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
               "application/apply-patch+yaml")
# kinds whose create keeps the status the client sent (the kubelet registers nodes with it)
_STATUS_ON_CREATE = frozenset({"nodes"})
_SYSTEM_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


@dataclass
class Call:
    """One write request, parsed."""

    res: Resource
    verb: str  # create | update | patch | delete | deletecollection
    ns: str | None
    name: str | None
    sub: str | None
    query: dict
    content_type: str
    body: bytes
    user_agent: str = ""

    @property
    def dry_run(self) -> bool:
        return bool(self.query.get("dryRun"))

    @property
    def manager(self) -> str:
        """``fieldManager``, else the user agent's product name (as the apiserver derives it)."""
        return self.query.get("fieldManager") or (self.user_agent.split("/", 1)[0] or "unknown")


class Result:
    __slots__ = ("code", "body", "headers")

    def __init__(self, code: int, body, warnings: list[str] = ()) -> None:
        self.code, self.body = code, body
        self.headers = tuple(("Warning", "299 - " + orjson.dumps(w).decode()) for w in warnings)  # strconv.Quote


def decode(call: Call):
    ct = call.content_type or "application/json"
    try:
        if "yaml" in ct:
            return yaml.safe_load(call.body or b"{}")
        return orjson.loads(call.body or b"{}")
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise StoreError(400, "BadRequest", f"the body of the request could not be decoded: {exc}") from None


def _check_dry_run(q: dict) -> None:
    v = q.get("dryRun")
    if v and v != "All":
        raise StoreError(400, "BadRequest", f'dryRun: Unsupported value: "{v}": supported values: "All"')


def _field_validation(call: Call, obj: dict) -> list[str]:
    """Unknown fields: dropped; Strict -> 400, Warn (the default) -> Warning headers."""
    mode = call.query.get("fieldValidation") or "Warn"
    if mode not in ("Ignore", "Warn", "Strict"):
        raise StoreError(400, "BadRequest", f'fieldValidation: Unsupported value: "{mode}": supported values: '
                         '"Ignore", "Strict", "Warn"')
    unknown = schema.prune_unknown(call.res, obj)
    if not unknown or mode == "Ignore":
        return []
    if mode == "Strict":
        raise StoreError(400, "BadRequest", "strict decoding error: " + ", ".join(f'unknown field "{u}"'
                                                                                    for u in unknown))
    return [f'unknown field "{u}"' for u in unknown]


def perform(store: Store, call: Call) -> Result:
    _check_dry_run(call.query)
    if call.verb == "create":
        return _create(store, call)
    if call.verb in ("update", "patch"):
        return _update(store, call)
    if call.verb == "delete":
        return Result(200, deletion.delete(store, call.res, call.name, call.ns, _delete_options(call)))
    if call.verb == "deletecollection":
        return _delete_collection(store, call)
    raise StoreError(405, "MethodNotAllowed", f"{call.verb} is not supported")


def _create(store: Store, call: Call) -> Result:
    res = call.res
    if call.name is not None:
        raise StoreError(405, "MethodNotAllowed", "POST is not supported on a named object")
    obj = decode(call)
    if not isinstance(obj, dict) or (obj.get("kind") and obj["kind"] != res.kind):
        raise StoreError(400, "BadRequest", f"the body is not a {res.kind}")
    warnings = _field_validation(call, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    if meta.get("resourceVersion"):
        raise StoreError(500, "InternalError", "Internal error occurred: resourceVersion should not be set on "
                         "objects to be created",
                         causes=[{"message": "resourceVersion should not be set on objects to be created"}])
    for k in (*_SYSTEM_META, "selfLink"):
        meta.pop(k, None)
    if res.has_status and res.key not in _STATUS_ON_CREATE:
        obj.pop("status", None)
    ns = (call.ns or meta.get("namespace") or "default") if res.namespaced else None
    if res.namespaced and meta.get("namespace") and meta["namespace"] != ns:
        raise StoreError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                         "sent on the request")
    deletion.check_namespace_open(store, res, meta.get("name") or "", ns)
    defaulting.apply_defaults(res, obj)
    validation.validate(res, obj, None)
    managed_fields.record(None, obj, res, call.manager, "Update", None, now_rfc3339())
    if call.dry_run:
        return Result(201, _dry_create(store, res, obj, ns), warnings)
    return Result(201, store.create(res, obj, ns, copy=False), warnings)


def _dry_create(store: Store, res: Resource, obj: dict, ns: str | None) -> dict:
    """What a create would store, without storing it (no resourceVersion: none was used)."""
    meta = obj["metadata"]
    if res.namespaced:
        meta["namespace"] = ns
        store.get("namespaces", ns)  # 404 for a namespace that does not exist
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
    try:
        store.get(res, meta.get("name") or "", ns)
    except StoreError as e:
        if e.code != 404:
            raise
    else:
        raise StoreError(409, "AlreadyExists", f'{res.key} "{meta["name"]}" already exists',
                         details={"name": meta["name"], "group": res.group, "kind": res.plural})
    obj["apiVersion"], obj["kind"] = res.api_version, res.kind
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    if "spec" in obj:
        meta["generation"] = 1
    if res.key == "namespaces":  # what the store adds to every namespace
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    defaulting.on_create(res, obj)
    return obj


def _update(store: Store, call: Call) -> Result:
    res, ns, name, sub = call.res, call.ns, call.name, call.sub
    with store.lock:
        try:
            cur = store.get(res, name, ns)
        except StoreError as e:
            if e.code == 404 and call.verb == "patch" and call.content_type == "application/apply-patch+yaml":
                return _apply_create(store, call)
            raise
        owned = None
        if call.content_type == "application/apply-patch+yaml" and call.verb == "patch":
            applied = _apply_body(call)
            new, warnings = managed_fields.apply(res, cur, applied, call.manager, force=_force(call)), []
            owned = managed_fields.field_set(applied, res, None)
        elif call.verb == "patch":
            new, warnings = _patched(call, cur)
        else:
            new = decode(call)
            if not isinstance(new, dict):
                raise StoreError(400, "BadRequest", "the body is not an object")
            nm = new.setdefault("metadata", {})
            if not isinstance(nm, dict) or (nm.get("name") and nm["name"] != name):
                raise StoreError(400, "BadRequest", "the name of the object does not match the name on the URL")
            nm["name"] = name
            warnings = _field_validation(call, new)
        new = _merge_scope(res, sub, cur, new)
        nm, om = new.setdefault("metadata", {}), cur["metadata"]
        for k in _SYSTEM_META:
            if k in om:
                nm[k] = om[k]
            else:
                nm.pop(k, None)
        nm.pop("selfLink", None)
        defaulting.apply_defaults(res, new)
        validation.validate(res, new, None if sub in _SUB_FIELDS else cur)  # those subresources may change spec
        operation = "Apply" if call.content_type == "application/apply-patch+yaml" else "Update"
        managed_fields.record(cur, new, res, call.manager, operation, sub, now_rfc3339(), owned)
        if call.dry_run:
            want = nm.get("resourceVersion")
            if want and want != om.get("resourceVersion"):
                store.update(res, new, ns)  # raises the 409 Conflict a real write would
            nm["resourceVersion"] = om.get("resourceVersion")
            return Result(200, new, warnings)
        out = store.update(res, new, ns, subresource="status" if sub == "status" else None, copy=False)
        return Result(200, deletion.after_update(store, res, out), warnings)


def _merge_scope(res: Resource, sub: str | None, cur: dict, new: dict) -> dict:
    """What a write to the main endpoint or a subresource may change: the main endpoint
    ignores ``status`` (when the type has a status subresource), ``/status`` changes only
    status, ``/finalize`` only ``spec.finalizers``."""
    if sub == "status":
        out = orjson.loads(orjson.dumps(cur))
        out["status"] = new.get("status", {})
        out["metadata"]["resourceVersion"] = (new.get("metadata") or {}).get("resourceVersion")
        return out
    if sub == "finalize":
        out = orjson.loads(orjson.dumps(cur))
        out.setdefault("spec", {})["finalizers"] = list(((new.get("spec") or {}).get("finalizers")) or [])
        if not out["spec"]["finalizers"]:
            del out["spec"]["finalizers"]
        out["metadata"]["resourceVersion"] = (new.get("metadata") or {}).get("resourceVersion")
        return out
    if sub in _SUB_FIELDS:  # ephemeralcontainers, resize, approval: only their part
        out = orjson.loads(orjson.dumps(cur))
        _SUB_FIELDS[sub](out, new)
        out["metadata"]["resourceVersion"] = (new.get("metadata") or {}).get("resourceVersion")
        return out
    if res.has_status:
        if "status" in cur:
            new["status"] = cur["status"]
        else:
            new.pop("status", None)
    return new


def _take_ephemeral(out: dict, new: dict) -> None:
    out.setdefault("spec", {})["ephemeralContainers"] = (new.get("spec") or {}).get("ephemeralContainers") or []


def _take_resources(out: dict, new: dict) -> None:
    wanted = {c.get("name"): c.get("resources") for c in (new.get("spec") or {}).get("containers") or ()
              if isinstance(c, dict)}
    for c in (out.get("spec") or {}).get("containers") or ():
        if c.get("name") in wanted and wanted[c["name"]] is not None:
            c["resources"] = wanted[c["name"]]


def _take_conditions(out: dict, new: dict) -> None:
    out.setdefault("status", {})["conditions"] = (new.get("status") or {}).get("conditions") or []


_SUB_FIELDS = {"ephemeralcontainers": _take_ephemeral, "resize": _take_resources, "approval": _take_conditions}


def _patched(call: Call, cur: dict) -> tuple[dict, list[str]]:
    ct = call.content_type
    if ct not in PATCH_TYPES:
        raise StoreError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted "
                         f"media types include: {', '.join(PATCH_TYPES)}")
    try:
        patch = orjson.loads(call.body or b"null")
    except orjson.JSONDecodeError as exc:
        raise StoreError(400, "BadRequest", f"invalid patch: {exc}") from None
    try:
        new = apply_patch(cur, patch, ct)
    except PatchError as exc:
        if "test" in str(exc):
            raise StoreError(422, "Invalid", str(exc)) from None
        raise StoreError(400, "BadRequest", str(exc)) from None
    if not isinstance(new.get("metadata"), dict):
        raise StoreError(400, "BadRequest", "metadata must be an object")
    new["metadata"]["name"] = cur["metadata"]["name"]
    if call.res.namespaced:
        new["metadata"]["namespace"] = cur["metadata"]["namespace"]
    return new, _field_validation(call, new)


def _force(call: Call) -> bool:
    return (call.query.get("force") or "").lower() in ("1", "true")


def _apply_body(call: Call) -> dict:
    if not call.query.get("fieldManager"):
        raise StoreError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                         "required for apply patch",
                         details={"group": "meta.k8s.io", "kind": "PatchOptions"},
                         causes=[{"reason": "FieldValueRequired", "message": "Required value: is required for apply "
                                  "patch", "field": "fieldManager"}])
    obj = decode(Call(call.res, "patch", call.ns, call.name, None, call.query, "application/yaml", call.body))
    if not isinstance(obj, dict):
        raise StoreError(400, "BadRequest", "the body is not an object")
    if obj.get("kind") != call.res.kind or obj.get("apiVersion") != call.res.api_version:
        raise StoreError(400, "BadRequest", f"the body of the apply patch must be a {call.res.kind} of "
                         f"{call.res.api_version}")
    return obj


def _apply_create(store: Store, call: Call) -> Result:
    """Server-side apply of an object that does not exist yet: a create (201)."""
    obj = _apply_body(call)
    body = orjson.dumps(obj)
    created = _create(store, Call(call.res, "create", call.ns, None, None,
                                  {**call.query, "fieldManager": call.manager}, "application/json", body,
                                  call.user_agent))
    if isinstance(created.body, dict):
        for e in created.body["metadata"].get("managedFields") or ():
            if e.get("manager") == call.manager:
                e["operation"] = "Apply"
        if not call.dry_run:
            created.body = store.update(call.res, created.body, call.ns)
    return created


def _delete_options(call: Call) -> deletion.DeleteOptions:
    opts = decode(call) if call.body else {}
    opts = opts if isinstance(opts, dict) else {}
    q = call.query
    grace = opts.get("gracePeriodSeconds", q.get("gracePeriodSeconds"))
    try:
        grace = int(grace) if grace not in (None, "") else None
    except (TypeError, ValueError):
        raise StoreError(400, "BadRequest", f"invalid gracePeriodSeconds {grace!r}") from None
    dry = opts.get("dryRun") or ([q["dryRun"]] if q.get("dryRun") else [])
    return deletion.DeleteOptions(grace=grace, propagation=opts.get("propagationPolicy") or
                                   q.get("propagationPolicy") or "Background",
                                   preconditions=opts.get("preconditions"), dry_run=bool(dry))


def _delete_collection(store: Store, call: Call) -> Result:
    lm, fm = request_matchers(call.res, call.query)
    entries, _, _, _ = store.list_entries(call.res, namespace=call.ns, lmatch=lm, fmatch=fm)
    opts = _delete_options(call)
    items = []
    for e in entries:
        o = e.obj()
        try:
            items.append(deletion.delete(store, call.res, o["metadata"]["name"], o["metadata"].get("namespace"),
                                          opts))
        except StoreError:
            pass
    return Result(200, {"kind": call.res.list_kind, "apiVersion": call.res.api_version,
                        "metadata": {"resourceVersion": str(store.revision)}, "items": items})
