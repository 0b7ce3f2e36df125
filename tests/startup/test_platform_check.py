"""The start-up check: before Qt is imported, kmon finds out whether Qt's platform plugin can
start, and otherwise names every missing library with the commands that install them
(kmon issue 10, point 1: ``make demo`` aborted on a fresh Debian 12)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kmon.qtplatform import check
from kmon.qtplatform import elf
from kmon.qtplatform.plugin import Probes, candidates, plugin_dir, x11_listening
from kmon.qtplatform.packages import PACKAGES, XCB_DEBIAN, XCB_SONAMES, is_libc

X11_OK = {"x11_listening": lambda display: True}
ISSUE_MISSING = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # what ldd showed on the fresh Debian 12


def xcb_plugin() -> str:
    path = next((os.path.join(d, "libqxcb.so") for d in plugin_dir({}) if os.path.isfile(os.path.join(d, "libqxcb.so"))), None)
    if path is None:
        pytest.skip("PySide6 has no xcb platform plugin here")
    return path


def fake(missing: list[str], **more) -> Probes:
    return Probes(missing_libraries=lambda paths: list(missing), **{**X11_OK, **more})


def test_qt_tries_the_platforms_it_would_choose():
    assert candidates({"DISPLAY": ":0"}) == ["xcb"]
    assert candidates({}) == ["xcb"]  # Qt's built-in default on Linux
    assert candidates({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == ["wayland", "xcb"]
    assert candidates({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]
    assert candidates({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}) == ["offscreen"]
    assert candidates({"QT_QPA_PLATFORM": "wayland;xcb:foo"}) == ["wayland", "xcb"]


def test_missing_xcb_libraries_are_named_with_the_install_lines():
    msg = check({"DISPLAY": ":0"}, fake(ISSUE_MISSING))
    assert msg is not None
    assert '"xcb" platform plugin cannot start' in msg
    assert "  libxcb-icccm.so.4\n  libxcb-keysyms.so.1\n" in msg
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1" in msg
    assert "sudo dnf install -y xcb-util-wm xcb-util-keysyms" in msg
    assert "sudo pacman -S --needed xcb-util-wm xcb-util-keysyms" in msg
    assert "libxcb-cursor0" not in msg  # Qt's own hint named the wrong package


def test_every_missing_library_is_listed_not_only_the_first():
    msg = check({"DISPLAY": ":0"}, fake(list(XCB_SONAMES)))
    assert all(f"  {so}\n" in msg for so in XCB_SONAMES)
    assert "sudo apt-get install -y " + " ".join(dict.fromkeys(XCB_DEBIAN)) in msg


def test_a_library_without_a_known_package_says_how_to_find_it():
    msg = check({"DISPLAY": ":0"}, fake(["libxcb-icccm.so.4", "libfrobnicate.so.7"]))
    assert "sudo apt-get install -y libxcb-icccm4\n" in msg
    assert "apt-file search libfrobnicate.so.7" in msg and "dnf provides '*/libfrobnicate.so.7'" in msg


def test_a_fresh_debian_without_two_xcb_packages(tmp_path):
    """The real resolver on the real plugin, on a machine whose library directories lack
    libxcb-icccm4 and libxcb-keysyms1: a directory holding every other library the plugin
    needs stands in for the system's."""
    plugin = xcb_plugin()
    libs = tmp_path / "lib"
    libs.mkdir()
    for soname, path in elf.resolve([plugin]).items():
        if path and soname not in ISSUE_MISSING and not path.startswith(os.path.dirname(os.path.dirname(os.path.dirname(plugin)))):
            (libs / soname).symlink_to(path)
    search = elf.LibrarySearch(env={}, system=[str(libs)])
    probes = Probes(missing_libraries=lambda paths: elf.missing_libraries(paths, search), **X11_OK)
    msg = check({"DISPLAY": ":0"}, probes)
    assert msg is not None and "  libxcb-icccm.so.4\n  libxcb-keysyms.so.1\nInstall them" in msg
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1\n" in msg
    assert check({"DISPLAY": ":0"}, Probes(**X11_OK)) is None  # this machine has them


def test_no_display_at_all_is_said_plainly():
    msg = check({}, fake([]))
    assert msg.startswith("kmon: cannot open a window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)")
    assert "QT_QPA_PLATFORM=offscreen kmon --demo --screenshot" in msg


def test_a_display_without_an_x_server():
    assert x11_listening(":4097") is False  # nothing listens there
    msg = check({"DISPLAY": ":4097"}, Probes(missing_libraries=lambda p: []))
    assert "no X server answers at DISPLAY=:4097" in msg


def test_wayland_without_a_compositor_falls_back_to_xcb_as_qt_does(tmp_path):
    env = {"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": ":0"}
    assert check(env, fake([])) is None
    msg = check({**env, "DISPLAY": ""}, fake([]))
    assert "wayland: no Wayland compositor at wayland-9" in msg and "xcb: DISPLAY is not set" in msg


def test_offscreen_needs_no_check():
    def boom(paths):
        raise AssertionError("offscreen loads no xcb library")

    assert check({"QT_QPA_PLATFORM": "offscreen"}, Probes(missing_libraries=boom)) is None


def test_an_unreadable_plugin_is_tried_in_a_child_process():
    def unreadable(paths):
        raise elf.ElfError("not an ELF file")

    said = "qt.qpa.plugin: Could not load the Qt platform plugin \"xcb\""
    msg = check({"DISPLAY": ":0"}, Probes(missing_libraries=unreadable, probe_in_child=lambda env: said, **X11_OK))
    assert said in msg
    assert check({"DISPLAY": ":0"}, Probes(missing_libraries=unreadable, probe_in_child=lambda env: None, **X11_OK)) is None


def test_the_child_process_probe_reports_what_qt_said():
    from kmon.qtplatform.plugin import probe_in_child

    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    said = probe_in_child({**env, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":4097"})
    assert said and "display" in said.lower()
    assert probe_in_child({**env, "QT_QPA_PLATFORM": "offscreen"}) is None


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd to compare with")
def test_the_resolver_agrees_with_the_dynamic_loader():
    plugin = xcb_plugin()
    out = subprocess.run(["ldd", plugin], capture_output=True, text=True, timeout=30).stdout
    by_ldd = {}
    for line in out.splitlines():
        name, _, rest = line.strip().partition(" => ")
        if rest:
            by_ldd[name] = None if rest.startswith("not found") else os.path.realpath(rest.rsplit(" (", 1)[0])
        elif name.startswith("/"):  # the loader itself: "/lib64/ld-linux-x86-64.so.2 (0x...)"
            path = name.rsplit(" (", 1)[0]
            by_ldd[os.path.basename(path)] = os.path.realpath(path)
    ours = {so: path and os.path.realpath(path) for so, path in elf.resolve([plugin]).items()}
    # ldd also follows the system libraries' own dependencies, which the resolver leaves to
    # their package manager: every library the resolver looked up, ldd found at the same place
    assert {so: by_ldd.get(so, "not in ldd") for so in ours} == ours


def test_every_system_library_of_the_xcb_plugin_has_its_packages():
    """The package table and the set-up lines keep up with the installed PySide6."""
    plugin = xcb_plugin()
    qt_root = os.path.dirname(os.path.dirname(os.path.dirname(plugin)))
    system = [so for so, path in elf.resolve([plugin]).items() if not (path or "").startswith(qt_root)]
    assert [so for so in system if so not in PACKAGES and not is_libc(so)] == []
    x11 = {so for so in system if so.startswith(("libxcb", "libxkbcommon", "libX11"))}
    assert x11 == set(XCB_SONAMES)


def test_a_library_of_another_architecture_does_not_count(tmp_path):
    plugin = xcb_plugin()
    (tmp_path / "libxcb-icccm.so.4").write_bytes(b"\x7fELF\x01\x01\x01" + bytes(13))  # 32-bit
    search = elf.LibrarySearch(env={}, system=[str(tmp_path)])
    assert search.find("libxcb-icccm.so.4", elf.read_elf(plugin)) == (None, False)


def test_ld_so_conf_includes_are_followed(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "ld.so.conf").write_text(f"include conf.d/*.conf\n# comment\n{tmp_path / 'a'}\n")
    (tmp_path / "conf.d" / "x.conf").write_text(f"{tmp_path / 'b'}  # trailing comment\n")
    dirs = elf.system_dirs(str(tmp_path / "ld.so.conf"))
    assert dirs[:2] == [str(tmp_path / "b"), str(tmp_path / "a")]


def test_not_an_elf_file_is_an_error(tmp_path):
    (tmp_path / "x.so").write_text("hello")
    with pytest.raises(elf.ElfError):
        elf.read_elf(str(tmp_path / "x.so"))
