"""The package's import graph, read with ast (imports inside functions included): no cycle, the
library never imports the CLI layer, torch only in the torch layer.

An edge A → B means a statement in A imports B: ``import B``, ``from B import name`` (B itself,
or the submodule B.name when that is a module). A parent package run as a side effect is not an
edge (every import of a submodule runs it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import igcdesign

ROOT = Path(igcdesign.__file__).parent
CLI_LAYER = ("igcdesign.cli", "igcdesign.__main__", "igcdesign.commands")
TORCH_LAYER = ("igcdesign.probe",)
HEAVY = ("torch", "pandas", "matplotlib", "sympy")


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _in(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == top or module.startswith(top + ".") for top in layer)


def imports_of(module: str, source: str) -> set[str]:
    """Every module named by an import statement anywhere in `source` (absolute names)."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                found.add(sub if sub in MODULES else origin)
    return found


GRAPH = {m: imports_of(m, p.read_text(encoding="utf-8")) for m, p in MODULES.items()}


def internal(module: str) -> set[str]:
    return {d for d in GRAPH[module] if d in MODULES and d != module}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return found


def test_the_graph_is_read():
    # a few edges known to exist, so that a parser that reads nothing cannot pass
    assert "igcdesign.families" in internal("igcdesign.counting") or "igcdesign.families.block" in internal("igcdesign.counting")
    assert "igcdesign.probe.targets" in internal("igcdesign.nets.probe_hook")
    assert "igcdesign.errors" in internal("igcdesign.spec")
    assert len(MODULES) > 60


def test_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles({m: internal(m) for m in MODULES}) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _in(m, CLI_LAYER)))
def test_library_never_imports_the_cli_layer(module):
    up = sorted(d for d in GRAPH[module] if _in(d, CLI_LAYER) or d.split(".")[0] in ("typer", "click"))
    assert up == [], f"{module} imports {up}"


def test_torch_only_in_the_torch_layer():
    outside = {m: sorted(d for d in GRAPH[m] if d.split(".")[0] == "torch") for m in MODULES if not _in(m, TORCH_LAYER)}
    assert {m: d for m, d in outside.items() if d} == {}


def test_package_init_imports_nothing_heavy_at_import_time():
    """`import igcdesign` loads the public API lazily: its __init__ imports no submodule at module level."""
    tree = ast.parse(MODULES["igcdesign"].read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {node.module if isinstance(node, ast.ImportFrom) else alias.name for node in top_level for alias in node.names}
    assert names <= {"__future__", "importlib", "typing"}, names
