"""Fixtures of the hostile-environment suite: a churning sim, a Qt-free session on it, and the
checks every scenario makes -- the session keeps working, says what is wrong, does not retry
in a tight loop, and once the fault clears its cache equals the server.

Helpers live in ``hostile_helpers.py`` (no pytest fixtures there) so the soak benchmark can
reuse them.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from hostile_helpers import SimEnv  # noqa: E402


@pytest.fixture
def env(tmp_path):
    e = SimEnv(tmp_path)
    yield e
    e.close()


# --- GUI fixtures (as tests/ui/conftest.py builds the window; Qt imported lazily) ----------
@pytest.fixture
def qloop(qapp):
    import asyncio

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
        win.resize(1400, 850)
        app = App(qtbot, ws, win, contexts if contexts is not None else ctxs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


class QtTicker:
    """A 10 ms QTimer on the GUI thread; ``max_gap`` is the longest time between two ticks."""

    def __init__(self):
        import time

        from PySide6.QtCore import QTimer

        self._time = time.monotonic
        self.last = self._time()
        self.max_gap = 0.0
        self.ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = self._time()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.ticks += 1

    def reset(self):
        self.last = self._time()
        self.max_gap = 0.0

    def stop(self):
        self.timer.stop()


@pytest.fixture
def qt_ticker(qapp):
    t = QtTicker()
    yield t
    t.stop()
