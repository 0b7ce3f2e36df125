"""The shape of kmon's code, checked from its source (``ast``, nothing imported):

- no import cycle among kmon's modules, counting imports inside functions and under
  ``TYPE_CHECKING`` (they tie the files together just the same);
- no module over ~400 lines (the house rule: one concept per module);
- the Qt-free layers never reach Qt, not even through another kmon module or an import
  inside a function (the ``test_no_qt.py`` tests of each layer check what importing and
  running actually loads; this checks every code path, including ones no test runs).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]
KMON = ROOT / "kmon"

MAX_LINES = 400
# ~400 is the rule; 5 % slack lets a finished module gain a docstring paragraph or an error
# message without a split for its own sake. Past it a module holds a second concept.
TOLERANCE = 20

QT_PACKAGES = ("PySide6", "shiboken6", "qasync", "pyqtgraph", "PyQt5", "PyQt6")
QT_FREE = ("kmon.cache", "kmon.kube", "kmon.sim", "kmon.monitor", "kmon.headless", "kmon.qtplatform")
# the door to the GUI: handing off to it starts the GUI (``kmon replay FILE`` does), it is not
# a Qt-free layer using Qt; its own Qt imports sit inside the functions that start the GUI
GUI_ENTRY = ("kmon.app_cli",)

@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: dict[str, int] = field(default_factory=dict)  # imported kmon module -> first line
    external: dict[str, int] = field(default_factory=dict)  # top-level non-kmon package -> first line

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(self.path.parents[len(self.name.split(".")) - 1 + self.is_package]))


def _modules(package_dir: Path) -> dict[str, Module]:
    mods = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        mods[".".join(parts)] = Module(".".join(parts), path, is_package)
    return mods


def _resolve(name: str, mods: dict[str, Module]) -> str | None:
    """The kmon module ``name`` denotes: itself, or the closest enclosing one (``kmon.x.Name``
    is an attribute of module ``kmon.x``)."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _graph(package_dir: Path = KMON) -> dict[str, Module]:
    """Every module of the package with the package's modules it imports anywhere in its body."""
    mods = _modules(package_dir)
    own = package_dir.name
    for mod in mods.values():
        package = mod.name if mod.is_package else mod.name.rpartition(".")[0]
        for node in ast.walk(ast.parse(mod.path.read_text(encoding="utf-8"), str(mod.path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # ``from pkg import sub`` imports the submodule; ``from pkg import Name`` the package
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for target in targets:
                top = target.split(".")[0]
                if top != own:
                    mod.external.setdefault(top, node.lineno)
                    continue
                dep = _resolve(target, mods)
                # a module's own enclosing packages are initialised before it: not an edge
                if dep and dep != mod.name and not mod.name.startswith(dep + "."):
                    mod.imports.setdefault(dep, node.lineno)
    return mods


def _cycles(mods: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in mods:
        if root in index:
            continue
        work = [(root, iter(sorted(mods[root].imports)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(mods[w].imports))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def _describe_cycle(comp: list[str], mods: dict[str, Module]) -> str:
    inside = set(comp)
    edges = [f"    {m} -> {d}  ({mods[m].rel}:{line})"
             for m in comp for d, line in sorted(mods[m].imports.items()) if d in inside]
    return "cycle among " + ", ".join(comp) + ":\n" + "\n".join(edges)


@pytest.fixture(scope="module")
def graph() -> dict[str, Module]:
    return _graph()


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """The checks below are only as good as the graph: relative, absolute and function-level
    imports are edges, ``from package import submodule`` names the submodule and
    ``from package import Name`` the package, and a cycle through them is found."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from .a import A\n",
        "a.py": "from . import b\nA = 1\n",
        "b.py": "def later():\n    from pkg.sub.c import C\n    return C\n",
        "sub/__init__.py": "",
        "sub/c.py": "from pkg import a\nfrom pkg import A\nimport PySide6.QtCore\nC = 1\n",
        "d.py": "from .sub import c\nfrom ..outside import x\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    g = _graph(pkg)
    assert set(g) == {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c", "pkg.d"}
    assert g["pkg"].imports == {"pkg.a": 1}
    assert g["pkg.a"].imports == {"pkg.b": 1}  # from . import b: the submodule
    assert g["pkg.b"].imports == {"pkg.sub.c": 2}  # inside a function
    assert g["pkg.sub.c"].imports == {"pkg.a": 1}  # `from pkg import A`: its own package, initialised first
    assert g["pkg.sub.c"].external == {"PySide6": 3}
    assert g["pkg.d"].imports == {"pkg.sub.c": 1}
    assert g["pkg.sub.c"].rel == "pkg/sub/c.py" and g["pkg.sub"].rel == "pkg/sub/__init__.py"
    assert _cycles(g) == [["pkg.a", "pkg.b", "pkg.sub.c"]]
    assert "pkg.b -> pkg.sub.c  (pkg/b.py:2)" in _describe_cycle(_cycles(g)[0], g)


def test_no_import_cycles(graph):
    cycles = _cycles(graph)
    assert not cycles, "import cycles (break them with a Protocol owned by the user, or by moving the " \
                       "shared piece down a layer):\n" + "\n".join(_describe_cycle(c, graph) for c in cycles)


def test_no_module_over_400_lines():
    limit = MAX_LINES + TOLERANCE
    sizes = {p.relative_to(ROOT): sum(1 for _ in p.open(encoding="utf-8")) for p in KMON.rglob("*.py")}
    over = sorted(((n, str(p)) for p, n in sizes.items() if n > limit), reverse=True)
    assert not over, (f"{len(over)} modules over {MAX_LINES} lines (+{TOLERANCE} tolerance); split each by concept:\n"
                      + "\n".join(f"    {path}: {n} lines" for n, path in over))


def test_qt_free_layers_never_reach_qt(graph):
    """Only kmon.ui (and the GUI's entry, app_cli) may import Qt. From each module of a Qt-free
    layer, follow every kmon import (transitively): none leads to kmon.ui or a Qt package."""
    bad = []
    for start in sorted(m for m in graph if m.startswith(QT_FREE)):
        seen, todo, parent = {start}, [start], {start: None}
        while todo:
            m = todo.pop()
            qt = sorted(p for p in graph[m].external if p in QT_PACKAGES)
            if qt or m == "kmon.ui" or m.startswith("kmon.ui."):
                chain, at = [], m
                while at is not None:
                    chain.append(at)
                    at = parent[at]
                path = " -> ".join(reversed(chain)) + (f" -> {qt[0]} ({graph[m].rel}:{graph[m].external[qt[0]]})" if qt else "")
                bad.append(f"    {path}")
                break
            for d in graph[m].imports:
                if d not in seen and d not in GUI_ENTRY:
                    seen.add(d)
                    parent[d] = m
                    todo.append(d)
    assert not bad, "Qt-free layers reaching Qt:\n" + "\n".join(bad)
