"""The tools' parameters are the commands' (one set of definitions), their next steps are tool
calls, and without the SDK `seedance mcp` says how to install it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any, get_origin

import pytest

from seedance.cli.app import cli
from seedance.domain.errors import Suggestion
from seedance.domain.params import Param
from seedance.mcp.replies import next_step, step_words
from seedance.mcp.tools import BY_NAME, DIFFERENCES, TOOLS, ToolSpec

JSON_TYPES = {int: "integer", str: "string", float: "number", bool: "boolean"}


def command_params(path: str) -> dict[str, Any]:
    """The Click parameters of a command, by name."""
    command: Any = cli.load_all()
    for word in path.split():
        command = command.get_command(None, word)
    return {p.name: p for p in command.params}


def mismatches(spec: ToolSpec) -> list[str]:
    """What one side has that the other lacks (less the declared differences), and the
    parameters both have with different types."""
    options = command_params(spec.command)
    schema = spec.input_schema()["properties"]
    declared = {(d.name, d.side) for d in DIFFERENCES if d.tool == spec.name}
    found = [
        f"{spec.name}: the command's {name} is not a tool parameter"
        for name in options
        if name not in schema and (name, "cli") not in declared
    ]
    found += [
        f"{spec.name}: {name} is not a parameter of `{spec.command}`"
        for name in schema
        if name not in options and (name, "mcp") not in declared
    ]
    found += [
        f"{spec.name}: {name} is declared different but is not"
        for name, side in declared
        if (name in options) == (name in schema)
    ]
    for name in set(options) & set(schema):
        kind = options[name].type_descriptor.annotation  # the Python type Typer read
        expected = "array" if get_origin(kind) is list else JSON_TYPES[kind]
        if schema[name]["type"] != expected:
            found.append(f"{spec.name}: {name} is {schema[name]['type']}, its option {expected}")
    return found


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_each_tool_takes_exactly_its_commands_parameters(spec: ToolSpec) -> None:
    assert mismatches(spec) == []


def test_the_comparison_catches_a_parameter_on_one_side_only() -> None:
    create = BY_NAME["create_video"]
    extra = replace(create, declared=(*create.declared, Param("mood", str, "A mood.")))
    assert mismatches(extra) == ["create_video: mood is not a parameter of `create`"]
    fewer = replace(create, declared=tuple(p for p in create.declared if p.name != "seed"))
    assert mismatches(fewer) == ["create_video: the command's seed is not a tool parameter"]
    typed = replace(
        create,
        declared=tuple(Param("seed", str, "x") if p.name == "seed" else p for p in create.declared),
    )
    assert mismatches(typed) == ["create_video: seed is string, its option integer"]


def test_every_difference_names_a_tool_and_gives_a_reason() -> None:
    for difference in DIFFERENCES:
        assert difference.tool in BY_NAME and len(difference.reason) > 10
        assert (difference.param is not None) == (difference.side == "mcp")


def test_the_schemas_are_closed_and_name_what_is_required() -> None:
    schemas = {t.name: t.input_schema() for t in TOOLS}
    assert all(s["additionalProperties"] is False for s in schemas.values())
    assert schemas["wait_for_tasks"]["required"] == ["task_ids"]
    assert schemas["wait_for_tasks"]["properties"]["task_ids"]["minItems"] == 1
    assert schemas["run_storyboard"]["required"] == ["storyboard"]
    assert "required" not in schemas["create_video"]  # a prompt, or media alone
    assert schemas["list_tasks"]["properties"]["page_size"]["maximum"] == 500
    implied = schemas["create_video"]["properties"]["last_frame_output"]["description"]
    assert "{" not in implied and "return_last_frame" in implied  # names, not flags


def test_next_steps_are_tool_calls_never_command_lines() -> None:
    wait = next_step(Suggestion.of("wait", "cgt-1", output="/v/a.mp4"), "create_video")
    assert wait == {
        "tool": "wait_for_tasks",
        "arguments": {"output": "/v/a.mp4", "task_ids": ["cgt-1"]},
    }
    assert step_words(wait) == 'call wait_for_tasks with output="/v/a.mp4", task_ids=["cgt-1"]'
    args = {"prompt": "a boat", "request_id": "r1"}
    anew = next_step(Suggestion.again(new=True), "create_video", args)
    assert anew["arguments"] == {"prompt": "a boat"}
    assert step_words(anew).endswith("and a new request_id (a new video, paid again)")
    forced = next_step(Suggestion.again(force=True), "cancel_task", {"task_ids": ["t"]})
    assert forced == {"tool": "cancel_task", "arguments": {"task_ids": ["t"], "force": True}}
    listed = next_step(Suggestion.of("tasks.list", local=True), "x")
    assert listed == {"tool": "list_tasks", "arguments": {"local": True}}
    other = step_words(next_step(Suggestion.of("profiles.show", "intl"), "doctor"))
    assert "seedance " not in other and "--" not in other and "profiles.show" in other


def test_without_the_extra_mcp_says_how_to_install_it() -> None:
    code = (
        "import sys\nsys.modules['mcp'] = None  # as when the extra is not installed\n"
        "from seedance.cli import entry\nsys.argv = ['seedance', '-p', 'demo', 'mcp']\n"
        "entry.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'seedance[mcp]'" in lines[0], done.stderr
    assert "pip install '.[mcp]' from a clone" in lines[0]  # issue 28: not yet on the index
