"""Generate completions/ (bash, zsh, fish) from the Typer app.

    python scripts/gen_completions.py          write the scripts
    python scripts/gen_completions.py --check  exit 1 if they are out of date

The scripts are made by `seedance.cli.completion_scripts` (the same code that answers
`seedance completion SHELL`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from seedance.cli.completion_scripts import SCRIPTS, commands, render

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "completions"
__all__ = ["OUT", "SCRIPTS", "commands", "main", "render"]


def main(argv: list[str]) -> int:
    scripts = render()
    if "--check" in argv:
        stale = [
            n
            for n, text in scripts.items()
            if not (OUT / n).exists() or (OUT / n).read_text() != text
        ]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python scripts/gen_completions.py")
            return 1
        return 0
    OUT.mkdir(exist_ok=True)
    for name, text in scripts.items():
        (OUT / name).write_text(text)
        print(OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
