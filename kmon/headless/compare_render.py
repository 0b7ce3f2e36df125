"""``kmon compare``'s text report: the two sides' paths and counts as a table, the
differences by kind with what each means, the first divergence, the differing notifications
in two columns (time order), the caches and the verdict. Plain text, no colour: it is read
in a terminal or pasted into an upgrade ticket."""

from __future__ import annotations

import textwrap
from typing import Any

from kmon.headless.render import truncate
from kmon.monitor.compare_analysis import Comparison, Row
from kmon.monitor.compare_record import ADD, DELETE, UPDATE
from kmon.monitor.compare_text import (
    KIND_TEXT, call_text, caches_text, count_lines, difference_lines, row_causes, side_relists, verdict,
)

__all__ = ["report"]

_LABEL = 16
_SIDE = 44
_KEY = 38
_WRAP = 100
_CALL = 56  # at most, per side column


def _side_table(c: Comparison) -> list[str]:
    a, b = c.a, c.b
    ca, cb = count_lines(c.counts[0]), count_lines(c.counts[1])
    relists = [side_relists(a), side_relists(b)]
    rows = [
        ("", a.label, b.label),
        ("queue", a.queue, b.queue),
        ("initial sync", a.initial_sync, b.initial_sync),
        ("relists", *(f"{len(r)}" + (f" ({'; '.join(dict.fromkeys(r))})" if r else "") for r in relists)),
        (ADD, ca[ADD], cb[ADD]),
        (UPDATE, ca[UPDATE], cb[UPDATE]),
        (DELETE, ca[DELETE], cb[DELETE]),
        ("notifications", str(len(a.calls)), str(len(b.calls))),
        ("objects at cut", str(len(a.cache)), str(len(b.cache))),
    ]
    return [f"  {label:<{_LABEL}}{truncate(x, _SIDE - 2):<{_SIDE}}{y}".rstrip() for label, x, y in rows]


def _cells(r: Row) -> tuple[str, str]:
    ca, cb = row_causes(r)
    return call_text(r.a) + (f" [{ca}]" if ca else ""), call_text(r.b) + (f" [{cb}]" if cb else "")


def _row_line(r: Row, width: int, key_width: int) -> str:
    a, b = _cells(r)
    why = KIND_TEXT.get(r.kind, ("",))[0]
    return (f"  {r.time:>7.2f}  {truncate(r.key, key_width, middle=True):<{key_width}}  {truncate(a, width):<{width}}  "
            f"{truncate(b, width):<{width}}  {why}").rstrip()


def report(c: Comparison, *, limit: int = 40, resource: str = "", context: str = "", seconds: float = 0.0,
           **_extra: Any) -> list[str]:
    """The report's lines (see the module doc)."""
    out = [f"kmon compare {resource} on {context}: client-go {c.a.label} vs {c.b.label}, "
           f"{seconds:.1f} s side by side", ""]
    out += _side_table(c)
    out.append("")
    diffs = difference_lines(c)
    if diffs:
        out.append("Differences:")
        for n, title, text in diffs:
            out += textwrap.wrap(f"{title}: {text}", _WRAP, initial_indent=f"  {n:>5}  ", subsequent_indent=" " * 9)
    else:
        out.append("Differences: none: the handlers heard the same calls in the same order.")
    if c.first_divergence is not None:
        r = c.first_divergence
        ca, cb = row_causes(r)
        out += ["", f"First divergence at +{r.time:.2f} s, {r.key} ({KIND_TEXT[r.kind][0]}):",
                f"  {c.a.label}: {call_text(r.a)}" + (f" [{ca}]" if ca else ""),
                f"  {c.b.label}: {call_text(r.b)}" + (f" [{cb}]" if cb else "")]
    rows = [r for r in c.rows if r.kind != "same"]
    if rows and limit:
        shown = rows[:limit]
        width = min(_CALL, max(len(x) for r in shown for x in (*_cells(r), c.a.label, c.b.label)))
        key_width = min(_KEY, max(len(r.key) for r in shown))
        more = len(rows) - len(shown)
        out += ["", f"Notifications that differ ({len(shown)} of {len(rows)}" + (
            "; -o json or --limit for all)" if more else ")") + ":",
            f"  {'+S':>7}  {'OBJECT':<{key_width}}  {c.a.label:<{width}}  {c.b.label:<{width}}  WHY"]
        out += [_row_line(r, width, key_width) for r in shown]
    out += ["", "Caches: " + caches_text(c)]
    for note in c.notes:
        out.append(f"Note: {note}")
    out += ["", "Verdict: " + verdict(c)]
    return out
