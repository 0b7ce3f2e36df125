"""Resource identifiers of the simulated cluster (see ``kmon.sim.catalog`` for the types).

A resource is identified in the store by its *key*: the plural for the core group
(``"pods"``) and ``"<plural>.<group>"`` otherwise (``"deployments.apps"``,
``"widgets.demo.kmon.io"``) -- kubectl's full spelling.
"""

from __future__ import annotations

from kmon.sim.catalog import ALL_VERBS, CATALOGUE, Resource, Subresource

__all__ = ["ALL_VERBS", "BY_KEY", "BY_KIND", "BY_PATH", "CATALOGUE", "STORED", "Resource", "Subresource",
           "groups", "lookup"]

# the types kept in the store (everything listable; create-only reviews and bindings are not)
STORED: tuple[Resource, ...] = tuple(r for r in CATALOGUE if r.stored)
BY_KEY: dict[str, Resource] = {r.key: r for r in STORED}
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
    for r in STORED:
        if resource == r.kind or resource in r.short_names or resource == r.plural or resource == r.singular:
            return r
    raise KeyError(f"unknown resource {resource!r}")


def groups() -> dict[str, list[str]]:
    """group -> versions (non-core groups only), in catalogue order (kube-apiserver's)."""
    out: dict[str, list[str]] = {}
    for r in CATALOGUE:
        if r.group and r.version not in out.setdefault(r.group, []):
            out[r.group].append(r.version)
    return out
