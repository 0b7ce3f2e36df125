"""A recording as a source of feed items: what the GUI replay plays into its feeds.

Why this module exists: replay must look exactly like live to every view, so it is just
another producer of feed items. ``ReplaySource`` owns a ``Replayer`` over a loaded recording
and one ``Feed`` per recorded context (the same feeds a live ``ContextSession`` would fill,
registered with the GUI's bridge); ``tick()`` pushes what became due at the replay speed.
``ReplayContext`` stands in for a ``ContextSession`` (the workspace's ``session_factory``):
no informer, no thread, no network; ``stats()`` reconstructs ``InformerStats`` from the
recorded reflector events. Seeking is the source's job too: ``seek(t)`` moves the replayer
and returns the caches then, and ``history_until(t)`` the last items before ``t`` for views
that keep history, so a jump costs one rebuild instead of replaying every item through the
views. No Qt.
"""

from __future__ import annotations

import bisect
import time
from typing import Any, Callable, Iterable

from kmon.monitor.feed import Feed, FeedItem
from kmon.monitor.recording import Recording, Replayer, item_from_record, read_recording

__all__ = ["ReplayContext", "ReplaySource", "ReplayStats", "SPEEDS"]

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 60.0, float("inf"))  # inf: as fast as the views take it
MAX_SPEED = 1e9  # "max": the rest of the recording on the next tick


class ReplayStats:
    """``InformerStats``-like counters of one recorded informer, folded from its reflector
    and delta records (the recording has no queue, so ``queue_depth`` is 0)."""

    def __init__(self, context: str, resource: str) -> None:
        self.context, self.resource = context, resource
        self.name = f"{context}/{resource}"
        self.state = "starting"
        self.lists = self.relists = 0
        self.last_relist_reason = ""
        self.list_duration_last = self.list_duration_total = 0.0
        self.list_items_last = self.list_items_total = 0
        self.pages_total = self.pages_last = 0
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
        self.queue_depth = 0
        self.store_size = 0
        self.synced = False
        self.last_event_time: float | None = None
        self.last_error = ""
        self.deltas_processed = 0
        self.handler_errors = 0
        self.listener_errors = 0
        self.handler_backlog: dict[str, int] = {}

    _WATCH_EVENT = {"Added": "ADDED", "Updated": "MODIFIED", "Deleted": "DELETED"}

    def fold(self, rec: dict[str, Any], store_size: int) -> None:
        kind, typ, t = rec.get("kind"), rec.get("type"), rec.get("time")
        if kind == "delta":
            self.deltas_processed += 1
            self.store_size = store_size
            ev = self._WATCH_EVENT.get(typ)
            if ev and not rec.get("initial"):
                self.events[ev] = self.events.get(ev, 0) + 1
                self.last_event_time = t
            return
        if kind == "session":
            if rec.get("type") == "stopped" and rec.get("resource"):
                self.state = "stopped"
            return
        if kind != "reflector":
            return
        d = rec.get("detail") or {}
        rv = str(rec.get("resource_version") or "")
        if typ == "ListStarted":
            self.state, self.pages_last = "listing", 0
        elif typ == "Page":
            self.pages_total += 1
            self.pages_last += 1
            self.paginated = self.paginated or bool(d.get("paginated")) or self.pages_last > 1
        elif typ == "ListFinished":
            self.lists += 1
            self.state, self.synced = "watching", True
            self.list_items_last = int(d.get("items") or 0)
            self.list_items_total += self.list_items_last
            self.list_duration_last = float(d.get("duration") or 0.0)
            self.list_duration_total += self.list_duration_last
            self.last_synced_version = rv or self.last_synced_version
            self.current_backoff = 0.0
        elif typ == "Relist":  # the reflector announces its initial list as a Relist too
            if str(d.get("reason") or "") != "initial":
                self.relists += 1
                self.last_relist_reason = str(d.get("reason") or "")
        elif typ == "WatchStarted":
            self.watches_started += 1
            self.state, self.current_backoff = "watching", 0.0
        elif typ == "WatchEnded":
            reason = str(d.get("reason") or "closed")
            self.watches_ended[reason] = self.watches_ended.get(reason, 0) + 1
        elif typ == "Bookmark":
            self.bookmarks += 1
            self.events["BOOKMARK"] = self.events.get("BOOKMARK", 0) + 1
            self.last_event_time = t
        elif typ == "Expired":
            self.expired += 1
        elif typ == "Error":
            why = str(d.get("reason") or "error")
            self.errors[why] = self.errors.get(why, 0) + 1
            self.last_error = str(d.get("error") or why)
        elif typ == "Backoff":
            self.state, self.current_backoff = "backing-off", float(d.get("delay") or 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("context", "resource")}


class ReplaySource:
    """Plays a recording into one ``Feed`` per recorded context.

    ``attach(context, feed)`` registers the feed a view layer created for a context (the
    workspace does it through ``ReplayContext``); ``tick()`` (while playing) and
    ``advance_to(t)`` route the due items to those feeds. ``seek(t)`` drops what is queued,
    moves the position and returns the caches at ``t``. ``clock`` is the wall clock the
    speed applies to (monotonic seconds)."""

    def __init__(self, recording: Recording, speed: float = 1.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.recording = recording
        self._max = False
        self.replayer = Replayer(recording, speed=1.0, clock=clock)
        self.set_speed(speed)
        self.feeds: dict[str, Feed] = {}
        names: list[str] = [str(c.get("name")) for c in recording.header.get("contexts") or [] if c.get("name")]
        for r in recording.records:
            c = r.get("context")
            if c and c not in names:
                names.append(str(c))
        self.contexts = names
        self._resources: dict[str, list[str]] = {c: [] for c in names}
        for r in recording.records:
            c, res = r.get("context"), r.get("resource")
            if c and res and res not in self._resources.setdefault(c, []):
                self._resources[c].append(res)
        for c in names:  # what the header promised, even if nothing was recorded for it
            for res in recording.header.get("resources") or []:
                if res not in self._resources[c]:
                    self._resources[c].append(res)
        self._stats: dict[tuple[str, str], ReplayStats] = {}
        self._stats_index = 0  # records folded into _stats
        self._sizes: dict[tuple[str, str], set[str]] = {}

    @classmethod
    def open(cls, path: str, speed: float = 1.0, **kw: Any) -> "ReplaySource":
        """Load ``path`` (``RecordingError`` when it has no usable header)."""
        return cls(read_recording(path), speed, **kw)

    # --- facts -------------------------------------------------------------------------
    @property
    def header(self) -> dict[str, Any]:
        return self.recording.header

    @property
    def error(self) -> str | None:
        """Where and why reading stopped (None for a complete recording)."""
        if self.recording.error:
            return self.recording.error
        if self.recording.footer is None:
            return "the recording has no footer (the recorder did not stop cleanly)"
        return None

    @property
    def start_time(self) -> float:
        return self.replayer.start_time

    @property
    def end_time(self) -> float:
        return self.replayer.end_time

    @property
    def position(self) -> float:
        return self.replayer.position

    @property
    def at_end(self) -> bool:
        return self.replayer.at_end and self.replayer.position >= self.replayer.end_time

    def resources(self, context: str) -> list[str]:
        return list(self._resources.get(context, ()))

    def context_info(self, context: str) -> dict[str, Any]:
        for c in self.header.get("contexts") or []:
            if c.get("name") == context:
                return c
        return {"name": context}

    def server_version(self, context: str) -> str:
        v = self.context_info(context).get("server_version")
        if isinstance(v, dict):
            return str(v.get("gitVersion") or "")
        return str(v or "")

    # --- playing -----------------------------------------------------------------------
    def attach(self, context: str, feed: Feed) -> None:
        self.feeds[context] = feed

    def detach(self, context: str) -> None:
        self.feeds.pop(context, None)

    def _route(self, items: Iterable[FeedItem]) -> int:
        n = 0
        by_ctx: dict[str, list[FeedItem]] = {}
        for it in items:
            by_ctx.setdefault(it.context, []).append(it)
        for ctx, its in by_ctx.items():
            feed = self.feeds.get(ctx)
            if feed is not None:
                feed.extend(its)
                n += len(its)
        return n

    @property
    def playing(self) -> bool:
        return self.replayer.playing

    @property
    def speed(self) -> float:
        """Recording seconds per wall second (``inf``: as fast as the consumer drains)."""
        return float("inf") if self._max else self.replayer.speed

    def play(self, speed: float | None = None) -> None:
        if self.at_end:  # play again from the start
            self.seek(self.start_time)
        if speed is not None:
            self.set_speed(speed)
        self.replayer.play()

    def pause(self) -> None:
        self.replayer.pause()

    def set_speed(self, speed: float) -> None:
        self._max = speed == float("inf") or speed >= MAX_SPEED
        if self._max:
            return
        if self.replayer.playing:
            self.replayer.play(speed)  # from the current position, at the new speed
        else:
            self.replayer.speed = float(speed)

    def tick(self, budget: int = 20_000) -> int:
        """While playing, route the items due at the replay clock to the feeds; returns how
        many. At max speed each tick takes the next ``budget`` records, so the consumer
        keeps up and stays responsive."""
        rp = self.replayer
        if not rp.playing:
            return 0
        if not self._max:
            return self._route(rp.tick())
        times = rp._times
        i = min(rp._index + budget, len(times))
        t = rp.end_time if i >= len(times) else times[i - 1]
        n = self._route(rp.items_until(t))
        if rp.at_end:
            rp.items_until(rp.end_time)
            rp.pause()
        return n

    def advance_to(self, t: float) -> int:
        """Route every item up to recording time ``t`` (forward only)."""
        return self._route(self.replayer.items_until(min(t, self.end_time)))

    def seek(self, t: float) -> dict[tuple[str, str], dict[str, Any]]:
        """Jump to ``t`` (back or forth): queued items are dropped; returns the caches at
        ``t`` (``{(context, resource): {key: object}}``, read-only)."""
        for feed in self.feeds.values():
            feed.clear()
        self.replayer.seek(t)
        return self.replayer.cache()

    def history_until(self, t: float, *, max_deltas: int = 20_000) -> list[FeedItem]:
        """Items recorded up to ``t`` for views that keep history: every reflector and
        session item, and the last ``max_deltas`` deltas (older ones would be evicted from
        any bounded history anyway), oldest first. Delta items carry no ``old_object``."""
        records = self.recording.records
        times = self.replayer._times  # the replayer's monotonic positions, in file order
        end = bisect.bisect_right(times, t)
        start_deltas = end
        n = 0
        while start_deltas > 0 and n < max_deltas:
            start_deltas -= 1
            if records[start_deltas].get("kind") == "delta":
                n += 1
        out: list[FeedItem] = []
        for i in range(end):
            rec = records[i]
            if i < start_deltas and rec.get("kind") == "delta":
                continue
            item = item_from_record(rec)
            if item is not None:
                out.append(item)
        return out

    # --- reconstructed stats ------------------------------------------------------------
    def stats(self, context: str) -> dict[str, ReplayStats]:
        """``{resource: ReplayStats}`` of one context at the current position."""
        self._fold_stats()
        return {res: st for (c, res), st in self._stats.items() if c == context}

    def _fold_stats(self) -> None:
        idx = self.replayer._index  # records applied so far
        if idx < self._stats_index:  # went back: fold again from the start
            self._stats, self._sizes, self._stats_index = {}, {}, 0
        records = self.recording.records
        for i in range(self._stats_index, idx):
            rec = records[i]
            c, res = rec.get("context"), rec.get("resource")
            if not c or not res:
                continue
            k = (c, res)
            st = self._stats.get(k)
            if st is None:
                st = self._stats[k] = ReplayStats(c, res)
            size = 0
            if rec.get("kind") == "delta":
                keys = self._sizes.setdefault(k, set())
                (keys.discard if rec.get("type") == "Deleted" else keys.add)(rec.get("key"))
                size = len(keys)
            st.fold(rec, size)
        self._stats_index = idx


class _Handle:
    """What a workspace reads of a ``ResourceHandle``: a recorded resource is synced once
    its initial list was replayed."""

    def __init__(self, source: ReplaySource, context: str, resource: str) -> None:
        self._source, self._context, self.name = source, context, resource
        self.informer = None
        self.thread = None
        self.error = None

    def has_synced(self) -> bool:
        st = self._source.stats(self._context).get(self.name)
        return bool(st and st.synced)


class ReplayContext:
    """Stands in for a ``ContextSession`` on a recorded context (``session_factory`` of the
    workspace): registers its feed with the source and answers what a session answers,
    read-only. Nothing here talks to a server."""

    read_only = True
    LIVE_ONLY = "needs a live cluster (this is a recording)"

    def __init__(self, context: str, *, feed: Feed, source: ReplaySource, **_ignored: Any) -> None:
        self.context = context
        self.feed = feed
        self.source = source
        self.error: str | None = None
        self.state = "ready"
        source.attach(context, feed)
        self.resources = {r: _Handle(source, context, r) for r in source.resources(context)}

    @property
    def available_resources(self) -> list[Any]:
        return []

    def start(self) -> None:
        """Nothing to connect to: the recording's own session items say how it went."""

    def stop(self, timeout: float = 1.0) -> bool:
        self.source.detach(self.context)
        return True

    def stats(self) -> dict[str, ReplayStats]:
        return self.source.stats(self.context)

    def start_resource(self, name: str) -> None:
        raise RuntimeError(f"starting {name} {self.LIVE_ONLY}")

    def stop_resource(self, name: str) -> None:
        raise RuntimeError(f"stopping {name} {self.LIVE_ONLY}")

    def verify(self, full_name: str) -> Any:
        raise RuntimeError(f"verifying the cache {self.LIVE_ONLY}")

    def get_full(self, full_name: str, namespace: str | None, name: str) -> Any:
        raise RuntimeError(f"fetching the full object {self.LIVE_ONLY}")

    @classmethod
    def factory(cls, source: ReplaySource) -> Callable[..., "ReplayContext"]:
        return lambda name, **kw: cls(name, source=source, **kw)
