"""A real X server for the few tests that offscreen rendering cannot answer.

Why this module exists: ``QT_QPA_PLATFORM=offscreen`` has no window manager and no real
keyboard focus, so a popup that never takes the keyboard, a shortcut that opens a window
twice or a platform plugin that cannot load all pass there. These tests start Xvfb with a
small window manager (openbox), run kmon in a child process on the xcb platform, and drive
it with xdotool, as a person at the keyboard would. Where the tools are missing the tests
skip and say which; CI (``.ci/run``, Debian, root) installs them.

Use: a test module does ``from realx import real_display  # noqa: F401`` and takes the
``real_display`` fixture (an :class:`XDisplay`).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from waiting import wait_for

TOOLS = ("Xvfb", "openbox", "xdotool")
INSTALL_HINT = "apt-get install xvfb openbox xdotool libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1"


class XDisplay:
    """One Xvfb screen with openbox running on it."""

    def __init__(self, display: str) -> None:
        self.display = display

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a child process on this display (xcb platform, no offscreen)."""
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env["QT_QPA_PLATFORM"] = "xcb"
        env.pop("WAYLAND_DISPLAY", None)
        env.update(extra)
        return env

    def xdotool(self, *args: str, timeout: float = 20.0) -> str:
        out = subprocess.run(
            ["xdotool", *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        if out.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout.strip()

    def wait_window(self, name_regex: str, *, timeout: float = 30.0, only_visible: bool = True) -> list[str]:
        """Window ids whose title matches ``name_regex``, waiting until there is one."""
        # polling an external process (xdotool): there is nothing to wait on
        return wait_for(lambda: self.windows(name_regex, only_visible=only_visible), timeout,
                        f"a window named /{name_regex}/", step=0.1)

    def windows(self, name_regex: str, *, only_visible: bool = True) -> list[str]:
        args = ["search"] + (["--onlyvisible"] if only_visible else []) + ["--name", name_regex]
        out = subprocess.run(["xdotool", *args], env=self.env(), capture_output=True, text=True)
        return out.stdout.split()

    def active_window_name(self) -> str:
        try:
            return self.xdotool("getactivewindow", "getwindowname")
        except RuntimeError:
            return ""

    def key(self, *keys: str) -> None:
        """Send key presses (xdotool names: ``ctrl+k``, ``Escape``, ``Return``) to whatever has
        the keyboard focus, as a person would."""
        self.xdotool("key", "--clearmodifiers", "--delay", "40", *keys)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "30", text)


def _missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


@pytest.fixture(scope="session")
def real_display():
    missing = _missing_tools()
    if missing:
        pytest.skip(f"real-window test skipped: {', '.join(missing)} not installed ({INSTALL_HINT})")
    # -noreset: an X server resets when its last client disconnects, and a readiness probe
    # disconnecting just as openbox connects then made openbox fail ("Failed to open the
    # display") about one start in ten
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-noreset"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    line = xvfb.stdout.readline().decode().strip()  # Xvfb writes the display number once ready
    if not line.isdigit():
        xvfb.kill()
        pytest.fail(f"Xvfb did not start (printed {line!r})")
    disp = XDisplay(f":{line}")
    wm = subprocess.Popen(["openbox", "--sm-disable"], env=disp.env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    # openbox is up once it owns the _NET_SUPPORTING_WM_CHECK window; xdotool can ask for it
    def openbox_ready() -> bool:
        nonlocal wm
        probe = subprocess.run(["xdotool", "getdisplaygeometry"], env=disp.env(), capture_output=True)
        if probe.returncode == 0 and wm.poll() is not None:
            # it could not open the display yet (seen when several Xvfb start at once): again
            wm = subprocess.Popen(["openbox", "--sm-disable"], env=disp.env(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if probe.returncode != 0 or wm.poll() is not None:
            return False
        root = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=disp.env(),
                              capture_output=True, text=True) if shutil.which("xprop") else None
        return root is None or "window id" in root.stdout

    try:
        wait_for(openbox_ready, 20, "openbox on Xvfb", step=0.1)  # polling external processes
    except AssertionError:
        wm.kill()
        xvfb.kill()
        pytest.fail("openbox did not start on Xvfb within 20 s")
    yield disp
    for p in (wm, xvfb):
        p.terminate()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
