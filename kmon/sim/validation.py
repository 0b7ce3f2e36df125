"""Validation of a write, as kube-apiserver answers it: 422 ``Invalid`` whose message is
``<Kind> "<name>" is invalid: <field>: <error>`` (several errors: ``[e1, e2]``) and whose
``details.causes`` list each error (``reason`` FieldValueRequired / FieldValueInvalid /
FieldValueNotSupported / FieldValueDuplicate / FieldValueForbidden, ``message``, ``field``).

Checked: object names (RFC 1123 subdomain, or label / RFC 1035 label where the type
requires), label keys and values, annotation keys; pods (containers present, named, with
an image, unique names; restart, DNS and pull policies) and their immutable spec on update;
workloads' selectors (required, matching the template's labels, immutable); ConfigMap and
Secret keys and ``immutable``; a Secret's type on update.
"""

from __future__ import annotations

import re

import orjson

from kmon.sim.catalog import Resource
from kmon.sim.errors import StoreError

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def _regex_msg(what: str, regex: str, examples: tuple[str, ...]) -> str:
    # apimachinery's RegexError wording, quirks included (",  or " between examples)
    return f"{what} (e.g. " + ",  or ".join(f"'{e}'" for e in examples) + f", regex used for validation is '{regex}')"


SUBDOMAIN_MSG = _regex_msg("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                           "'.', and must start and end with an alphanumeric character",
                           r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", ("example.com",))
LABEL_1123_MSG = _regex_msg("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                            "and must start and end with an alphanumeric character",
                            "[a-z0-9]([-a-z0-9]*[a-z0-9])?", ("my-name", "123-abc"))
LABEL_1035_MSG = _regex_msg("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                            "an alphabetic character, and end with an alphanumeric character",
                            "[a-z]([-a-z0-9]*[a-z0-9])?", ("my-name", "abc-123"))
QUALIFIED_MSG = _regex_msg("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                           "end with an alphanumeric character", "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]",
                           ("MyName", "my.name", "123-abc"))
LABEL_VALUE_MSG = _regex_msg("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                             "or '.', and must start and end with an alphanumeric character",
                             "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", ("MyValue", "my_value", "12345"))
CONFIG_KEY_MSG = _regex_msg("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                            "[-._a-zA-Z0-9]+", ("key.name", "KEY_NAME", "key-name"))
POD_UPDATE_MSG = ("pod updates may not change fields other than `spec.containers[*].image`,"
                  "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                  "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                  "previously negative)")

# names: RFC 1123 label for these, RFC 1035 label for services, RFC 1123 subdomain otherwise
_LABEL_NAMED = frozenset({"namespaces", "serviceaccounts"})
_WORKLOADS = frozenset({"deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps"})


def _go(value) -> str:
    """A value as Go's %#v prints it in field errors (strings quoted, maps as map[...])."""
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        inner = ", ".join(f"{orjson.dumps(k).decode()}:{orjson.dumps(v).decode()}" for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    if value is None:
        return "null"
    return orjson.dumps(value).decode()


class Errors:
    """Collected field errors of one object."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []  # (reason, field, message)

    def required(self, field: str, detail: str = "") -> None:
        self.items.append(("FieldValueRequired", field, "Required value" + (f": {detail}" if detail else "")))

    def invalid(self, field: str, value, detail: str) -> None:
        self.items.append(("FieldValueInvalid", field, f"Invalid value: {_go(value)}: {detail}"))

    def not_supported(self, field: str, value, supported: tuple[str, ...]) -> None:
        self.items.append(("FieldValueNotSupported", field, f"Unsupported value: {_go(value)}: supported values: "
                           + ", ".join(f'"{s}"' for s in supported)))

    def duplicate(self, field: str, value) -> None:
        self.items.append(("FieldValueDuplicate", field, f"Duplicate value: {_go(value)}"))

    def forbidden(self, field: str, detail: str) -> None:
        self.items.append(("FieldValueForbidden", field, f"Forbidden: {detail}"))

    def raise_for(self, res: Resource, name: str) -> None:
        if not self.items:
            return
        texts = [f"{f}: {m}" for _, f, m in self.items]
        body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        raise StoreError(422, "Invalid", f'{res.kind} "{name}" is invalid: {body}',
                         details={"name": name, "group": res.group, "kind": res.kind},
                         causes=[{"reason": r, "message": m, "field": f} for r, f, m in self.items])


def _name(errs: Errors, res: Resource, meta: dict) -> None:
    name = meta.get("name") or ""
    if not name:
        if not meta.get("generateName"):
            errs.required("metadata.name", "name or generateName is required")
        return
    if res.key in _LABEL_NAMED or res.key == "services":
        pattern, msg, limit = ((_LABEL_1035, LABEL_1035_MSG, 63) if res.key == "services"
                               else (_LABEL_1123, LABEL_1123_MSG, 63))
    else:
        pattern, msg, limit = _SUBDOMAIN, SUBDOMAIN_MSG, 253
    if len(name) > limit:
        errs.invalid("metadata.name", name, f"must be no more than {limit} characters")
    if not pattern.match(name):
        errs.invalid("metadata.name", name, msg)


def _qualified_key(errs: Errors, field: str, key: str) -> None:
    prefix, _, part = key.rpartition("/") if "/" in key else ("", "", key)
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        errs.invalid(field, key, "prefix part " + SUBDOMAIN_MSG)
    if not part:
        errs.required(field, "name part must be non-empty")  # apimachinery wording differs slightly
    elif len(part) > 63:
        errs.invalid(field, key, "name part must be no more than 63 characters")
    elif not _QUALIFIED.match(part):
        errs.invalid(field, key, QUALIFIED_MSG)


def _labels(errs: Errors, field: str, labels) -> None:
    if not isinstance(labels, dict):
        return
    for k, v in labels.items():
        _qualified_key(errs, field, str(k))
        v = "" if v is None else str(v)
        if len(v) > 63:
            errs.invalid(field, v, "must be no more than 63 characters")
        if not _LABEL_VALUE.match(v):
            errs.invalid(field, v, LABEL_VALUE_MSG)


def _metadata(errs: Errors, res: Resource, meta: dict) -> None:
    _name(errs, res, meta)
    _labels(errs, "metadata.labels", meta.get("labels"))
    for k in meta.get("annotations") or {}:
        _qualified_key(errs, "metadata.annotations", str(k))


def _containers(errs: Errors, spec: dict, path: str) -> None:
    containers = spec.get("containers")
    if not containers:
        errs.required(f"{path}.containers")
    seen: set[str] = set()
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(kind) or ()):
            f = f"{path}.{kind}[{i}]"
            if not isinstance(c, dict):
                errs.invalid(f, c, "must be an object")
                continue
            name = c.get("name") or ""
            if not name:
                errs.required(f + ".name")
            elif not _LABEL_1123.match(name) or len(name) > 63:
                errs.invalid(f + ".name", name, LABEL_1123_MSG)
            elif name in seen:
                errs.duplicate(f + ".name", name)
            seen.add(name)
            if not c.get("image"):
                errs.required(f + ".image")
            pp = c.get("imagePullPolicy")
            if pp and pp not in ("Always", "IfNotPresent", "Never"):
                errs.not_supported(f + ".imagePullPolicy", pp, ("Always", "IfNotPresent", "Never"))
    rp = spec.get("restartPolicy")
    if rp and rp not in ("Always", "OnFailure", "Never"):
        errs.not_supported(f"{path}.restartPolicy", rp, ("Always", "Never", "OnFailure"))
    dp = spec.get("dnsPolicy")
    if dp and dp not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        errs.not_supported(f"{path}.dnsPolicy", dp, ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"))


def _pod_update(errs: Errors, new: dict, old: dict) -> None:
    """Only images, activeDeadlineSeconds, added tolerations and the grace period may change."""
    ns, os_ = new.get("spec") or {}, old.get("spec") or {}
    probe = orjson.loads(orjson.dumps(ns))
    for kind in ("containers", "initContainers"):
        olds = os_.get(kind) or []
        for i, c in enumerate(probe.get(kind) or ()):
            if isinstance(c, dict) and i < len(olds) and isinstance(olds[i], dict):
                c["image"] = olds[i].get("image")
    for k in ("activeDeadlineSeconds", "terminationGracePeriodSeconds"):
        if k in os_:
            probe[k] = os_[k]
        else:
            probe.pop(k, None)
    old_tol = os_.get("tolerations") or []
    if (probe.get("tolerations") or [])[:len(old_tol)] == old_tol:
        probe["tolerations"] = old_tol
        if not old_tol:
            probe.pop("tolerations", None)
    if probe != os_:
        changed = sorted(k for k in set(probe) | set(os_) if probe.get(k) != os_.get(k))
        diff = "\n".join(f"  {k}: {_go(os_.get(k))} -> {_go(probe.get(k))}" for k in changed)
        errs.forbidden("spec", POD_UPDATE_MSG + "\n" + diff)


def _selector_matches(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or ():
        op, key, values = e.get("operator"), e.get("key"), e.get("values") or []
        if ((op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values)
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels)):
            return False
    return True


def _workload(errs: Errors, res: Resource, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    sel = spec.get("selector")
    tmpl = spec.get("template") or {}
    labels = (tmpl.get("metadata") or {}).get("labels") or {}
    if not sel:
        errs.required("spec.selector")
    elif isinstance(sel, dict):
        if not sel.get("matchLabels") and not sel.get("matchExpressions"):
            errs.invalid("spec.selector", sel, f"empty selector is invalid for {res.singular}")
        elif not _selector_matches(sel, labels):
            errs.invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`")
        if old is not None and (old.get("spec") or {}).get("selector") != sel:
            errs.invalid("spec.selector", sel, "field is immutable")
    _labels(errs, "spec.template.metadata.labels", labels)
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        errs.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    _containers(errs, tmpl.get("spec") or {}, "spec.template.spec")


def _keyed_data(errs: Errors, obj: dict, old: dict | None) -> None:
    for field in ("data", "binaryData"):
        for k in obj.get(field) or {}:
            if len(k) > 253:
                errs.invalid(f"{field}[{k}]", k, "must be no more than 253 characters")
            elif not _CONFIG_KEY.match(k):
                errs.invalid(f"{field}[{k}]", k, CONFIG_KEY_MSG)
    if old is not None and old.get("immutable"):
        for field in ("data", "binaryData"):
            if (obj.get(field) or {}) != (old.get(field) or {}):
                errs.forbidden(field, "field is immutable when `immutable` is set")
        if not obj.get("immutable"):
            errs.forbidden("immutable", "field is immutable when `immutable` is set")


def validate(res: Resource, obj: dict, old: dict | None) -> None:
    """Raise 422 Invalid when ``obj`` (``old``: the stored object, None on create) is not
    a valid object of its type."""
    errs = Errors()
    meta = obj.get("metadata") or {}
    _metadata(errs, res, meta)
    key = res.key
    if key == "pods":
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            errs.required("spec.containers")
        else:
            _containers(errs, spec, "spec")
            if old is not None:
                _pod_update(errs, obj, old)
    elif key in _WORKLOADS:
        _workload(errs, res, obj, old)
    elif key in ("configmaps", "secrets"):
        _keyed_data(errs, obj, old)
        if key == "secrets" and old is not None and obj.get("type") != old.get("type"):
            errs.invalid("type", obj.get("type"), "field is immutable")
    errs.raise_for(res, meta.get("name") or "")
