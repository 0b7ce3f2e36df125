"""The path an informer runs, in words: its client-go profile and feature gates, compact for
a table cell, whole for a tooltip, as JSON for scripts and recordings. (Which path that is,
from the gates, is ``kmon.cache.informer_path``'s; this module only says it.)

Why this module exists: the inspector, the status bar, ``kmon stats`` (table and JSON) and the
recording header all say which client-go path an informer runs (``InformerStats.queue``,
``.initial_sync`` and ``.features``, a ``kmon.cache.features.FeatureGates``), and must say it
the same way: the profile once ("1.36"), then only what differs from it and why (a
``KUBE_FEATURE_*`` variable), with every gate, its value and where the value came from
(client-go's default, the chosen client-go version's default, the environment) on demand.
Qt-free, no I/O.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kmon.cache.features import GATES, LATEST, FeatureGates

__all__ = [
    "SHORT_NAMES",
    "context_profile",
    "gate_rows",
    "gates_from_json",
    "gates_json",
    "gates_short",
    "gates_text",
    "profile_of",
    "queue_explained",
    "queue_short",
    "sync_explained",
    "sync_short",
]

# what a narrow cell calls each gate
SHORT_NAMES = {
    "InOrderInformers": "InOrder",
    "InOrderInformersBatchProcess": "Batch",
    "AtomicFIFO": "Atomic",
    "UnlockWhileProcessingFIFO": "Unlock",
    "WatchListClient": "WatchList",
}
_SOURCES = ("default", "profile", "environment")  # FeatureGates.source's answers
_LATEST = "%d.%d" % LATEST


_QUEUES = {
    "DeltaFIFO": "DeltaFIFO (client-go's classic queue): deltas merged per key; a relist queues each object as "
                 "Replaced and what it no longer lists as a DeletedFinalStateUnknown delete",
    "RealFIFO": "RealFIFO (in-order, client-go 1.33+): every event its own delta, in arrival order, nothing merged "
                "per key",
}
_MODES = {
    "atomic": "atomic: a relist is one ReplacedAll (store replaced first, then deletions, then updates and adds "
              "in list order), a resync one SyncAll, bookmarks reach the store",
    "batched": "batched: deltas of distinct keys are popped and applied in batches",
    "unlocking": "unlocking: the queue stays writable while a batch is processed",
}
_SYNCS = {
    "LIST": "LIST: the initial state came from a (paginated) LIST, then a WATCH from its version",
    "WatchList": "WatchList: the initial state came from a watch stream (sendInitialEvents) ending in a bookmark, "
                 "which then went on as the watch",
}
_FALLBACK = ("LIST, because {why}: as client-go does, the round listed at once instead (no backoff); "
             "the next relist tries WatchList again")
# the one mode a narrow Queue cell names (the others are in its tooltip and follow from the profile)
_QUEUE_MODE_SHOWN = ("atomic", "batched", "unlocking")


def queue_explained(queue: str) -> str:
    """What an ``InformerStats.queue`` ("RealFIFO (atomic, batched)") means, one line per
    part."""
    name, _, modes = queue.partition(" (")
    lines = [_QUEUES.get(name, queue)]
    lines += [_MODES.get(m.strip(), m.strip()) for m in modes.rstrip(")").split(",") if m.strip()]
    return "\n".join(lines)


def queue_short(queue: str) -> str:
    """A narrow cell's ``InformerStats.queue``: the queue and its most telling mode
    ("RealFIFO atomic" for "RealFIFO (atomic, batched, unlocking)"); ``queue_explained``
    says it whole."""
    name, _, modes = queue.partition(" (")
    given = [m.strip() for m in modes.rstrip(")").split(",") if m.strip()]
    shown = next((m for m in _QUEUE_MODE_SHOWN if m in given), "")
    return f"{name} {shown}" if shown else name


def _fallback_of(initial_sync: str) -> str:
    """Why a LIST served instead of a WatchList ("WatchList refused: 422 Invalid"), or ""."""
    if initial_sync.startswith("LIST (") and initial_sync.endswith(")"):
        return initial_sync[len("LIST ("):-1]
    return ""


def sync_short(initial_sync: str) -> str:
    """A narrow cell's ``InformerStats.initial_sync``: "WatchList", "LIST", or "LIST
    (fallback)" when a WatchList gave way to it (why: ``sync_explained``)."""
    return "LIST (fallback)" if _fallback_of(initial_sync) else initial_sync


def sync_explained(initial_sync: str) -> str:
    """What an ``InformerStats.initial_sync`` means, whole."""
    why = _fallback_of(initial_sync)
    if why:
        return _FALLBACK.format(why=why)
    return _SYNCS.get(initial_sync, initial_sync)


def profile_of(gates: FeatureGates) -> str:
    """The client-go minor whose defaults ``gates`` start from ("1.32"; the latest kmon
    knows when none was chosen)."""
    return gates.profile or _LATEST


def _on(value: bool) -> str:
    return "on" if value else "off"


def gates_text(gates: FeatureGates | None) -> str:
    """One short line: the profile, then each gate the environment set ("1.36",
    "1.36 · WatchList off (env)"); "" when unknown."""
    if gates is None:
        return ""
    env = [f"{SHORT_NAMES.get(g, g)} {_on(gates.enabled(g))} (env)" for g in GATES if gates.source(g) == "environment"]
    return " · ".join([profile_of(gates), *env])


def gates_short(gates: FeatureGates | None) -> str:
    """A narrow cell's ``gates_text``: the profile, and the one gate the environment set
    ("1.36 · WatchList off") or how many it set ("1.36 · 2 env")."""
    if gates is None:
        return ""
    env = [g for g in GATES if gates.source(g) == "environment"]
    if len(env) == 1:
        return f"{profile_of(gates)} · {SHORT_NAMES.get(env[0], env[0])} {_on(gates.enabled(env[0]))}"
    return f"{profile_of(gates)} · {len(env)} env" if env else profile_of(gates)


def gate_rows(gates: FeatureGates) -> list[tuple[str, bool, str]]:
    """Every gate in client-go's order: (name, value, where it came from in words:
    "default (client-go 1.36)", "client-go 1.32 profile", "environment (KUBE_FEATURE_X)")."""
    rows = []
    for g in GATES:
        source = gates.source(g)
        if source == "environment":
            why = f"environment (KUBE_FEATURE_{g})"
        elif source == "profile":
            why = f"client-go {profile_of(gates)} profile"
        else:
            why = f"default (client-go {_LATEST})"
        rows.append((g, gates.enabled(g), why))
    return rows


def gates_json(gates: FeatureGates | None) -> dict[str, Any] | None:
    """``{"profile": "1.36", "chosen": false, "gates": {gate: {"enabled": true, "source":
    "default"}}}`` (``chosen``: a client-go version was asked for, rather than the latest's
    defaults); None when unknown."""
    if gates is None:
        return None
    return {
        "profile": profile_of(gates),
        "chosen": bool(gates.profile),
        "gates": {g: {"enabled": gates.enabled(g), "source": gates.source(g)} for g in GATES},
    }


def gates_from_json(data: Any) -> FeatureGates | None:
    """The ``FeatureGates`` ``gates_json`` describes (None for anything else: an older
    recording has none). Gates it does not name keep the profile's default; names this kmon
    does not know are ignored."""
    if not isinstance(data, Mapping) or not isinstance(data.get("gates"), Mapping):
        return None
    profile = str(data.get("profile") or "")
    try:
        base = FeatureGates.for_client_go(profile) if data.get("chosen") else FeatureGates()
    except ValueError:
        base = FeatureGates()
    values: dict[str, bool] = {}
    sources = dict(base.sources) or {g: "default" for g in GATES}
    for g, (field_name, *_rest) in GATES.items():
        given = data["gates"].get(g)
        values[field_name] = bool(given.get("enabled")) if isinstance(given, Mapping) else base.enabled(g)
        if isinstance(given, Mapping) and given.get("source") in _SOURCES:
            sources[g] = str(given["source"])
    return FeatureGates(**values, profile=base.profile, sources=tuple((g, sources[g]) for g in GATES))


def context_profile(gates: Iterable[FeatureGates | None]) -> str:
    """"client-go 1.36" (with what the environment changed) when every informer given runs
    the same gates; "" when they differ or none is known (each then says its own)."""
    texts = {gates_text(g) for g in gates}
    if len(texts) != 1:
        return ""
    text = texts.pop()
    return f"client-go {text}" if text else ""
