"""Resync arithmetic and timing (client-go's resync check period and handler periods).

The informer's resync *check* period is the smallest period any handler asked for before it
started (never under ``MINIMUM_RESYNC_PERIOD``); the reflector queues a resync every check
period, and each handler gets resync notifications when its own period is due
(``determine_resync_period``). ``resyncing`` is the reflector's timer.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from kmon.cache.clock import Clock, ticking

log = logging.getLogger("kmon.cache.informer")

MINIMUM_RESYNC_PERIOD = 1.0


def determine_resync_period(desired: float, check: float) -> float:
    """A handler's effective period: ``desired`` (0: none), raised to the ``check`` period,
    or 0 when the informer does not resync at all."""
    if desired == 0:
        return 0.0
    if check == 0:
        log.warning("the informer's resync is disabled: a handler's resync period %s cannot be met", desired)
        return 0.0
    if desired < check:
        log.warning("resync period %s is below the informer's resync check period %s: using %s", desired, check, check)
        return check
    return desired


@contextmanager
def resyncing(
    period: float,
    clock: Clock,
    should_resync: Callable[[], bool] | None,
    resync: Callable[[], Any],
    on_error: Callable[[BaseException], None],
    name: str,
) -> Iterator[None]:
    """While inside, a thread calls ``resync()`` every ``period`` seconds (when
    ``should_resync()`` agrees, or always without it); the first exception goes to
    ``on_error`` and ends the timer. ``period`` 0: no timer. The thread is joined on exit."""

    def tick() -> bool:
        if should_resync is None or should_resync():
            try:
                resync()
            except Exception as err:
                on_error(err)
                return False
        return True

    with ticking(clock, period, tick, f"{name}-resync"):
        yield
