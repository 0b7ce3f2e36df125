"""Running one resource under two client-go profiles side by side, and cutting both at one
moment so their notifications can be compared (``compare_analysis``).

Why this module exists: ``kmon compare`` and the GUI's Compare window do the same thing: two
informers (``kmon.kube.informers.new_informer``) on the same API client and resource, each
with its own ``InformerOptions.features`` and a recording handler (``compare_record``),
started together and stopped together. A churning resource never stands still, so the end is
a **cut**: both handlers' views and both informer caches are read at one instant (both
recorders' locks held), retried until they agree and nothing is queued or waiting for a
handler (``settle``); the calls after the cut are left out on both sides. The server is then
asked for the resource at the cut's resourceVersion (``resourceVersionMatch=Exact``), so the
caches are checked against what the server held then, not later. GET only, as always.

``CompareRun`` is driven from one thread (a headless command's main thread, a GUI worker):
``start``, ``wait_synced``, then ``finish`` (the ``Comparison``); ``stop`` any time. ``provoke``
(given by the caller, e.g. the demo cluster's fault injection) makes both sides relist.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from kmon.cache.features import FeatureGates
from kmon.cache.listwatch import ListOptions
from kmon.cache.options import InformerOptions
from kmon.cache.reasons import InformerState
from kmon.kube.informers import ListWatchOptions, new_informer, new_list_watcher
from kmon.monitor.compare_analysis import Comparison, analyse
from kmon.monitor.compare_record import Recorder
from kmon.monitor.session_options import informer_features

__all__ = ["FEATURE_ENV_SIDES", "CompareOptions", "CompareRun", "compare_gates", "side_labels"]

# which side(s) the KUBE_FEATURE_* variables apply to
FEATURE_ENV_SIDES = ("both", "a", "b", "none")

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 15.0


@dataclass(frozen=True)
class CompareOptions:
    """What to compare: two profiles' gates (``features``, A then B, e.g.
    ``FeatureGates.for_client_go("1.32")``), each informer's ``resync_period`` (0: none), how
    long the cut may wait for both sides to agree (``settle_timeout``) and what the server is
    asked for (``list_watch``)."""

    features: tuple[FeatureGates, FeatureGates]
    resync_period: float = 0.0
    settle_timeout: float = 10.0
    list_watch: ListWatchOptions = field(default_factory=ListWatchOptions)


def side_labels(a: FeatureGates, b: FeatureGates) -> tuple[str, str]:
    """How the two sides are named: their client-go profiles ("1.32", "1.36"; "latest" for
    the default), with "A"/"B" when those are the same."""
    la, lb = a.profile or "latest", b.profile or "latest"
    if la == lb:
        return f"A {la}", f"B {lb}"
    return la, lb


def compare_gates(versions: Sequence[str | None], applies: str = "both",
                  environ: Mapping[str, str] | None = None) -> tuple[list[FeatureGates], list[str]]:
    """The two sides' gates: each version's defaults (None: the latest), the ``KUBE_FEATURE_*``
    variables of ``environ`` (None: the process's) applied to the sides ``applies`` names
    (``FEATURE_ENV_SIDES``), each as that version reads them; and one warning per variable a
    side's client-go would ignore ("B (1.36): ..."). ``ValueError`` for a version kmon cannot
    behave as."""
    gates, warnings = [], []
    for side, version in zip("ab", versions):
        env = environ if applies in ("both", side) else {}
        g, said = informer_features(version, env)
        gates.append(g)
        warnings += [f"{side.upper()} ({version or 'latest'}): {w}" for w in said]
    return gates, warnings


def _rv_map(objects: list[Any]) -> dict[str, str]:
    from kmon.cache.keys import meta_namespace_key

    out = {}
    for obj in objects:
        try:
            out[meta_namespace_key(obj)] = str(obj["metadata"].get("resourceVersion") or "")
        except (KeyError, TypeError, AttributeError, ValueError):
            continue
    return out


class CompareRun:
    """Two informers on ``resource`` of ``api_client`` (the caller owns the client)."""

    def __init__(self, api_client: Any, resource: Any, options: CompareOptions, *,
                 provoke: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.api_client = api_client
        self.resource = resource
        self.options = options
        self.provoke_hook = provoke
        self.labels = side_labels(*options.features)
        self._clock = clock
        self.t0 = clock()
        self.started_wall = time.time()
        self.recorders = (Recorder(self.t0, clock), Recorder(self.t0, clock))
        self.informers: list[Any] = []
        self._registrations: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._stops: list[threading.Event] = []
        self.notes: list[str] = []
        self.cut_at: float | None = None
        self.provoked_at: float | None = None

    # -- life -------------------------------------------------------------------------------
    def start(self) -> None:
        """Build both informers and start them together."""
        name = self.resource.full_name
        for label, gates, rec in zip(self.labels, self.options.features, self.recorders):
            opts = InformerOptions(name=f"compare-{name}-{label.replace(' ', '-')}", features=gates,
                                   resync_period=self.options.resync_period, freeze_gc_after_sync=False,
                                   gc_policy=False)
            informer = new_informer(self.api_client, self.resource, self.options.list_watch, opts)
            self._registrations.append(rec.attach(informer))
            self.informers.append(informer)
        for informer in self.informers:
            stop = threading.Event()
            t = threading.Thread(target=informer.run, args=(stop,), name=f"{informer.name}-run", daemon=True)
            self._stops.append(stop)
            self._threads.append(t)
        for t in self._threads:
            t.start()

    def elapsed(self) -> float:
        return self._clock() - self.t0

    def synced(self) -> bool:
        done = True
        for informer, rec in zip(self.informers, self.recorders):
            if informer.has_synced():
                rec.mark_synced()
            else:
                done = False
        return done and bool(self.informers)

    def wait_synced(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Until both informers synced (True), ``timeout`` passed or ``stop`` was set."""
        stop = stop or threading.Event()
        deadline = self._clock() + timeout
        while not self.synced():
            if stop.is_set() or self._clock() >= deadline:
                return False
            stop.wait(0.05)
        return True

    def failures(self) -> list[str]:
        """Why a side's informer failed for good ("1.32: ..."), if one did."""
        out = []
        for label, informer in zip(self.labels, self.informers):
            st = informer.stats()
            if st.state == InformerState.FAILED:
                out.append(f"{label}: {st.last_error or 'failed'}")
        return out

    def provoke(self) -> bool:
        """Make both sides relist now (the caller's hook); False when there is none."""
        if self.provoke_hook is None:
            return False
        self.provoked_at = self.elapsed()
        self.notes.append(f"relist provoked at +{self.provoked_at:.1f} s")
        self.provoke_hook()
        return True

    def relisted(self) -> bool:
        """Whether each side finished a list since the relist was provoked (True when none
        was)."""
        if self.provoked_at is None:
            return True
        return all(any(m.kind == "ListFinished" and m.time > self.provoked_at for m in list(rec.marks))
                   for rec in self.recorders)

    def stop(self) -> bool:
        """Stop both informers and join their threads; False if one did not end in time."""
        for s in self._stops:
            s.set()
        ok = True
        for t in self._threads:
            t.join(JOIN_TIMEOUT)
            ok = ok and not t.is_alive()
        return ok

    # -- the cut ------------------------------------------------------------------------------
    def _quiet(self) -> bool:
        for informer, reg in zip(self.informers, self._registrations):
            if len(informer.fifo) or reg.backlog:
                return False
        return True

    def settle(self, stop: threading.Event | None = None) -> tuple[list[int], list[dict[str, str]], list[dict[str, str]],
                                                                      list[str], bool]:
        """Read both sides at one instant until they agree (see the module doc) or
        ``settle_timeout`` passed: (call counts, handler views, caches, resourceVersions
        the cut may be at, agreed)."""
        stop = stop or threading.Event()
        deadline = self._clock() + self.options.settle_timeout
        ra, rb = self.recorders
        while True:
            quiet = self._quiet()
            rvs = [inf.last_sync_resource_version for inf in self.informers]
            rvs += [inf.indexer.last_store_sync_resource_version() for inf in self.informers]
            with ra.lock, rb.lock:
                counts = [len(ra.calls), len(rb.calls)]
                views = [dict(ra.view), dict(rb.view)]
            caches = [_rv_map(inf.indexer.list()) for inf in self.informers]
            quiet = quiet and self._quiet()
            agreed = quiet and views[0] == views[1] == caches[0] == caches[1] and self.relisted()
            if agreed or self._clock() >= deadline or stop.is_set():
                candidates = list(dict.fromkeys(rv for rv in rvs if rv))
                return counts, views, caches, candidates, agreed
            stop.wait(0.02)

    def server_objects(self, candidates: list[str], want: dict[str, str]) -> tuple[dict[str, str] | None, str]:
        """The server's objects (key -> resourceVersion) at the first candidate version that
        equals ``want`` (else at the first one, else now), and a note on where they are from."""
        lw = new_list_watcher(self.api_client, self.resource, self.options.list_watch)
        first: tuple[dict[str, str], str] | None = None
        for rv in candidates:
            try:
                got = self._list(lw, rv, "Exact")
            except Exception as e:  # expired, or the server cannot list at a version
                log.info("compare: exact list at %s failed: %s", rv, e)
                continue
            if got == want:
                return got, f"server listed at resourceVersion {rv}"
            if first is None:
                first = (got, f"server listed at resourceVersion {rv}")
        if first is not None:
            return first
        try:
            return self._list(lw, "", ""), "server's current state (the cut's version could not be listed)"
        except Exception as e:
            return None, f"the server could not be listed: {e}"

    @staticmethod
    def _list(lw: Any, rv: str, match: str) -> dict[str, str]:
        items: list[Any] = []
        token = ""
        while True:
            page = lw.list(ListOptions(resource_version=rv if not token else "", resource_version_match=match if not token else "",
                                       limit=500, continue_=token))
            items.extend(page.items)
            token = page.continue_ or ""
            if not token:
                return _rv_map(items)

    def finish(self, stop: threading.Event | None = None) -> Comparison:
        """Cut both sides (``settle``), stop them, check the server and analyse."""
        counts, views, caches, candidates, agreed = self.settle(stop)
        self.cut_at = self.elapsed()
        if not self.relisted():
            self.notes.append("a side had not finished its provoked relist at the cut")
        elif not agreed:
            self.notes.append(f"the two sides did not agree within {self.options.settle_timeout:g} s; "
                              "compared as they were")
        if not self.stop():
            self.notes.append("an informer thread did not stop in time")
        server, where = self.server_objects(candidates, views[0])
        self.notes.append(where)
        sides = [rec.side(label, inf, n, view, cache) for rec, label, inf, n, view, cache
                 in zip(self.recorders, self.labels, self.informers, counts, views, caches)]
        return analyse(sides[0], sides[1], server, tuple(self.notes))
