"""An informer's watches in words, for the inspector's Watches cell and ``kmon stats``.

Why this module exists: "how often did my informer re-watch, and is it watching now?" must
read the same in both places and on both paths. Counts come from ``InformerStats``
(``watches_started`` and ``watches_ended`` by reason), where a watch is counted ended only
when it ends, so started minus ended is the watch open now (a WatchList's stream is one
watch: it lists, then goes on watching). Qt-free, no I/O.
"""

from __future__ import annotations

from typing import Mapping

__all__ = ["WATCHES_HEADER", "watches_explained", "watches_text"]

WATCHES_HEADER = ("watches started / ended; \"open\": one is open now (a WatchList's stream is one watch: "
                  "it lists, then goes on watching)")


def watches_text(started: int, ended: Mapping[str, int] | None) -> str:
    """"3 / 2 · open" (started / ended, and one open now), "3 / 3" (none open)."""
    n = sum((ended or {}).values())
    text = f"{started:,} / {n:,}"
    return f"{text} · open" if started - n == 1 else text


def watches_explained(started: int, ended: Mapping[str, int] | None) -> str:
    """"3 started, 2 ended (closed 1, expired 1); one open now"."""
    ended = ended or {}
    n = sum(ended.values())
    text = f"{started:,} started, {n:,} ended"
    if ended:
        text += " (" + ", ".join(f"{k} {v:,}" for k, v in sorted(ended.items())) + ")"
    open_now = started - n
    if open_now == 1:
        return text + "; one open now"
    return text + ("; none open now" if open_now == 0 else "")
