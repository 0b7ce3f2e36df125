"""``kmon`` at the command line before any window: the start-up check stops it with one
message and status 1 before Qt is even imported; --help and --version; packaging metadata."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)


def test_kmon_stops_before_creating_the_application_when_xcb_libraries_are_missing():
    """``kmon --demo`` on a fresh Debian 12 (faked: the resolver says two libraries are missing):
    one message, status 1, and Qt never imported, so no QApplication could abort."""
    code = (
        "import sys\n"
        "import kmon.qtplatform as q\n"
        "real = q.check\n"
        "missing = lambda paths: ['libxcb-icccm.so.4', 'libxcb-keysyms.so.1']\n"
        "q.check = lambda: real(None, q.Probes(missing_libraries=missing, x11_listening=lambda d: True))\n"
        "import kmon.cli\n"
        "rc = kmon.cli.main(['--demo'])\n"
        "sys.stderr.write('QT:' + ','.join(sorted(m for m in sys.modules if m.startswith(('PySide6', 'kmon.ui')))))\n"
        "sys.exit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    r = run(code, {**env, "DISPLAY": ":0"})
    assert r.returncode == 1, r.stderr
    err, qt = r.stderr.rsplit("QT:", 1)
    assert qt == ""
    assert "libxcb-icccm.so.4" in err and "libxcb-keysyms.so.1" in err
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1" in err
    assert "Traceback" not in err and "Aborted" not in err


def test_no_display_stops_kmon_with_a_plain_sentence():
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "DISPLAY", "XDG_SESSION_TYPE")}
    r = subprocess.run([sys.executable, "-m", "kmon", "--demo"], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert r.returncode == 1
    assert "there is no display" in r.stderr and "QT_QPA_PLATFORM=offscreen" in r.stderr
    assert "Aborted" not in r.stderr and "Traceback" not in r.stderr


def test_missing_qt_libraries_name_every_one_and_exit_1(monkeypatch, capsys):
    import builtins
    import importlib

    from kmon import app_cli

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("PySide6"):
            raise ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: fake(name))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app_cli.main(["--demo"]) == 1
    err = capsys.readouterr().err
    assert "  libEGL.so.1\n" in err
    assert "sudo apt-get install -y libegl1" in err and "sudo dnf install -y libglvnd-egl" in err
    assert "sudo pacman -S --needed libglvnd" in err
    assert "Traceback" not in err


def test_help_shows_version_and_version_prints_it():
    from kmon import __version__

    r = subprocess.run([sys.executable, "-m", "kmon", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0 and re.search(r"-V, --version\s+show program's version number", r.stdout)
    r = subprocess.run([sys.executable, "-m", "kmon", "--version"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip() == f"kmon {__version__}"


def test_the_license_is_an_spdx_expression_setuptools_understands():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        meta = tomllib.load(f)
    assert meta["project"]["license"] == "Apache-2.0"  # a TOML table is deprecated (warns on every build)
    build = meta["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77 for r in build), build


def test_geometry_and_palette_choose_the_window_for_this_run(capsys):
    """``--geometry`` and ``--palette`` (used for screenshots at 1280x720/1920x1080, light
    and dark): parsed before Qt; a malformed size is refused with a usage error."""
    import pytest

    from kmon.app_cli import parser

    args = parser().parse_args(["--geometry", "1280x720", "--palette", "dark"])
    assert args.geometry == (1280, 720) and args.palette == "dark"
    assert parser().parse_args([]).geometry is None
    for bad in ("1280", "10x10", "wide"):
        with pytest.raises(SystemExit):
            parser().parse_args(["--geometry", bad])
        assert "WIDTHxHEIGHT" in capsys.readouterr().err
