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
