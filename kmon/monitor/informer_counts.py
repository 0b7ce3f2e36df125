"""An informer's counters, folded from what it reports: kmon's one fold of reflector events
and deltas into counts.

Why this module exists: the live ``InformerStats`` (``kmon.cache.stats``) are bumped by the
reflector where things happen; whoever sees only what an informer *reports* — the GUI's
resource states (the progress of a list, live or replayed) and a replay's stats (rebuilt
from a recording) — must count those reports the same way, once. ``InformerCounts`` holds
the counters ``InformerStats`` names and folds one report at a time, as the live reflector
and informer count (``tests/monitor/test_informer_counts.py`` runs a real informer and
compares):

- a round's list: one ``Relist`` (its reason; every round after the first list is a
  relist), then per attempt ``ListStarted`` (its reason becomes the last relist reason: a
  WatchList that gave way to a LIST says so) .. ``Page``\\* .. ``ListFinished`` (items,
  pages, duration; its version becomes the synced one).
- watches: ``WatchStarted``, ``WatchEnded`` by reason, ``Bookmark``; started minus ended is
  the watch open now (a WatchList's stream is one watch: it lists, then goes on watching,
  and ends once).
- watch events: an Added/Updated/Deleted delta that is neither from a list nor a relist's
  "final state unknown" delete; its version becomes the synced one. Numeric versions never
  go back (a list's end may be reported before the last deltas that preceded it).
- ``Expired`` (410s), ``Error`` (by the reason the event gives: the phase), ``Backoff``.
- ``state``: listing from ``ListStarted`` until the watch starts (for a WatchList, which
  streams its list over its watch, until the list ends), then watching; backing-off at a
  ``Backoff``; stopped at a ``WatchEnded`` for a stop (``stopped()``/``failed()`` for what
  the session says).

What the reports do not say, the fold cannot count as live does: ``errors`` are counted by
the phase an ``Error`` event names (``InformerStats`` counts them by error class), and the
queue depth and the store size are the caller's (it knows the keys). ``list_items``/``list_pages`` are the progress of the list in progress
(``InformerStats`` has no such field).
"""

from __future__ import annotations

from typing import Any, Mapping

from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.monitor.feed import DeltaItem, ReflectorItem
from kmon.monitor.timeseries import parse_rv
from kmon.monitor.tree_node import type_name

__all__ = ["InformerCounts", "WATCH_EVENTS"]

# delta type -> the watch event it came from (InformerStats.events keys)
WATCH_EVENTS = {"Added": "ADDED", "Updated": "MODIFIED", "Deleted": "DELETED"}


class InformerCounts:
    """The counters of one informer, folded from its reports (see the module doc)."""

    def __init__(self) -> None:
        self.state = "starting"
        self.lists = self.relists = 0
        self.last_relist_reason = ""
        self.list_duration_last = self.list_duration_total = 0.0
        self.list_items_last = self.list_items_total = 0
        self.pages_total = self.pages_last = 0
        self.list_items = self.list_pages = 0  # the list in progress (the last one once it ended)
        self.watches_started = 0
        self.watches_ended: dict[str, int] = {}
        self.events: dict[str, int] = {}
        self.bookmarks = 0
        self.expired = 0
        self.errors: dict[str, int] = {}
        self.current_backoff = 0.0
        self.last_synced_version = ""
        self.unavailable = False
        self.paginated = False
        self.synced = False
        self.last_event_time: float | None = None
        self.last_error = ""
        self.deltas_processed = 0
        self._streaming = False  # the list in progress is a WatchList's initial events

    # --- feed items and recording records ----------------------------------------------------
    def fold_item(self, item: DeltaItem | ReflectorItem) -> None:
        """One feed item of this informer (a ``SessionItem`` is the caller's to read)."""
        if isinstance(item, DeltaItem):
            r = item.record
            self.delta(type_name(r.type), str(r.resource_version or ""), r.time, initial=r.is_in_initial_list,
                       final_state_unknown=isinstance(r.object, DeletedFinalStateUnknown))
        else:
            ev = item.event
            self.reflector(type_name(ev.kind), str(ev.resource_version or ""), ev.detail or {}, ev.time)

    # --- the fold ----------------------------------------------------------------------------
    def delta(self, typ: str, rv: str, time: float | None, *, initial: bool, final_state_unknown: bool) -> None:
        """A delta the informer applied."""
        self.deltas_processed += 1
        ev = WATCH_EVENTS.get(typ)
        if ev and not initial and not final_state_unknown:
            self.events[ev] = self.events.get(ev, 0) + 1
            self.last_event_time = time
            self._synced_at(rv)

    def reflector(self, kind: str, rv: str, d: Mapping[str, Any], time: float | None) -> None:
        """A ``ReflectorEvent`` (``kind`` its bare value, ``d`` its detail)."""
        if kind == "ListStarted":
            self.state, self.current_backoff = "listing", 0.0
            self.last_relist_reason = str(d.get("reason") or self.last_relist_reason)
            self.list_items = self.list_pages = 0
            self._streaming = False
        elif kind == "Page":
            self.pages_total += 1
            self.list_items += int(d.get("items") or 0)
            self.list_pages = int(d.get("pages") or self.list_pages + 1)
            self.paginated = self.paginated or bool(d.get("paginated")) or self.list_pages > 1
        elif kind == "ListFinished":
            self.lists += 1
            self.synced, self.unavailable = True, False
            if self._streaming:  # a WatchList goes on watching on the same stream
                self.state = "watching"
            self.list_items_last = int(d.get("items") or 0)
            self.list_items_total += self.list_items_last
            self.list_items = self.list_items_last or self.list_items
            self.list_pages = self.pages_last = int(d.get("pages") or 0) or self.list_pages
            self.list_duration_last = float(d.get("duration") or 0.0)
            self.list_duration_total += self.list_duration_last
            self._synced_at(rv)
            self.current_backoff = 0.0
        elif kind == "Relist":  # every round's list is announced so, the first one too ("initial")
            if self.lists > 0:
                self.relists += 1
            self.last_relist_reason = str(d.get("reason") or "")
        elif kind == "WatchStarted":
            self.watches_started += 1
            self.current_backoff = 0.0
            self._streaming = d.get("reason") == "watch-list"
            self.state = "listing" if self._streaming else "watching"
        elif kind == "WatchEnded":
            reason = str(d.get("reason") or "closed")
            self._count_end(reason)
            if reason == "stopped":
                self.state = "stopped"
        elif kind == "Bookmark":
            self.bookmarks += 1
            self.events["BOOKMARK"] = self.events.get("BOOKMARK", 0) + 1
            self.last_event_time = time
            self._synced_at(rv)
        elif kind == "Expired":
            self.expired += 1
            if d.get("reason") == "list":
                self.unavailable = True
        elif kind == "Error":
            why = str(d.get("reason") or "error")
            self.errors[why] = self.errors.get(why, 0) + 1
            self.last_error = str(d.get("error") or why)
        elif kind == "Backoff":
            self.state, self.current_backoff = "backing-off", float(d.get("delay") or 0.0)

    def stopped(self) -> None:
        """The session stopped the informer."""
        self.state, self.current_backoff = "stopped", 0.0

    def failed(self) -> None:
        """The session gave the resource up for good."""
        self.state = "failed"

    def _count_end(self, reason: str) -> None:
        self.watches_ended[reason] = self.watches_ended.get(reason, 0) + 1

    def _synced_at(self, rv: str) -> None:
        """The reflector's last synced version moves to ``rv`` (never back, when numeric)."""
        if not rv:
            return
        new, cur = parse_rv(rv), parse_rv(self.last_synced_version)
        if new is not None and cur is not None and new < cur:
            return
        self.last_synced_version = rv
