"""Which objects a request selects: its label and field selectors, as matchers.

Why this module exists: lists, watches and deletecollection all filter by ``labelSelector``
and ``fieldSelector``. The grammar is ``kmon.selectors``' (the one parser, kube-apiserver's
``labels.Parse`` and ``fields.ParseSelector`` with their messages); what a selector may name
is the server's knowledge and lives here: the field labels a resource supports
(``metadata.name``, ``metadata.namespace`` and the resource's own ones; another one is
``field label not supported``, as the apiserver's field label conversion answers) and each
object's field-label values (``extract_fields``, computed once per stored version).

``matchers`` compiles both selectors to ``f(labels)`` / ``f(fields)`` (None for an empty
selector: everything matches); ``request_matchers`` does it for a request's query and
answers 400 BadRequest with the parser's message.
"""

from __future__ import annotations

from typing import Callable, Mapping

from kmon.selectors import FieldSelector, FieldTerm, SelectorError, parse_field_selector, parse_label_selector
from kmon.sim.catalog import Resource
from kmon.sim.errors import StoreError

__all__ = ["Matcher", "extract_fields", "matchers", "request_matchers"]

Matcher = Callable[[Mapping[str, str]], bool]
_META_FIELDS = ("metadata.name", "metadata.namespace")
_FALSE_WHEN_UNSET = ("spec.unschedulable", "spec.hostNetwork")


def matchers(res: Resource, label_selector: str | None, field_selector: str | None,
             name: str | None = None) -> tuple[Matcher | None, Matcher | None]:
    """``(label matcher, field matcher)`` of these selectors on ``res``; None for an empty one.
    ``name``: a watch on one object (its path names it): the field selector also requires
    ``metadata.name=name``, as the apiserver adds it after parsing. ``SelectorError``: a
    selector the apiserver rejects, or a field label ``res`` does not support."""
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector)
    supported = _META_FIELDS + res.fields
    for term in fields.terms:
        if term.field not in supported:
            raise SelectorError(f"field label not supported: {term.field}")
    if name is not None:
        fields = FieldSelector((FieldTerm("metadata.name", name), *fields.terms))
    return _matcher(labels.requirements, labels.matches), _matcher(fields.terms, fields.matches)


def _matcher(terms: tuple, matches_all: Matcher) -> Matcher | None:
    """None for no terms; one term's own ``matches`` (lists test it per object: no ``all()``
    over a generator each time); else the selector's."""
    if not terms:
        return None
    return terms[0].matches if len(terms) == 1 else matches_all


def request_matchers(res: Resource, q: Mapping[str, str],
                     name: str | None = None) -> tuple[Matcher | None, Matcher | None]:
    """``matchers`` of a request's ``labelSelector`` and ``fieldSelector`` (400 BadRequest on
    a bad selector)."""
    try:
        return matchers(res, q.get("labelSelector"), q.get("fieldSelector"), name)
    except SelectorError as exc:
        raise StoreError(400, "BadRequest", str(exc)) from None


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
            v = "false" if p in _FALSE_WHEN_UNSET else ""
        elif isinstance(cur, bool):
            v = "true" if cur else "false"
        else:
            v = str(cur)
        out[p] = v
    return out
