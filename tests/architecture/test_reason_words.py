"""The words of each reason fit the values the library gives it, and wording an error never
fails (it runs while an error is being reported: a failure there would be a traceback)."""

from __future__ import annotations

import ast
from string import Formatter

from test_layers import BELOW_CLI, all_modules, layer_of

from seedance.domain.errors import Reason, UsageError
from seedance.wording.hints import HINTS, explain, words_of


def given_with_values() -> list[tuple[str, str, set[str]]]:
    """Every `Reason.of("name", key=...)` below the front ends: where, the name, the keys."""
    found = []
    for module, source in all_modules():
        if layer_of(module) not in (*BELOW_CLI, "mcp"):
            continue
        for node in ast.walk(ast.parse(source)):
            callee = node.func if isinstance(node, ast.Call) else None
            if (
                isinstance(callee, ast.Attribute)
                and callee.attr == "of"
                and getattr(callee.value, "id", "") == "Reason"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys = {k.arg for k in node.keywords if k.arg is not None}
                found.append((f"{module}:{node.lineno}", node.args[0].value, keys))
    return found


def test_each_reason_is_given_the_values_its_words_use() -> None:
    calls = given_with_values()
    assert calls, "no Reason.of call found: the scan is broken"
    problems = []
    for where, name, keys in calls:
        template = HINTS[name]
        if callable(template):
            text = words_of(Reason.of(name, **dict.fromkeys(keys, "x")))
            if "<" in text:
                problems.append(f"{where}: {name} needs a value it is not given: {text}")
            continue
        needed = {field for _, field, _, _ in Formatter().parse(template) if field}
        if needed - keys:
            problems.append(f"{where}: {name} needs {sorted(needed - keys)}, given {sorted(keys)}")
    assert not problems, "\n".join(problems)


def test_a_reason_without_its_values_is_worded_not_raised() -> None:
    assert "<task>" in words_of(Reason("result_kept"))
    assert "<extra>" in words_of(Reason("install_extra"))
    assert "<copy_as>" in words_of(Reason.of("expired_saved_elsewhere", by_label=True))


def test_names_in_a_list_are_reasons() -> None:
    error = UsageError("x", reason=["resume", Reason("exists")])
    assert [r.name for r in error.reasons] == ["resume", "exists"]
    assert explain(error) == "x; resume with; choose another name, or move it away"


def test_a_front_ends_own_words_come_before_the_reasons() -> None:
    error = UsageError("x", hint="words of a front end", reason="resume")
    assert explain(error) == "x; words of a front end; resume with"


def test_a_runs_manifest_keeps_an_errors_reasons_by_name() -> None:
    error = UsageError("x", reason=["exists", Reason.of("result_kept", task="cgt-1")])
    assert error.record() == {"code": "usage", "message": "x", "reasons": "exists, result_kept"}
    assert UsageError("y").record() == {"code": "usage", "message": "y"}
