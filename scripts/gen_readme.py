"""Generate the user manual's command reference, preset table and model table from the app.

    python scripts/gen_readme.py          rewrite the generated sections of README.md and docs/
    python scripts/gen_readme.py --check  exit 1 if they are out of date

Sections sit between `<!-- NAME:start -->` and `<!-- NAME:end -->` markers, each in exactly
one page (README.md or a docs/*.md page).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import typer

from seedance.cli.app import app
from seedance.domain.catalogue import catalogue
from seedance.domain.profiles import build_profile, presets
from seedance.providers.registry import capabilities

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def pages() -> list[Path]:
    """The user manual: the README, then the pages of docs/."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def _option_row(param: Any) -> str:
    names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
    if param.param_type_name == "argument":
        names = f"`{(param.name or '').upper()}`"
    value = (
        "" if getattr(param, "is_flag", False) or param.param_type_name == "argument" else " VALUE"
    )
    help_text = " ".join((param.help or "").split()).replace("|", "\\|")
    default = param.default
    shown = (
        f" (default: `{default}`)"
        if default not in (None, False, [], (), "") and not callable(default) and param.show_default
        else ""
    )
    return f"| {names}{value} | {help_text}{shown} |"


def reference() -> str:
    """Every command: what it does, how to call it, every option."""
    root = typer.main.get_command(app).load_all()  # type: ignore[attr-defined]
    out: list[str] = []
    globals_ = [p for p in root.params if not p.hidden]
    out += [
        "Global options (before or after the command):",
        "",
        "| option | meaning |",
        "|---|---|",
    ]
    out += [_option_row(p) for p in globals_]

    def walk(cmd: Any, path: list[str]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            if sub.hidden:
                continue
            full = [*path, name]
            params = [p for p in sub.params if not p.hidden]
            usage = " ".join(
                [
                    "seedance",
                    *full,
                    *(
                        f"{(p.name or '').upper()}"
                        for p in params
                        if p.param_type_name == "argument"
                    ),
                ]
            )
            out.extend(
                ["", f"### `seedance {' '.join(full)}`", "", " ".join((sub.help or "").split())]
            )
            if not getattr(sub, "commands", None):
                out.extend(["", "```", f"{usage} [OPTIONS]", "```"])
                if params:
                    out.extend(["", "| argument / option | meaning |", "|---|---|"])
                    out.extend(_option_row(p) for p in params)
            walk(sub, full)

    walk(root, [])
    return "\n".join(out)


def preset_table() -> str:
    """What works on each preset, read from the providers' capability flags and the catalogue."""
    header = "| preset | API | create & status | task list | cancel | assets | last frame | 4k |"
    rows = [header, "|---|---|---|---|---|---|---|---|"]
    for name in presets():
        profile = build_profile(name, {})
        caps = capabilities(profile)
        vocab = catalogue().vocabularies.get(profile.vocabulary or "")
        four_k = bool(vocab) and any(
            "4k" in catalogue().resolve(m, vocab.key).family.resolutions for m in vocab.primaries()
        )
        assets = (
            "bearer"
            if profile.assets_url and profile.assets_auth == "bearer"
            else ("signed (AK/SK)" if profile.assets_url else "—")
        )
        if caps.needs_assets:
            assets += ", required"
        last_frame = "✓" if caps.returns_last_frame else "via PyAV"
        api = profile.api + (f" ({profile.flavor})" if profile.flavor else "")
        cells = [
            f"`{name}`",
            api,
            "✓",
            _tick(caps.can_list),
            _tick(caps.can_cancel),
            assets,
            last_frame,
            _tick(four_k),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _tick(value: bool) -> str:
    return "✓" if value else "—"


def model_table() -> str:
    """Every model each provider names, from the catalogue, with the sources of its cells."""
    from seedance.services.account.catalogue_rows import model_row

    cat = catalogue()
    header = (
        "| model | provider | seconds | resolutions | refs img/vid/aud | audio alone | "
        "draft → final | flex | mov | price per M tokens | sources |"
    )
    rows = [header, "|---|---|---|---|---|---|---|---|---|---|---|"]
    used: list[str] = []
    for key, vocab in cat.vocabularies.items():
        for name in vocab.primaries():
            row = model_row(cat, cat.resolve(name, key))
            seconds = "{}–{}".format(*row["duration"]) + (", -1" if row["duration_auto"] else "")
            resolutions = ", ".join(
                f"{r}?" if r in row["resolutions_unconfirmed"] else r for r in row["resolutions"]
            )
            refs = "/".join(str(n) for n in row["max_references"].values())
            finals = ", ".join(row["final_resolutions"])
            draft = f"480p → {finals}" if row["draft"] and finals else _tick(row["draft"])
            sources = row["sources"]
            used += [s for s in sources if s not in used]
            cells = [
                f"`{name}`",
                vocab.title,
                seconds,
                resolutions,
                refs,
                _tick(row["audio_alone"]),
                draft,
                _tick(row["flex"]),
                _tick("mov" in row["output_formats"]),
                row["price_text"],
                " ".join(f"[{s}]" for s in sources),
            ]
            rows.append("| " + " | ".join(cells) + " |")
    price_sources = {
        rule["source"] for plist in cat.price_lists.values() for rule in plist["rules"]
    }
    used += sorted(s for s in price_sources if s not in used)
    rows += [
        "",
        "`4k?`: the sources disagree; the request is sent with a notice and the server decides.",
        "`-1`: the model chooses the length (estimated at its longest). Prices come from the",
        "provider's list (or a profile's `prices`); \"unknown\" where no source gives one.",
        "",
        "| source | where |",
        "|---|---|",
    ]
    rows += [f"| [{key}] | {_link(cat.sources[key])} |" for key in used]
    return "\n".join(rows)


def _link(reference: str) -> str:
    """A source: a URL as a link, a file in the repository as a relative link."""
    first, _, rest = reference.partition(" ")
    if first.startswith("https://"):
        return f"<{first}> {rest}".strip()
    if first.startswith("docs/"):  # the model table is on a page of docs/ itself
        return f"[{first}]({first.removeprefix('docs/')}) {rest}".strip()
    return reference.replace("|", "\\|")


SECTIONS = {"reference": reference, "presets": preset_table, "models": model_table}


def render(text: str, *, complete: bool = True) -> str:
    """`text` with its generated sections made anew; `complete`: every section must be there."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            if complete:
                raise SystemExit(f"no {name} markers")
            continue
        text = pattern.sub(lambda m, body=make(): m.group(1) + body + "\n" + m.group(2), text)
    return text


def stale() -> dict[Path, str]:
    """Each page whose generated sections are out of date, with its fresh text."""
    found: dict[Path, str] = {}
    placed = {name: 0 for name in SECTIONS}
    for page in pages():
        current = page.read_text("utf-8")
        for name in SECTIONS:
            placed[name] += current.count(f"<!-- {name}:start -->")
        fresh = render(current, complete=False)
        if fresh != current:
            found[page] = fresh
    misplaced = [name for name, count in placed.items() if count != 1]
    if misplaced:
        raise SystemExit(f"each generated section must be on exactly one page: {misplaced}")
    return found


def main(argv: list[str]) -> int:
    found = stale()
    if "--check" in argv:
        for page in found:
            print(f"{page.relative_to(ROOT)} is out of date: run python scripts/gen_readme.py")
        return 1 if found else 0
    for page, fresh in found.items():
        page.write_text(fresh, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
