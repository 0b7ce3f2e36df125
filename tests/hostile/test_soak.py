"""The soak benchmark's CI variant: under a minute of churn with a fault every 5 s and the
window open offscreen; RSS and thread count flat after the warm-up, no dialog piling up, the
event log within its capacity, only GET requests, and the tree equal to the server once the
faults stop. The full run is ``benchmarks/bench_soak.py`` (10 minutes at 1,000 writes/s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.timeout(300)
def test_short_soak_is_flat_and_bounded(tmp_path):
    out = tmp_path / "soak.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=REPO)
    r = subprocess.run(
        [sys.executable, os.path.join(REPO, "benchmarks", "bench_soak.py"), "--minutes", "0.5", "--warmup", "15",
         "--rate", "200", "--pods", "300", "--log-capacity", "2000", "--fault-every", "5", "--max-rss-growth", "40", "--check",
         "--json", str(out)],
        capture_output=True, timeout=280, cwd=REPO, env=env,
    )
    assert r.returncode == 0, (r.stdout.decode()[-3000:], r.stderr.decode()[-3000:])
    res = json.loads(out.read_text())
    assert res["problems"] == []
    assert len(res["faults"]) >= 5  # the rotation went round
    assert res["journal_max"] <= res["journal_capacity"]
    assert res["message_boxes_max"] == 0 and res["top_level_visible_max"] == 1
    assert res["request_methods"] == ["GET"]
    assert res["converged_after_s"] is not None
    assert res["threads_min_max"][1] - res["threads_min_max"][0] <= 3
