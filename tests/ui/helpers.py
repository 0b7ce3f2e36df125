"""Small builders shared by the UI tests (no Qt here)."""

from __future__ import annotations

import itertools

from kmon.cache.events import DeltaRecord
from kmon.monitor.feed import DeltaItem

_rv = itertools.count(1)


def obj(name, ns=None, kind="Pod", labels=None, **extra):
    meta = {"name": name, "resourceVersion": str(next(_rv)), "creationTimestamp": "2024-01-01T00:00:00Z"}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    return {"kind": kind, "apiVersion": "v1", "metadata": meta, **extra}


def item(t, o, ctx="c1", res="pods", time=0.0, initial=False):
    m = o["metadata"]
    key = f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]
    return DeltaItem(ctx, res, DeltaRecord(t, key, o, None, m["resourceVersion"], time, initial))
