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


# -- layers -------------------------------------------------------------------------------------

#: The packages each package may import (besides itself): the layers of docs/architecture.md.
ALLOWED_LAYERS = {
    "core": set(),
    "tasks": {"core"},
    "ann": {"core", "tasks"},
    "snn": {"core", "tasks"},
    "social": {"core", "tasks", "snn"},
    "experiments": set(PACKAGES),
}


def package_of(module: str) -> str:
    return module.split(".")[0]


def is_private_module(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def test_packages_import_only_the_layers_below():
    graph, _ = import_graph()
    wrong = [
        f"{name} imports {module}"
        for name, module in graph.edges
        if package_of(module) != package_of(name)
        and package_of(module) not in ALLOWED_LAYERS[package_of(name)]
    ]
    assert wrong == [], "\n".join(wrong)


def test_no_private_module_is_imported_from_another_package():
    # e.g. social may build circuits with snn.Circuit, never with snn._brian
    graph, _ = import_graph()
    assert is_private_module("snn._brian") and not is_private_module("snn.circuit")
    wrong = [
        f"{name} imports {module}"
        for name, module in graph.edges
        if package_of(module) != package_of(name) and is_private_module(module)
    ]
    assert wrong == [], "\n".join(wrong)


# -- one place picks the Brian2 target ----------------------------------------------------------


def brian2_target_choices(source: str, filename: str = "<source>") -> list[str]:
    """Lines of ``source`` that pick a Brian2 code-generation target or device themselves."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "target"
                    and isinstance(target.value, ast.Attribute)
                    and target.value.attr == "codegen"
                ):
                    found.append(f"{filename}:{line} sets prefs.codegen.target")
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "codegen.target"
                ):
                    found.append(f"{filename}:{line} sets prefs['codegen.target']")
        elif isinstance(node, ast.keyword) and node.arg == "codeobj_class":
            found.append(f"{filename}:{line} passes codeobj_class")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            ("brian2.codegen", "brian2.devices")
        ):
            found.append(f"{filename}:{line} imports {node.module}")
        elif isinstance(node, ast.Call):
            function = node.func
            name = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            if name == "set_device":
                found.append(f"{filename}:{line} calls set_device")
    return found


def test_the_target_check_sees_every_way_of_picking_a_target():
    sample = """
import brian2
from brian2 import prefs, set_device
from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
prefs.codegen.target = "numpy"
brian2.prefs["codegen.target"] = "cython"
group = brian2.NeuronGroup(1, "v : 1", codeobj_class=NumpyCodeObject)
set_device("cpp_standalone")
"""
    assert len(brian2_target_choices(sample)) == 5
    assert (
        brian2_target_choices("from snn import Circuit\ncircuit = Circuit(dt, target=None)") == []
    )
    # snn, which owns the choice, is seen making it
    modules = project_modules()
    assert brian2_target_choices(modules["snn._brian"].read_text())


def test_only_snn_picks_a_brian2_target():
    # social.synchrony and every other package build Brian2 objects through snn.Circuit
    found = [
        choice
        for name, path in project_modules().items()
        if package_of(name) != "snn"
        for choice in brian2_target_choices(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == [], "\n".join(found)
