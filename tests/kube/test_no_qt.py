"""kmon.kube must not import Qt (only kmon.ui may)."""

from __future__ import annotations

import subprocess
import sys

CODE = r"""
import importlib, pkgutil, sys
import kmon.kube
for m in pkgutil.walk_packages(kmon.kube.__path__, "kmon.kube."):
    importlib.import_module(m.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "qasync", "pyqtgraph", "PyQt5", "PyQt6"))
print(",".join(bad))
"""


def test_kmon_kube_imports_no_qt():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules imported: {out.stdout}"
