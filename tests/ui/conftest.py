"""Fixtures of the widget and integration tiers: a qasync loop, temporary settings, the demo
cluster and a main window built the way ``kmon --demo`` builds it."""

from __future__ import annotations

import os
import sys

from gui_fixtures import App, make_app, qloop, settings  # noqa: E402,F401  (shared with tests/hostile)

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # helpers.py


@pytest.fixture(scope="module")
def demo():
    from kmon.sim.demo import DemoCluster

    d = DemoCluster(churn=40.0, pods=60, bookmark_interval=5.0)
    yield d
    d.stop()


