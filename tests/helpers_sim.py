"""Helpers shared by the test layers that drive a sim (importable as ``helpers_sim``: pytest
puts ``tests/`` on ``sys.path`` for its root conftest)."""

from __future__ import annotations

import time
from typing import Any, Callable


def wait_for(cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition", step: float = 0.02) -> Any:
    """Poll ``cond`` every ``step`` seconds until truthy; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)
