"""The GUI operations benchmark runs end to end (``--quick``: small sizes, figures not checked)
and reports every figure the tests used to time themselves."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bench_gui_ops_quick():
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "bench_gui_ops.py"), "--quick"],
        capture_output=True, text=True, timeout=110, cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    for figure in ("category_filter_speedup", "text_filter_speedup", "batch_full_vs_small_log", "feed_put_vs_deque",
                   "feed_drain_vs_list", "switch_gui_thread_s", "switch_vs_old_threads_ended", "targets:"):
        assert figure in out.stdout
