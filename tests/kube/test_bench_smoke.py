"""The pipeline benchmark runs end to end (``--quick``: small sizes, figures not checked)."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bench_pipeline_quick():
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "bench_pipeline.py"), "--quick"],
        capture_output=True, text=True, timeout=110, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    for words in ("watch events/s", "initial list items/s", "watch_vs_models", "list_vs_bare", "metadata-only",
                  "list compression", "bytes on the wire", "models per round"):
        assert words in out.stdout
