"""Which resources a cluster serves, and kubectl's way of naming them.

Why this module exists: the monitor lets the user type a resource the way they would for
``kubectl get`` (``po``, ``Pod``, ``deploy``, ``deployments.v1.apps``, a CRD's short name) and
needs, for each, the REST path to list and watch it. We walk plain discovery (``/api``,
``/api/v1``, ``/apis``, ``/apis/<group>/<version>``), keep every listable and watchable
top-level resource (no subresources such as ``pods/status``), take each group's preferred
version first and add resources only served by other versions (as client-go's
``ServerPreferredResources`` does), and resolve names with kubectl's precedence. Discovery JSON
is decoded with orjson straight from the raw response, never into generated models.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Iterable
from urllib.parse import quote

from kmon.kube._http import JSON, get_json

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)

__all__ = ["ApiResource", "UnknownResourceError", "AmbiguousResourceError", "discover", "resolve"]

log = logging.getLogger(__name__)
_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$", re.I)


class UnknownResourceError(LookupError):
    """No served resource is spelled like that. ``str()`` is kubectl's message for it (``the
    server doesn't have a resource type "nosuchthing"``, naming the group and version when
    the name had them); ``suggestions`` lists close matches and ``hint`` says them."""

    def __init__(self, name: str, suggestions: Iterable[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        super().__init__(_kubectl_no_match(name))

    @property
    def hint(self) -> str:
        """"did you mean deployments.apps?" when something close is served, else ""."""
        return f"did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


def _go_quote(s: str) -> str:
    """Go's %q for the names kubectl quotes."""
    return json.dumps(s, ensure_ascii=False)


def _kubectl_no_match(name: str) -> str:
    """kubectl's words for a name no resource matches (``cmdutil.CheckErr`` on a
    ``NoResourceMatchError``): ``resource.group`` and ``resource.version.group`` name the
    group (and version) apart."""
    spelled = name.strip()
    parts = spelled.split(".", 2)
    msg = "the server doesn't have a resource type "
    if len(parts) == 3 and _VERSION.match(parts[1]):
        return msg + f"{_go_quote(parts[0])} in group {_go_quote(parts[2])} and version {_go_quote(parts[1])}"
    if len(parts) >= 2:
        res, _, group = spelled.partition(".")
        return msg + f"{_go_quote(res)} in group {_go_quote(group)}"
    return msg + _go_quote(spelled)


class AmbiguousResourceError(UnknownResourceError):
    """Kept for callers that want to tell the two apart; resolve() picks by priority instead."""


@dataclass(frozen=True, slots=True)
class ApiResource:
    """One listable and watchable resource as discovery describes it.

    ``version`` is the version kmon talks to (the group's preferred one, unless the resource
    is only served by another, or the user asked for one); ``versions`` lists every version
    that serves it, preferred first.
    """

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    singular: str = ""
    versions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        """kubectl's fully qualified name: ``pods``, ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        """``v1`` or ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    group_version = api_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def api_path(self, namespace: str | None = None) -> str:
        """Collection path, namespaced when ``namespace`` is given and the resource is."""
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{prefix}/{self.plural}"

    def object_path(self, namespace: str | None, name: str) -> str:
        """Path of one object (``namespace`` ignored for cluster-scoped resources)."""
        if self.namespaced and not namespace:
            raise ValueError(f"{self.full_name} is namespaced: a namespace is needed to get {name!r}")
        return self.api_path(namespace if self.namespaced else None) + "/" + quote(name, safe="")

    @property
    def listable(self) -> bool:
        return "list" in self.verbs and "watch" in self.verbs

    def spellings(self) -> set[str]:
        """Every lower-case name kubectl accepts for it, without group/version."""
        out = {self.plural, self.kind.lower()}
        if self.singular:
            out.add(self.singular)
        out.update(self.short_names)
        return out


def _resources_of(doc: Any, group: str, version: str) -> list[ApiResource]:
    out: list[ApiResource] = []
    if not isinstance(doc, dict):
        return out
    for r in doc.get("resources") or []:
        if not isinstance(r, dict):
            continue
        name = r.get("name") or ""
        if not name or "/" in name:
            continue  # subresource (pods/status, deployments/scale, ...)
        verbs = tuple(r.get("verbs") or ())
        if "list" not in verbs or "watch" not in verbs:
            continue
        out.append(
            ApiResource(
                group=r.get("group") or group,
                version=r.get("version") or version,
                kind=r.get("kind") or "",
                plural=name,
                namespaced=bool(r.get("namespaced")),
                short_names=tuple(r.get("shortNames") or ()),
                verbs=verbs,
                singular=(r.get("singularName") or (r.get("kind") or "").lower()),
                versions=(version,),
                categories=tuple(r.get("categories") or ()),
            )
        )
    return out


def discover(
    api_client: Any,
    *,
    errors: list[tuple[str, BaseException]] | None = None,
    max_workers: int = 4,
    aggregated: bool = True,
) -> list[ApiResource]:
    """Every listable and watchable resource the server serves, core group first, then the
    groups in the server's order. With ``aggregated`` the server is offered aggregated
    discovery (two requests in all, Kubernetes >= 1.26); a server that answers with plain
    discovery documents is walked group version by group version. A group version that fails to answer (an aggregated API
    that is down) is skipped and, when ``errors`` is given, recorded there as
    ``(group/version, exception)``; failures of ``/api`` or ``/apis`` themselves raise."""
    result: list[ApiResource] = []
    accept = AGGREGATED_ACCEPT if aggregated else JSON
    core = get_json(api_client, "/api", accept=accept)
    if _is_aggregated(core):
        result.extend(_from_aggregated(core, errors))
        core_versions: list[str] = []
    else:
        core_versions = [v for v in (core.get("versions") or []) if isinstance(v, str)] if isinstance(core, dict) else []
    groups_doc = get_json(api_client, "/apis", accept=accept)
    aggregated_groups: list[ApiResource] | None = None
    if _is_aggregated(groups_doc):
        aggregated_groups = _from_aggregated(groups_doc, errors)
        groups: list[Any] = []
    else:
        groups = groups_doc.get("groups") or [] if isinstance(groups_doc, dict) else []

    # (group, [versions preferred first])
    plan: list[tuple[str, list[str]]] = []
    if core_versions:
        plan.append(("", ["v1"] if "v1" in core_versions else core_versions[:1]))
    for g in groups:
        if not isinstance(g, dict) or not g.get("name"):
            continue
        versions = [v.get("version") for v in g.get("versions") or [] if isinstance(v, dict) and v.get("version")]
        preferred = (g.get("preferredVersion") or {}).get("version") or (versions[0] if versions else None)
        if preferred is None:
            continue
        ordered = [preferred] + [v for v in versions if v != preferred]
        plan.append((g["name"], ordered))

    def path_of(group: str, version: str) -> str:
        return f"/apis/{group}/{version}" if group else f"/api/{version}"

    jobs = [(group, v) for group, versions in plan for v in versions]
    docs: dict[tuple[str, str], Any] = {}

    def fetch(job: tuple[str, str]) -> tuple[tuple[str, str], Any]:
        try:
            return job, get_json(api_client, path_of(*job))
        except Exception as e:  # one broken aggregated API must not hide the others
            return job, e

    if len(jobs) <= 1 or max_workers <= 1:
        fetched = [fetch(j) for j in jobs]
    else:
        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="kmon-discovery") as pool:
            fetched = list(pool.map(fetch, jobs))
    for job, doc in fetched:
        docs[job] = doc

    for group, versions in plan:
        by_plural: dict[str, ApiResource] = {}
        for v in versions:
            doc = docs.get((group, v))
            if isinstance(doc, BaseException):
                log.warning("discovery of %s failed: %s", path_of(group, v), doc)
                if errors is not None:
                    errors.append((f"{group}/{v}" if group else v, doc))
                continue
            for res in _resources_of(doc, group, v):
                prev = by_plural.get(res.plural)
                if prev is None:
                    by_plural[res.plural] = res
                elif v not in prev.versions:
                    by_plural[res.plural] = replace(prev, versions=prev.versions + (v,))
        result.extend(by_plural.values())
    if aggregated_groups is not None:
        result.extend(aggregated_groups)
    return result


def _is_aggregated(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "APIGroupDiscoveryList"


def _from_aggregated(doc: dict[str, Any], errors: list[tuple[str, BaseException]] | None) -> list[ApiResource]:
    """Resources of an aggregated discovery document (apidiscovery.k8s.io v2/v2beta1):
    versions come preferred first; a "Stale" version (its aggregated API is down) is skipped
    and recorded like a failed group version of plain discovery."""
    from kmon.cache.errors import ApiStatusError

    out: list[ApiResource] = []
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        group = ((item.get("metadata") or {}).get("name")) or ""
        by_plural: dict[str, ApiResource] = {}
        for ver in item.get("versions") or []:
            if not isinstance(ver, dict) or not ver.get("version"):
                continue
            v = ver["version"]
            if ver.get("freshness") == "Stale":
                gv = f"{group}/{v}" if group else v
                log.warning("discovery of %s is stale (its API service is unavailable)", gv)
                if errors is not None:
                    errors.append((gv, ApiStatusError(503, "ServiceUnavailable", f"discovery of {gv} is stale")))
                continue
            for r in ver.get("resources") or []:
                if not isinstance(r, dict) or not r.get("resource") or "/" in r["resource"]:
                    continue
                verbs = tuple(r.get("verbs") or ())
                if "list" not in verbs or "watch" not in verbs:
                    continue
                rk = r.get("responseKind") or {}
                plural = r["resource"]
                prev = by_plural.get(plural)
                if prev is not None:
                    if v not in prev.versions:
                        by_plural[plural] = replace(prev, versions=prev.versions + (v,))
                    continue
                kind = rk.get("kind") or ""
                by_plural[plural] = ApiResource(
                    group=group,
                    version=v,
                    kind=kind,
                    plural=plural,
                    namespaced=r.get("scope") == "Namespaced",
                    short_names=tuple(r.get("shortNames") or ()),
                    verbs=verbs,
                    singular=r.get("singularResource") or kind.lower(),
                    versions=(v,),
                    categories=tuple(r.get("categories") or ()),
                )
        out.extend(by_plural.values())
    return out


def _matches(res: ApiResource, spelled: str) -> int:
    """Match tier (lower is stronger), or 0 for no match."""
    if spelled == res.plural:
        return 1
    if spelled == res.singular:
        return 2
    if spelled in res.short_names:
        return 3
    if spelled == res.kind.lower():
        return 4
    return 0


def _group_ok(res: ApiResource, group: str) -> bool:
    return res.group == group or res.group.startswith(group + ".")


def resolve(resources: Iterable[ApiResource], name: str) -> ApiResource:
    """The resource ``name`` means, spelled as for ``kubectl get``: plural, singular, short
    name or kind (any case), optionally qualified as ``<resource>.<group>`` or
    ``<resource>.<version>.<group>``. Where several groups serve a name, the earlier group in
    discovery order wins (core first), as kubectl's priority mapper does. Raises
    ``UnknownResourceError`` listing close matches otherwise."""
    resources = list(resources)
    spelled = name.strip().lower()
    if not spelled:
        raise UnknownResourceError(name)

    def best(cands: list[tuple[int, int, ApiResource]]) -> ApiResource | None:
        return min(cands, key=lambda t: (t[0], t[1]))[2] if cands else None

    if "." in spelled:
        # resource.version.group first, when the middle part is a served version
        parts = spelled.split(".", 2)
        if len(parts) == 3:
            res_name, version, group = parts
            cands = [
                (tier, i, r)
                for i, r in enumerate(resources)
                if (tier := _matches(r, res_name)) and r.group == group and version in [v.lower() for v in r.versions]
            ]
            hit = best(cands)
            if hit is not None:
                real = next(v for v in hit.versions if v.lower() == version)
                return replace(hit, version=real)
        res_name, group = spelled.split(".", 1)
        cands = [(tier, i, r) for i, r in enumerate(resources) if (tier := _matches(r, res_name)) and r.group == group]
        if not cands:  # a unique group prefix ("widgets.demo" for demo.kmon.io)
            cands = [(tier, i, r) for i, r in enumerate(resources) if (tier := _matches(r, res_name)) and _group_ok(r, group)]
            if len({c[2].group for c in cands}) > 1:
                cands = []
        hit = best(cands)
        if hit is not None:
            return hit
    else:
        cands = [(tier, i, r) for i, r in enumerate(resources) if (tier := _matches(r, spelled))]
        hit = best(cands)
        if hit is not None:
            return hit

    vocabulary: dict[str, str] = {}
    for r in resources:
        for s in r.spellings():
            vocabulary.setdefault(s, r.full_name)
        vocabulary.setdefault(r.full_name, r.full_name)
    close = difflib.get_close_matches(spelled, list(vocabulary), n=5, cutoff=0.6)
    suggestions: list[str] = []
    for c in close:
        full = vocabulary[c]
        if full not in suggestions:
            suggestions.append(full)
    raise UnknownResourceError(name, suggestions)
