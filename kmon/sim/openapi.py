"""OpenAPI documents (placeholder moved from resources.py)."""

from __future__ import annotations

from kmon.sim.catalog import CATALOGUE


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def openapi_v3_root() -> dict:
    """Just enough OpenAPI v3 for kubectl's client-side validation: one permissive schema
    per kind (unknown fields preserved)."""
    gvs = sorted({(r.group, r.version) for r in CATALOGUE})
    return {"paths": {_gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash=KMON0001"}
                      for g, v in gvs}}


def openapi_v3_group(gv_path: str) -> dict | None:
    rs = [r for r in CATALOGUE if _gv_path(r.group, r.version) == gv_path]
    if not rs:
        return None
    schemas = {}
    for r in rs:
        schemas[f"kmon.sim.{r.group or 'core'}.{r.version}.{r.kind}"] = {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "x-kubernetes-group-version-kind": [{"group": r.group, "kind": r.kind, "version": r.version}],
        }
    paths = {}
    for r in rs:
        base = "/" + _gv_path(r.group, r.version)
        item = f"{base}/namespaces/{{namespace}}/{r.plural}/{{name}}" if r.namespaced else f"{base}/{r.plural}/{{name}}"
        params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}]
        gvk = {"group": r.group, "kind": r.kind, "version": r.version}
        paths[item] = {
            "patch": {"operationId": f"patch{r.kind}", "x-kubernetes-action": "patch",
                      "x-kubernetes-group-version-kind": gvk, "parameters": params,
                      "responses": {"200": {"description": "OK"}}},
            "put": {"operationId": f"replace{r.kind}", "x-kubernetes-action": "put",
                    "x-kubernetes-group-version-kind": gvk, "parameters": params,
                    "responses": {"200": {"description": "OK"}}},
            "parameters": params,
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
            "components": {"schemas": schemas}}


def serve(path: str) -> dict | None:
    if path == "/openapi/v3":
        return openapi_v3_root()
    if path.startswith("/openapi/v3/"):
        return openapi_v3_group(path[len("/openapi/v3/"):])
    return None
