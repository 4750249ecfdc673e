"""The import structure: no cycles between modules, no private names across modules.

The graph is read from the source with :mod:`ast` (nothing is imported), so
the test sees imports inside functions too: a cycle hidden in a function body
is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "tasks", "ann", "snn", "social", "experiments")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imports_of(name: str, path: Path, modules: dict) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every project import in a file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((base, alias.name, node.lineno))
    return [(module, attr, line) for module, attr, line in found if module in modules]


def import_graph():
    modules = project_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    private = []
    for name, path in modules.items():
        for module, attribute, line in imports_of(name, path, modules):
            if module != name:
                graph.add_edge(name, module)
            if attribute and attribute.startswith("_") and not attribute.startswith("__"):
                private.append(f"{path.relative_to(ROOT)}:{line} imports {attribute} from {module}")
    return graph, private


def test_the_graph_sees_imports_at_every_depth():
    graph, _ = import_graph()
    assert graph.has_edge("ann.estimators", "ann.network")  # module level
    assert graph.has_edge("ann.io", "ann.population")
    assert graph.has_edge("experiments.learners", "ann")  # inside a function


def test_no_import_cycles():
    graph, _ = import_graph()
    # a package's __init__ re-exports its modules: it is above them, never below
    cycles = [cycle for cycle in nx.simple_cycles(graph) if len(cycle) > 1]
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_core_imports_nothing_of_the_project():
    graph, _ = import_graph()
    for name in graph:
        if name.split(".")[0] == "core":
            above = [m for m in graph.successors(name) if m.split(".")[0] != "core"]
            assert above == [], f"{name} imports {above}"


def test_no_private_names_cross_modules():
    _, private = import_graph()
    assert private == [], "\n".join(private)
