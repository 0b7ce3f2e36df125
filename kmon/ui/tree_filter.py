"""What the filter box means, and the proxy that sorts the tree.

Why this module exists: the filter box accepts what an operator types into kubectl —
``web`` (name substring), ``app=web,tier!=db``, ``!canary``, ``env in (prod,stage)``.
Parsing and matching are plain functions (``parse_filter``, ``ObjectFilter.matches``) used by
the workspace's filtered tree (``Workspace.set_filter``), which costs O(changes) per batch.
(Sorting happens inside the tree: ``ObjectTreeModel.sort``.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field



__all__ = ["LabelSelector", "ObjectFilter", "parse_filter", "parse_selector"]

_SET_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")


@dataclass
class LabelSelector:
    """A parsed label selector: list of (key, op, values); op in =, !=, in, notin, exists,
    !exists."""

    reqs: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        for key, op, values in self.reqs:
            has = key in labels
            v = labels.get(key)
            if op in ("=", "in"):
                if not has or v not in values:
                    return False
            elif op in ("!=", "notin"):
                if has and v in values:
                    return False
            elif op == "exists":
                if not has:
                    return False
            elif op == "!exists":
                if has:
                    return False
        return True

    def __bool__(self) -> bool:
        return bool(self.reqs)


def _split_selector(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def parse_selector(text: str) -> LabelSelector:
    """kubectl's label selector syntax. Raises ValueError on what it cannot parse."""
    sel = LabelSelector()
    for part in _split_selector(text):
        m = _SET_RE.match(part)
        if m:
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            sel.reqs.append((m.group(1), m.group(2), values))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            sel.reqs.append((k.strip(), "!=", frozenset([v.strip()])))
        elif "==" in part:
            k, v = part.split("==", 1)
            sel.reqs.append((k.strip(), "=", frozenset([v.strip()])))
        elif "=" in part:
            k, v = part.split("=", 1)
            sel.reqs.append((k.strip(), "=", frozenset([v.strip()])))
        elif part.startswith("!"):
            sel.reqs.append((part[1:].strip(), "!exists", frozenset()))
        elif re.fullmatch(r"[A-Za-z0-9_./-]+", part):
            sel.reqs.append((part, "exists", frozenset()))
        else:
            raise ValueError(f"cannot parse label selector part {part!r}")
    return sel


@dataclass
class ObjectFilter:
    """What the filter box asks for: name substrings (all must match, case-insensitive,
    against the object's name or "namespace/name") and a label selector."""

    names: list[str] = field(default_factory=list)
    selector: LabelSelector = field(default_factory=LabelSelector)

    def __bool__(self) -> bool:
        return bool(self.names or self.selector)

    def matches(self, key: str, obj) -> bool:
        k = key.lower()
        for n in self.names:
            if n not in k:
                return False
        if self.selector:
            try:
                labels = obj["metadata"].get("labels")
            except (TypeError, KeyError, AttributeError):
                labels = None
            return self.selector.matches(labels)
        return True


def parse_filter(text: str) -> ObjectFilter:
    """Words with ``=``, ``!``, `` in (`` are label selector requirements; other words are
    name substrings. ``app=web,tier!=db  api`` filters objects labelled app=web and not
    tier=db whose name contains "api"."""
    text = text.strip()
    f = ObjectFilter()
    if not text:
        return f
    # set-based requirements contain spaces: take them out first
    sel_parts: list[str] = []
    for m in list(re.finditer(r"[A-Za-z0-9_./-]+\s+(?:in|notin)\s*\([^)]*\)", text)):
        sel_parts.append(m.group(0))
    for p in sel_parts:
        text = text.replace(p, " ")
    for word in text.split():
        if "=" in word or word.startswith("!") or "(" in word:
            sel_parts.append(word)
        else:
            f.names.append(word.lower())
    if sel_parts:
        f.selector = parse_selector(",".join(p.strip(",") for p in sel_parts))
    return f
