"""The house: one import root, one concept per package, imports flowing one way, no loops.

Reads every module's imports (module level and inside functions) with ``ast``; nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("model", "calibration", "scenarios", "region", "economics", "app_logic", "cli")
#: who may import whom (package level); data flows model -> calibration, scenarios (and region) -> economics -> app, cli
ALLOWED = {
    "model": set(),
    "scenarios": {"model"},
    "region": {"model", "scenarios"},  # beside scenarios (reads its scenario files), above model
    "calibration": {"model", "scenarios"},
    "economics": {"model", "scenarios", "region"},
    "app_logic": {"model", "scenarios", "region", "economics"},
    "app": {"model", "scenarios", "region", "economics", "app_logic"},
    "cli": {"model", "scenarios", "calibration", "region", "economics", "app_logic", "root"},
    "root": {"cli"},  # __main__.py
}


def modules() -> dict[str, Path]:
    out = {"recruitsim": ROOT / "__init__.py", "recruitsim.__main__": ROOT / "__main__.py", "recruitsim.app": ROOT / "app.py"}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            rel = f.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(["recruitsim", *parts])] = f
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # its own parent package: always initialised first
                found.add(t)
    return found


def package_of(mod: str) -> str:
    parts = mod.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "root"
    return parts[1]


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports_of(m, p, set(mods)) for m, p in mods.items()}


def test_one_import_root_and_no_bare_top_level_imports(graph):
    for _mod, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            for n in names:
                assert n.split(".")[0] not in (*PACKAGES, "app"), f"{path}: imports '{n}' outside the recruitsim root"


def test_packages_import_one_way(graph):
    bad = []
    for mod, deps in graph.items():
        src = package_of(mod)
        for d in deps:
            dst = package_of(d)
            if dst != src and dst != "root" and dst not in ALLOWED[src]:
                bad.append(f"{mod} -> {d}")
            if dst == "root" and d != "recruitsim":
                bad.append(f"{mod} -> {d}")
    assert not bad, "imports against the flow model -> calibration/scenarios -> economics -> app -> cli:\n" + "\n".join(bad)


def test_nothing_imports_the_command_line(graph):
    users = sorted(m for m, deps in graph.items() if package_of(m) not in ("cli", "root")
                   and any(package_of(d) == "cli" for d in deps))
    assert not users


def test_no_import_loops_between_modules(graph):
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if d == "recruitsim":
                continue
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                loop = visit(d)
                if loop:
                    return loop
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            loop = visit(m)
            assert loop is None, "import loop: " + " -> ".join(loop)
