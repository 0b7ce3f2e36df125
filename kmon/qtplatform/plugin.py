"""Can Qt's platform plugin start here? Decided before anything imports Qt.

Why this module exists: when the platform plugin cannot load (a missing xcb library, no
display, a dead X server), Qt prints a misleading line and aborts the process (exit 134, no
window) while the application object is being created: too late for kmon to say anything.
This module decides which plugins Qt will try, as ``QGuiApplication`` does, and checks each
without Qt: its shared libraries resolve (``elf``), and its display server is there.

Qt's choice on Linux (Qt 6.5+, ``QGuiApplicationPrivate::createPlatformIntegration``):
``QT_QPA_PLATFORM`` when set (``;`` separates fallbacks); otherwise ``wayland`` first when
``WAYLAND_DISPLAY`` is set or ``XDG_SESSION_TYPE=wayland``, then ``xcb`` (when ``DISPLAY`` is
set, and in any case as the built-in default). Qt uses the first plugin that starts.
"""

from __future__ import annotations

import errno
import glob
import importlib.util
import os
import re
import socket
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from kmon.qtplatform import elf
from kmon.qtplatform.packages import install_lines

__all__ = ["Probes", "Verdict", "candidates", "check", "import_problem", "plugin_dir", "x11_listening",
           "wayland_listening"]

# plugin -> the files that may provide it (newest Qt first; in Qt 6.11 one file serves wayland,
# wayland-egl and wayland-brcm); plugins not here (offscreen, minimal, eglfs...) are left to Qt
_PLUGIN_FILES = {
    "xcb": ("libqxcb.so",),
    "wayland": ("libqwayland.so", "libqwayland-generic.so", "libqwayland-egl.so"),
}

NO_DISPLAY_HINT = (
    "Start kmon from a desktop session (or over `ssh -X`). Without a display:\n"
    "  QT_QPA_PLATFORM=offscreen kmon --demo --screenshot shot.png   draws the window into a PNG\n"
    "  kmon watch / kmon stats / kmon record                          work in a terminal"
)


def candidates(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order."""
    explicit = env.get("QT_QPA_PLATFORM", "")
    if explicit:
        names = explicit.split(";")
    else:
        names = []
        if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
            names.append("wayland")
        names.append("xcb")  # when DISPLAY is set, and Qt's built-in default otherwise
    return [n.split(":", 1)[0].strip().lower() for n in names if n.strip()]  # Qt ignores case


def pyside_roots() -> list[str]:
    """PySide6's package directories, found without importing it."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return []
    return list(spec.submodule_search_locations or []) if spec else []


def plugin_dir(env: Mapping[str, str]) -> list[str]:
    """Where Qt looks for platform plugins: ``QT_QPA_PLATFORM_PLUGIN_PATH`` first, then
    PySide6's own directory."""
    dirs = [d for d in env.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if d]
    return dirs + [os.path.join(root, "Qt", "plugins", "platforms") for root in pyside_roots()]


def x11_listening(display: str) -> bool | None:
    """Whether an X server listens at a local ``DISPLAY`` (``:N``, ``unix:N``): True/False;
    None when that cannot be told without the network (``host:N``) or the socket cannot be
    tried."""
    m = re.fullmatch(r"(unix)?:(\d+)(\.\d+)?", display.strip())
    if not m:
        return None
    path = f"/tmp/.X11-unix/X{m.group(2)}"
    refused = (errno.ENOENT, errno.ECONNREFUSED)
    for address in (path, "\0" + path):  # the file, then Linux's abstract namespace
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.connect(address)
            return True
        except OSError as e:
            if e.errno not in refused:
                return None
        finally:
            s.close()
    return False


def wayland_listening(env: Mapping[str, str]) -> bool:
    """Whether the compositor socket ``wl_display_connect(NULL)`` would use exists."""
    if env.get("WAYLAND_SOCKET"):
        return True  # an inherited connection
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if not os.path.isabs(name):
        runtime = env.get("XDG_RUNTIME_DIR")
        if not runtime:
            return False
        name = os.path.join(runtime, name)
    try:
        return stat.S_ISSOCK(os.stat(name).st_mode)
    except OSError:
        return False


def probe_in_child(env: Mapping[str, str]) -> str | None:
    """Start a QGuiApplication in a child process: None when it starts, else the end of
    what Qt printed. The fallback when the plugin's libraries cannot be read (slow: ~1 s)."""
    code = "import sys\nfrom PySide6.QtGui import QGuiApplication\nQGuiApplication(sys.argv[:1])\n"
    try:
        r = subprocess.run([sys.executable, "-c", code], env=dict(env), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"Qt could not be tried in a child process ({e})"
    if r.returncode == 0:
        return None
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith(("Traceback", "  "))]
    return "\n".join(lines[-4:]) or f"Qt's test process failed with status {r.returncode}"


@dataclass(frozen=True)
class Probes:
    """How the check learns about the machine; tests replace any of them."""

    missing_libraries: Callable[[Sequence[str]], list[str]] = elf.missing_libraries
    x11_listening: Callable[[str], bool | None] = x11_listening
    wayland_listening: Callable[[Mapping[str, str]], bool] = wayland_listening
    probe_in_child: Callable[[Mapping[str, str]], str | None] = probe_in_child


@dataclass
class Verdict:
    """Whether one platform plugin can start, and if not why."""

    platform: str
    ok: bool
    missing: list[str] = field(default_factory=list)
    reason: str = ""


def _find_plugin(name: str, dirs: Sequence[str]) -> str | None:
    for d in dirs:
        for f in _PLUGIN_FILES.get(name, ()):
            path = os.path.join(d, f)
            if os.path.isfile(path):
                return path
    return None


def judge(name: str, env: Mapping[str, str], dirs: Sequence[str], probes: Probes) -> Verdict:
    """Whether Qt's plugin ``name`` can start in ``env``. Plugins this module does not know
    (offscreen, minimal, eglfs...) are left to Qt."""
    base = "wayland" if name.startswith("wayland") else name
    if base not in _PLUGIN_FILES:
        return Verdict(name, True)
    plugin = _find_plugin(base, dirs)
    if plugin is None:
        return Verdict(name, True)  # not a PySide6 layout this module knows: Qt will say
    try:
        missing = list(probes.missing_libraries([plugin]))
    except (OSError, ValueError):
        failure = probes.probe_in_child({**env, "QT_QPA_PLATFORM": name})
        said = "Qt, tried in a child process, said:\n" + "\n".join(f"  {ln}" for ln in (failure or "").splitlines())
        return Verdict(name, failure is None, reason=said if failure else "")
    if base == "xcb":
        display = env.get("DISPLAY", "")
        if not display:
            reason = "DISPLAY is not set"
        elif probes.x11_listening(display) is False:
            reason = f"no X server answers at DISPLAY={display}"
        else:
            reason = ""
    else:
        where = env.get("WAYLAND_DISPLAY") or "wayland-0"
        reason = "" if probes.wayland_listening(env) else f"no Wayland compositor at {where}"
    return Verdict(name, not missing and not reason, missing, reason)


def check(env: Mapping[str, str] | None = None, probes: Probes | None = None,
          plugin_dirs: Sequence[str] | None = None) -> str | None:
    """None when the platform plugin Qt will use can start; otherwise one message naming
    every missing library with the commands that install them, or the missing display."""
    if not sys.platform.startswith("linux"):
        return None
    env = os.environ if env is None else env
    probes = probes or Probes()
    dirs = plugin_dir(env) if plugin_dirs is None else plugin_dirs
    verdicts: list[Verdict] = []
    for name in candidates(env):
        v = judge(name, env, dirs, probes)
        if v.ok:
            return None
        verdicts.append(v)
    return message(verdicts, env) if verdicts else None


def missing_block(missing: Sequence[str]) -> list[str]:
    """Lines naming each missing library, then the commands that install them."""
    if not missing:
        return []
    return ["These libraries it needs are not installed:", *(f"  {so}" for so in missing),
            "Install them, then start kmon again:", *install_lines(missing)]


def import_problem(error: str, missing_libraries: Callable[[Sequence[str]], list[str]] = elf.missing_libraries) -> str:
    """What to tell the user when PySide6 is installed but Qt's own libraries do not load
    (``error``: the ImportError's text, which names only the first missing library)."""
    named = re.findall(r"\blib[\w.+-]*\.so[.\d]*", error)
    modules = [m for root in pyside_roots() for m in glob.glob(os.path.join(root, "QtWidgets.*so"))]
    try:
        found = missing_libraries(modules)
    except (OSError, ValueError):
        found = []
    missing = list(dict.fromkeys([*found, *named]))
    return "\n".join([f"kmon: Qt cannot start: {error}", *missing_block(missing)])


def message(verdicts: Sequence[Verdict], env: Mapping[str, str]) -> str:
    """What to tell the user when no platform plugin can start."""
    missing: list[str] = []
    for v in verdicts:
        missing += [so for so in v.missing if so not in missing]
    no_display = not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY") and not env.get("QT_QPA_PLATFORM")
    if no_display and not missing:
        return ("kmon: cannot open a window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                + NO_DISPLAY_HINT)
    names = " or ".join(f'"{v.platform}"' for v in verdicts)
    lines = [f"kmon: cannot open a window: Qt's {names} platform plugin cannot start."]
    lines += missing_block(missing)
    for v in verdicts:
        if v.reason:
            lines.append((f"{v.platform}: " if len(verdicts) > 1 else "") + v.reason)
    if not missing:
        lines.append(NO_DISPLAY_HINT)
    return "\n".join(lines)
