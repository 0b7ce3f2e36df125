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

from gui_fixtures import App, make_app, qloop, settings  # noqa: E402,F401  (the GUI fixtures of tests/ui)
from hostile_helpers import SimEnv  # noqa: E402


@pytest.fixture
def env(tmp_path):
    e = SimEnv(tmp_path)
    yield e
    e.close()


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
