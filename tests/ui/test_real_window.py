"""``kmon --demo`` on a real X server (Xvfb + openbox), on the xcb platform plugin that the
offscreen tests never load: the start-up check passes there, a window opens and takes the
focus, and Ctrl+C in the terminal closes it cleanly. Skips, naming the tools, without Xvfb."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from realx import real_display  # noqa: F401
from waiting import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kmon_windows(disp, pid: int) -> list[str]:
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid)], env=disp.env(),
                         capture_output=True, text=True, timeout=20)
    return out.stdout.split()


def test_kmon_demo_opens_a_window_on_a_real_display(real_display, tmp_path):  # noqa: F811
    env = real_display.env(XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))  # settings stay here
    check = subprocess.run([sys.executable, "-c", "from kmon.qtplatform import check; print(check() or 'ok')"],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.stdout.strip() == "ok", check.stdout + check.stderr

    proc = subprocess.Popen([sys.executable, "-m", "kmon", "--demo"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def window():
            assert proc.poll() is None, f"kmon exited with {proc.returncode}: {proc.communicate()[1][-2000:]}"
            return kmon_windows(real_display, proc.pid)

        ids = wait_for(window, 60, "a kmon window", step=0.1)  # asks xdotool: polled
        geometry = dict(ln.split("=", 1) for ln in real_display.xdotool("getwindowgeometry", "--shell", ids[0]).split())
        assert int(geometry["WIDTH"]) >= 640 and int(geometry["HEIGHT"]) >= 400, geometry
        # the window manager focuses the new window on its own time
        wait_for(lambda: real_display.xdotool("getactivewindow", "getwindowpid") == str(proc.pid), 20,
                 "kmon's window to take the focus", step=0.1)
        proc.send_signal(signal.SIGINT)  # Ctrl+C in the terminal
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        assert "Could not load the Qt platform plugin" not in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
