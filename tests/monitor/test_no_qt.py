import pkgutil
import subprocess
import sys

import kmon.monitor

FORBIDDEN = ("PySide6", "shiboken6", "qasync", "pyqtgraph")


def test_monitor_modules_import_without_qt():
    names = [m.name for m in pkgutil.iter_modules(kmon.monitor.__path__, "kmon.monitor.")]
    assert "kmon.monitor.feed" in names
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}:\n"
        "    importlib.import_module(n)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules imported by kmon.monitor: {out.stdout}"


def test_public_names_are_reexported():
    import kmon.monitor as m
    from kmon.monitor import feed, journal, session

    assert m.Feed is feed.Feed and m.Journal is journal.Journal and m.ContextSession is session.ContextSession
    for name in m.__all__:
        assert getattr(m, name) is not None
    try:
        m.nope
    except AttributeError:
        pass
    else:
        raise AssertionError("unknown names must raise AttributeError")
