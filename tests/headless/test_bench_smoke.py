"""benchmarks/bench_record.py and bench_fold.py still run (their figures are for people; no threshold here)."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from .conftest import REPO, kmon_env

pytestmark = pytest.mark.timeout(60)


def test_bench_record_quick():
    out = subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "bench_record.py"), "--quick"],
                         capture_output=True, text=True, timeout=50, cwd=REPO, env=kmon_env())
    assert out.returncode == 0, out.stderr
    assert "max sustainable:" in out.stdout and "file bytes/event" in out.stdout
    figures = orjson.loads(out.stdout.strip().splitlines()[-1])
    assert figures["max"]["record_events_per_s"] > 0 and 0 < figures["max"]["file_bytes_per_event"] < 5000
    assert figures["paced"]["events"] > 0


def test_bench_fold_small():
    out = subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "bench_fold.py"), "--objects", "2000",
                          "--batch", "500", "--rounds", "1"],
                         capture_output=True, text=True, timeout=50, cwd=REPO, env=kmon_env())
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split()[-2:] for line in out.stdout.splitlines()[2:]}
    assert set(rows) == {"view", "journal", "charts"}
    assert all(float(v) > 0 for pair in rows.values() for v in pair)
