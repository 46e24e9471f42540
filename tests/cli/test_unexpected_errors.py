"""An exception no step worded becomes one error document, the same for the command line and
the MCP server (domain/errors.py `unexpected`): its code and exit status; each front end words
only its hint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from seedance.domain.errors import ExitStatus, unexpected
from support import World

CASES = [
    (RuntimeError("boom"), "internal", ExitStatus.ERROR),
    (PermissionError(13, "Permission denied", "/films/boat.mp4"), "os_error", ExitStatus.USAGE),
]


@pytest.mark.parametrize(("exc", "code", "status"), CASES)
def test_the_command_line_and_the_mcp_server_give_one_document(
    exc: Exception, code: str, status: ExitStatus, world: World, run: Any, sim: Any, monkeypatch
) -> None:
    from seedance.mcp.calls import Call, Calls, Settings
    from seedance.mcp.handlers import HANDLERS
    from seedance.services.videos import resource

    def broken(*_args: object, **_kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(resource.Videos, "prepare", broken)
    cli = run("--json", "create", "a boat")
    calls = Calls(Settings("sim-byteplus", world.environ, world.root, world.root, world.clock))
    monkeypatch.setitem(HANDLERS, "list_models", lambda *_a: broken())
    reply = calls.run("list_models", Call(), {})
    document = unexpected(exc)
    assert (document.code, document.exit_status) == (code, status)
    assert cli.exit_code == status
    assert json.loads(cli.stdout)["error"]["code"] == code
    assert reply.document["error"]["code"] == code
    said = json.loads(cli.stdout)["error"]["message"]  # the message, then the CLI's hint
    assert said.startswith(reply.document["error"]["message"] + ";")


def test_an_interrupt_no_step_worded_is_interrupted() -> None:
    document = unexpected(KeyboardInterrupt())
    assert (document.code, document.exit_status) == ("interrupted", ExitStatus.INTERRUPTED)
