"""Regenerate ARCHITECTURE.md's "## Module map" from the package's module docstrings.

Run after adding, moving or removing a module: `python scripts/gen_module_map.py`.
tests/architecture/test_services.py fails while the map and the package disagree.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "seedance"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
WIDTH = 110  # characters of a docstring's first paragraph kept

HEAD = """## Module map

Every module of the package, by folder, with what it holds (its docstring's first words;
`tests/architecture/test_services.py` fails when a module is missing here or named here but
gone; `python scripts/gen_module_map.py` rewrites this section).
"""


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
    first = " ".join(doc.split("\n\n", 1)[0].split())
    if len(first) <= WIDTH:
        return first
    return first[:WIDTH].rsplit(" ", 1)[0] + "…"


def section() -> str:
    folders: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        if path.name != "__init__.py" and "__pycache__" not in path.parts:
            folders[str(path.parent.relative_to(SRC))].append(path)
    lines = [HEAD]
    for folder in sorted(folders, key=lambda f: (f != ".", f)):
        lines.append("### the package\n" if folder == "." else f"### `{folder}/`\n")
        for path in folders[folder]:
            lines.append(f"- `{path.relative_to(SRC)}`: {summary(path)}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    text = ARCHITECTURE.read_text("utf-8")
    before, _, after = text.partition("## Module map")
    rest = after.split("\n## ", 1)
    tail = "\n## " + rest[1] if len(rest) > 1 else ""
    ARCHITECTURE.write_text(before + section().rstrip("\n") + "\n" + tail, "utf-8")


if __name__ == "__main__":
    main()
