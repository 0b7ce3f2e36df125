"""kmon.huge_pages: the entry point starts the process again with glibc's huge-page malloc
where the kernel's transparent huge pages are in madvise mode, and leaves it alone elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kmon import huge_pages
from kmon.huge_pages import TUNABLE, huge_pages_environment

GLIBC = (2, 36)


def test_madvise_mode_with_a_recent_glibc_adds_the_tunable():
    env = huge_pages_environment({"HOME": "/h"}, "madvise", GLIBC)
    assert env == {"HOME": "/h", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}


def test_other_tunables_are_kept():
    env = huge_pages_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}, "madvise", GLIBC)
    assert env is not None and env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"


@pytest.mark.parametrize("environ, mode, glibc", [
    ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, "madvise", GLIBC),  # the user's choice (the way to opt out)
    ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}, "madvise", GLIBC),  # already restarted
    ({}, "always", GLIBC),  # huge pages are used anyway
    ({}, "never", GLIBC),  # forbidden
    ({}, "", GLIBC),  # no transparent huge pages in this kernel
    ({}, "madvise", (2, 34)),  # glibc without the tunable
    ({}, "madvise", None),  # not glibc (musl, macOS)
])
def test_no_restart_where_it_would_not_help_or_is_not_ours(environ, mode, glibc):
    assert huge_pages_environment(environ, mode, glibc) is None


def test_the_kernel_mode_is_the_bracketed_word(tmp_path):
    f = tmp_path / "enabled"
    f.write_text("always [madvise] never\n")
    assert huge_pages._thp_mode(str(f)) == "madvise"
    f.write_text("[always] madvise never\n")
    assert huge_pages._thp_mode(str(f)) == "always"
    assert huge_pages._thp_mode(str(tmp_path / "missing")) == ""


SCRIPT = ("import os, sys\nprint('start', os.getpid())\nfrom kmon import huge_pages\n"
          "huge_pages.restart_with_huge_pages()\nprint('running', os.getpid(), os.environ.get('GLIBC_TUNABLES', '-'))\n")


def _run(env: dict[str, str]) -> list[str]:
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


@pytest.mark.skipif(huge_pages_environment({}, huge_pages._thp_mode(), huge_pages._glibc_version()) is None,
                    reason="this machine's kernel or C library gives no reason to restart")
def test_the_process_starts_again_once_with_the_same_id_and_arguments():
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    lines = _run(env)
    pid = lines[0].split()[1]
    # what was printed before the restart is flushed, the command ran again, once, as the same process
    assert lines == [f"start {pid}", f"start {pid}", f"running {pid} {TUNABLE}=1"]


def test_an_explicit_setting_is_left_alone():
    lines = _run({**os.environ, "GLIBC_TUNABLES": f"{TUNABLE}=0"})
    assert len(lines) == 2 and lines[1].endswith(f"{TUNABLE}=0")


def test_the_command_line_entry_point_restarts_and_in_process_calls_do_not(monkeypatch):
    import kmon.cli

    calls: list[str] = []
    monkeypatch.setattr(huge_pages, "restart_with_huge_pages", lambda: calls.append("restart"))
    monkeypatch.setattr(kmon.cli, "SUBCOMMANDS", {**kmon.cli.SUBCOMMANDS, "nothing": "kmon.env"})
    monkeypatch.setattr("kmon.env.main", lambda argv: 0, raising=False)
    assert kmon.cli.main(["nothing"]) == 0 and calls == []
    monkeypatch.setattr(sys, "argv", ["kmon", "nothing"])
    assert kmon.cli.main() == 0 and calls == ["restart"]
