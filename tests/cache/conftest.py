"""``watch_mode``: run a module's tests with watches read event by event and again read in
batches (``batches()``, what RestWatch offers and the reflector prefers)."""

import pytest

from .fakes import FakeWatch


@pytest.fixture(params=["events", "batches"])
def watch_mode(request, monkeypatch):
    if request.param == "batches":
        monkeypatch.setattr(FakeWatch, "batches", FakeWatch._batches, raising=False)
    return request.param
