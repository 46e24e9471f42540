"""`seedance journal check|repair`: inspect or rebuild the local journal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from seedance.cli.app import current_env, sub_app

if TYPE_CHECKING:
    from seedance.services.journal import Entry


def register(app: typer.Typer) -> None:
    journal_app = sub_app("Inspect or repair the local journal.")
    journal_app.command("check")(check)
    journal_app.command("repair")(repair)
    app.add_typer(journal_app, name="journal")


def check() -> None:
    """What the journal holds, and whether it can be read (changes nothing)."""
    from seedance.domain.errors import JournalDamagedError, Suggestion
    from seedance.services.journal_repair import check as inspect

    env = current_env()
    report = inspect(env.data_dir)
    if env.json:
        env.output.json(
            {
                "path": str(report.path),
                "exists": report.exists,
                "bytes": report.size,
                "ok": report.ok,
                "damaged": report.damaged,
                "rows": report.rows,
                "states": report.states,
                "in_flight": [_row(e) for e in report.in_flight],
                "interrupted": [_row(e) for e in report.interrupted],
                "unsaved": [_row(e) for e in report.unsaved],
            }
        )
    else:
        lines = [f"journal: {report.path}"]
        if not report.exists:
            lines.append("no journal yet: nothing has been created on this machine")
        elif report.ok:
            states = ", ".join(f"{n} {s}" for s, n in sorted(report.states.items()))
            lines.append(f"readable: {report.rows} creates ({states or 'none'})")
            lines.append(f"in flight now (another seedance is sending): {len(report.in_flight)}")
            lines.append(
                f"interrupted, outcome unknown: {len(report.interrupted)} (running the same "
                "command again finds their tasks)"
            )
            lines.append(f"succeeded, video not saved: {len(report.unsaved)}")
        env.output.data("\n".join(lines))
    if not report.ok:
        raise JournalDamagedError(
            f"the journal {report.path} is damaged ({report.damaged})",
            reason=report.damaged or "",
            hint="rebuild it from what can be read (the damaged file is kept) with",
            suggestion=Suggestion.of("journal.repair"),
        )


def repair() -> None:
    """Rebuild a damaged journal from what can be read of it (the damaged file is kept)."""
    from seedance.services.journal_repair import repair as rebuild

    env = current_env()
    result = rebuild(env.data_dir)
    if env.json:
        env.output.json(
            {
                "repaired": result.backup is not None,
                "backup": str(result.backup) if result.backup else None,
                "recovered": result.recovered,
                "unreadable": result.unreadable,
            }
        )
        return
    if result.backup is None:
        env.output.info("the journal is sound: nothing to repair")
        return
    env.output.info(
        f"kept the damaged journal as {result.backup}; rebuilt {result.recovered} creates "
        f"({result.unreadable} could not be read)"
    )
    env.output.info(
        "a `create -o` run again still finds its task from the record beside its output"
    )
    env.output.data(str(result.backup))


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "row": entry.row,
        "state": entry.state.value,
        "task_id": entry.task_id,
        "profile": entry.profile,
        "output_path": entry.output_path,
        "created_at": entry.created_at,
    }
