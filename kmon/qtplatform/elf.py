"""Which shared libraries an ELF file needs that the dynamic loader cannot find.

Why this module exists: Qt loads its platform plugin (``libqxcb.so``) only when the
application object is created, and when one of the plugin's libraries is missing Qt aborts
the process after naming none of them (or the wrong one). Reading the plugin's ``DT_NEEDED``
entries and searching for each as glibc's loader does answers the question in a few
milliseconds, before anything imports Qt, and names *every* missing library.

Search order (``ld.so(8)``): the object's ``DT_RPATH`` (only when it has no ``DT_RUNPATH``),
``LD_LIBRARY_PATH``, its ``DT_RUNPATH`` (``$ORIGIN`` expanded), then the directories of
``/etc/ld.so.conf`` and the loader's trusted directories. A candidate counts only if it is
an ELF file of the same class and machine (a 32-bit library in ``/usr/lib`` does not satisfy
a 64-bit plugin). Libraries found through the object's own RPATH/RUNPATH (those bundled with
PySide6) are followed recursively; system libraries are not: their package manager
guarantees their own dependencies.
"""

from __future__ import annotations

import glob
import os
import struct
import sysconfig
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

__all__ = ["ElfError", "ElfDeps", "LibrarySearch", "read_elf", "missing_libraries", "resolve"]

_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 15, 29
_MAX_STRING = 4096


class ElfError(ValueError):
    """The file is not an ELF shared object this module can read."""


@dataclass(frozen=True, slots=True)
class ElfDeps:
    path: str
    elf_class: int  # 1: 32-bit, 2: 64-bit
    machine: int  # e_machine (62: x86-64, 183: aarch64)
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]


def _ident(head: bytes, path: str) -> tuple[int, str, int]:
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[4] not in (1, 2) or head[5] not in (1, 2):
        raise ElfError(f"{path}: not an ELF file")
    end = "<" if head[5] == 1 else ">"
    return head[4], end, struct.unpack_from(end + "H", head, 18)[0]


def read_elf(path: str) -> ElfDeps:
    """The needed sonames and search paths of one ELF file (``ElfError``/``OSError`` if unreadable)."""
    with open(path, "rb") as f:
        head = f.read(64)
        elf_class, end, machine = _ident(head, path)
        try:
            if elf_class == 2:
                phoff = struct.unpack_from(end + "Q", head, 32)[0]
                phentsize, phnum = struct.unpack_from(end + "HH", head, 54)
                ph_fmt, dyn_fmt = end + "IIQQQQQQ", end + "qQ"
            else:
                phoff = struct.unpack_from(end + "I", head, 28)[0]
                phentsize, phnum = struct.unpack_from(end + "HH", head, 42)
                ph_fmt, dyn_fmt = end + "IIIIIIII", end + "iI"
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
            dynamic: tuple[int, int] | None = None  # (offset, size)
            for i in range(phnum):
                ph = struct.unpack_from(ph_fmt, table, i * phentsize)
                if elf_class == 2:
                    p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = ph[:6]
                else:
                    p_type, p_offset, p_vaddr, _paddr, p_filesz = ph[:5]
                if p_type == _PT_LOAD:
                    loads.append((p_vaddr, p_filesz, p_offset))
                elif p_type == _PT_DYNAMIC:
                    dynamic = (p_offset, p_filesz)
            if dynamic is None:  # statically linked: needs nothing
                return ElfDeps(path, elf_class, machine, (), (), ())
            f.seek(dynamic[0])
            raw = f.read(dynamic[1])
            size = struct.calcsize(dyn_fmt)
            needed: list[int] = []
            rpath = runpath = -1
            strtab = -1
            for off in range(0, len(raw) - size + 1, size):
                tag, val = struct.unpack_from(dyn_fmt, raw, off)
                if tag == _DT_NULL:
                    break
                if tag == _DT_NEEDED:
                    needed.append(val)
                elif tag == _DT_STRTAB:
                    strtab = val
                elif tag == _DT_RPATH:
                    rpath = val
                elif tag == _DT_RUNPATH:
                    runpath = val
            base = next((o + strtab - v for v, n, o in loads if v <= strtab < v + n), -1)
            if base < 0:
                raise ElfError(f"{path}: string table outside the loaded segments")

            def string(offset: int) -> str:
                f.seek(base + offset)
                return f.read(_MAX_STRING).split(b"\0", 1)[0].decode("utf-8", "replace")

            def paths(offset: int) -> tuple[str, ...]:
                return tuple(p for p in string(offset).split(":") if p) if offset >= 0 else ()

            return ElfDeps(path, elf_class, machine, tuple(string(n) for n in needed), paths(rpath), paths(runpath))
        except struct.error as e:
            raise ElfError(f"{path}: truncated ELF file ({e})") from None


def _conf_dirs(conf: str, seen: set[str]) -> list[str]:
    """The directories ``/etc/ld.so.conf`` lists, following its ``include`` lines."""
    if conf in seen:
        return []
    seen.add(conf)
    try:
        with open(conf, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out: list[str] = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("hwcap "):
            continue
        if line.startswith("include "):
            for pattern in line.split()[1:]:
                pattern = pattern if os.path.isabs(pattern) else os.path.join(os.path.dirname(conf), pattern)
                for inc in sorted(glob.glob(pattern)):
                    out += _conf_dirs(inc, seen)
        else:
            out += [d for d in line.replace(",", " ").split() if os.path.isabs(d)]
    return out


def system_dirs(conf: str = "/etc/ld.so.conf") -> list[str]:
    """The directories the loader searches after an object's own paths: those of
    ``ld.so.conf`` (what ``ld.so.cache`` holds), then its trusted directories."""
    dirs = _conf_dirs(conf, set())
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    if multiarch:
        dirs += [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    dirs += ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    out: list[str] = []
    for d in dirs:
        if d not in out and os.path.isdir(d):
            out.append(d)
    return out


class LibrarySearch:
    """Finds a soname for an object as the loader would. ``system`` replaces the system
    directories (tests: a machine without some package)."""

    def __init__(self, env: Mapping[str, str] | None = None, system: Sequence[str] | None = None) -> None:
        env = os.environ if env is None else env
        self.ld_library_path = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d]
        self.system = list(system) if system is not None else system_dirs()
        self._compatible: dict[str, tuple[int, int] | None] = {}

    def _kind(self, path: str) -> tuple[int, int] | None:
        if path not in self._compatible:
            try:
                with open(path, "rb") as f:
                    elf_class, _end, machine = _ident(f.read(20), path)
                self._compatible[path] = (elf_class, machine)
            except (OSError, ElfError):
                self._compatible[path] = None
        return self._compatible[path]

    def find(self, soname: str, obj: ElfDeps) -> tuple[str | None, bool]:
        """``(path or None, bundled)``: bundled when found through the object's own
        RPATH/RUNPATH rather than the system's directories."""
        want = (obj.elf_class, obj.machine)
        if "/" in soname:
            return (soname if self._kind(soname) == want else None), False
        origin = os.path.dirname(os.path.abspath(obj.path))

        def expand(dirs: Iterable[str]) -> list[str]:
            return [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in dirs]

        own = expand(obj.rpath if not obj.runpath else ())
        order = [(d, True) for d in own] + [(d, False) for d in self.ld_library_path]
        order += [(d, True) for d in expand(obj.runpath)] + [(d, False) for d in self.system]
        for d, bundled in order:
            candidate = os.path.join(d, soname)
            if self._kind(candidate) == want:
                return candidate, bundled
        return None, False


def resolve(paths: Sequence[str], search: LibrarySearch | None = None) -> dict[str, str | None]:
    """Every soname the files in ``paths`` need -> the file the loader would use (None:
    not found), following bundled libraries recursively. Raises ``ElfError``/``OSError``
    when one of ``paths`` cannot be read."""
    search = search or LibrarySearch()
    found: dict[str, str | None] = {}
    todo = [read_elf(p) for p in paths]
    done = {os.path.realpath(p) for p in paths}
    while todo:
        obj = todo.pop(0)
        for soname in obj.needed:
            if found.get(soname):
                continue
            path, bundled = search.find(soname, obj)
            found[soname] = path
            if path and bundled and os.path.realpath(path) not in done:
                done.add(os.path.realpath(path))
                try:
                    todo.append(read_elf(path))
                except (OSError, ElfError):
                    pass  # present but unreadable: the loader's problem, not a missing package
    return found


def missing_libraries(paths: Sequence[str], search: LibrarySearch | None = None) -> list[str]:
    """The sonames ``paths`` (and the libraries bundled with them) need that cannot be
    found, in the order first needed."""
    return [soname for soname, path in resolve(paths, search).items() if path is None]
