"""Label and field selectors as kube-apiserver parses them (apimachinery's ``labels.Parse``
and ``fields.ParseSelector``), with the same error messages.

Why this module exists: a selector the server cannot parse is answered with 400 BadRequest on
every request, so kmon checks the user's ``-l``/``--field-selector`` before it connects and
says what is wrong in the server's words (kubectl relays them). It is Qt-free and depends on
nothing else in kmon: it is kmon's one selector parser — the session's preflight, the
GUI's filter box (``kmon.monitor.object_filter``) and the sim's lists and watches use it, so
kmon answers as the server does.

Parse once, match often: ``parse_label_selector(text)`` -> a frozen ``LabelSelector``
(``requirements``, ``empty``, ``matches(labels)`` on a labels dict);
``parse_field_selector(text)`` -> a ``FieldSelector`` (``terms``, each naming its ``field``,
``matches(fields)``). Both raise ``SelectorError`` (a ``ValueError``) with the server's
message. Which field labels a resource supports is the server's knowledge: an unsupported
one still answers 400 on list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

__all__ = [
    "FieldSelector",
    "FieldTerm",
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "parse_field_selector",
    "parse_label_selector",
    "selector_problems",
]


class SelectorError(ValueError):
    """A selector the API server would reject; ``str()`` is the server's message."""


# -- validation of keys and values (apimachinery util/validation) -------------------------------
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile(f"^{_QNAME_FMT}$")
_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
              "alphanumeric character")
_LABEL_VALUE_FMT = f"({_QNAME_FMT})?"
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                    "'.', and must start and end with an alphanumeric character")
_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = f"{_DNS1123_LABEL}(\\.{_DNS1123_LABEL})*"
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                          "'-' or '.', and must start and end with an alphanumeric character")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    eg = "".join(("" if i == 0 else " or ") + f"'{e}', " for i, e in enumerate(examples))
    return f"{msg} (e.g. {eg}regex used for validation is '{fmt}')"


def _qualified_name_errors(value: str) -> list[str]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return [f"a qualified name {_regex_error(_QNAME_MSG, _QNAME_FMT, 'MyName', 'my.name', '123-abc')} "
                "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not _DNS1123_SUBDOMAIN_RE.match(prefix):
                errs.append("prefix part " + _regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _QNAME_RE.match(name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def _invalid(path: str, value: str, detail: str) -> str:
    """A ``field.Invalid`` error's text (a string value is Go-quoted)."""
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{path}: Invalid value: {quoted}: {detail}"


def _key_error(key: str, path: str) -> str | None:
    errs = _qualified_name_errors(key)
    return _invalid(path, key, "; ".join(errs)) if errs else None


def _value_error(key: str, value: str, index: int) -> str | None:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE_RE.match(value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return _invalid(f"values[{index}][{key}]", value, "; ".join(errs)) if errs else None


# -- label selectors ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Requirement:
    """``key operator values`` (operator: in, notin, =, ==, !=, exists, !, gt, lt)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op, has = self.operator, self.key in labels
        if op in ("in", "=", "=="):
            return has and labels[self.key] in self.values
        if op in ("notin", "!="):
            return not has or labels[self.key] not in self.values
        if op == "exists":
            return has
        if op == "!":
            return not has
        if not has:  # gt, lt
            return False
        try:
            got, want = int(labels[self.key]), int(self.values[0])
        except ValueError:
            return False
        return got > want if op == "gt" else got < want


@dataclass(frozen=True, slots=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


# tokens (the lexer's ScannedItem kinds)
_ID, _END, _ERR = "identifier", "end", "error"
_SYMBOLS = {")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", "<": "<", "!=": "!=", "(": "("}
_KEYWORDS = {"in", "notin"}
_SPECIAL = set("=!(),><")
_SPACE = set(" \t\r\n")
_BINARY = "in, notin, =, ==, !=, gt, lt"


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            out.append((_END, ""))
            return out
        if text[i] in _SPECIAL:
            buf, last = "", None
            while i < n and text[i] in _SPECIAL:
                buf += text[i]
                if buf in _SYMBOLS:
                    last = buf
                    i += 1
                elif last is not None:
                    break
                else:
                    i += 1
            out.append((last, last) if last is not None else (_ERR, f"error expected: keyword found '{buf}'"))
            continue
        j = i
        while j < n and text[j] not in _SPECIAL and text[j] not in _SPACE:
            j += 1
        word = text[i:j]
        out.append((word, word) if word in _KEYWORDS else (_ID, word))
        i = j


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def _tok(self, i: int, values: bool) -> tuple[str, str]:
        tok, lit = self.items[i]
        if values and tok in _KEYWORDS:  # "in"/"notin" are plain values after an operator
            tok = _ID
        return tok, lit

    def peek(self, values: bool = True) -> tuple[str, str]:
        return self._tok(self.pos, values)

    def take(self, values: bool = True) -> tuple[str, str]:
        self.pos += 1
        return self._tok(self.pos - 1, values)

    def parse(self) -> tuple[Requirement, ...]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.peek()
            if tok == _END:
                return tuple(sorted(reqs, key=lambda r: r.key))
            if tok not in (_ID, "!"):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except SelectorError as e:
                raise SelectorError(f"unable to parse requirement: {e}") from None
            tok, lit = self.take()
            if tok == _END:
                return tuple(sorted(reqs, key=lambda r: r.key))
            if tok != ",":
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.peek()
            if tok not in (_ID, "!"):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        operator = ""
        tok, lit = self.take()
        if tok == "!":
            operator = "!"
            tok, lit = self.take()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        err = _key_error(lit, "<nil>")
        if err:
            raise SelectorError(err)
        key = lit
        if operator == "!" or self.peek()[0] in (_END, ","):
            return Requirement(key, operator or "exists")
        tok, lit = self.take(values=False)
        ops = {"in": "in", "notin": "notin", "=": "=", "==": "==", "!=": "!=", ">": "gt", "<": "lt"}
        if tok not in ops:
            raise SelectorError(f"found '{lit}', expected: {_BINARY}")
        operator = ops[tok]
        values = self.value_set() if operator in ("in", "notin") else self.exact_value()
        return _checked(key, operator, sorted(values))

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == ")":
            self.take()
            return {""}
        if tok not in (_ID, ","):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        out: set[str] = set()
        while True:
            tok, lit = self.take()
            if tok == _ID:
                out.add(lit)
                tok2, lit2 = self.peek()
                if tok2 == ")":
                    self.take()
                    return out
                if tok2 != ",":
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == ",":
                if not out:
                    out.add("")  # "(,"
                tok2, _ = self.peek()
                if tok2 == ")":
                    out.add("")  # ",)"
                    self.take()
                    return out
                if tok2 == ",":
                    self.take()
                    out.add("")  # ",,"
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.peek()
        if tok in (_END, ","):
            return {""}
        tok, lit = self.take()
        if tok == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def _checked(key: str, operator: str, values: list[str]) -> Requirement:
    """``labels.NewRequirement``'s checks of the values (the key was checked already)."""
    errs: list[str] = []
    if operator in ("gt", "lt"):
        for i, v in enumerate(values):
            if not re.fullmatch(r"[+-]?[0-9]+", v) or not -(2**63) <= int(v) < 2**63:
                errs.append(_invalid(f"values[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer"))
    errs.extend(e for i, v in enumerate(values) if (e := _value_error(key, v, i)))
    if errs:
        raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return Requirement(key, operator, tuple(values))


def parse_label_selector(text: str | None) -> LabelSelector:
    """``text`` as kube-apiserver parses ``labelSelector`` (empty: everything)."""
    return LabelSelector(_LabelParser(text or "").parse())


# -- field selectors ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FieldTerm:
    """``field=value`` / ``field==value`` (``equal``) or ``field!=value``."""

    field: str
    value: str
    equal: bool = True

    def matches(self, fields: Mapping[str, str]) -> bool:
        return (fields.get(self.field, "") == self.value) is self.equal


@dataclass(frozen=True, slots=True)
class FieldSelector:
    terms: tuple[FieldTerm, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(t.matches(fields) for t in self.terms)

    @property
    def empty(self) -> bool:
        return not self.terms


def _split_terms(text: str) -> list[str]:
    """Comma-separated terms; a backslash-escaped comma is data."""
    terms, start, escaped = [], 0, False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _unescape(value: str) -> str:
    out, escaped = [], False
    for c in value:
        if escaped:
            if c not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {c!r}")
        else:
            out.append(c)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def parse_field_selector(text: str | None) -> FieldSelector:
    """``text`` as kube-apiserver parses ``fieldSelector`` (empty: everything)."""
    terms: list[FieldTerm] = []
    for part in sorted(_split_terms(text)) if text else []:
        if not part:
            continue
        for i in range(len(part)):
            op = next((o for o in ("!=", "==", "=") if part.startswith(o, i)), None)
            if op is not None:
                terms.append(FieldTerm(part[:i], _unescape(part[i + len(op):]), op != "!="))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
    return FieldSelector(tuple(terms))


def selector_problems(label_selector: str | None, field_selector: str | None) -> list[str]:
    """What the API server would reject in these selectors, one message each (empty: fine)."""
    out: list[str] = []
    for what, text, parse in (("label", label_selector, parse_label_selector),
                              ("field", field_selector, parse_field_selector)):
        try:
            parse(text)
        except SelectorError as e:
            out.append(f"invalid {what} selector {text!r}: {e}")
    return out
