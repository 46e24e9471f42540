"""`seedance sim`, then a storyboard on every `sim-*` profile, as printed: the profiles work
while it runs (no profiles.toml), and every preset runs `examples/linear.toml` end to end
(kapon's frames through the stand-in upload_cmd, ope.ai's from the clips with PyAV)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_seedance_sim_then_a_storyboard_on_every_sim_profile(world):
    from seedance.domain.profiles import presets

    path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedance",
            "--json",
            "sim",
            "--port",
            "0",
            "--instant",
            "--small-clips",
        ],
        cwd=world.root,
        env={**world.environ, **path, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed = []
        for line in server.stdout:  # the document is complete at its first closing brace
            printed.append(line)
            if line.startswith("}"):
                break
        profiles = json.loads("".join(printed))["profiles"]
        assert (world.data_dir / "sim.json").exists()
        assert not (world.config_dir / "profiles.toml").exists()
        expected = {f"sim-{name}" for name, p in presets().items() if not p.get("simulator")}
        assert set(profiles) == expected
        (world.root / "linear.toml").write_text((ROOT / "examples/linear.toml").read_text())
        environ = {**world.environ, **path, "NO_COLOR": "1", "SEEDANCE_CLOCK": "fake"}
        runs = {  # every profile at once, each its own process (as a user's shell would)
            name: subprocess.Popen(
                [sys.executable, "-m", "seedance", "-p", name, "chain", "linear.toml", "-o", name],
                cwd=world.root,
                env=environ,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in sorted(profiles)
        }
        for name, run in runs.items():
            _out, err = run.communicate(timeout=120)
            assert run.returncode == 0, (name, err)
            made = json.loads((world.root / name / "chain.json").read_text())
            assert [s["state"] for s in made["shots"].values()] == ["done"] * 3, name
        # the asset groups made are the simulator's, not the profiles file's to keep
        assert not (world.config_dir / "profiles.toml").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (world.data_dir / "sim.json").exists()  # gone with the server


def test_a_second_simulator_does_not_take_over_the_first_ones_profiles(world):
    """Issue 28: a second `seedance sim` on the same data directory announced itself over the
    first, and every sim-* command then went to it. It is refused, and the first keeps them."""
    path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    environ = {**world.environ, **path, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "seedance", "--json", "sim", "--port", "0", "--instant"]
    first = subprocess.Popen(
        command, cwd=world.root, env=environ, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout is not None
        printed = []
        for line in first.stdout:
            printed.append(line)
            if line.startswith("}"):
                break
        api_url = json.loads("".join(printed))["api_url"]
        second = subprocess.run(
            command, cwd=world.root, env=environ, capture_output=True, text=True, timeout=30
        )
        assert second.returncode == 2, second.stderr
        assert "a simulator already runs on " + api_url in second.stderr
        announced = json.loads((world.data_dir / "sim.json").read_text())
        assert announced["api_url"] == api_url and announced["pid"] == first.pid
    finally:
        first.terminate()
        first.wait(timeout=30)
