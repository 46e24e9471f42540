"""`seedance chain FILE.toml`: run a multi-shot storyboard with last-frame continuity."""

from __future__ import annotations

import json
import shlex
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedance.cli.app import current_env
from seedance.cli.progress import LiveBoard

if TYPE_CHECKING:
    from rich.console import RenderableType

    from seedance.cli.environment import Environment
    from seedance.services.chain.manifest import Manifest
    from seedance.services.chain.plan import Plan

MAX_CONCURRENCY = 10  # docs/sources/ark.txt: the provider's concurrency limit per model
STATE_STYLES = {
    "done": "green",
    "failed": "red",
    "error": "red",
    "blocked": "magenta",
    "running": "cyan",
    "queued": "yellow",
    "waiting": "dim",
}


def register(app: typer.Typer) -> None:
    app.command("chain")(chain)


def chain(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.toml", help="The storyboard (TOML).", show_default=False)
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Output directory [default: FILE's name, beside it].",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and every request; send nothing.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Ignore chain.json; start over.")
    ] = False,
    rerun: Annotated[
        list[str] | None,
        typer.Option("--rerun", metavar="SHOT", help="Make this shot (and what follows) again."),
    ] = None,
    concurrency: Annotated[int, typer.Option(metavar="N", help="Shots made at the same time.")] = 2,
    concat: Annotated[
        bool, typer.Option("--concat", help="Also join the clips into film.mp4.")
    ] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(metavar="AMOUNT", help="Refuse to start if the estimate is above AMOUNT."),
    ] = None,
) -> None:
    """Run a multi-shot storyboard; every shot starts from the previous shot's last frame."""
    from seedance.domain.errors import UsageError
    from seedance.services import video
    from seedance.services.chain.manifest import Manifest
    from seedance.services.chain.plan import make_plan, with_actions
    from seedance.services.chain.storyboard import load

    env = current_env()
    if concurrency < 1:
        raise UsageError("--concurrency must be 1 or more")
    if concurrency > MAX_CONCURRENCY:
        env.output.warn(
            f"--concurrency {concurrency} is above the provider's limit; using {MAX_CONCURRENCY}"
        )
        concurrency = MAX_CONCURRENCY
    if concat and not video.available():
        raise UsageError(
            "--concat joins clips with PyAV, which is not installed", hint=video.INSTALL_HINT
        )
    path = env.path(file)
    board = load(path)
    out_dir = env.path(output) if output else path.with_suffix("")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} is a file", hint="give -o a directory for the clips")
    clashes = [out_dir / f"{s.stem}{end}" for s in board.shots for end in (".mp4", ".last.png")]
    if any(c.is_dir() for c in clashes):
        taken = next(c for c in clashes if c.is_dir())
        raise UsageError(f"{taken} is a directory, where a shot's file goes", hint="move it away")
    client = env.client(offline=dry_run)
    plan = make_plan(client, board)
    manifest = Manifest.open(
        out_dir, storyboard=path, profile=client.profile.name, now=env.clock.time(), restart=restart
    )
    if restart:
        _warn_abandoned(env, out_dir)
    plan = with_actions(plan, manifest, set(rerun or []), out_dir, restart=restart)
    _check_cost(plan, max_cost)
    if dry_run:
        _print_plan(env, plan)
        return
    env.output.info(f"{plan.describe_total()} on profile {client.profile.name}, into {out_dir}")
    outcomes = _run(env, client, plan, manifest, out_dir, concurrency, path, output)
    _finish(env, plan, manifest, outcomes, out_dir, concat)


def _warn_abandoned(env: Environment, out_dir: Path) -> None:
    """--restart leaves the earlier run's unfinished tasks running (and billed): say so."""
    from seedance.services.chain.manifest import MANIFEST, ManifestData

    try:
        earlier = ManifestData.model_validate_json((out_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return
    running = [r.id for r in earlier.shots.values() if r.state == "submitted" and r.task_id]
    if running:
        env.output.warn(
            f"--restart leaves {', '.join(running)} of the earlier run running on the server "
            "(they are billed); `seedance cancel ID` stops the ones still queued"
        )


def _check_cost(plan: Plan, max_cost: float | None) -> None:
    from seedance.domain.catalogue import format_money
    from seedance.domain.errors import UsageError

    if max_cost is None:
        return
    _tokens, cost, currency = plan.total()
    if cost is None:
        raise UsageError(
            "--max-cost cannot be checked: the price of this profile's model is not known",
            hint="see `seedance models`; run without --max-cost to go ahead",
        )
    if cost > max_cost:
        raise UsageError(
            f"the estimate {format_money(cost, currency)} is above --max-cost {max_cost:g}",
            hint="raise --max-cost, shorten shots, or lower the resolution",
        )


def _print_plan(env: Environment, plan: Plan) -> None:
    if env.json:
        env.output.json(plan.to_json())
        return
    lines = []
    for shot_plan in plan.shots.values():
        shot = shot_plan.shot
        start = f"after {shot.parent}" if shot.parent else "start"
        estimate = shot_plan.estimate.describe() if shot_plan.estimate else "no estimate"
        action = {"skip": "done, kept", "poll": "submitted earlier: poll", "run": estimate}
        lines.append(f"{shot.index:02d} {shot.id:<16} {start:<22} {action[shot_plan.action]}")
        if shot_plan.action == "run":
            lines.append("   " + json.dumps(shot_plan.prepared.body, ensure_ascii=False))
    lines.append(f"total: {plan.describe_total()}")
    env.output.data("\n".join(lines))


def _run(
    env: Environment,
    client: Any,
    plan: Plan,
    manifest: Manifest,
    out_dir: Path,
    concurrency: int,
    path: Path,
    output: str | None,
) -> dict[str, Any]:
    from seedance.domain.errors import InterruptedByUser
    from seedance.services.chain.runner import ChainRunner

    board = ShotBoard(env, plan, manifest)
    runner = ChainRunner(
        client, plan, manifest, out_dir, concurrency=concurrency, on_event=board.event
    )
    try:
        with board:
            return runner.run()
    except KeyboardInterrupt:
        words = ["seedance", "-p", client.profile.name, "chain", str(path)]
        if output:
            words += ["-o", output]
        raise InterruptedByUser(
            "stopped; shots already submitted keep running on the server and chain.json "
            "remembers them",
            hint=f"resume with: {shlex.join(words)}",
        ) from None


def _finish(
    env: Environment,
    plan: Plan,
    manifest: Manifest,
    outcomes: dict[str, Any],
    out_dir: Path,
    concat: bool,
) -> None:
    from seedance.domain.errors import ExitStatus, SeedanceError
    from seedance.services import video

    attention = {k: v for k, v in outcomes.items() if v.state != "done"}
    film = None
    if concat and not attention:
        clips = [out_dir / manifest.record(s.id).clip for s in plan.storyboard.shots]  # type: ignore[operator]
        film = out_dir / "film.mp4"
        how = video.concat(clips, film)
        env.output.info(f"joined {len(clips)} clips into {film} ({how})")
    spent, currency = _spent(manifest)
    summary = f"{len(outcomes) - len(attention)}/{len(outcomes)} shots done"
    if spent is not None:
        from seedance.domain.catalogue import format_money

        summary += f", spent {format_money(spent, currency)}"
    env.output.info(summary)
    document = manifest.data.model_dump(mode="json")
    document["directory"] = str(out_dir)
    document["film"] = str(film) if film else None
    if not attention:
        if env.json:
            env.output.json(document)
        else:
            env.output.data(str(film or out_dir))
        return
    for shot_id, outcome in attention.items():
        record = manifest.record(shot_id)
        reason = (record.error or {}).get("message") or outcome.state
        if outcome.error is not None and outcome.error.suggestion is not None:
            from seedance.cli.wording import describe

            reason = describe(outcome.error, env.active_profile)
        env.output.warn(f"shot '{shot_id}' {outcome.state}: {reason}")
    status = ExitStatus.TASK_FAILED
    for outcome in attention.values():
        if outcome.error is not None and outcome.error.exit_status in (
            ExitStatus.API,
            ExitStatus.NETWORK,
        ):
            status = outcome.error.exit_status
    error = SeedanceError(
        f"{len(attention)} shot{'s need' if len(attention) > 1 else ' needs'} attention: "
        + ", ".join(attention),
        code="chain_incomplete",
        hint="run the same command again to retry them (finished shots are kept)",
        exit_status=status,
    )
    error.details = document
    raise error


def _spent(manifest: Manifest) -> tuple[float | None, str | None]:
    costs = [r.cost for r in manifest.data.shots.values() if r.state == "done"]
    currency = next((r.currency for r in manifest.data.shots.values() if r.currency), None)
    known = [c for c in costs if c is not None]
    return (sum(known), currency) if known else (None, currency)


class ShotBoard(LiveBoard):
    """One row per shot, with overall progress, elapsed time and spend so far."""

    def __init__(self, env: Environment, plan: Plan, manifest: Manifest) -> None:
        super().__init__(env)
        self.plan = plan
        self.manifest = manifest
        self.rows: dict[str, tuple[str, str]] = {
            s.id: ("waiting", "") for s in plan.storyboard.shots
        }
        self._lock = threading.Lock()

    def event(self, shot_id: str, state: str, detail: str) -> None:
        with self._lock:
            if self.rows.get(shot_id) == (state, detail):
                return
            self.rows[shot_id] = (state, detail)
        if self.live is None and not self.env.quiet:
            shot = self.plan.storyboard.by_id[shot_id]
            self.env.output.info(f"{shot.index:02d} {shot_id}  {state}  {detail}".rstrip())

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table

        table = Table(box=None, header_style="bold", pad_edge=False)
        widths = {"STATE": 11, "DETAIL": 12}  # fixed, so columns do not jump as states change
        for name in ("", "SHOT", "STATE", "DETAIL", "TASK"):
            table.add_column(
                "" if name == "DETAIL" else name, no_wrap=True, min_width=widths.get(name)
            )
        with self._lock:
            rows = dict(self.rows)
        for shot in self.plan.storyboard.shots:
            state, detail = rows[shot.id]
            record = self.manifest.data.shots.get(shot.id)
            style = STATE_STYLES.get(state, "white")
            table.add_row(
                f"{shot.index:02d}",
                shot.id,
                f"[{style}]{state}[/]",
                detail,
                record.task_id if record and record.task_id else "",
            )
        done = sum(1 for state, _ in rows.values() if state == "done")
        spent, currency = _spent(self.manifest)
        footer = f"{done}/{len(rows)} done · {self.elapsed()}"
        if spent is not None:
            from seedance.domain.catalogue import format_money

            footer += f" · spent {format_money(spent, currency)}"
        return Group(table, footer)
