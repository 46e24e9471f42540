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
        [sys.executable, "-m", "seedance", "--json", "sim", "--port", "0", "--instant"],
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
