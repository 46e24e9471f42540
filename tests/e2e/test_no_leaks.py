"""The suite-wide scan (conftest.no_credentials_to_result_hosts) can fail, and keys stay hidden."""

from __future__ import annotations

import json

from support import KEYS, credential_leaks


def test_the_scan_catches_a_credential_sent_to_a_result_host():
    requests = [
        ("https://tos.example.com/v.mp4?X-Tos-Signature=x", "/v.mp4", {"accept": "*/*"}),
        ("https://tos.example.com/f.png", "/f.png", {"authorization": "Bearer k"}),
    ]
    assert credential_leaks(requests) == ["https://tos.example.com/f.png"]


def test_keys_never_appear_in_output(run, sim, world):
    world.environ["SEEDANCE_API_KEY"] = "sk-very-secret-value"
    outputs = [
        run("create", "a boat", "-o", "b.mp4", "--json", "-v"),
        run("profiles", "show", "--json"),
        run("profiles", "show"),
        run("tasks", "list", "--local", "--json"),
        run("status", "cgt-does-not-exist", "--json", "-v"),
    ]
    for result in outputs:
        text = result.stdout + result.stderr
        assert "sk-very-secret-value" not in text
        assert all(value not in text for value in KEYS.values())
    assert json.loads(outputs[0].stdout)["download"]["path"].endswith("b.mp4")
    assert "Bearer ***" in outputs[0].stderr  # --verbose shows the header, redacted
