"""Keeping credentials out of what kmon shows and writes.

Why this module exists: the cache holds Secrets verbatim and error messages can quote
request headers or kubeconfig fields. Every view and every export goes through
``mask_secret`` (objects) or ``redact_text`` (free text), so there is one place that decides
what a secret looks like.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kmon.cache.raw_object import RawObject

__all__ = ["MASK", "LAST_APPLIED", "is_secret", "is_secret_resource", "mask_secret", "redact_text"]

MASK = "••••••"
# kubectl apply copies the whole object, data included, into this annotation.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SECRET_FIELDS = ("data", "stringData")


def is_secret_resource(resource: str | None) -> bool:
    """True for the core Secret resource as kmon names it ("secrets", "secrets.v1")."""
    return resource in ("secrets", "secrets.v1", "secret")


def is_secret(obj: Any, resource: str | None = None) -> bool:
    """True for a core/v1 Secret. Objects that do not say their kind (list items) or only
    carry metadata (``PartialObjectMetadata`` in metadata-only mode) count as Secrets when
    ``resource`` says they come from "secrets"."""
    if not isinstance(obj, Mapping):
        return False
    kind = obj.get("kind")
    if kind == "Secret":
        return obj.get("apiVersion") in (None, "", "v1")
    return is_secret_resource(resource) and kind in (None, "", "PartialObjectMetadata")


def _mask_values(values: Any) -> Any:
    if isinstance(values, Mapping):
        return {k: MASK for k in values}
    return MASK if values is not None else None


def _mask_one(obj: Mapping[str, Any]) -> dict[str, Any]:
    # a cached RawObject: its decoded body (every value a plain or frozen dict, never a view)
    out = dict(obj.body() if obj.__class__ is RawObject else obj)  # type: ignore[attr-defined]
    for f in _SECRET_FIELDS:
        if f in out:
            out[f] = _mask_values(out[f])
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        ann = meta.get("annotations")
        if isinstance(ann, dict) and LAST_APPLIED in ann:
            out["metadata"] = {**meta, "annotations": {**ann, LAST_APPLIED: MASK}}
    return out


def mask_secret(obj: Any, resource: str | None = None) -> Any:
    """``obj`` with every Secret value replaced by ``MASK``; the input is never modified.

    Masks a Secret's ``data`` and ``stringData`` values (keys stay visible) and its
    last-applied-configuration annotation; in a ``SecretList`` (whose items carry no kind) or
    a ``List`` every Secret item. A ``DeletedFinalStateUnknown``-like wrapper (attributes
    ``key`` and ``obj``) is rebuilt around the masked object. Anything with nothing to mask is
    returned as it is, not copied; copies share the unmasked parts with the input, so treat
    the result as read-only, like everything that comes from the cache.

    A cached ``RawObject`` (read-only, kept as its wire bytes) is masked like a dict: the
    result is a plain dict built from its decoded body; a RawObject that is not a Secret is
    returned without decoding anything.

    Pass ``resource`` (e.g. "secrets") when the object may not say its kind: metadata-only
    Secrets (``PartialObjectMetadata``) still carry the last-applied annotation.
    """
    if isinstance(obj, Mapping):
        kind = obj.get("kind")
        if is_secret(obj, resource):
            return _mask_one(obj)
        if not (isinstance(kind, str) and kind.endswith("List")):
            return obj  # (a cached object's kind is read without decoding it)
        items = obj.get("items")
        if isinstance(items, list):
            all_secrets = kind == "SecretList"
            new_items = [
                _mask_one(it) if isinstance(it, Mapping) and (all_secrets or is_secret(it)) else it for it in items
            ]
            if any(a is not b for a, b in zip(new_items, items)):
                return {**obj, "items": new_items}
        return obj
    inner = getattr(obj, "obj", None)
    if inner is not None and hasattr(obj, "key"):
        masked = mask_secret(inner, resource)
        if masked is not inner:
            try:
                return type(obj)(obj.key, masked)
            except TypeError:
                return masked
    return obj


# (pattern, replacement) pairs, applied in order. Each keeps the label and hides the value.
_REDACTIONS: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys
    (
        re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(-----END \1PRIVATE KEY-----|$)", re.S),
        "-----BEGIN \\1PRIVATE KEY-----" + MASK + "-----END \\1PRIVATE KEY-----",
    ),
    # Authorization headers and bare schemes: "Bearer xyz", "Basic abc="
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20)[A-Za-z0-9\-._~+/=:%]+"), "\\1\\2" + MASK),
    # key=value / key: value / "key": "value" for credential-like keys. Never "secrets": that
    # is the resource, and "secrets: watching" or "secrets: 403 Forbidden" is a status.
    (
        re.compile(
            r"""(?ix)
            (["']?
             (?:[a-z0-9_\-]*?(?:token|password|passwd|api[_-]?key|apikey|credential)s?
              |[a-z0-9_\-]*?secret(?:[_-]?access)?(?:[_-]?key)?
              |client[_-]key[_-]data|client[_-]certificate[_-]data|authorization)
             ["']?\s*[:=]\s*["']?)
            (?!\s)(?!••)(?!(?i:bearer|basic)\s)([^\s"',;&}\]]+)
            """
        ),
        "\\1" + MASK,
    ),
    # credentials in URLs: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+@"), "\\1" + MASK + "@"),
    # JSON Web Tokens (service account tokens, OIDC id-tokens) wherever they appear
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"), MASK),
]


def redact_text(text: str) -> str:
    """``text`` with bearer/basic credentials, token/password-like ``key=value`` pairs,
    passwords in URLs, JWTs and PEM private keys replaced by ``MASK``."""
    if not text:
        return text
    for pattern, repl in _REDACTIONS:
        text = pattern.sub(repl, text)
    return text
