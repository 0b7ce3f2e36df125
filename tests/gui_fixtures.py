"""GUI fixtures shared by tests/ui and tests/hostile: a qasync loop, temporary settings, and a
main window built the way ``kmon`` builds it (``make_app``). Conftests import them by name."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def qloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from kmon.ui.settings import Settings

    return Settings(QSettings(str(tmp_path / "kmon.ini"), QSettings.Format.IniFormat))


class App:
    """A window on a kubeconfig, with helpers to wait on it."""

    def __init__(self, qtbot, ws, win, contexts):
        self.qtbot, self.ws, self.win, self.contexts = qtbot, ws, win, contexts

    def open(self):
        for c in self.contexts:
            self.ws.open_context(c)
        self.ws.bridge.start()
        return self

    def wait_synced(self, timeout=20000):
        self.qtbot.waitUntil(lambda: self.ws.all_synced() and self.ws.bridge.pending() == 0, timeout=timeout)
        self.ws.bridge.drain()

    def close(self):
        self.win.close()
        for task in list(self.ws.closing.values()):
            self.qtbot.waitUntil(task.done, timeout=5000)
        assert self.ws.close_all(timeout=3.0)
        self.ws.runner.shutdown(wait=True)


@pytest.fixture
def make_app(qtbot, qloop, settings):
    from kmon.app_cli import parser
    from kmon.ui.app import build

    apps = []

    def make(kubeconfig, argv=(), contexts=None):
        args = parser().parse_args(list(argv))
        ws, win, ctxs = build(args, settings=settings, kubeconfig=kubeconfig)
        qtbot.addWidget(win)
        if settings.geometry() is None:
            win.resize(1400, 850)
        app = App(qtbot, ws, win, contexts if contexts is not None else ctxs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
