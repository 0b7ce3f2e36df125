"""What the tree's filter box means: name substrings and a label selector.

Why this module exists: the filter box accepts what an operator types into kubectl —
``web`` (name substring), ``app=web,tier!=db``, ``!canary``, ``env in (prod,stage)`` — and
the GUI must not have a selector grammar of its own: the label selector parts are parsed by
``kmon.selectors`` (kube-apiserver's grammar, its messages), once per change of the filter.
``ObjectFilter.matches(key, obj)`` is what the filtered tree asks of every delta
(``ObjectTree.apply(items, match)``), so it stays a few comparisons. No Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kmon.selectors import LabelSelector, SelectorError, parse_label_selector

__all__ = ["ObjectFilter", "parse_filter"]

# a set-based requirement holds spaces ("env in (prod, stage)"): taken out before the words
_SET_BASED = re.compile(r"[A-Za-z0-9_./-]+\s+(?:in|notin)\s*\([^)]*\)")


@dataclass
class ObjectFilter:
    """What the filter box asks for: name substrings (all must match, case-insensitive,
    against the object's name or "namespace/name") and a label selector."""

    names: list[str] = field(default_factory=list)
    selector: LabelSelector = field(default_factory=LabelSelector)

    def __bool__(self) -> bool:
        return bool(self.names) or not self.selector.empty

    def matches(self, key: str, obj: Any) -> bool:
        k = key.lower()
        for n in self.names:
            if n not in k:
                return False
        if self.selector.requirements:
            try:
                labels = obj["metadata"].get("labels")
            except (TypeError, KeyError, AttributeError):
                labels = None
            return self.selector.matches(labels if isinstance(labels, dict) else {})
        return True


def parse_filter(text: str) -> ObjectFilter:
    """Words with ``=``, ``!``, `` in (`` are label selector requirements; other words are
    name substrings. ``app=web,tier!=db  api`` filters objects labelled app=web and not
    tier=db whose name contains "api". Raises ``SelectorError`` (a ``ValueError``) naming
    the part that does not parse and why, in the API server's words."""
    text = text.strip()
    f = ObjectFilter()
    if not text:
        return f
    sel_parts: list[str] = [m.group(0) for m in _SET_BASED.finditer(text)]
    for p in sel_parts:
        text = text.replace(p, " ")
    for word in text.split():
        if "=" in word or word.startswith("!") or "(" in word:
            sel_parts.append(word)
        else:
            f.names.append(word.lower())
    if sel_parts:
        parts = [p.strip().strip(",") for p in sel_parts]
        for part in parts:  # one at a time first, so the message names the culprit
            try:
                parse_label_selector(part)
            except SelectorError as e:
                raise SelectorError(f"cannot parse label selector part {part!r}: {e}") from None
        f.selector = parse_label_selector(",".join(parts))
    return f
