"""The words of a comparison, shared by ``kmon compare`` and the GUI's Compare window: what
each kind of difference means to a controller's handlers, one call in a few words, the counts
per side, the cache check and the verdict; and the comparison as one JSON-able record.

Why this module exists: the two front ends must tell a controller author the same thing in
the same words (a difference's title, its explanation, a call's rendering). Pure.
"""

from __future__ import annotations

from typing import Any

from kmon.monitor.compare_analysis import REORDERED, Comparison, Row
from kmon.monitor.compare_causes import cause_label
from kmon.monitor.compare_record import ADD, DELETE, HeardCall, Side

__all__ = [
    "KIND_TEXT", "TIMING_KINDS", "call_text", "caches_text", "count_lines", "difference_lines",
    "record", "row_causes", "row_reason", "side_relists", "verdict",
]

# kinds that come from when each side ran, not from the path it runs
TIMING_KINDS = frozenset({"initial_state", "tail"})

# kind -> (title, what it means for a controller's handlers)
KIND_TEXT: dict[str, tuple[str, str]] = {
    "resync": ("resync delivery",
               "a periodic resync: on_update(old, new) with both at the same version, delivered on one side "
               "only. Each informer resyncs on its own timer; DeltaFIFO queues a Sync per object with nothing "
               "pending, client-go 1.36 one SyncAll for the whole cache."),
    "relist_unchanged": ("relist: unchanged object",
                         "a relist found the object unchanged and told the handler on_update(old, new) with equal "
                         "versions (a resync-like update); the other side did not relist at that moment."),
    "collapsed": ("version skipped by a relist",
                  "this version reached one side only: the other was relisting, and a relist delivers only each "
                  "object's latest version; the versions in between never reach its handlers."),
    "initial_state": ("before the other's initial state",
                      "the other side's initial state (LIST or WatchList) already held a later version: the two "
                      "started a moment apart (timing, not the path)."),
    "tombstone": ("delete as DeletedFinalStateUnknown",
                  "one side heard the delete from its watch, the other found the object gone in a relist and got "
                  "a DeletedFinalStateUnknown carrying the last state it knew; handlers must unwrap it."),
    "recreated": ("recreated object",
                  "the object was deleted and created again (a new uid): one side heard on_delete then on_add, "
                  "the other, relisting, a single on_update from the old object to the new one."),
    "shape": ("heard differently",
              "the same version reached one side as on_add and the other as on_update, or as an on_update from "
              "another old version."),
    "unknown_delete": ("delete of an object never cached",
                       "on_delete for an object this side's cache never held: RealFIFO (client-go 1.33 and later) "
                       "delivers every watch delete, DeltaFIFO drops a delete for a key it does not know."),
    "lifetime": ("object only one side heard of",
                 "the object was created and deleted while the other side was relisting (or before its initial "
                 "state): the other side's handlers never heard of it."),
    "tail": ("after the other's last call",
             "heard on one side after the other side's last call: the run ended in between (timing)."),
    "other": ("other difference", "heard on one side only, for no reason kmon recognises."),
    REORDERED: ("order across objects",
                "heard by both, but in another order relative to other objects: DeltaFIFO hands over all of an "
                "object's queued deltas together, RealFIFO delivers in arrival order, and a 1.36 relist "
                "delivers its deletions first, then the listed objects in list order."),
}


def call_text(call: HeardCall | None) -> str:
    """``on_update 120→131``, ``on_add 17 (initial)``, ``on_delete 40 (DeletedFinalStateUnknown)``."""
    if call is None:
        return "—"
    if call.method == ADD:
        return f"on_add {call.rv}" + (" (initial)" if call.initial else "")
    if call.method == DELETE:
        return f"on_delete {call.rv}" + (" (DeletedFinalStateUnknown)" if call.tombstone else "")
    return f"on_update {call.old_rv}→{call.rv}" + (" (resync)" if call.resync else "") + (
        " (recreated)" if call.recreated else "")


def row_reason(row: Row) -> str:
    """The row's kind as a title ("" for calls heard alike)."""
    text = KIND_TEXT.get(row.kind)
    return text[0] if text else ""


def row_causes(row: Row) -> tuple[str, str]:
    """Each side's origin label for the row's calls ("watch (Updated)", "relist (ReplacedAll)")."""
    return (cause_label(row.a, row.cause_a) if row.a else "", cause_label(row.b, row.cause_b) if row.b else "")


def side_relists(side: Side) -> list[str]:
    """The reasons of the side's relists after its initial one."""
    return [m.text.removeprefix("relist: ") for m in side.marks
            if m.kind == "Relist" and "initial" not in m.text]


def count_lines(counts: dict[str, int]) -> dict[str, str]:
    """One cell per handler method: "120 (initial 118, later 2)"."""
    def cell(total: str, parts: list[tuple[str, str]]) -> str:
        n = counts.get(total, 0)
        detail = ", ".join(f"{words} {counts[k]}" for k, words in parts if counts.get(k))
        return f"{n}" + (f" ({detail})" if detail and n else "")

    return {
        ADD: cell(ADD, [("on_add initial", "initial"), ("on_add later", "later")]),
        "on_update": cell("on_update", [("on_update change", "change"), ("on_update resync", "resync"),
                                        ("on_update relist unchanged", "relist unchanged")]),
        DELETE: cell(DELETE, [("on_delete watch", "watch"), ("on_delete tombstone", "DeletedFinalStateUnknown")]),
    }


def difference_lines(c: Comparison) -> list[tuple[int, str, str]]:
    """(count, title, explanation) per kind of difference found, reordering last."""
    out = [(n, *KIND_TEXT[k]) for k, n in c.kinds.items()]
    if c.reordered:
        out.append((c.reordered, *KIND_TEXT[REORDERED]))
    return out


def caches_text(c: Comparison) -> str:
    """One sentence on the caches at the cut."""
    check = c.caches
    if check.equal:
        where = "the server" if check.server_checked else "each other"
        return (f"both informer caches and both handler views equal {where} at the cut "
                f"({check.objects} object{'s' if check.objects != 1 else ''}).")
    return "caches differ: " + "; ".join(check.problems)


def verdict(c: Comparison) -> str:
    """The comparison in one sentence."""
    a, b = c.a.label, c.b.label
    path_kinds = sum(n for k, n in c.kinds.items() if k not in TIMING_KINDS)
    timing = sum(n for k, n in c.kinds.items() if k in TIMING_KINDS)
    if c.same:
        head = f"{a} and {b} delivered the same notifications in the same order"
    elif not path_kinds and not c.reordered:
        head = f"{a} and {b} delivered the same notifications apart from {timing} due to when each started or stopped"
    else:
        parts = []
        if path_kinds:
            parts.append(f"{path_kinds} notification{'s' if path_kinds != 1 else ''} differ")
        if c.reordered:
            parts.append(f"{c.reordered} arrived in another order")
        if timing:
            parts.append(f"{timing} from timing")
        head = f"{a} and {b} differ: " + ", ".join(parts)
    return head + "; " + ("caches agree." if c.caches.equal else "CACHES DIFFER.")


def _call_record(call: HeardCall | None) -> dict[str, Any] | None:
    if call is None:
        return None
    return {"seq": call.seq, "time": round(call.time, 6), "method": call.method, "rv": call.rv,
            "old_rv": call.old_rv or None, "initial": call.initial, "tombstone": call.tombstone,
            "resync": call.resync, "recreated": call.recreated}


def _side_record(side: Side, counts: dict[str, int]) -> dict[str, Any]:
    return {"label": side.label, "queue": side.queue, "initial_sync": side.initial_sync, "gates": side.gates,
            "calls": len(side.calls), "counts": counts, "relists": side_relists(side),
            "synced_at": side.synced_at, "objects": len(side.cache)}


def record(c: Comparison, **extra: Any) -> dict[str, Any]:
    """The comparison as one JSON object (``kind: "compare"``): both sides, the differences
    by kind, every differing row, the first divergence, the caches and the verdict."""
    def row(r: Row) -> dict[str, Any]:
        ca, cb = row_causes(r)
        return {"key": r.key, "kind": r.kind, "time": round(r.time, 6), "a": _call_record(r.a), "b": _call_record(r.b),
                "cause_a": ca or None, "cause_b": cb or None}

    return {
        "kind": "compare", **extra,
        "a": _side_record(c.a, c.counts[0]), "b": _side_record(c.b, c.counts[1]),
        "same": c.same, "differences": c.kinds, "reordered": c.reordered,
        "timing_kinds": sorted(TIMING_KINDS & set(c.kinds)),
        "first_divergence": row(c.first_divergence) if c.first_divergence else None,
        "rows": [row(r) for r in c.rows if r.kind != "same"],
        "caches": {"equal": c.caches.equal, "objects": c.caches.objects, "server_checked": c.caches.server_checked,
                   "problems": list(c.caches.problems)},
        "notes": list(c.notes),
        "verdict": verdict(c),
    }

