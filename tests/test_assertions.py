"""Every test asserts something: a test that only runs code passes whatever that code does.

Read from the source (``ast``): a test asserts when its body holds an ``assert`` or a
``raise``, a check that fails on its own (``pytest.raises``/``warns``/``fail``, a Qt wait
that fails on timeout, the suite's ``wait_for`` and its ``wait_*`` helpers), or calls by name a
helper of the suite that does.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# calls that fail the test by themselves
CHECKS = {"raises", "warns", "fail", "waitUntil", "waitSignal", "waitSignals", "assertNotEmitted", "waitCallback",
          "check", "wait_for", "wait_count", "wait_watch_calls", "wait_list_calls", "wait_synced", "wait_converged",
          "wait_window", "wait_until"}


def _called(node: ast.AST) -> tuple[set[str], set[str]]:
    """(plain names called, attribute names called) inside ``node``."""
    names, attrs = set(), set()
    for c in ast.walk(node):
        if isinstance(c, ast.Call):
            if isinstance(c.func, ast.Name):
                names.add(c.func.id)
            elif isinstance(c.func, ast.Attribute):
                attrs.add(c.func.attr)
    return names, attrs


def _asserts_itself(node: ast.AST) -> bool:
    names, attrs = _called(node)
    return any(isinstance(c, (ast.Assert, ast.Raise)) for c in ast.walk(node)) or bool((names | attrs) & CHECKS)


def unasserted_tests(root: Path) -> list[str]:
    trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(root.rglob("*.py"))}
    helpers: dict[str, list[ast.AST]] = {}
    for tree in trees.values():
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("test"):
                helpers.setdefault(n.name, []).append(n)
    asserting = {name for name, nodes in helpers.items() if any(_asserts_itself(n) for n in nodes)}
    grew = True
    while grew:  # helpers that call asserting helpers assert too
        grew = False
        for name, nodes in helpers.items():
            if name not in asserting and any(_called(n)[0] & asserting for n in nodes):
                asserting.add(name)
                grew = True
    found = []
    for path, tree in trees.items():
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_"):
                if not _asserts_itself(n) and not (_called(n)[0] & asserting):
                    found.append(f"{path.relative_to(root.parent)}:{n.lineno} {n.name}")
    return found


def test_every_test_asserts_something():
    found = unasserted_tests(TESTS)
    assert not found, "tests that assert nothing (assert what the code must do):\n" + "\n".join(found)


def test_the_scan_tells_a_check_from_a_run(tmp_path):
    root = tmp_path / "tests"
    root.mkdir()
    (root / "test_x.py").write_text(
        "import pytest\n"
        "def helper(v):\n    assert v\n"
        "def indirect(v):\n    helper(v)\n"
        "def test_runs_only():\n    print(1)\n"
        "def test_asserts():\n    assert 1\n"
        "def test_raises():\n    with pytest.raises(ValueError):\n        int('x')\n"
        "def test_through_helpers():\n    indirect(1)\n"
        "def test_method_named_like_a_helper(x):\n    x.helper(1)\n"
    )
    assert unasserted_tests(root) == ["tests/test_x.py:6 test_runs_only",
                                             "tests/test_x.py:15 test_method_named_like_a_helper"]
