"""kmon.sim (docstring written below)."""

from kmon.sim.server import RequestRecord, SimServer
from kmon.sim.storage import Store, StoreError

__all__ = ["SimServer", "RequestRecord", "Store", "StoreError"]
