"""The layers of DESIGN Part 2, enforced: imports go only downward, and no module below the
command line words a flag or a `seedance ...` command (the CLI words the structured facts)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "seedance"

# Each layer, and the layers it may import. `seedance` itself (the package's __init__, which
# re-exports the public API lazily) and `seedance.data` (packaged files) sit outside them.
LAYERS: dict[str, set[str]] = {
    "domain": {"domain"},
    "providers": {"providers", "domain"},
    "sim": {"sim", "domain"},  # beside the stack: its own rules, the domain's plain types
    "services": {"services", "providers", "domain", "sim"},  # sim: the demo profile's transport
    # `seedance mcp` starts the other front end, the MCP server (never the other way round)
    "cli": {"cli", "mcp", "services", "providers", "domain", "sim"},
    "mcp": {"mcp", "services", "providers", "domain"},
}
BELOW_CLI = ("domain", "providers", "services")
# Modules a layer may not import although it may import their layer: the simulator keeps its
# own rules table, so a wrong entry in the client's catalogue fails against it (DESIGN Part 2).
FORBIDDEN: dict[str, set[str]] = {"sim": {"seedance.domain.catalogue", "seedance.domain.pricing"}}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMAND = re.compile(r"\bseedance ")


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "seedance" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, anywhere in the file (functions included)."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from seedance import cli` imports a layer too
                yield node.lineno, f"{base}.{alias.name}"


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every string constant but docstrings (f-string parts included)."""
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def import_violations(source: str, module: str) -> list[str]:
    layer = layer_of(module)
    if layer is None:
        return []
    found = []
    for line, target in imported_modules(ast.parse(source), module):
        other = layer_of(target)
        if other is not None and other not in LAYERS[layer]:
            found.append(f"{module}:{line} imports {target} ({layer} may not import {other})")
        banned = [m for m in FORBIDDEN.get(layer, ()) if target == m or target.startswith(m + ".")]
        if banned:
            found.append(f"{module}:{line} imports {target} ({layer} may not import {banned[0]})")
    return found


def wording_violations(source: str, module: str) -> list[str]:
    layer = layer_of(module)
    if layer not in (*BELOW_CLI, "mcp"):
        return []
    # the MCP server words next steps as tool calls: never a flag
    patterns = (FLAG, COMMAND) if layer in BELOW_CLI else (FLAG,)
    found = []
    for line, text in strings(ast.parse(source)):
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                found.append(f"{module}:{line} words the command line: {match.group(0)!r}")
    return found


def all_modules() -> list[tuple[str, str]]:
    return [(module_name(p), p.read_text("utf-8")) for p in sorted(SRC.rglob("*.py"))]


def test_imports_go_only_downward() -> None:
    problems = [v for module, source in all_modules() for v in import_violations(source, module)]
    assert not problems, "\n".join(problems)


def test_no_command_line_wording_below_the_cli() -> None:
    problems = [v for module, source in all_modules() for v in wording_violations(source, module)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("seedance.domain.x", "from seedance.services import client\n", "domain may not import"),
        ("seedance.providers.x", "def f():\n    import seedance.cli.app\n", "may not import cli"),
        ("seedance.services.x", "from seedance.cli import app\n", "may not import cli"),
        ("seedance.providers.x", "from seedance.sim.transport import t\n", "may not import sim"),
        ("seedance.mcp.x", "from seedance.cli.app import cli\n", "may not import cli"),
        ("seedance.domain.x", "from ..services import client\n", "may not import services"),
        ("seedance.sim.x", "from seedance.domain.catalogue import catalogue\n", "catalogue"),
        ("seedance.sim.x", "from seedance.domain import catalogue\n", "catalogue"),
        ("seedance.sim.x", "def f():\n    import seedance.domain.catalogue\n", "catalogue"),
    ],
)
def test_the_import_check_catches_forbidden_imports(
    module: str, source: str, expected: str
) -> None:
    assert any(expected in v for v in import_violations(source, module))


@pytest.mark.parametrize(
    "source",
    [
        'raise X("pass --force to overwrite")\n',
        'hint = f"run `seedance models` for {name}"\n',
        'x = "--new"\n',
    ],
)
def test_the_wording_check_catches_flags_and_commands(source: str) -> None:
    assert wording_violations(source, "seedance.services.x")


def test_the_mcp_server_words_no_flag() -> None:
    assert wording_violations('x = "run it with --new"\n', "seedance.mcp.x")


def test_the_simulator_may_still_use_the_domains_plain_types() -> None:
    assert not import_violations("from seedance.domain.clock import Clock\n", "seedance.sim.x")


def test_the_wording_check_ignores_docstrings_and_words() -> None:
    source = '"""Run `seedance chain --dry-run`."""\nx = "a well-known value -- like this"\n'
    assert not wording_violations(source, "seedance.services.x")
