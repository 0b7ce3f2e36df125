"""Schemas of the built-in types (placeholder)."""

from __future__ import annotations

from kmon.sim.catalog import Resource


def prune_unknown(res: Resource, obj: dict) -> list[str]:
    return []
