"""OpenAPI documents: ``/openapi/v2`` (Swagger 2.0, JSON) and ``/openapi/v3`` (the index of
group versions) with ``/openapi/v3/api/v1``, ``/openapi/v3/apis/<group>/<version>``.

Every schema has its properties, types, descriptions and required fields, derived from the
official client's models (``kmon.sim.schema``), so ``kubectl explain pods.spec.containers``
works; each resource kind carries ``x-kubernetes-group-version-kind``, and each path the
``fieldValidation`` parameter kubectl looks for before it asks for server-side field
validation. Documents are built on first request and cached.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import orjson

from kmon.sim import schema
from kmon.sim.catalog import CATALOGUE, VERSION, WIDGET, Resource

_SCALARS = {"str": {"type": "string"}, "int": {"type": "integer", "format": "int32"},
            "bool": {"type": "boolean"}, "float": {"type": "number", "format": "double"},
            "datetime": {"type": "string", "format": "date-time"}, "date": {"type": "string", "format": "date"},
            "bytes": {"type": "string", "format": "byte"}, "object": {"x-kubernetes-preserve-unknown-fields": True}}


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


class _Builder:
    """Definitions reachable from a set of resources, named like the Go packages."""

    def __init__(self, v3: bool) -> None:
        self.v3 = v3
        self.defs: dict[str, dict] = {}
        self.names: dict[str, str] = {}  # model name -> definition name

    def ref(self, name: str) -> str:
        return ("#/components/schemas/" if self.v3 else "#/definitions/") + name

    def type_schema(self, t: str, group: str, desc: str = "") -> dict:
        kind, inner = schema.element(t)
        if kind == "list":
            out = {"type": "array", "items": self.type_schema(inner, group)}
        elif kind == "map":
            out = {"type": "object", "additionalProperties": self.type_schema(inner, group)}
        elif kind == "model":
            target = self.ref(self.model(inner, group))
            out = {"allOf": [{"$ref": target}], "default": {}} if self.v3 else {"$ref": target}
        else:
            out = dict(_SCALARS.get(inner, {}))
        if desc:
            out["description"] = desc
        return out

    def model(self, model_name: str, group: str) -> str:
        name = self.names.get(model_name)
        if name is not None:
            return name
        name = self.names[model_name] = schema.definition_name(model_name, group)
        d: dict = {"type": "object", "description": schema.description(model_name)}
        self.defs[name] = d
        props, required = {}, []
        for json_name, t, desc, req in schema.fields(model_name):
            props[json_name] = self.type_schema(t, group, desc)
            if req:
                required.append(json_name)
        d["properties"] = props
        if required:
            d["required"] = required
        return name

    def resource(self, r: Resource) -> str | None:
        model_name = schema.model_name_of(r) if r is not WIDGET else None
        gvk = [{"group": r.group, "kind": r.kind, "version": r.version}]
        if model_name is None:  # a custom resource: metadata typed, the rest preserved
            name = f"io.kmon.demo.{r.version}.{r.kind}"
            self.defs[name] = {"type": "object", "description": f"{r.kind} is the demo's custom resource.",
                               "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                              "metadata": self.type_schema("V1ObjectMeta", ""),
                                              "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                              "status": {"type": "object",
                                                         "x-kubernetes-preserve-unknown-fields": True}},
                               "x-kubernetes-group-version-kind": gvk}
            return name
        name = self.model(model_name, r.group)
        self.defs[name]["x-kubernetes-group-version-kind"] = gvk
        return name


def _paths(rs: list[Resource], b: _Builder) -> dict:
    param = {"name": "fieldValidation", "in": "query", "uniqueItems": True,
             "description": "fieldValidation instructs the server on how to handle objects in the request "
                            "containing unknown or duplicate fields."}
    param.update({"schema": {"type": "string"}} if b.v3 else {"type": "string"})
    paths = {}
    for r in rs:
        if not r.stored:
            continue
        base = "/" + _gv_path(r.group, r.version)
        coll = f"{base}/namespaces/{{namespace}}/{r.plural}" if r.namespaced else f"{base}/{r.plural}"
        gvk = {"group": r.group, "kind": r.kind, "version": r.version}

        def op(action: str, verb: str) -> dict:
            return {"operationId": f"{verb}{r.kind}", "x-kubernetes-action": action,
                    "x-kubernetes-group-version-kind": gvk, "parameters": [param],
                    "responses": {"200": {"description": "OK"}}}

        paths[coll] = {"get": op("list", "list"), "post": op("post", "create")}
        paths[coll + "/{name}"] = {"get": op("get", "read"), "put": op("put", "replace"),
                                   "patch": op("patch", "patch"), "delete": op("delete", "delete")}
    return paths


@lru_cache(maxsize=None)
def _v3_group(gv_path: str) -> bytes | None:
    rs = [r for r in CATALOGUE if _gv_path(r.group, r.version) == gv_path]
    if not rs:
        return None
    b = _Builder(v3=True)
    for r in rs:
        b.resource(r)
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"].split("+")[0]},
           "paths": _paths(rs, b), "components": {"schemas": dict(sorted(b.defs.items()))}}
    return orjson.dumps(doc)


def _hash(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest()[:128].upper()


@lru_cache(maxsize=1)
def v3_root() -> bytes:
    gvs = sorted({_gv_path(r.group, r.version) for r in CATALOGUE})
    return orjson.dumps({"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={_hash(_v3_group(gv))}"}
                                   for gv in gvs}})


@lru_cache(maxsize=1)
def v2() -> bytes:
    b = _Builder(v3=False)
    for r in CATALOGUE:
        b.resource(r)
    doc = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"].split("+")[0]},
           "paths": _paths(list(CATALOGUE), b), "definitions": dict(sorted(b.defs.items()))}
    return orjson.dumps(doc)


def serve(path: str) -> bytes | None:
    """The encoded document at ``path`` (``/openapi/...``), or None (404)."""
    if path == "/openapi/v2":
        return v2()
    if path == "/openapi/v3":
        return v3_root()
    if path.startswith("/openapi/v3/"):
        return _v3_group(path[len("/openapi/v3/"):])
    return None
