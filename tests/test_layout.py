"""The layout shows the flow: stage packages import one way and no two modules import each other.

Imports are read statically from every module (top level, inside functions and under TYPE_CHECKING alike),
so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "watcher"

# What each stage may import besides itself. The flow: config -> fetch -> extract -> diff -> analyze -> store
# -> notify, driven by pipeline, daemon and cli. config reads the kind registry to validate a kind's options.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "config": {"core", "extract"},
    "fetch": {"core"},
    "extract": {"core", "fetch"},
    "diff": {"core"},
    "analyze": {"core"},
    "store": {"core", "diff"},
    "notify": {"core", "config", "store", "analyze"},
    "pipeline": {"core", "config", "fetch", "extract", "diff", "analyze", "store", "notify"},
    "daemon": {"core", "config", "fetch", "extract", "diff", "analyze", "store", "notify", "pipeline", "web"},
    "web": {"core", "store", "analyze"},
    "authoring": {"core", "config", "fetch", "extract"},
    "demo": {"core", "config", "fetch", "extract", "diff", "analyze", "store", "notify", "pipeline"},
    "cli": {
        "core",
        "config",
        "fetch",
        "extract",
        "diff",
        "analyze",
        "store",
        "notify",
        "pipeline",
        "daemon",
        "authoring",
        "demo",
        "web",
        "__init__",
    },
    "__main__": {"cli"},
    "__init__": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every watcher module this file imports, resolving `from pkg import submodule`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("watcher"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("watcher") and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
    return {name for name in found if name in modules}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = {name: _imports(path, _modules()) - {name} for name, path in _modules().items()}
MAX_LINES = 400  # a module a reader takes in at one sitting; split along a real seam past that


def test_no_module_imports_one_that_imports_it_back() -> None:
    # Tarjan's strongly connected components: any component of two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_stages_import_along_the_flow(module: str) -> None:
    stage = _stage(module)
    allowed = ALLOWED[stage] | {stage}
    wrong = sorted(target for target in GRAPH[module] if _stage(target) not in allowed)
    assert wrong == [], f"{module} ({stage}) may import only {sorted(allowed)}"


@pytest.mark.parametrize("stage", ["pipeline", "authoring"])
def test_the_drivers_name_no_kind(stage: str) -> None:
    """What a kind is (empty results legal, how `sources try` reads it) is the kind's own class data: no string
    naming a kind appears in the code that runs checks or probes pages, so a new kind is one new file."""
    from watcher.extract.registry import kind_names

    names = set(kind_names())
    found = []
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            node.body[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{path.name}:{node.lineno} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in names and node not in docstrings
        ]
    assert found == []


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    assert sorted(f"{name}: {lines} lines" for name, lines in sizes.items() if lines > MAX_LINES) == []
