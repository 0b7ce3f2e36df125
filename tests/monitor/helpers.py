"""Builders of feed items for the monitor tests (real cache dataclasses)."""

from __future__ import annotations

import time
from typing import Any

from kmon.cache.delta_fifo import DeltaType
from kmon.cache.events import DeltaRecord, ReflectorEvent, ReflectorEventKind
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.monitor.feed import DeltaItem, ReflectorItem


def pod(name: str, ns: str = "default", rv: str = "1", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "resourceVersion": rv}, **extra}


def delta(
    typ: str = "Added", name: str = "p", ns: str = "default", rv: str = "1", *, t: float | None = None,
    ctx: str = "c", res: str = "pods", obj: Any = None, old: Any = None, initial: bool = False,
) -> DeltaItem:
    obj = pod(name, ns, rv) if obj is None else obj
    key = f"{ns}/{name}" if ns else name
    return DeltaItem(ctx, res, DeltaRecord(DeltaType(typ), key, obj, old, rv, time.time() if t is None else t, initial))


def refl(kind: str, rv: str = "", *, t: float | None = None, ctx: str = "c", res: str = "pods", **detail: Any) -> ReflectorItem:
    return ReflectorItem(ctx, res, ReflectorEvent(ReflectorEventKind(kind), time.time() if t is None else t, rv, detail))


def dfsu(name: str, ns: str = "default", *, ctx: str = "c", res: str = "pods") -> DeltaItem:
    key = f"{ns}/{name}"
    return DeltaItem(ctx, res, DeltaRecord(DeltaType.Deleted, key, DeletedFinalStateUnknown(key, pod(name, ns)), None, "5", time.time(), False))
