"""Discovery documents: ``/version``, ``/api``, ``/apis``, ``/apis/<group>[/<version>]``,
``/api/v1`` -- plain (APIVersions, APIGroupList, APIGroup, APIResourceList) and aggregated
(``apidiscovery.k8s.io/v2`` APIGroupDiscoveryList, what kubectl and client-go ask for first:
``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList``)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

import orjson

from kmon.sim import openapi
from kmon.sim.catalog import CATALOGUE, VERSION, Resource
from kmon.sim.errors import StoreError
from kmon.sim.resources import groups

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def version_doc() -> dict:
    return dict(VERSION)


def wants_aggregated(accept: str) -> bool:
    """True when the first acceptable alternative of ``accept`` is aggregated discovery v2
    (v2beta1 is no longer served; a client offering it next falls through to plain JSON)."""
    for alt in accept.split(","):
        parts = [p.strip() for p in alt.split(";")]
        if parts[0].lower() not in ("application/json", "*/*", "application/*"):
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if kv.get("as") == "APIGroupDiscoveryList":
            if kv.get("g") == "apidiscovery.k8s.io" and kv.get("v") == "v2":
                return True
            continue
        return False
    return False


def api_versions_doc(server_address: str) -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_doc(name: str, versions: list[str]) -> dict:
    vs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": vs, "preferredVersion": vs[0]}


def api_group_list_doc() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_doc(g, vs) for g, vs in groups().items()]}


def api_group_doc(group: str) -> dict | None:
    vs = groups().get(group)
    if not vs:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, vs)}


def _storage_version_hash(r: Resource) -> str:
    return base64.b64encode(hashlib.sha256(f"{r.api_version}/{r.kind}".encode()).digest()[:8]).decode()


def _gv_of(api_version: str) -> tuple[str, str]:
    g, _, v = api_version.rpartition("/")
    return g, v


def _with_names(r: Resource, doc: dict) -> dict:
    """``doc`` plus the short names and categories (both omitted when empty)."""
    if r.short_names:
        doc["shortNames"] = list(r.short_names)
    if r.categories:
        doc["categories"] = list(r.categories)
    return doc


def api_resource_list_doc(group: str, version: str) -> dict | None:
    rs = [r for r in CATALOGUE if r.group == group and r.version == version]
    if not rs:
        return None
    resources = []
    for r in rs:
        doc = _with_names(r, {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": list(r.verbs)})
        if r.stored:
            doc["storageVersionHash"] = _storage_version_hash(r)
        resources.append(doc)
        for s in r.subresources:
            sub = {"name": f"{r.plural}/{s.name}", "singularName": r.singular, "namespaced": r.namespaced}
            if s.api_version and s.api_version != r.api_version:
                sub["group"], sub["version"] = _gv_of(s.api_version)
            sub["kind"] = s.kind or r.kind
            sub["verbs"] = list(s.verbs)
            resources.append(sub)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": rs[0].api_version,
            "resources": resources}


def _discovery_resource(r: Resource) -> dict:
    doc = _with_names(r, {"resource": r.plural,
                          "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                          "scope": "Namespaced" if r.namespaced else "Cluster",
                          "singularResource": r.singular, "verbs": list(r.verbs)})
    if r.subresources:
        subs = []
        for s in r.subresources:
            g, v = _gv_of(s.api_version) if s.api_version else (r.group, r.version)
            subs.append({"subresource": s.name, "responseKind": {"group": g, "version": v, "kind": s.kind or r.kind},
                         "verbs": list(s.verbs)})
        doc["subresources"] = subs
    return doc


def _discovery_group(name: str, versions: list[str]) -> dict:
    return {"metadata": {"name": name, "creationTimestamp": None},
            "versions": [{"version": v, "resources": [_discovery_resource(r) for r in CATALOGUE
                                                      if r.group == name and r.version == v],
                          "freshness": "Current"} for v in versions]}


@lru_cache(maxsize=2)
def aggregated_doc(core: bool) -> tuple[bytes, str]:
    """The aggregated discovery document of ``/api`` (core) or ``/apis`` and its ETag
    (encoded once: the catalogue never changes while the process runs)."""
    items = [_discovery_group("", ["v1"])] if core else [_discovery_group(g, vs) for g, vs in groups().items()]
    body = orjson.dumps({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                         "metadata": {}, "items": items})
    return body, '"' + hashlib.sha256(body).hexdigest()[:32].upper() + '"'


class Doc:
    """A document to answer with: ``body`` (dict or encoded bytes) and extra headers."""

    __slots__ = ("body", "headers")

    def __init__(self, body, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.body, self.headers = body, headers


_VARY = ("Vary", "Accept")


def _not_found() -> StoreError:
    return StoreError(404, "NotFound", "the server could not find the requested resource")


def serve(accept: str, path: str, segs: list[str], server_address: str) -> Doc | None:
    """The document for a GET of ``path``, or None when ``path`` is not a discovery or
    OpenAPI path. Unknown groups and versions raise 404."""
    if path == "/version":
        return Doc(version_doc())
    if path in ("/api", "/apis"):
        if wants_aggregated(accept):
            body, etag = aggregated_doc(path == "/api")
            return Doc(body, (("Content-Type", AGGREGATED_CONTENT_TYPE), ("Etag", etag), _VARY))
        return Doc(api_versions_doc(server_address) if path == "/api" else api_group_list_doc(), (_VARY,))
    if path == "/api/v1":
        return Doc(api_resource_list_doc("", "v1"))
    if segs and segs[0] == "openapi":
        doc = openapi.serve(path)
        if doc is None:
            raise _not_found()
        return Doc(doc)
    if segs and segs[0] == "apis" and len(segs) in (2, 3):
        doc = api_group_doc(segs[1]) if len(segs) == 2 else api_resource_list_doc(segs[1], segs[2])
        if doc is None:
            raise _not_found()
        return Doc(doc)
    return None
