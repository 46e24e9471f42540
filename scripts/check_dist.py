"""Check the built sdist and wheel: what a user installs has what it promises.

    python scripts/check_dist.py DIST_DIR

The wheel holds the package with its `py.typed` marker, its data (catalogue, presets, the
simulator's table and clip) and the three completion scripts (installed under share/); the
sdist holds the sources, tests, completions and CHANGELOG; both carry the version of
`seedance.__version__` (the one place it is written). Run by .ci/run and the release workflow
after `python -m build` and `twine check`.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEEL_MEMBERS = (
    "seedance/__init__.py",
    "seedance/py.typed",
    "seedance/data/catalogue.toml",
    "seedance/data/presets.toml",
    "seedance/sim/data/services.toml",
    "seedance/cli/entry.py",
)
WHEEL_DATA = (
    "data/share/bash-completion/completions/seedance",
    "data/share/zsh/site-functions/_seedance",
    "data/share/fish/vendor_completions.d/seedance.fish",
)
SCRIPTS = ("seedance.bash", "_seedance", "seedance.fish")  # completions/, as WHEEL_DATA
SDIST_MEMBERS = (
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "src/seedance/py.typed",
    "completions/seedance.bash",
    "completions/_seedance",
    "completions/seedance.fish",
    "tests/conftest.py",
)


def version() -> str:
    text = (ROOT / "src" / "seedance" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if found is None:
        raise SystemExit("no __version__ in src/seedance/__init__.py")
    return found.group(1)


def problems(dist: Path) -> list[str]:
    """What is missing or wrong in the sdist and wheel under `dist`."""
    found: list[str] = []
    release = version()
    wheels = sorted(dist.glob("seedance-*.whl"))
    sdists = sorted(dist.glob("seedance-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"expected one wheel and one sdist in {dist}, found {wheels + sdists}"]
    wheel, sdist = wheels[0], sdists[0]
    if not sdist.name.startswith(f"seedance-{release}"):
        found.append(f"{sdist.name} is not version {release} (src/seedance/__init__.py)")
    found += wheel_problems(wheel)
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        for member in SDIST_MEMBERS:
            if member not in names:
                found.append(f"the sdist lacks {member}")
    return found


def wheel_problems(wheel: Path) -> list[str]:
    """What is missing or wrong in the wheel (tests/e2e/test_wheel.py builds one and asks)."""
    found: list[str] = []
    release = version()
    if not wheel.name.startswith(f"seedance-{release}-"):
        found.append(f"{wheel.name} is not version {release} (src/seedance/__init__.py)")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for member in WHEEL_MEMBERS:
            if member not in names:
                found.append(f"the wheel lacks {member}")
        for member, name in zip(WHEEL_DATA, SCRIPTS, strict=True):
            inside = f"seedance-{release}.data/{member}"
            if inside not in names:
                found.append(f"the wheel lacks {inside}")
            elif archive.read(inside).decode() != (ROOT / "completions" / name).read_text():
                found.append(f"the wheel's {inside} is not completions/{name}")
        metadata = archive.read(f"seedance-{release}.dist-info/METADATA").decode()
        for extra in ("video", "mcp"):
            if f"Provides-Extra: {extra}" not in metadata:
                found.append(f"the wheel's metadata lacks the extra {extra}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    found = problems(Path(argv[0]))
    for problem in found:
        print(f"dist: {problem}")
    if not found:
        print(f"dist: the sdist and wheel of seedance {version()} hold what they should")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
