"""Authentication and authorization as kube-apiserver answers them (token authn + RBAC).

A request with the server's bearer token is the sim's user (``SimServer.user``). A request
with a bearer token that is not the server's is refused by authentication: 401
Unauthorized. A request with no bearer token is ``system:anonymous`` (group
``system:unauthenticated``), which RBAC allows only the public-info paths (``/version``,
``/healthz``, ``/livez``, ``/readyz``): everything else is 403 Forbidden with RBAC's message.
"""

from __future__ import annotations

from kmon.sim.catalog import Resource
from kmon.sim.errors import StoreError

ANONYMOUS = "system:anonymous"
PUBLIC_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
_NONRESOURCE_VERBS = {"GET": "get", "HEAD": "head", "POST": "post", "PUT": "put", "PATCH": "patch",
                      "DELETE": "delete", "OPTIONS": "options"}


def authenticate(authorization: str, token: str, user: str) -> str:
    """The user a request authenticates as, from its Authorization header; ``ANONYMOUS``
    when it presents no bearer token. Raises 401 for a bearer token that is not ``token``."""
    scheme, _, presented = authorization.strip().partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return ANONYMOUS
    if presented != token:
        raise StoreError(401, "Unauthorized", "Unauthorized")
    return user


def forbidden(user: str, res: Resource, verb: str, ns: str | None, name: str | None,
              sub: str | None = None) -> StoreError:
    """RBAC's refusal of a resource request."""
    full = res.plural if not res.group else f"{res.plural}.{res.group}"
    what = f'{full} "{name}"' if name else full
    resource = f"{res.plural}/{sub}" if sub else res.plural
    scope = f'in the namespace "{ns}"' if ns is not None else "at the cluster scope"
    return StoreError(403, "Forbidden", f'{what} is forbidden: User "{user}" cannot {verb} resource '
                      f'"{resource}" in API group "{res.group}" {scope}',
                      details={**({"name": name} if name else {}), "group": res.group, "kind": res.plural})


def nonresource_forbidden(user: str, method: str, path: str) -> StoreError:
    """RBAC's refusal of a non-resource path (``/api``, ``/apis``, ``/openapi/v3``...)."""
    verb = _NONRESOURCE_VERBS.get(method, method.lower())
    return StoreError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"')


def is_resource_path(segs: list[str]) -> bool:
    """``/api/v1/<resource>...`` or ``/apis/<group>/<version>/<resource>...`` (RBAC judges
    these by resource; every other path is a non-resource URL)."""
    return (segs[:2] == ["api", "v1"] and len(segs) >= 3) or (segs[:1] == ["apis"] and len(segs) >= 4)


def review(res: Resource, body: dict, user: str) -> dict:
    """The answer to a create of an authentication/authorization review (never stored):
    who the caller is (``kubectl auth whoami``) and, for access reviews, allowed (the sim's
    user may do everything; ``kubectl auth can-i``)."""
    out = {"kind": res.kind, "apiVersion": res.api_version,
           "metadata": {**((body or {}).get("metadata") or {}), "creationTimestamp": None},
           "spec": (body or {}).get("spec") or {}}
    groups = ["system:authenticated"] if user != ANONYMOUS else ["system:unauthenticated"]
    if res.plural == "selfsubjectreviews":
        out.pop("spec")
        out["status"] = {"userInfo": {"username": user, "groups": groups}}
    elif res.plural == "tokenreviews":
        out["status"] = {"authenticated": False, "error": "token lookup is not supported by kmon sim"}
    elif res.plural == "selfsubjectrulesreviews":
        out["status"] = {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                         "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False}
    else:
        out["status"] = {"allowed": True, "reason": f'user "{user}" may do anything in kmon sim'}
    return out
