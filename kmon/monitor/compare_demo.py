"""Making both sides of a comparison relist, on the embedded demo cluster.

Why this module exists: the differences between client-go's paths show at relists (a relist
skips versions, finds deleted objects as ``DeletedFinalStateUnknown``, and 1.36 delivers it
atomically, deletions first), and on a healthy cluster relists are rare. kmon never writes to
a real cluster, but the demo's ``SimServer`` injects faults as a real kube-apiserver would
behave under them: ``relist_provoker`` returns the comparison's ``provoke`` hook, which

1. expires the resource's watch-cache history (a watch from an older version gets 410),
2. stalls every watch for ``gap`` seconds (writes go on; nothing reaches the informers), then
3. drops every watch and ends the stall: each reflector re-watches from its last version, gets
   410 Expired and relists, and the writes of the gap reach it only as the relist's latest
   versions. (The stall is asked for longer than the gap and ended after the drop: a stall
   that ended on its own first would let the streams write the gap's events.)

Other resources' watches resume from their last version (their history is kept): no relist.
The hook blocks for ``gap`` seconds; run it off any GUI thread. Duck-typed on ``server.faults``
(``kmon.sim.faults.Faults``): no import of the sim.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

__all__ = ["DEFAULT_GAP", "relist_provoker"]

DEFAULT_GAP = 2.0
_STALL_MARGIN = 30.0


def relist_provoker(server: Any, resource: str, gap: float = DEFAULT_GAP,
                    stop: threading.Event | None = None) -> Callable[[], None]:
    """The ``CompareRun`` hook that makes every informer of ``resource`` (the plural,
    ``pods``; a group's resources as ``deployments.apps``) on ``server`` relist after a
    ``gap`` of ``gap`` seconds."""
    stop = stop or threading.Event()

    def provoke() -> None:
        faults = server.faults
        faults.expire_watch_cache(resource)
        faults.stall_watches(gap + _STALL_MARGIN)
        try:
            stop.wait(gap)
            faults.drop_watches()
        finally:
            faults.stall_watches(0)

    return provoke
