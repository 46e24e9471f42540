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
    # the front ends' shared words for the reasons errors name (domain/errors.py `Reason`)
    "wording": {"wording", "domain"},
    # `seedance mcp` starts the other front end, the MCP server (never the other way round)
    "cli": {"cli", "mcp", "wording", "services", "providers", "domain", "sim"},
    "mcp": {"mcp", "wording", "services", "providers", "domain"},
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
    if layer not in (*BELOW_CLI, "mcp", "wording"):
        return []
    # the MCP server words next steps as tool calls (and shares the words of reasons): no flag
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


# -- errors carry facts, the front ends word them ---------------------------------------------
#
# The rule: nothing below the front ends (domain, providers, services) words advice. No call
# there passes `hint=`, nothing there stores a `.hint`, and a report (a doctor's check, a
# state's health, a validation problem, an API error code's advice) carries reasons, not
# words. What to do about an error is a `Reason` (a name, with values) that the front ends
# word from one table (`seedance/wording/hints.py`). The one exception is the module that
# defines the carrier (domain/errors.py: `SeedanceError(hint=...)` is for a front end's own
# words).

CARRIER = "seedance.domain.errors"


def advice_violations(source: str, module: str) -> list[str]:
    """Where a module below the front ends words advice: a `hint=` argument, a `.hint`
    stored, a `hint` field."""
    if layer_of(module) not in BELOW_CLI or module == CARRIER:
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "hint":
            found.append(f"{module}:{node.value.lineno} passes hint= (name a Reason instead)")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "hint"
            and isinstance(node.ctx, ast.Store)
        ):
            found.append(f"{module}:{node.lineno} stores a .hint (add a Reason instead)")
        elif isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "hint":
            found.append(f"{module}:{node.lineno} declares a hint field (carry reasons instead)")
    return found


def named_reasons(source: str) -> set[str]:
    """The reason names a module gives as constants: `reason=`, `Reason(...)`,
    `Reason.of(...)`, `.because(...)`, `.instead(...)` (both branches of a condition)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        given: list[ast.AST] = []
        if isinstance(node, ast.keyword) and node.arg in ("reason", "reasons"):
            given.append(node.value)
        elif isinstance(node, ast.Call) and node.args:
            callee = node.func
            by_name = isinstance(callee, ast.Name) and callee.id == "Reason"
            by_method = isinstance(callee, ast.Attribute) and (
                callee.attr in ("because", "instead")
                or (callee.attr == "of" and getattr(callee.value, "id", "") == "Reason")
            )
            if by_name or by_method:
                given.append(node.args[0])
        for expression in given:
            names |= _names_in(expression)
    return names


def _names_in(expression: ast.AST) -> set[str]:
    """The names an expression gives: a constant, either branch of a condition, the items
    of a list (a call's are found where the scan meets that call)."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        return _names_in(expression.body) | _names_in(expression.orelse)
    if isinstance(expression, ast.List | ast.Tuple):
        return {name for item in expression.elts for name in _names_in(item)}
    if isinstance(expression, ast.Starred):
        return _names_in(expression.value)
    return set()


def worded() -> set[str]:
    from seedance.wording.hints import HINTS

    return set(HINTS)


def test_no_advice_is_worded_below_the_front_ends() -> None:
    problems = [v for module, source in all_modules() for v in advice_violations(source, module)]
    assert not problems, "\n".join(problems)


def test_every_reason_the_library_names_has_words() -> None:
    below = [
        (module, source)
        for module, source in all_modules()
        if layer_of(module) in (*BELOW_CLI, "mcp")
    ]
    named = {name for _, source in below for name in named_reasons(source)}
    assert named, "no reason found: the scan is broken"
    assert not named - worded(), f"reasons without words: {sorted(named - worded())}"


def test_every_word_is_for_a_reason_the_library_names() -> None:
    constants = {
        text
        for module, source in all_modules()
        if layer_of(module) in (*BELOW_CLI, "mcp")
        for _, text in strings(ast.parse(source))
    }
    unused = worded() - constants
    assert not unused, f"words for no reason: {sorted(unused)}"


@pytest.mark.parametrize(
    "source",
    [
        'raise UsageError("x", hint="move it away")\n',
        "exc.hint = 'resume with'\n",
        "exc.hint += '; and more'\n",
        "class Health:\n    hint: str | None = None\n",
    ],
)
def test_the_advice_check_catches_words_below_the_front_ends(source: str) -> None:
    for layer in BELOW_CLI:
        assert advice_violations(source, f"seedance.{layer}.x")
    assert not advice_violations(source, "seedance.cli.x")


def test_the_reason_scan_finds_names_in_conditions_and_calls() -> None:
    source = (
        'raise E("x", reason="a" if b == "not a name" else "b")\n'
        'raise E("x", reason=[Reason.of("c", many=True), *(["d"] if e else [])])\n'
        'exc.because("e"); exc.instead(Reason.of("f", text="not a name"))\n'
    )
    assert named_reasons(source) == {"a", "b", "c", "d", "e", "f"}
