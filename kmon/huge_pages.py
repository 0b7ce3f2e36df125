"""Start kmon once more, at once, with glibc's malloc asking Linux for huge pages.

Why this module exists: the cache of a large cluster is memory the process touches for the
first time during its initial sync (150,000 objects: ~1.2 GB, ~290,000 faults of 4 KiB
pages), and on a virtual machine each such fault can cost the kernel ~10 us: 3-4 s of the
150,000-object GUI sync went to them on our machines. Where Linux's transparent huge pages
are in ``madvise`` mode, glibc's malloc asks for them when ``GLIBC_TUNABLES`` holds
``glibc.malloc.hugetlb=1`` (glibc >= 2.35): the objects' bytes then come in 2 MiB pages and
that kernel time fell to 1-2 s (the sync's median from ~7.5 to ~5.5 s; RSS unchanged;
``benchmarks/bench_sync.py --compare-huge-pages``). glibc reads
the variable only when a process starts, so the command-line entry point starts the
interpreter again (``exec``: same process id, same standard streams, same arguments) with
the setting added, before it imports anything large.

Nothing happens when it would not help or is not ours to decide: not Linux or not glibc
>= 2.35; huge pages not in ``madvise`` mode (``always`` already uses them, ``never``
forbids them); ``GLIBC_TUNABLES`` already names ``glibc.malloc.hugetlb`` (the user's choice:
``glibc.malloc.hugetlb=0`` turns this off); or the restart itself fails.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

__all__ = ["TUNABLE", "huge_pages_environment", "restart_with_huge_pages"]

TUNABLE = "glibc.malloc.hugetlb"
_THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled"


def _thp_mode(path: str = _THP_ENABLED) -> str:
    """The kernel's transparent huge page mode (``always``, ``madvise``, ``never``); "" if unknown."""
    try:
        with open(path, encoding="ascii") as f:
            text = f.read()
    except (OSError, ValueError):
        return ""
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else ""


def _glibc_version() -> tuple[int, int] | None:
    """(major, minor) of the C library when it is glibc, else None."""
    try:
        name, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").split()
        major, minor = version.split(".")[:2]
        return (int(major), int(minor)) if name == "glibc" else None
    except (AttributeError, OSError, ValueError):
        return None


def huge_pages_environment(environ: Mapping[str, str], thp_mode: str,
                           glibc: tuple[int, int] | None) -> dict[str, str] | None:
    """The environment to start again with, or None when that would not help (see the module doc)."""
    if glibc is None or glibc < (2, 35) or thp_mode != "madvise":
        return None
    tunables = environ.get("GLIBC_TUNABLES", "")
    if TUNABLE in tunables:
        return None
    env = dict(environ)
    env["GLIBC_TUNABLES"] = f"{tunables}:{TUNABLE}=1" if tunables else f"{TUNABLE}=1"
    return env


def restart_with_huge_pages() -> None:
    """Replace this process with the same command under ``glibc.malloc.hugetlb=1`` when that
    helps; return (and carry on as before) when it would not or cannot."""
    if not sys.platform.startswith("linux") or not sys.executable or len(sys.orig_argv) < 2 \
            or getattr(sys, "frozen", False):  # (a bundled app: its own launcher, not an interpreter)
        return
    env = huge_pages_environment(os.environ, _thp_mode(), _glibc_version())
    if env is None:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    except OSError:
        return  # (a sandbox that forbids exec): run as we are
