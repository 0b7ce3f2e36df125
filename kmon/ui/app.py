"""Start the desktop app: QApplication on a qasync loop, workspace, window, contexts.

Why this module exists: process-level concerns in one place — the application's identity
and icon, the asyncio loop that GUI tasks await on, the demo cluster's life, which contexts
open first (``--context``, else the last session's, else the kubeconfig's current one),
screenshot mode, and an orderly exit that stops every informer thread.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from kmon import env
from kmon.monitor.preflight import preflight_problems
from kmon.monitor.session_args import session_options_from_args
from kmon.monitor.session_options import DEFAULT_RESOURCES

from .icons import app_icon
from .kubeconfigs import Kubeconfigs
from .main_window import MainWindow
from .palette import apply_palette
from .settings import Settings
from .workspace import Workspace

__all__ = ["run", "build", "prepare_screenshot", "expand_for_screenshot", "start_gc_policy"]


def _resources_for(given: tuple[str, ...], settings: Settings):
    """The resources a context starts with: ``--resources`` (``given``) for every context,
    else the context's saved choice (else the one older versions kept for all), else the
    defaults."""
    if given:
        return lambda _context: list(given)
    return lambda context: settings.resources(context) or list(DEFAULT_RESOURCES)


def _client_go_for(given: str | None, settings: Settings):
    """The client-go version a context runs as: ``--client-go`` (``given``) for every context,
    else the context's saved choice (else the latest: None)."""
    if given:
        return lambda _context: given
    return settings.client_go


def build(args: Any, *, settings: Settings, kubeconfig: Any = None, session_factory=None,
          views: bool = True, watch: bool = True) -> tuple[Workspace, MainWindow, list[str]]:
    """Create the workspace and the window for parsed ``args``; returns them and the
    contexts to open (not opened yet). ``kubeconfig``: a file (``--kubeconfig``, the demo's)
    or None for kubectl's; ``views``: dock the event log, charts and cache inspector
    (``win.views``); ``watch``: offer a reload when the kubeconfig files change."""
    resources_for = _resources_for(args.resources, settings)
    # (the kubeconfig the sessions use is the one Kubeconfigs loads: set there)
    options = replace(session_options_from_args(args), kubeconfig=None, resources=tuple(resources_for("")))
    ws = Workspace(
        options=options,
        session_factory=session_factory,
        freshness=settings.freshness_thresholds(),
        keep_deleted=4.0 if settings.keep_deleted() else 0.0,
        resources_for=resources_for,
        client_go_for=_client_go_for(options.client_go, settings),
    )
    kc = Kubeconfigs(ws, [os.fspath(kubeconfig)] if kubeconfig else None, watch=watch)
    win = MainWindow(ws, settings, kc.entries)
    win.attach_kubeconfigs(kc)
    if views:
        from .views import install_views

        install_views(win, ws, settings)
        kc.sigDemo.connect(win.views.set_demo)
    known = {e.name for e in kc.entries}
    wanted = options.context
    if wanted:  # (one that does not exist fails as its session starts, naming the others)
        contexts = [wanted]
    else:
        # (none: the tree area's empty state offers the switcher, a file or the demo)
        contexts = [c for c in settings.last_contexts() if c in known] or ([kc.current] if kc.current in known else [])
    problems = preflight_problems(options.label_selector, options.field_selector)  # a bad -l or variable: open nothing
    for i, text in enumerate(problems):
        win.errors.add(f"{text}; no context opened", key=f"startup-{i}")
    return ws, win, [] if problems else contexts


# (a bad value falls back to the default here and is shown at start: preflight_problems)
GC_THRESHOLDS = env.GC_THRESHOLDS.read_or_default()
GC_REFREEZE = env.GC_REFREEZE.read_or_default()
HEAP_TRIM_EVERY = 20.0  # seconds between malloc_trim calls once synced (1-3 ms each)


def start_gc_policy(ws: Workspace, parent, *, refreeze_every: float = GC_REFREEZE,
                    trim_every: float = HEAP_TRIM_EVERY) -> QTimer:
    """The cyclic GC is the GUI's worst enemy with 50,000 cached objects: a full collection
    walks every container object alive (seconds, holding the GIL). Thresholds: the cache
    layer's process-wide policy (``kmon.cache.gcguard.policy``) when present, else
    ``GC_THRESHOLDS`` (env KMON_GC_THRESHOLDS also overrides the cache's). Once every open
    context has synced, ``gc.freeze()`` the caches into the permanent generation; then freeze
    again every ``refreeze_every`` seconds (O(1), env KMON_GC_REFREEZE) so older collections
    only walk what is younger than that — also when deltas do not come through informers.
    Objects from the API are acyclic: their refcounts still free them once frozen. The
    allocator's free pages go back to the system after the sync and every ``trim_every``
    seconds (``kmon.cache.heap_trim``)."""
    import time as _time

    from kmon.cache import gcguard, heap_trim

    gcguard.install_thresholds(GC_THRESHOLDS, override="KMON_GC_THRESHOLDS" in os.environ)
    state = {"last": 0.0, "trimmed": 0.0}
    timer = QTimer(parent)
    timer.setInterval(1000)

    def tick() -> None:
        now = _time.monotonic()
        if not ws.frozen:
            if ws.freeze_after_sync():
                state["last"] = state["trimmed"] = now
                # from now on, large blocks (read buffers) get pages of their own: the sync
                # itself runs with glibc's own policy, which measured faster for it
                heap_trim.fix_mmap_threshold()
                heap_trim.trim()  # what the sync's decoding left free goes back at once
        elif now - state["last"] >= refreeze_every:
            gcguard.freeze()
            state["last"] = now
        if ws.frozen and now - state["trimmed"] >= trim_every:
            heap_trim.trim()  # replaced objects' pages, freed under churn
            state["trimmed"] = now

    timer.timeout.connect(tick)
    timer.start()
    return timer


def expand_for_screenshot(win: MainWindow) -> None:
    """Expand the first context's first namespaces (pods and deployments visible) and select
    a pod with some delta history, near the top so the context row stays in view."""
    tree = win.ws.tree
    view = win.tree
    pods = None
    for ctx in tree.root.children[:1]:
        view.expand_node(ctx)
        for ns in ctx.children:
            if ns.name == "cluster-scoped":
                continue
            view.expand_node(ns)
            for kind in ns.children:
                if kind.name in ("pods", "deployments.apps") and pods is None:
                    view.expand_node(kind)
                    if kind.name == "pods":
                        pods = kind
            if pods is not None:
                break
    candidates = list(pods.children[:24]) if pods is not None else list(tree.objects())[:50]
    best = None
    for node in candidates:
        n = len(win.ws.history.entries(node.context, node.resource, node.key))
        if best is None or n > best[0]:
            best = (n, node)
    if best is not None:
        view.select_node(best[1])
        # an object that changed since the initial list: show how (its history and diff)
        win.detail.tabs.setCurrentIndex(1 if best[0] >= 2 else 0)
    view.scrollToTop()


def prepare_screenshot(win: MainWindow, path: str, app: QApplication) -> None:
    expand_for_screenshot(win)
    win.tree.source.tick()

    def shoot() -> None:
        app.processEvents()
        pix = win.grab()
        ok = pix.save(path, "PNG")
        if not ok:
            print(f"kmon: could not write {path}", file=sys.stderr)
        app.exit(0 if ok else 1)

    QTimer.singleShot(300, shoot)


def make_app() -> tuple[QApplication, Any]:
    """The QApplication (named and with kmon's icon) and a qasync loop on it, set as the
    asyncio event loop."""
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("kmon")
    app.setApplicationName("kmon")
    # no applicationDisplayName: on X11 and Wayland Qt appends it to every window title
    # ("kmon — prod — kmon"); the titles name kmon themselves
    app.setDesktopFileName("kmon")
    app.setWindowIcon(app_icon())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return app, loop


def run(args: Any) -> int:
    app, loop = make_app()

    demo = None
    kubeconfig = getattr(args, "kubeconfig", None)
    if args.demo:
        from kmon.sim.demo import DemoCluster

        demo = DemoCluster()
        kubeconfig = demo.kubeconfig_path
    if args.screenshot:  # never touch the user's settings for a picture
        tmp = tempfile.mkdtemp(prefix="kmon-shot-")
        qs = QSettings(os.path.join(tmp, "kmon.ini"), QSettings.Format.IniFormat)
    else:
        qs = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "kmon", "kmon-demo" if demo else "kmon")
    settings = Settings(qs)
    apply_palette(getattr(args, "palette", None) or settings.palette(), app)
    ws, win, contexts = build(args, settings=settings, kubeconfig=kubeconfig)
    win.menus.sigQuit.connect(app.quit)
    if demo is not None and getattr(win, "views", None) is not None:
        win.views.set_demo(demo)  # the fault toolbar
    size = getattr(args, "geometry", None) or ((1600, 900) if args.screenshot else None)
    if size:
        win.resize(*size)
    for c in contexts:
        ws.open_context(c)
    ws.bridge.start()
    start_gc_policy(ws, win)
    win.show()
    _quit_on_sigint(app)
    if args.screenshot:
        QTimer.singleShot(int(args.after * 1000), lambda: prepare_screenshot(win, args.screenshot, app))
        if demo is not None and getattr(win, "views", None) is not None:
            QTimer.singleShot(int(max(0.0, args.after - 3.0) * 1000), win.views.stage_for_screenshot)

    rc = 0
    try:
        with loop:
            rc = app.exec() if not args.screenshot else _exec(app)
    finally:
        if not args.screenshot:
            win.save_layout()
        ws.close_all(timeout=2.0)
        ws.runner.shutdown(wait=False)
        if demo is not None:
            demo.stop()
        if win.kubeconfigs is not None:
            win.kubeconfigs.stop_demo()  # (one opened from the empty state or the File menu)
    return rc


def _quit_on_sigint(app: QApplication) -> None:
    """Ctrl+C in the terminal closes the window cleanly (Qt's loop would otherwise keep the
    Python handler from running until some Python code runs)."""
    import signal

    def handler(*_a) -> None:
        for w in app.topLevelWidgets():
            w.close()
        app.quit()

    signal.signal(signal.SIGINT, handler)
    wake = QTimer(app)
    wake.setInterval(250)
    wake.timeout.connect(lambda: None)  # lets the interpreter run signal handlers
    wake.start()


def _exec(app: QApplication) -> int:
    return app.exec()
