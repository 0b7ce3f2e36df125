"""The resource catalogue of the simulated cluster and its discovery documents.

A resource is identified in the store by its *key*: the plural for the core group
(``"pods"``) and ``"<plural>.<group>"`` otherwise (``"deployments.apps"``,
``"widgets.demo.kmon.io"``) -- kubectl's full spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    # field-selector labels beyond metadata.name / metadata.namespace (dotted paths)
    fields: tuple[str, ...] = ()
    has_status: bool = field(default=True)

    @property
    def key(self) -> str:
        return self.plural if not self.group else f"{self.plural}.{self.group}"

    @property
    def api_version(self) -> str:
        return self.version if not self.group else f"{self.group}/{self.version}"

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def api_resource(self) -> dict:
        doc = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            doc["shortNames"] = list(self.short_names)
        if self.categories:
            doc["categories"] = list(self.categories)
        doc["storageVersionHash"] = f"kmon-{self.kind.lower()}"
        return doc


_POD_FIELDS = (
    "spec.nodeName",
    "status.phase",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.podIP",
    "status.nominatedNodeName",
)

CATALOGUE: tuple[Resource, ...] = (
    Resource("", "v1", "Namespace", "namespaces", "namespace", False, ("ns",), (), fields=("status.phase",)),
    Resource("", "v1", "Node", "nodes", "node", False, ("no",), (), fields=("spec.unschedulable",)),
    Resource("", "v1", "Pod", "pods", "pod", True, ("po",), ("all",), fields=_POD_FIELDS),
    Resource("", "v1", "Service", "services", "service", True, ("svc",), ("all",)),
    Resource("", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",), (), has_status=False),
    Resource("", "v1", "Secret", "secrets", "secret", True, (), (), fields=("type",), has_status=False),
    Resource(
        "",
        "v1",
        "Event",
        "events",
        "event",
        True,
        ("ev",),
        (),
        fields=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ),
        has_status=False,
    ),
    Resource("apps", "v1", "Deployment", "deployments", "deployment", True, ("deploy",), ("all",)),
    Resource("apps", "v1", "ReplicaSet", "replicasets", "replicaset", True, ("rs",), ("all",)),
    Resource("demo.kmon.io", "v1", "Widget", "widgets", "widget", True, ("wd",), ("all", "kmon")),
)

BY_KEY: dict[str, Resource] = {r.key: r for r in CATALOGUE}
# (group, version, plural) -> resource, for URL routing
BY_PATH: dict[tuple[str, str, str], Resource] = {(r.group, r.version, r.plural): r for r in CATALOGUE}
BY_KIND: dict[tuple[str, str], Resource] = {(r.api_version, r.kind): r for r in CATALOGUE}


def lookup(resource: str | Resource) -> Resource:
    """Resolve a store resource identifier: a key (``pods``, ``deployments.apps``), a kind
    (``Pod``, ``Deployment``), a short name (``po``) or a ``Resource``. Raises ``KeyError``."""
    if isinstance(resource, Resource):
        return resource
    r = BY_KEY.get(resource)
    if r is not None:
        return r
    for r in CATALOGUE:
        if resource == r.kind or resource in r.short_names or resource == r.plural or resource == r.singular:
            return r
    raise KeyError(f"unknown resource {resource!r}")


def groups() -> dict[str, list[str]]:
    """group -> versions (non-core groups only), in catalogue order."""
    out: dict[str, list[str]] = {}
    for r in CATALOGUE:
        if r.group and r.version not in out.setdefault(r.group, []):
            out[r.group].append(r.version)
    return out


def version_doc() -> dict:
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-kmon-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


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
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_doc(g, vs) for g, vs in groups().items()],
    }


def api_group_doc(group: str) -> dict | None:
    vs = groups().get(group)
    if not vs:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, vs)}


def api_resource_list_doc(group: str, version: str) -> dict | None:
    rs = [r for r in CATALOGUE if r.group == group and r.version == version]
    if not rs:
        return None
    resources = []
    for r in rs:
        resources.append(r.api_resource())
        if r.has_status:
            resources.append(
                {"name": r.plural + "/status", "singularName": "", "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": ["get", "patch", "update"]}
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": r.api_version,
        "resources": resources,
    }


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
