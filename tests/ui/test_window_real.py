"""Real-window tier: ``kmon --demo`` on Xvfb + openbox, driven with xdotool as a person would.

Offscreen rendering has no window manager and no real keyboard focus: a switcher that never
takes the keyboard, a shortcut that opens a window three times, a title the platform
decorates again, a Ctrl+Q that does nothing, all pass there. These tests skip (saying which
tool is missing) where Xvfb, openbox or xdotool are absent.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import time

import pytest
from realx import real_display  # noqa: F401
from waiting import wait_for

pytestmark = pytest.mark.timeout(180)


# each check asks an external process (xdotool): polled every 0.1 s
_wait = functools.partial(wait_for, timeout=20.0, step=0.1)


@pytest.fixture
def kmon_demo(real_display, tmp_path):  # noqa: F811
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmon", "--demo"],
        env=real_display.env(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"),
                             KUBECONFIG=str(tmp_path / "none")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_switcher_title_and_quit_in_a_real_window(real_display, kmon_demo):  # noqa: F811
    d = real_display
    main = d.wait_window("^kmon", timeout=60)[0]
    # the title the window manager shows: Qt must not append the application name again
    _wait(lambda: d.xdotool("getwindowname", main) == "kmon — kmon-demo", what="the window title")
    d.xdotool("windowactivate", "--sync", main)
    _wait(lambda: d.active_window_name() == "kmon — kmon-demo", what="the main window to be active")

    # Ctrl+K: the switcher is the active window, so what is typed goes to its search field
    d.key("ctrl+k")
    _wait(lambda: d.active_window_name().startswith("Switch context"), what="the switcher to take the keyboard")
    assert len(d.windows("^Switch context")) == 1
    # Esc closes it and gives the keyboard back to the main window
    d.key("Escape")
    _wait(lambda: not d.windows("^Switch context"), what="Esc to close the switcher")
    _wait(lambda: d.active_window_name() == "kmon — kmon-demo", what="the main window to be active again")

    # Ctrl+K three times: one switcher, still focused
    d.key("ctrl+k", "ctrl+k", "ctrl+k")
    _wait(lambda: d.active_window_name().startswith("Switch context"), what="the switcher to take the keyboard")
    time.sleep(0.5)  # give a second or third window the time to appear: there is no event for "nothing more"
    assert len(d.windows("^Switch context")) == 1

    # clicking the main window closes it, as a popup would
    geo = dict(line.split("=") for line in d.xdotool("getwindowgeometry", "--shell", main).split())
    d.xdotool("mousemove", "--window", main, "60", str(int(geo["HEIGHT"]) - 12), "click", "1")  # the status bar
    _wait(lambda: not d.windows("^Switch context"), what="a click elsewhere to close the switcher")
    _wait(lambda: d.active_window_name() == "kmon — kmon-demo", what="the main window to be active again")

    # typed text reaches the field (not the tree): Enter switches to the best match
    d.key("ctrl+k")
    _wait(lambda: d.active_window_name().startswith("Switch context"), what="the switcher to take the keyboard")
    d.type("demo-2")
    d.key("Return")
    _wait(lambda: not d.windows("^Switch context"), what="Enter to close the switcher")
    _wait(lambda: d.xdotool("getwindowname", main) == "kmon — kmon-demo-2", what="the switch to kmon-demo-2")

    # Ctrl+Q quits cleanly
    _wait(lambda: d.active_window_name().startswith("kmon — "), what="the main window to be active")
    d.key("ctrl+q")
    try:
        rc = kmon_demo.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("Ctrl+Q did not quit kmon")
    out = kmon_demo.stdout.read()
    assert rc == 0, out
    assert "Traceback" not in out
