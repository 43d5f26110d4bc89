"""The packages are layers: no import circles, and no layer imports one above it.

Read from the source with ``ast`` (nothing is imported): every ``import`` and ``from … import``
in ``src/openai_assistants``, at module level or inside a function, is an edge from its module
to the module it names. A circle between modules (imports for type checking included), or an
edge a layer's ``__init__`` docstring forbids (imports under ``if TYPE_CHECKING:`` excepted:
they name a type for the reader and never run), fails here with the modules named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "openai_assistants"

# layer -> the packages it must never import (issue 20; each package's __init__ says so too)
FORBIDDEN = {
    "openai_assistants.errors": ("operations", "client", "engine", "tables", "cli", "server"),
    "openai_assistants.memo": ("operations", "client", "engine", "tables", "cli", "server"),
    "openai_assistants.operations": ("client", "engine", "tables", "cli", "server", "sandbox"),
    "openai_assistants.client": ("operations", "engine", "tables", "cli", "server", "sandbox"),
    "openai_assistants.tables": ("operations", "engine", "cli", "server", "sandbox"),
    "openai_assistants.engine": ("cli", "server", "sandbox"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted((SRC / PACKAGE).rglob("*.py"))}


def _import_nodes(tree: ast.AST, typing_too: bool) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module; with ``typing_too`` those under ``if TYPE_CHECKING``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            if not typing_too and isinstance(child, ast.If):
                test = child.test
                name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
                if name == "TYPE_CHECKING":
                    for other in child.orelse:
                        visit(other)
                    continue
            visit(child)

    visit(tree)
    return found


def _imports(name: str, path: Path, known: dict[str, Path], typing_too: bool) -> set[str]:
    """The modules ``name`` imports (only this project's and ``knime``'s kept)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in _import_nodes(tree, typing_too):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            found.update(sub for sub in submodules if sub in known)
            if not all(sub in known for sub in submodules):
                found.add(target)
    return {
        module
        for module in found
        if module.split(".")[0] in (PACKAGE, "knime", "openai_assistants_knime")
    }


def _graph(typing_too: bool = True) -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known, typing_too) - {name} for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_is_read_from_the_source() -> None:
    graph = _graph()
    assert "openai_assistants.client.client" in graph["openai_assistants.engine.execute"] or (
        "openai_assistants.client.client" in graph["openai_assistants.cli.main"]
    )
    assert "openai_assistants.errors" in graph["openai_assistants.client.attempt"]


def test_there_are_no_import_circles() -> None:
    assert _cycles(_graph()) == []


def test_type_only_imports_are_told_apart() -> None:
    """``errors`` names the request and answer types for type checkers only."""
    assert "openai_assistants.client.exchange" in _graph()["openai_assistants.errors"]
    assert "openai_assistants.client.exchange" not in _graph(False)["openai_assistants.errors"]


def test_a_circle_is_found() -> None:
    """The check itself: a made-up circle a -> b -> c -> a is reported."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("layer", list(FORBIDDEN))
def test_no_layer_imports_one_above_it(layer: str) -> None:
    forbidden = tuple(f"{PACKAGE}.{name}" for name in FORBIDDEN[layer])
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph(typing_too=False).items()
        if module == layer or module.startswith(f"{layer}.")
        for target in sorted(targets)
        if (target + ".").startswith(tuple(f + "." for f in forbidden))
    ]
    assert wrong == []


def test_nothing_in_the_core_imports_knime() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if target.split(".")[0] in ("knime", "openai_assistants_knime")
    ]
    assert wrong == []
