"""The wheel a release publishes (issue 28): built from this tree by the project's build
backend, it holds `py.typed`, the data and the three completion scripts (installed under
share/), at the version `seedance.__version__` says. .ci/run also builds the sdist and wheel
with `python -m build` and checks them with `twine check` (the `release` dependency group)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import seedance

ROOT = Path(__file__).resolve().parents[2]
BUILD = "import sys\nfrom hatchling.build import build_wheel\nprint(build_wheel(sys.argv[1]))\n"


def check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / "scripts" / "check_dist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_wheel_holds_the_completions_and_py_typed(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    wheel = tmp_path / built.stdout.strip().splitlines()[-1]
    assert wheel.name == f"seedance-{seedance.__version__}-py3-none-any.whl"
    assert check_dist().wheel_problems(wheel) == []
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    data = f"seedance-{seedance.__version__}.data/data/share"
    assert "seedance/py.typed" in names
    assert f"{data}/bash-completion/completions/seedance" in names
    assert f"{data}/zsh/site-functions/_seedance" in names
    assert f"{data}/fish/vendor_completions.d/seedance.fish" in names
    assert not any("__pycache__" in name for name in names)
