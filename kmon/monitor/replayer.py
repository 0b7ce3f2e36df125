"""``Replayer``: a recording turned back into feed items at their original times.

Why this module exists: the GUI replay must look exactly like live, so it feeds its views
the same feed items live informers produce, at the pace they came (times the replay speed).
``Replayer`` is that clock over a loaded ``Recording``: it walks the records, rebuilds the
caches as it goes (``replay_rebuild``) so each delta item carries its ``old_object``, jumps
back and forth, and plays at a speed from a caller's timer. ``replay_source`` routes what it
returns to the feeds. No Qt.
"""

from __future__ import annotations

import bisect
import time
from typing import Callable

from kmon.monitor.feed import FeedItem
from kmon.monitor.recording_format import item_from_record
from kmon.monitor.recording_reader import Recording
from kmon.monitor.replay_rebuild import Caches, apply_record

__all__ = ["Replayer"]


class Replayer:
    """Turns a recording back into feed items at their original times, for the GUI replay.

    Time is recording time (epoch seconds, as recorded). ``position`` starts at the
    recording's start. ``items_until(t)`` returns the feed items recorded after ``position``
    up to ``t`` (oldest first, delta items carrying the ``old_object`` from the rebuilt
    cache) and moves ``position`` to ``t``; ``seek(t)`` moves without returning items (the
    caller then resets its views from ``cache()``). For real-time playback call ``play()``
    and then ``tick()`` from a timer: it returns what became due at ``speed`` x wall time.
    No Qt here; the GUI adapts it.

    Record times from different informer threads are only nearly ordered, so positions use
    the running maximum of the times in file order (monotonic, keeps file order); items keep
    their own times.
    """

    def __init__(
        self,
        recording: Recording,
        speed: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recording = recording
        self.speed = float(speed)
        self._clock = clock
        self._records = recording.records
        eff: list[float] = []
        running = float("-inf")
        for r in self._records:
            try:
                t = float(r.get("time") or 0.0)
            except (TypeError, ValueError):
                t = running
            running = max(running, t)
            eff.append(running)
        self._times = eff
        self.start_time = min(recording.start_time, eff[0]) if eff else recording.start_time
        self.end_time = max(recording.end_time, eff[-1]) if eff else recording.end_time
        self._index = 0  # records before it are applied
        self.position = self.start_time
        self._caches: Caches = {}
        self._playing = False
        self._wall0 = 0.0
        self._pos0 = 0.0

    # --- position ----------------------------------------------------------------------
    @property
    def duration(self) -> float:
        return max(0.0, self.end_time - self.start_time)

    @property
    def positions(self) -> list[float]:
        """Each record's position (the running maximum of the times, in file order; read-only):
        ``bisect`` on it finds the records up to a time."""
        return self._times

    @property
    def applied(self) -> int:
        """How many records (in file order) are applied to ``cache()``: those up to ``position``."""
        return self._index

    @property
    def at_end(self) -> bool:
        return self._index >= len(self._records)

    def cache(self) -> Caches:
        """The caches at ``position`` (live dicts: read-only, they change as replay goes)."""
        return self._caches

    def _advance(self, t: float, collect: bool) -> list[FeedItem]:
        out: list[FeedItem] = []
        end = bisect.bisect_right(self._times, t, lo=self._index)
        records = self._records
        for i in range(self._index, end):
            rec = records[i]
            old = apply_record(self._caches, rec)
            if collect:
                item = item_from_record(rec, old)
                if item is not None:
                    out.append(item)
        self._index = end
        self.position = max(self.position, t) if collect else t
        return out

    def items_until(self, t: float) -> list[FeedItem]:
        """Feed items recorded in (position, t], oldest first; position becomes ``t``. A ``t``
        before the position returns nothing (use ``seek`` to go back)."""
        if t < self.position:
            return []
        return self._advance(t, True)

    def seek(self, t: float) -> None:
        """Move to recording time ``t`` (clamped to the recording); ``cache()`` then holds
        the caches at ``t``. Going back rebuilds from the start."""
        t = min(max(t, self.start_time), self.end_time)
        if t < self.position:
            self._caches = {}
            self._index = 0
        self._advance(t, False)
        self.position = t
        if self._playing:
            self._wall0, self._pos0 = self._clock(), t

    # --- real-time playback ------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._playing

    def play(self, speed: float | None = None) -> None:
        if speed is not None:
            self.speed = float(speed)
        self._playing = True
        self._wall0, self._pos0 = self._clock(), self.position

    def pause(self) -> None:
        if self._playing:
            self._pos0 = self._target()
        self._playing = False

    def set_speed(self, speed: float) -> None:
        if self._playing:
            self._pos0, self._wall0 = self._target(), self._clock()
        self.speed = float(speed)

    def _target(self) -> float:
        return min(self.end_time, self._pos0 + (self._clock() - self._wall0) * self.speed)

    def tick(self) -> list[FeedItem]:
        """While playing: the items that became due since the last tick (empty when paused).
        Stops playing at the end of the recording."""
        if not self._playing:
            return []
        target = self._target()
        items = self.items_until(target)
        if target >= self.end_time and self.at_end:
            self._playing = False
        return items
