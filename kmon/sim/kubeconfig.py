"""Write a kubeconfig for one or more running sims."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Sequence

import yaml

if TYPE_CHECKING:
    from kmon.sim.server import SimServer


def kubeconfig_dict(servers: Sequence[tuple[str, "SimServer"]], current: str | None = None,
                    namespace: str | None = None) -> dict:
    clusters, users, contexts = [], [], []
    for name, srv in servers:
        cluster: dict = {"server": srv.url}
        if srv.ca_data:
            cluster["certificate-authority-data"] = base64.b64encode(srv.ca_data).decode()
        clusters.append({"name": name, "cluster": cluster})
        users.append({"name": f"{name}-user", "user": {"token": srv.token}})
        ctx: dict = {"cluster": name, "user": f"{name}-user"}
        if namespace:
            ctx["namespace"] = namespace
        contexts.append({"name": name, "context": ctx})
    if current is None and servers:
        current = servers[0][0]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current or "",
    }


def write_kubeconfig(path: str | os.PathLike, servers: Sequence[tuple[str, "SimServer"]],
                     current: str | None = None, namespace: str | None = None) -> str:
    """Write a kubeconfig with one cluster, user (bearer token) and context per
    ``(context_name, server)``; ``current`` defaults to the first. Returns the path."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        yaml.safe_dump(kubeconfig_dict(servers, current, namespace), f, sort_keys=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
