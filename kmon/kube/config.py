"""Kubeconfig files as kubectl reads them: merged, paths resolved, each context checked.

Why this module exists: the official client's own merger (``KubeConfigMerger``) lets the *last*
file set ``current-context`` and resolves nothing per context up front, while kubectl lets the
first file win for every entry and for ``current-context``. We merge the way kubectl does and
make relative paths absolute against the file that defined each entry (as kubectl's
``ResolveLocalPaths`` does); ``validate_context`` checks one context as kubectl's client-config
validation does, without contacting the server. The merged dict is what
``kmon.kube.api_client.api_client_for`` hands to the official loader.

Errors are per context: a broken context raises ``KubeconfigError`` when it is *used*; the
other contexts of the same config stay usable. Messages name the file and the entry and never
contain credentials (tokens, passwords, keys, exec output).
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "ContextInfo",
    "KubeConfig",
    "KubeconfigError",
    "default_kubeconfig_paths",
    "load_kubeconfig",
    "validate_context",
]

# Path-valued fields made absolute against the defining file (kubectl's ResolveLocalPaths).
_CLUSTER_PATH_FIELDS = ("certificate-authority",)
_USER_PATH_FIELDS = ("client-certificate", "client-key", "tokenFile")


class KubeconfigError(Exception):
    """A kubeconfig problem, naming the file and the entry it concerns (never a secret)."""

    def __init__(self, message: str, file: str | None = None, entry: str | None = None) -> None:
        self.message = message
        self.file = file
        self.entry = entry
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.entry:
            where.append(f"entry {self.entry}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


@dataclass(frozen=True, slots=True)
class ContextInfo:
    """One context as kubectl sees it. ``namespace`` is the context's namespace, "default"
    when it sets none; ``server`` and ``insecure`` come from its cluster entry ("" / False
    when that entry is missing: the error is raised when the context is used)."""

    name: str
    cluster: str
    user: str
    namespace: str = "default"
    server: str = ""
    insecure: bool = False
    file: str = ""  # the file that defined the context


@dataclass(slots=True)
class KubeConfig:
    """The merged view of one or more kubeconfig files."""

    files: list[str]
    contexts: list[ContextInfo]
    current_context: str | None
    # merged entries by kind ("clusters", "users", "contexts") -> name -> (entry, defining file)
    entries: dict[str, dict[str, tuple[dict[str, Any], str]]] = field(default_factory=dict, repr=False)
    preferences: dict[str, Any] = field(default_factory=dict, repr=False)

    def context(self, name: str | None = None) -> ContextInfo:
        """The named context (the current one when None); ``KubeconfigError`` if unknown."""
        if name is None:
            name = self.current_context
            if not name:
                raise KubeconfigError(
                    "no current-context is set and no context was given", file=_files_text(self.files)
                )
        for ctx in self.contexts:
            if ctx.name == name:
                return ctx
        known = ", ".join(c.name for c in self.contexts) or "none"
        raise KubeconfigError(
            f"context {name!r} not found (known contexts: {known})",
            file=_files_text(self.files),
            entry=f"contexts/{name}",
        )

    def context_names(self) -> list[str]:
        return [c.name for c in self.contexts]

    def merged_dict(self, context: str | None = None) -> dict[str, Any]:
        """A single kubeconfig dict (paths absolute) for the official loader."""
        def items(kind: str, key: str) -> list[dict[str, Any]]:
            return [{"name": n, key: e} for n, (e, _f) in self.entries.get(kind, {}).items()]

        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": items("clusters", "cluster"),
            "users": items("users", "user"),
            "contexts": items("contexts", "context"),
            "current-context": context or self.current_context or "",
            "preferences": dict(self.preferences),
        }


def _files_text(files: list[str]) -> str:
    return os.pathsep.join(files)


def default_kubeconfig_paths() -> tuple[list[str], bool]:
    """The files kubectl would read, and whether they came from ``$KUBECONFIG``."""
    env = os.environ.get("KUBECONFIG", "")
    if env.strip():
        seen: list[str] = []
        for p in env.split(os.pathsep):
            p = p.strip()
            if p:
                p = os.path.expanduser(p)
                if p not in seen:
                    seen.append(p)
        return seen, True
    return [os.path.expanduser(os.path.join("~", ".kube", "config"))], False


def _read_yaml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise KubeconfigError("kubeconfig file does not exist", file=path) from None
    except OSError as e:
        raise KubeconfigError(f"cannot read kubeconfig file: {e.strerror or e}", file=path) from None
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        # the problem text is YAML's own description, never the file's content
        raise KubeconfigError(f"invalid YAML{where}: {problem}", file=path) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise KubeconfigError(f"kubeconfig must be a mapping, got {type(doc).__name__}", file=path)
    return doc


def _abspath(base_dir: str, value: Any) -> Any:
    if isinstance(value, str) and value and not os.path.isabs(value):
        return os.path.normpath(os.path.join(base_dir, os.path.expanduser(value)))
    return value


def _resolve_paths(kind: str, entry: dict[str, Any], base_dir: str) -> dict[str, Any]:
    entry = dict(entry)
    if kind == "clusters":
        for k in _CLUSTER_PATH_FIELDS:
            if k in entry:
                entry[k] = _abspath(base_dir, entry[k])
    elif kind == "users":
        for k in _USER_PATH_FIELDS:
            if k in entry:
                entry[k] = _abspath(base_dir, entry[k])
        ex = entry.get("exec")
        if isinstance(ex, dict):
            ex = dict(ex)
            cmd = ex.get("command")
            # kubectl: a command containing a path separator is relative to the file
            if isinstance(cmd, str) and os.sep in cmd and not os.path.isabs(cmd):
                ex["command"] = _abspath(base_dir, cmd)
            entry["exec"] = ex
        ap = entry.get("auth-provider")
        if isinstance(ap, dict) and isinstance(ap.get("config"), dict):
            entry["auth-provider"] = {**ap, "config": dict(ap["config"])}
    return entry


def load_kubeconfig(
    path: "str | os.PathLike[str] | KubeConfig | list[str] | tuple[str, ...] | None" = None,
) -> KubeConfig:
    """Load and merge kubeconfig files as kubectl does.

    ``path`` (like ``--kubeconfig``) names one file that must exist; a list of paths is
    merged in order like ``$KUBECONFIG`` (missing ones skipped). Otherwise ``$KUBECONFIG``
    (several files joined with ``os.pathsep``; missing ones are skipped) or ``~/.kube/config``.
    For clusters, users and contexts the first file defining a name wins; ``current-context``
    comes from the first file that sets it. Raises ``KubeconfigError`` for a missing explicit
    file, invalid YAML, or when no file exists at all.
    """
    if isinstance(path, KubeConfig):
        return path
    if isinstance(path, (list, tuple)):
        paths, explicit = [os.path.expanduser(os.fspath(p)) for p in path], False
    elif path is not None:
        paths, explicit = [os.path.expanduser(os.fspath(path))], True
    else:
        paths, _from_env = default_kubeconfig_paths()
        explicit = False
    files: list[str] = []
    docs: list[tuple[str, dict[str, Any]]] = []
    for p in paths:
        if not explicit and not os.path.exists(p):
            continue
        docs.append((p, _read_yaml(p)))
        files.append(p)
    if not docs:
        raise KubeconfigError("no kubeconfig found", file=_files_text(paths))

    entries: dict[str, dict[str, tuple[dict[str, Any], str]]] = {"clusters": {}, "users": {}, "contexts": {}}
    inner_key = {"clusters": "cluster", "users": "user", "contexts": "context"}
    current: str | None = None
    preferences: dict[str, Any] = {}
    for p, doc in docs:
        base_dir = os.path.dirname(os.path.abspath(p))
        for kind, key in inner_key.items():
            items = doc.get(kind) or []
            if not isinstance(items, list):
                raise KubeconfigError(f"{kind!r} must be a list", file=p, entry=kind)
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
                    raise KubeconfigError(f"every item of {kind!r} needs a 'name'", file=p, entry=kind)
                name = item["name"]
                if name in entries[kind]:
                    continue  # first file wins
                body = item.get(key)
                if body is None:
                    body = {}
                if not isinstance(body, dict):
                    raise KubeconfigError(f"{key!r} must be a mapping", file=p, entry=f"{kind}/{name}")
                entries[kind][name] = (_resolve_paths(kind, body, base_dir), p)
        cc = doc.get("current-context")
        if current is None and isinstance(cc, str) and cc:
            current = cc
        if not preferences and isinstance(doc.get("preferences"), dict):
            preferences = dict(doc["preferences"])

    contexts: list[ContextInfo] = []
    for name, (ctx, p) in entries["contexts"].items():
        cluster_name = str(ctx.get("cluster") or "")
        cluster = entries["clusters"].get(cluster_name, ({}, ""))[0]
        contexts.append(
            ContextInfo(
                name=name,
                cluster=cluster_name,
                user=str(ctx.get("user") or ""),
                namespace=str(ctx.get("namespace") or "default"),
                server=str(cluster.get("server") or ""),
                insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
                file=p,
            )
        )
    return KubeConfig(files=files, contexts=contexts, current_context=current, entries=entries, preferences=preferences)


def _check_file(path: Any, file: str, entry: str, what: str) -> None:
    if not isinstance(path, str) or not path:
        raise KubeconfigError(f"{what} path is empty", file=file, entry=entry)
    if not os.path.isfile(path):
        raise KubeconfigError(f"{what} file does not exist: {path}", file=file, entry=entry)
    if not os.access(path, os.R_OK):
        raise KubeconfigError(f"{what} file is not readable: {path}", file=file, entry=entry)


def _check_b64(value: Any, file: str, entry: str, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise KubeconfigError(f"{what} is empty", file=file, entry=entry)
    try:
        base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise KubeconfigError(f"{what} is not valid base64", file=file, entry=entry) from None


def validate_context(cfg: KubeConfig, context: str | None = None) -> ContextInfo:
    """Check one context the way kubectl's client-config validation does, without contacting
    the server: its cluster and user entries exist, a server is set, referenced files exist,
    embedded data is base64, an exec plugin's command is installed."""
    info = cfg.context(context)
    ctx_entry = f"contexts/{info.name}"
    if not info.cluster:
        raise KubeconfigError(f"context {info.name!r} names no cluster", file=info.file, entry=ctx_entry)
    if info.cluster not in cfg.entries["clusters"]:
        raise KubeconfigError(
            f"cluster {info.cluster!r} of context {info.name!r} not found", file=info.file, entry=f"clusters/{info.cluster}"
        )
    cluster, cfile = cfg.entries["clusters"][info.cluster]
    centry = f"clusters/{info.cluster}"
    server = cluster.get("server")
    if not isinstance(server, str) or not server.strip():
        raise KubeconfigError(f"cluster {info.cluster!r} has no server", file=cfile, entry=centry)
    if not server.startswith(("http://", "https://")):
        raise KubeconfigError(f"cluster {info.cluster!r} server must be an http(s) URL: {server!r}", file=cfile, entry=centry)
    if server.startswith("https://"):
        if cluster.get("certificate-authority-data"):
            _check_b64(cluster["certificate-authority-data"], cfile, centry, "certificate-authority-data")
        elif cluster.get("certificate-authority"):
            _check_file(cluster["certificate-authority"], cfile, centry, "certificate-authority")
    if info.user:
        if info.user not in cfg.entries["users"]:
            raise KubeconfigError(
                f"user {info.user!r} of context {info.name!r} not found", file=info.file, entry=f"users/{info.user}"
            )
        user, ufile = cfg.entries["users"][info.user]
        uentry = f"users/{info.user}"
        if user.get("tokenFile") and not user.get("token"):
            _check_file(user["tokenFile"], ufile, uentry, "tokenFile")
        if server.startswith("https://"):
            for f in ("client-certificate", "client-key"):
                if user.get(f) and not user.get(f + "-data"):
                    _check_file(user[f], ufile, uentry, f)
            for f in ("client-certificate-data", "client-key-data"):
                if f in user:
                    _check_b64(user[f], ufile, uentry, f)
            if bool(user.get("client-certificate") or user.get("client-certificate-data")) != bool(
                user.get("client-key") or user.get("client-key-data")
            ):
                raise KubeconfigError("client certificate and client key must be given together", file=ufile, entry=uentry)
        ex = user.get("exec")
        if ex is not None:
            if not isinstance(ex, dict) or not ex.get("command"):
                raise KubeconfigError("exec plugin has no command", file=ufile, entry=uentry)
            if not ex.get("apiVersion"):
                raise KubeconfigError("exec plugin has no apiVersion", file=ufile, entry=uentry)
            cmd = str(ex["command"])
            found = os.access(cmd, os.X_OK) and os.path.isfile(cmd) if os.sep in cmd else shutil.which(cmd)
            if not found:
                hint = f" ({ex['installHint'].strip().splitlines()[0]})" if isinstance(ex.get("installHint"), str) and ex["installHint"].strip() else ""
                raise KubeconfigError(
                    f"exec plugin {cmd!r} is not installed or not executable{hint}", file=ufile, entry=uentry
                )
    return info
