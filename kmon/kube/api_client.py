"""Official ``kubernetes.client.ApiClient`` objects for kubeconfig contexts, and their end.

Why this module exists: the merged kubeconfig (``kmon.kube.config``) is handed to the official
loader (``new_client_from_config_dict``) so every auth kind it supports keeps working: tokens,
token files, client certificates, exec plugins (with their refresh hook), auth providers. What
the loader gets wrong for kmon is fixed here: its errors become ``KubeconfigError`` without
credentials, an exec plugin's logged output is withheld, a token file's trailing newline is
trimmed (as kubectl does), and TCP keepalive is on (``liveness``). ``close_client`` ends a
client's connection pool.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from kmon.kube.config import KubeConfig, KubeconfigError, load_kubeconfig, validate_context
from kmon.kube.liveness import enable_keepalive

__all__ = ["api_client_for", "close_client"]

# Fields of a user entry whose values are secrets: never put them in a message.
_SECRET_USER_FIELDS = ("token", "password", "client-key-data", "client-certificate-data")


def _secrets_of(user: dict[str, Any]) -> list[str]:
    out = [str(user[k]) for k in _SECRET_USER_FIELDS if user.get(k)]
    ap = user.get("auth-provider")
    if isinstance(ap, dict) and isinstance(ap.get("config"), dict):
        for k, v in ap["config"].items():
            if isinstance(v, str) and any(s in k for s in ("token", "secret", "key")):
                out.append(v)
    ex = user.get("exec")
    if isinstance(ex, dict):
        for item in ex.get("env") or []:
            if isinstance(item, dict) and item.get("value"):
                out.append(str(item["value"]))
    return [s for s in out if len(s) >= 4]


def _redact(text: str, secrets: list[str]) -> str:
    for s in secrets:
        text = text.replace(s, "<redacted>")
    return text


class _ExecLogFilter(logging.Filter):
    """The official loader logs an exec plugin's failure with the plugin's stderr, which can
    hold credentials; keep the record, drop the output."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.pathname.endswith(("kube_config.py", "exec_provider.py")) and str(record.msg).startswith("exec:"):
            record.msg = "exec: credential plugin failed (its output is withheld by kmon)"
            record.args = ()
        return True


_exec_log_filter = _ExecLogFilter()


def _install_exec_log_filter() -> None:
    root = logging.getLogger()
    if _exec_log_filter not in root.filters:
        root.addFilter(_exec_log_filter)


def api_client_for(context: str | None = None, kubeconfig: KubeConfig | str | os.PathLike[str] | None = None):
    """An official ``kubernetes.client.ApiClient`` for ``context`` (the current context when
    None) of ``kubeconfig`` (a path, a loaded ``KubeConfig``, or None for kubectl's default
    files). TLS is verified unless the cluster says ``insecure-skip-tls-verify``."""
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import new_client_from_config_dict

    cfg = load_kubeconfig(kubeconfig)  # (a loaded KubeConfig is returned as is)
    info = validate_context(cfg, context)
    user = cfg.entries["users"].get(info.user, ({}, ""))[0] if info.user else {}
    ufile = cfg.entries["users"].get(info.user, ({}, info.file))[1] if info.user else info.file
    secrets = _secrets_of(user)
    _install_exec_log_filter()
    configuration = type.__call__(Configuration)  # a fresh one, not the process-wide default
    try:
        client = new_client_from_config_dict(
            config_dict=cfg.merged_dict(info.name),
            context=info.name,
            persist_config=False,
            client_configuration=configuration,
        )
    except ConfigException as e:
        raise KubeconfigError(
            f"cannot load context {info.name!r}: {_redact(str(e), secrets)}", file=ufile or info.file, entry=f"contexts/{info.name}"
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise KubeconfigError(
            f"cannot load context {info.name!r}: {type(e).__name__}: {_redact(str(e), secrets)}",
            file=ufile or info.file,
            entry=f"contexts/{info.name}",
        ) from None
    if user.get("exec") and not configuration.api_key.get("BearerToken") and not configuration.cert_file:
        # the official loader logs exec failures and carries on without credentials
        client.close()
        raise KubeconfigError(
            f"exec plugin {user['exec'].get('command')!r} failed or returned no credentials",
            file=ufile,
            entry=f"users/{info.user}",
        )
    _strip_token(configuration)
    hook = configuration.refresh_api_key_hook
    if hook is not None:
        def refresh(conf: Any, _hook: Any = hook) -> None:
            _hook(conf)
            _strip_token(conf)

        configuration.refresh_api_key_hook = refresh
    client.user_agent = "kmon/0.1 (read-only)"
    enable_keepalive(client)  # dead connections fail within about a minute (see liveness)
    return client


def _strip_token(configuration: Any) -> None:
    # kubectl trims token files; the official loader keeps the trailing newline, which
    # would make an invalid header
    tok = configuration.api_key.get("BearerToken")
    if isinstance(tok, str) and tok != tok.strip():
        configuration.api_key["BearerToken"] = tok.strip()


def close_client(client: Any) -> None:
    """Close ``client``'s pooled connections and the client (its exec-plugin refresh thread
    included); never raises: a client being closed has nothing more to say."""
    try:
        client.rest_client.pool_manager.clear()
    except Exception:
        pass
    try:
        client.close()
    except Exception:
        pass
