"""The library's shape, enforced: no import circle among the services' modules, no module
reaching for another's private names, and every module of the package named in
ARCHITECTURE.md's module map (and nothing named there that is gone)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import pytest
from test_layers import SRC, all_modules, imported_modules

ARCHITECTURE = SRC.parents[1] / "ARCHITECTURE.md"
SERVICES = "seedance.services"


def run_time_imports(source: str) -> ast.Module:
    """The module without its `if TYPE_CHECKING:` blocks (names for type checkers only: no
    module needs another there when it runs)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                kept = [n for n in block if not _type_checking_only(n)]
                if len(kept) != len(block):
                    setattr(node, field, kept or [ast.Pass()])
    return tree


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def services_graph(modules: list[tuple[str, str]]) -> dict[str, set[str]]:
    """Each services module -> the services modules it imports when it runs (at its top or
    in a function). A package a module belongs to is no edge: Python imports it first
    whenever one of its modules is imported."""
    names = {module for module, _ in modules}
    graph: dict[str, set[str]] = {}
    for module, source in modules:
        if not module.startswith(SERVICES + "."):
            continue
        found = set()
        for _line, target in imported_modules(run_time_imports(source), module):
            own_package = module.startswith(target + ".")
            inside = target in names and target.startswith(SERVICES + ".")
            if inside and target != module and not own_package:
                found.add(target)
        graph[module] = found
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_among_the_services_modules() -> None:
    found = circles(services_graph(all_modules()))
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_circle_check_finds_a_circle() -> None:
    modules = [
        ("seedance.services.a", "from seedance.services import b\n"),
        ("seedance.services.b", "def f():\n    from seedance.services.a import x\n"),
        ("seedance.services.c", "from seedance.services.a import y\n"),
        (
            "seedance.services.d",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from seedance.services.c import z\n",
        ),
        ("seedance.services.e", "from seedance.services.d import w\n"),
    ]
    modules.append(
        ("seedance.services.c", modules.pop(2)[1] + "from seedance.services.e import v\n")
    )
    assert circles(services_graph(modules)) == [["seedance.services.a", "seedance.services.b"]]


def private_reaches(source: str, module: str) -> list[str]:
    """Private names (`_name`) of another seedance module this one imports or reads."""
    tree = ast.parse(source)
    found = []
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seedance"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{module}:{node.lineno} imports {node.module}.{alias.name}")
                aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name.startswith("seedance"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append(f"{module}:{node.lineno} reads {node.value.id}.{node.attr}")
    return found


def test_no_module_reaches_for_another_modules_private_names() -> None:
    problems = [
        p
        for module, source in all_modules()
        if module.startswith("seedance.")
        for p in private_reaches(source, module)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        "from seedance.services.videos.generate import _for_request\n",
        "from seedance.services.videos import generate\ngenerate._save(1)\n",
    ],
)
def test_the_private_check_finds_a_private_name(source: str) -> None:
    assert private_reaches(source, "seedance.services.x")


# -- the module map --------------------------------------------------------------------------

MAP_ENTRY = re.compile(r"^- `((?:[a-z_]+/)*[a-z_]+\.py)`", re.M)


def module_paths() -> set[str]:
    return {str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if p.name != "__init__.py"}


def mapped_paths() -> set[str]:
    text = ARCHITECTURE.read_text("utf-8")
    section = text.split("## Module map", 1)[1] if "## Module map" in text else ""
    return set(MAP_ENTRY.findall(section))


def test_every_module_is_named_in_the_module_map() -> None:
    missing = sorted(module_paths() - mapped_paths())
    assert not missing, "modules ARCHITECTURE.md's module map does not name:\n" + "\n".join(missing)


def test_the_module_map_names_no_module_that_is_gone() -> None:
    gone = sorted(mapped_paths() - module_paths())
    assert not gone, "ARCHITECTURE.md names modules that are not there:\n" + "\n".join(gone)
