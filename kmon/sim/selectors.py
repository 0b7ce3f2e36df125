"""Label and field selectors: parsing (kube-apiserver grammar) and matching.

Label selector requirements, comma-separated: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``,
``k notin (a,b)``, ``k`` (exists), ``!k`` (does not exist), ``k>N`` / ``k<N`` (integer
comparison). Field selectors: ``f=v``, ``f==v``, ``f!=v`` over the field labels a resource
supports (``metadata.name``, ``metadata.namespace`` and the resource's own ones).
Parse errors raise ``SelectorError`` (served as 400 BadRequest).
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

_KEY = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9.]*[A-Za-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VAL = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_KEY_RE = re.compile(rf"^{_KEY}$")
_VAL_RE = re.compile(rf"^{_VAL}$")
_SET_RE = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s*\(([^)]*)\)\s*$")
_OP_RE = re.compile(rf"^\s*({_KEY})\s*(==|!=|=|>|<)\s*(\S*)\s*$")
_EXISTS_RE = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")

Matcher = Callable[[Mapping[str, str]], bool]


class SelectorError(ValueError):
    pass


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unable to parse requirement: unbalanced parentheses in {text!r}")
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth:
        raise SelectorError(f"unable to parse requirement: unbalanced parentheses in {text!r}")
    parts.append("".join(cur))
    return parts


def _check_value(v: str, text: str) -> str:
    if len(v) > 63 or not _VAL_RE.match(v):
        raise SelectorError(
            f"unable to parse requirement: values[0]: Invalid value: {v!r}: a valid label must be an empty string "
            "or consist of alphanumeric characters, '-', '_' or '.'"
        )
    return v


def parse_label_selector(text: str | None) -> Matcher | None:
    """Compile a label selector into ``f(labels) -> bool``; ``None`` for an empty selector."""
    if text is None or not text.strip():
        return None
    reqs: list[Matcher] = []
    for part in _split_top(text):
        if not part.strip():
            raise SelectorError(f"unable to parse requirement: found '', expected: identifier in {text!r}")
        m = _SET_RE.match(part)
        if m:
            key, op, vals = m.group(1), m.group(2), m.group(3)
            values = frozenset(_check_value(v.strip(), text) for v in vals.split(",")) if vals.strip() else frozenset()
            if not values and op == "in":
                raise SelectorError(f"unable to parse requirement: for 'in', 'notin' operators, values set can't be empty")
            if op == "in":
                reqs.append(lambda L, k=key, s=values: L.get(k) in s)
            else:
                reqs.append(lambda L, k=key, s=values: L.get(k) not in s)
            continue
        m = _OP_RE.match(part)
        if m:
            key, op, val = m.group(1), m.group(2), m.group(3)
            if op in (">", "<"):
                try:
                    n = int(val)
                except ValueError:
                    raise SelectorError(f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {val!r}") from None
                reqs.append(_cmp(key, n, op))
                continue
            _check_value(val, text)
            if op == "!=":
                reqs.append(lambda L, k=key, v=val: L.get(k) != v)
            else:
                reqs.append(lambda L, k=key, v=val: L.get(k) == v)
            continue
        m = _EXISTS_RE.match(part)
        if m:
            neg, key = m.group(1), m.group(2)
            if neg:
                reqs.append(lambda L, k=key: k not in L)
            else:
                reqs.append(lambda L, k=key: k in L)
            continue
        raise SelectorError(f"unable to parse requirement: invalid label selector {part.strip()!r} in {text!r}")
    if len(reqs) == 1:
        return reqs[0]
    return lambda L: all(r(L) for r in reqs)


def _cmp(key: str, n: int, op: str) -> Matcher:
    def f(L: Mapping[str, str]) -> bool:
        v = L.get(key)
        if v is None:
            return False
        try:
            x = int(v)
        except ValueError:
            return False
        return x > n if op == ">" else x < n

    return f


def parse_field_selector(text: str | None, allowed: tuple[str, ...] | frozenset[str]) -> Matcher | None:
    """Compile a field selector into ``f(fields) -> bool``; ``None`` for an empty one.
    ``allowed`` are the field labels the resource supports."""
    if text is None or not text.strip():
        return None
    reqs: list[Matcher] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        for op in ("==", "!=", "="):
            i = part.find(op)
            if i > 0:
                key, val = part[:i].strip(), part[i + len(op):].strip()
                break
        else:
            raise SelectorError(f"invalid selector: '{part}'; can't understand '{part}'")
        if key not in allowed:
            raise SelectorError(f'field label not supported: {key}')
        if op == "!=":
            reqs.append(lambda F, k=key, v=val: F.get(k, "") != v)
        else:
            reqs.append(lambda F, k=key, v=val: F.get(k, "") == v)
    if not reqs:
        return None
    if len(reqs) == 1:
        return reqs[0]
    return lambda F: all(r(F) for r in reqs)


def extract_fields(obj: dict, paths: tuple[str, ...]) -> dict[str, str]:
    """Field-label values of an object as strings (booleans as ``true``/``false``)."""
    meta = obj.get("metadata") or {}
    out = {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "") or ""}
    for p in paths:
        cur = obj
        for seg in p.split("."):
            cur = cur.get(seg) if isinstance(cur, dict) else None
            if cur is None:
                break
        if cur is None:
            v = "false" if p in ("spec.unschedulable", "spec.hostNetwork") else ""
        elif isinstance(cur, bool):
            v = "true" if cur else "false"
        else:
            v = str(cur)
        out[p] = v
    return out
