"""`seedance journal check|repair|migrate|export|import`: inspect, rebuild or migrate the
state (the local journal, or the shared state a state URL names), and move a journal into a
shared state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedance.cli.app import current_env, sub_app

if TYPE_CHECKING:
    from seedance.services.state import Entry

JOURNAL_HELP = "Inspect, repair or migrate the state; move a local journal into a shared state."


def register(app: typer.Typer) -> None:
    journal_app = sub_app(JOURNAL_HELP)
    journal_app.command("check")(check)
    journal_app.command("repair")(repair)
    journal_app.command("migrate")(migrate)
    journal_app.command("export")(export)
    journal_app.command("import")(import_)
    app.add_typer(journal_app, name="journal")


def check() -> None:
    """What the state holds, and whether it can be read (changes nothing)."""
    from seedance.domain.errors import JournalDamagedError, Suggestion

    env = current_env()
    state = env.state()
    report = state.check()
    if env.json:
        env.output.json(
            {
                "store": report.store,
                "path": report.where,
                "exists": report.exists,
                "bytes": report.size,
                "ok": report.ok,
                "damaged": report.damaged,
                "schema_version": report.schema_version,
                "rows": report.rows,
                "states": report.states,
                "in_flight": [_row(e) for e in report.in_flight],
                "interrupted": [_row(e) for e in report.interrupted],
                "unsaved": [_row(e) for e in report.unsaved],
            }
        )
    else:
        name = "journal" if report.store == "sqlite" else "shared state"
        lines = [f"{name}: {report.where}"]
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
            f"the journal {report.where} is damaged ({report.damaged})",
            damage=report.damaged or "",
            hint="rebuild it from what can be read (the damaged file is kept) with",
            suggestion=Suggestion.of("journal.repair"),
        )


def repair() -> None:
    """Rebuild a damaged journal from what can be read of it (the damaged file is kept)."""
    env = current_env()
    state = env.state()
    result = state.repair()
    if env.json:
        env.output.json(
            {
                "repaired": result.backup is not None,
                "backup": result.backup,
                "recovered": result.recovered,
                "unreadable": result.unreadable,
            }
        )
        return
    if result.backup is None:
        what = "the journal" if state.store == "sqlite" else f"the shared state {state.where}"
        env.output.info(f"{what} is sound: nothing to repair")
        return
    env.output.info(
        f"kept the damaged journal as {result.backup}; rebuilt {result.recovered} creates "
        f"({result.unreadable} could not be read)"
    )
    env.output.info(
        "a `create -o` run again still finds its task from the record beside its output"
    )
    env.output.data(result.backup)


def migrate() -> None:
    """Bring the state's schema to this version's (on a shared state: once, for everyone)."""
    env = current_env()
    result = env.state().migrate()
    if env.json:
        env.output.json(
            {"path": result.where, "before": result.before, "schema_version": result.after}
        )
        return
    if result.before == result.after:
        env.output.info(f"{result.where} is at schema version {result.after}: nothing to do")
    elif result.before is None:
        env.output.info(f"set up {result.where} at schema version {result.after}")
    else:
        env.output.info(
            f"migrated {result.where} from schema version {result.before} to {result.after}"
        )


def export(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="A new file to write.", show_default=False)
    ],
    local: Annotated[
        bool,
        typer.Option("--local", help="Export this machine's journal even when a state URL is set."),
    ] = False,
) -> None:
    """Write every create of the state (or the local journal) to FILE (JSON Lines, 0600)."""
    from seedance.services.state import open_state
    from seedance.services.state.transfer import export as write

    env = current_env()
    state = open_state(env.data_dir, warn=env.output.warn) if local else env.state()
    try:
        done = write(state, env.path(file))
    finally:
        if local:
            state.close()
    if env.json:
        env.output.json({"path": str(done.path), "from": state.where, "creates": done.creates})
        return
    env.output.info(f"exported {done.creates} creates from {state.where}")
    env.output.data(str(done.path))


def import_(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A file journal export wrote.", show_default=False),
    ],
) -> None:
    """Add the creates of FILE (from journal export) to the state: history, ledger and
    resumable work; creates it already holds are skipped."""
    from seedance.services.state.transfer import import_into

    env = current_env()
    state = env.state()
    done = import_into(state, env.path(file))
    if env.json:
        env.output.json(
            {
                "path": str(done.path),
                "into": state.where,
                "imported": done.creates,
                "skipped": done.skipped,
            }
        )
        return
    env.output.info(
        f"imported {done.creates} creates into {state.where}"
        + (f" ({done.skipped} already there)" if done.skipped else "")
    )


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "row": entry.row,
        "state": entry.state.value,
        "task_id": entry.task_id,
        "profile": entry.profile,
        "output_path": entry.output_path,
        "created_at": entry.created_at,
    }
