"""An API key with a trailing space or CR (a pasted key, a CRLF key file) is printed in full."""

from __future__ import annotations

import json

import pytest

SECRET = "ark-live-SECRET-7f3a9c"


@pytest.mark.parametrize("tail", [" ", "\r", "\n"])
def test_an_api_key_with_trailing_whitespace_is_never_printed(world, sim_server, tail):
    world.environ["SEEDANCE_API_KEY"] = SECRET + tail  # e.g. ARK key read from a CRLF file
    shown = world.run("-p", "sim-byteplus", "status", "cgt-20260611204121-462cw", "--json")
    made = world.run("-p", "sim-byteplus", "create", "a boat", "--json")
    output = shown.stdout + shown.stderr + made.stdout + made.stderr
    journal = json.dumps(json.loads(world.run("tasks", "list", "--local", "--json").stdout or "[]"))
    assert SECRET not in output, output[-600:]
    assert SECRET not in journal, journal[-600:]
    # the key is read without the whitespace around it: the create goes out once, with the
    # key exactly (or, were such a key refused, nothing is sent); never "outcome unknown"
    creates = sim_server.sim.creates()
    sent_clean = made.exit_code == 0 and [c.headers["authorization"] for c in creates] == [
        f"Bearer {SECRET}"
    ]
    assert sent_clean or (made.exit_code == 2 and not creates), made.stderr
    assert '"unknown"' not in journal
