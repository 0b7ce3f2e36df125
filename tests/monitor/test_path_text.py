"""The path an informer runs and its watches, in words: short for narrow cells, whole for
tooltips (``path_text``, ``watch_text``)."""

from kmon.cache.features import FeatureGates
from kmon.monitor.path_text import gates_short, queue_short, sync_explained, sync_short
from kmon.monitor.watch_text import watches_explained, watches_text


def test_short_path_cells_name_what_tells_paths_apart():
    assert queue_short("RealFIFO (atomic, batched, unlocking)") == "RealFIFO atomic"
    assert queue_short("RealFIFO (batched)") == "RealFIFO batched"
    assert (queue_short("RealFIFO"), queue_short("DeltaFIFO"), queue_short("")) == ("RealFIFO", "DeltaFIFO", "")
    assert sync_short("LIST (WatchList refused: 422 Invalid)") == "LIST (fallback)"
    assert (sync_short("WatchList"), sync_short("LIST")) == ("WatchList", "LIST")
    assert sync_explained("LIST (WatchList refused: 422 Invalid)").startswith(
        "LIST, because WatchList refused: 422 Invalid: as client-go does, the round listed at once instead")
    env = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "false"}, None)
    two = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "false", "KUBE_FEATURE_AtomicFIFO": "false"}, None)
    assert (gates_short(env), gates_short(two)) == ("1.36 · WatchList off", "1.36 · 2 env")
    assert (gates_short(FeatureGates.for_client_go("1.32")), gates_short(None)) == ("1.32", "")


def test_watches_say_started_ended_and_the_open_one():
    assert watches_text(3, {"expired": 1, "closed": 1}) == "3 / 2 · open"
    assert watches_text(2, {"closed": 1, "stopped": 1}) == "2 / 2"
    assert watches_text(0, None) == "0 / 0"
    assert watches_explained(3, {"expired": 1, "closed": 1}) == "3 started, 2 ended (closed 1, expired 1); one open now"
    assert watches_explained(1, {}) == "1 started, 0 ended; one open now"
