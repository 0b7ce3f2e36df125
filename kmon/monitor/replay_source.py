"""A recording as a source of feed items: what the GUI replay plays into its feeds.

Why this module exists: replay must look exactly like live to every view, so it is just
another producer of feed items. ``ReplaySource`` owns a ``Replayer`` over a loaded recording
and one ``Feed`` per recorded context (the same feeds a live ``ContextSession`` would fill,
registered with the GUI's bridge); ``tick()`` pushes what became due at the replay speed.
``ReplayContext`` stands in for a ``ContextSession`` (the workspace's ``session_factory``):
no informer, no thread, no network; ``stats()`` folds ``InformerStats`` from the recorded
records the way live counts them (``kmon.monitor.replay_stats``), and ``samples_until(t)``
gives the charts the once-a-second stats samples the live app took, by recording time.
Seeking is the source's job too: ``seek(t)`` moves the replayer and returns the caches then,
``history_until(t)`` the last items before ``t`` for views that keep history, and
``timeline(t)`` what the charts took up to ``t``, so a jump costs one rebuild instead of
replaying every item through the views. No Qt.
"""

from __future__ import annotations

import bisect
import math
import time
from typing import Any, Callable, Iterable, Iterator

from kmon.monitor.feed import Feed, FeedItem
from kmon.monitor.recording_format import RecordKind, informer_paths, item_from_record
from kmon.monitor.recording_reader import Recording, read_recording
from kmon.monitor.replayer import Replayer
from kmon.monitor.replay_stats import ReplayStats, StatsFold

__all__ = ["ReplayContext", "ReplaySource", "ReplayStats", "SPEEDS"]

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 60.0, float("inf"))  # inf: as fast as the views take it
MAX_SPEED = 1e9  # "max": the rest of the recording on the next tick
_BEFORE_END = 1e-3  # a second's sample is timed this much before its end (inside it)
_DELTA = RecordKind.DELTA


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
        paths = informer_paths(recording.header)  # the client-go path each informer ran (format 1.1)
        self._fold = StatsFold(recording.records, paths)  # at the position: what stats() answers
        self._sampler = StatsFold(recording.records)  # at the last chart sample
        self.origin = float(math.floor(self.start_time))  # where the charts' seconds start
        self._sampled = self.origin  # the end of the last second sampled

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
        times = rp.positions
        i = min(rp.applied + budget, len(times))
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
        times = self.replayer.positions  # monotonic, in file order
        end = bisect.bisect_right(times, t)
        start_deltas = end
        n = 0
        while start_deltas > 0 and n < max_deltas:
            start_deltas -= 1
            if records[start_deltas].get("kind") == _DELTA:
                n += 1
        out: list[FeedItem] = []
        for i in range(end):
            rec = records[i]
            if i < start_deltas and rec.get("kind") == _DELTA:
                continue
            item = item_from_record(rec)
            if item is not None:
                out.append(item)
        return out

    # --- reconstructed stats ------------------------------------------------------------
    def stats(self, context: str) -> dict[str, ReplayStats]:
        """``{resource: ReplayStats}`` of one context at the current position."""
        self._fold.advance(self.replayer.applied)
        return {res: st for (c, res), st in self._fold.stats.items() if c == context}

    def samples_until(self, t: float) -> list[tuple[float, dict[tuple[str, str], dict[str, Any]]]]:
        """The charts' stats samples for every whole recording second that ended by ``t``
        and was not sampled yet: ``(time, {(context, resource): {store_size, queue_depth,
        last_synced_version}})``, each the state at the end of its second, timed just
        before that end. The live app samples its informers once a second; sampling by
        recording time gives the charts the same points at any replay speed."""
        out = []
        if t < self._sampled:  # went back (seek): again from the start
            self._sampler.reset()
            self._sampled = self.origin
        times = self.replayer.positions
        while self._sampled + 1.0 <= t:
            end = self._sampled + 1.0
            self._sampler.advance(bisect.bisect_left(times, end))
            out.append((end - _BEFORE_END, self._sampler.sample()))
            self._sampled = end
        return out

    def timeline(self, t: float) -> Iterator[tuple[list[dict[str, Any]], float, dict[tuple[str, str], dict[str, Any]]]]:
        """Everything the charts took from the start up to ``t``, for refilling them after a
        seek: ``(records, time, samples)`` per recorded second — the records of that second
        (by position, in file order), then the samples at its end (only the informers whose
        sampled values changed; the last second: all of them). The records after the last
        whole second come last, with no samples. Afterwards ``samples_until`` goes on
        from ``t``."""
        self._sampler.reset()
        self._sampled = self.origin
        records = self.recording.records
        times = self.replayer.positions
        stop = bisect.bisect_right(times, t)
        last: dict[tuple[str, str], dict[str, Any]] = {}
        i = 0
        while self._sampled + 1.0 <= t:
            end = self._sampled + 1.0
            j = min(bisect.bisect_left(times, end), stop)
            self._sampler.advance(j)
            now = self._sampler.sample()
            final = self._sampled + 2.0 > t
            changed = now if final else {k: v for k, v in now.items() if last.get(k) != v}
            last = now
            yield records[i:j], end - _BEFORE_END, changed
            i, self._sampled = j, end
        yield records[i:stop], t, {}


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
    server = ""  # (the live session's API server URL; a recording is not connected)
    tls_insecure = False
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
