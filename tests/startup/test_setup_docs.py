"""What README's set-up section and CI promise, checked against the code: the system packages
of Qt's xcb plugin, the two set-up commands, and the backoff README describes."""

from __future__ import annotations

import os
import re

from kmon.cache.backoff import Backoff
from kmon.cache.clock import FakeClock
from kmon.qtplatform import elf
from kmon.qtplatform.packages import PACKAGES, XCB_DEBIAN, is_libc

from .test_platform_check import xcb_plugin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(path: str) -> str:
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def setup_commands() -> list[str]:
    section = read("README.md").split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_has_two_setup_commands_the_first_installing_what_a_fresh_desktop_lacks():
    demo, test = setup_commands()
    assert test == "make test"
    m = re.fullmatch(r"sudo apt-get install -y (.+) && make demo", demo)
    assert m, demo
    packages = m.group(1).split()
    assert packages[:2] == ["python3-venv", "make"]
    assert [p for p in XCB_DEBIAN if p not in packages] == []


def test_ci_installs_the_real_window_tools_and_every_library_of_the_xcb_plugin():
    script = read(".ci/run")
    assert os.access(os.path.join(ROOT, ".ci/run"), os.X_OK)
    listed = set(re.search(r"PACKAGES=\((.*?)\)", script, re.S).group(1).split())
    plugin = xcb_plugin()
    qt_root = os.path.dirname(os.path.dirname(os.path.dirname(plugin)))
    needed = {PACKAGES[so].debian for so, path in elf.resolve([plugin]).items()
              if not is_libc(so) and not (path or "").startswith(qt_root)}
    assert {"xvfb", "openbox", "xdotool", "x11-utils"} | needed <= listed
    assert re.search(r"^make test$", script, re.M)  # the README's test command, nothing weaker
    assert "unset DISPLAY WAYLAND_DISPLAY" in script and "DEBIAN_FRONTEND=noninteractive" in script


def test_readme_states_the_backoff_the_reflector_uses():
    text = " ".join(read("README.md").split())
    b = Backoff()
    high = 1 + b.jitter  # client-go's jitter: delay * (1 + random() * jitter)
    claims = [
        f"a base wait of {b.initial:g} s that doubles after each failure up to a cap of {b.cap:g} s",
        f"random factor between 1 and {high:g}",
        f"so {b.initial:g}–{b.initial * high:g} s at first and {b.cap:g}–{b.cap * high:g} s once capped",
        f"after two minutes without a retry the base starts again at {b.initial:g} s",
    ]
    assert [c for c in claims if c not in text] == []
    assert b.factor == 2 and b.reset_after == 120


def test_the_backoff_waits_are_what_readme_says():
    clock = FakeClock()
    lowest = Backoff(clock=clock, rand=lambda: 0.0)
    highest = Backoff(clock=clock, rand=lambda: 1.0)
    assert [round(lowest.next(), 3) for _ in range(8)] == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30]
    assert [round(highest.next(), 3) for _ in range(8)] == [1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 60, 60]
    clock.step(121)
    assert lowest.next() == 0.8
