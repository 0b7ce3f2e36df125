"""Which distribution package provides each system library Qt's platform plugins need.

Why this module exists: "libxcb-icccm.so.4: not found" does not tell a user what to install;
``sudo apt-get install -y libxcb-icccm4`` does. The table covers every system library of
PySide6's xcb and wayland plugins (and of QtGui, which they load), for Debian/Ubuntu,
Fedora and Arch; a test keeps it complete for the installed PySide6.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

__all__ = ["Packages", "PACKAGES", "XCB_SONAMES", "XCB_DEBIAN", "is_libc", "packages_for", "install_lines"]


class Packages(NamedTuple):
    debian: str  # Debian and Ubuntu
    fedora: str
    arch: str


_XCB = Packages("", "libxcb", "libxcb")  # the extensions inside libxcb on Fedora and Arch
_GLIB = Packages("libglib2.0-0", "glib2", "glib2")

PACKAGES: dict[str, Packages] = {
    # X11 / xcb (the xcb platform plugin)
    "libxcb.so.1": Packages("libxcb1", "libxcb", "libxcb"),
    "libxcb-cursor.so.0": Packages("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": Packages("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": Packages("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": Packages("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": Packages("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-util.so.1": Packages("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-glx.so.0": _XCB._replace(debian="libxcb-glx0"),
    "libxcb-randr.so.0": _XCB._replace(debian="libxcb-randr0"),
    "libxcb-render.so.0": _XCB._replace(debian="libxcb-render0"),
    "libxcb-shape.so.0": _XCB._replace(debian="libxcb-shape0"),
    "libxcb-shm.so.0": _XCB._replace(debian="libxcb-shm0"),
    "libxcb-sync.so.1": _XCB._replace(debian="libxcb-sync1"),
    "libxcb-xfixes.so.0": _XCB._replace(debian="libxcb-xfixes0"),
    "libxcb-xinerama.so.0": _XCB._replace(debian="libxcb-xinerama0"),
    "libxcb-xinput.so.0": _XCB._replace(debian="libxcb-xinput0"),
    "libxcb-xkb.so.1": _XCB._replace(debian="libxcb-xkb1"),
    "libxkbcommon.so.0": Packages("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": Packages("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libX11.so.6": Packages("libx11-6", "libX11", "libx11"),
    "libX11-xcb.so.1": Packages("libx11-xcb1", "libX11-xcb", "libx11"),
    "libXau.so.6": Packages("libxau6", "libXau", "libxau"),
    "libXdmcp.so.6": Packages("libxdmcp6", "libXdmcp", "libxdmcp"),
    # Wayland (the wayland platform plugin)
    "libwayland-client.so.0": Packages("libwayland-client0", "libwayland-client", "wayland"),
    "libwayland-cursor.so.0": Packages("libwayland-cursor0", "libwayland-cursor", "wayland"),
    "libwayland-egl.so.1": Packages("libwayland-egl1", "libwayland-egl", "wayland"),
    "libffi.so.8": Packages("libffi8", "libffi", "libffi"),
    # OpenGL, fonts, D-Bus, GLib (QtGui and both plugins)
    "libGL.so.1": Packages("libgl1", "libglvnd-glx", "libglvnd"),
    "libGLX.so.0": Packages("libglx0", "libglvnd-glx", "libglvnd"),
    "libEGL.so.1": Packages("libegl1", "libglvnd-egl", "libglvnd"),
    "libOpenGL.so.0": Packages("libopengl0", "libglvnd-opengl", "libglvnd"),
    "libGLdispatch.so.0": Packages("libglvnd0", "libglvnd", "libglvnd"),
    "libfontconfig.so.1": Packages("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": Packages("libfreetype6", "freetype", "freetype2"),
    "libdbus-1.so.3": Packages("libdbus-1-3", "dbus-libs", "libdbus"),
    "libglib-2.0.so.0": _GLIB,
    "libgthread-2.0.so.0": _GLIB,
    "libz.so.1": Packages("zlib1g", "zlib", "zlib"),
    "libzstd.so.1": Packages("libzstd1", "libzstd", "zstd"),
    "libpng16.so.16": Packages("libpng16-16", "libpng", "libpng"),
    "libexpat.so.1": Packages("libexpat1", "expat", "expat"),
    "libstdc++.so.6": Packages("libstdc++6", "libstdc++", "gcc-libs"),
    "libgcc_s.so.1": Packages("libgcc-s1", "libgcc", "gcc-libs"),
}

# The C library itself: present wherever Python runs; never worth an install line.
_LIBC = ("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "ld-linux")

# Every X11/xcb/xkb library Qt's xcb plugin (libqxcb.so and libQt6XcbQpa.so.6) needs: what a
# fresh Debian/Ubuntu desktop may lack. README's set-up line and .ci/run install their Debian
# packages; tests check both, and that this list matches the installed plugin.
XCB_SONAMES = (
    "libxcb.so.1", "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-image.so.0", "libxcb-keysyms.so.1",
    "libxcb-render-util.so.0", "libxcb-util.so.1", "libxcb-randr.so.0", "libxcb-render.so.0",
    "libxcb-shape.so.0", "libxcb-shm.so.0", "libxcb-sync.so.1", "libxcb-xfixes.so.0", "libxcb-xkb.so.1",
    "libxkbcommon.so.0", "libxkbcommon-x11.so.0", "libX11.so.6", "libX11-xcb.so.1",
)
XCB_DEBIAN = tuple(PACKAGES[so].debian for so in XCB_SONAMES)


def is_libc(soname: str) -> bool:
    return soname.startswith(_LIBC)


def packages_for(sonames: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``({"debian": [...], "fedora": [...], "arch": [...]}, unknown sonames)``, each
    package once, in the order of ``sonames``."""
    out: dict[str, list[str]] = {"debian": [], "fedora": [], "arch": []}
    unknown: list[str] = []
    for so in sonames:
        pkgs = PACKAGES.get(so)
        if pkgs is None:
            unknown.append(so)
            continue
        for distro, name in pkgs._asdict().items():
            if name not in out[distro]:
                out[distro].append(name)
    return out, unknown


def install_lines(sonames: Iterable[str]) -> list[str]:
    """The commands that install ``sonames`` on Debian/Ubuntu, Fedora and Arch, then how to
    find the package of any library the table does not know."""
    by_distro, unknown = packages_for(sonames)
    lines = []
    if by_distro["debian"]:
        lines += [
            f"  Debian/Ubuntu:  sudo apt-get install -y {' '.join(by_distro['debian'])}",
            f"  Fedora:         sudo dnf install -y {' '.join(by_distro['fedora'])}",
            f"  Arch:           sudo pacman -S --needed {' '.join(by_distro['arch'])}",
        ]
    for so in unknown:
        lines.append(f"  {so}: `apt-file search {so}`, `dnf provides '*/{so}'` or `pacman -F {so}` names its package")
    return lines
