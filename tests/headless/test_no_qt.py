"""The headless commands never load Qt: importing them, and running them."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import kmon.headless

from .conftest import REPO, kmon_env

pytestmark = pytest.mark.timeout(90)

FORBIDDEN = ("PySide6", "shiboken6", "qasync", "pyqtgraph")
CHECK = (
    "bad = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r} or m == 'kmon.ui' or m.startswith('kmon.ui.'))\n"
    "sys.stderr.write('\\nQT-MODULES:' + ','.join(bad) + '\\n')\n"
)


def _qt_modules(stderr: str) -> str:
    return stderr.rsplit("QT-MODULES:", 1)[1].strip()


def test_headless_modules_import_without_qt():
    names = [m.name for m in pkgutil.iter_modules(kmon.headless.__path__, "kmon.headless.")]
    assert {"kmon.headless.watch", "kmon.headless.stats", "kmon.headless.record", "kmon.headless.replay"} <= set(names)
    names += ["kmon.monitor.recording_format", "kmon.monitor.recording_writer", "kmon.monitor.recording_reader", "kmon.monitor.replayer", "kmon.cli"]
    code = "import importlib, sys\n" f"for n in {names!r}:\n    importlib.import_module(n)\n" + CHECK.format(forbidden=FORBIDDEN)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, env=kmon_env())
    assert out.returncode == 0, out.stderr
    assert _qt_modules(out.stderr) == ""


def test_running_the_headless_commands_loads_no_qt(tmp_path, sim, workload, kubeconfig):
    rec = str(tmp_path / "r.kmonrec")
    runs = [
        ["watch", "--kubeconfig", kubeconfig, "-o", "json", "--duration", "1", "pods"],
        ["watch", "--kubeconfig", kubeconfig, "--duration", "0.5", "configmaps"],
        ["stats", "--kubeconfig", kubeconfig, "--once", "pods"],
        ["record", "-o", rec, "--kubeconfig", kubeconfig, "--duration", "1", "-q", "pods"],
        ["replay", rec, "--to-json"],
    ]
    code = (
        "import sys\nimport kmon.cli\n"
        f"for argv in {runs!r}:\n"
        "    rc = kmon.cli.main(argv)\n"
        "    assert rc == 0, (argv, rc)\n"
        + CHECK.format(forbidden=FORBIDDEN)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=80, cwd=REPO, env=kmon_env())
    assert out.returncode == 0, out.stderr[-2000:]
    assert _qt_modules(out.stderr) == ""
    assert '"kind":"footer"' in out.stdout  # the replay ran last and printed the whole recording
