"""`seedance chain FILE.toml`: run a multi-shot storyboard with last-frame continuity."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import typer

from seedance.cli.app import current_env
from seedance.cli.progress import LiveBoard
from seedance.domain import params

if TYPE_CHECKING:
    from rich.console import RenderableType

    from seedance.cli.environment import Environment
    from seedance.services.chain.manifest import Manifest
    from seedance.services.chain.plan import Plan
    from seedance.services.chain.session import ChainResult

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
    from seedance.cli.options import command

    app.command("chain")(command(params.CHAIN, chain, name="chain", doc=chain.__doc__ or ""))


def chain(
    storyboard: str,
    output: str | None,
    dry_run: bool,
    restart: bool,
    rerun: list[str] | None,
    concurrency: int,
    concat: bool,
    max_cost: float | None,
    allow_unpriced: bool,
    draft: bool,
    finalize: bool,
    strict: bool,
) -> None:
    """Run a multi-shot storyboard; every shot starts from the previous shot's last frame."""
    from seedance.domain.errors import InterruptedByUser, Suggestion, UsageError
    from seedance.services.chain.session import MAX_CONCURRENCY, ChainIncomplete

    env = current_env()
    if concurrency < 1:
        raise UsageError("--concurrency must be 1 or more")
    if concurrency > MAX_CONCURRENCY:
        env.output.warn(
            f"--concurrency {concurrency} is above the provider's limit; using {MAX_CONCURRENCY}"
        )
        concurrency = MAX_CONCURRENCY
    path = env.path(storyboard)
    client = env.client(offline=dry_run and not finalize)  # finalize reads its drafts
    session = client.open_chain(
        path,
        output=env.path(output) if output else None,
        restart=restart,
        rerun=rerun or [],
        max_cost=max_cost,
        concat=concat,
        dry_run=dry_run,
        draft=draft,
        finalize=finalize,
        allow_unpriced=allow_unpriced,
        strict=strict,
    )
    if session.manifest.damaged is not None:
        env.output.warn(
            f"chain.json was damaged: kept it as {session.manifest.damaged.name} and rebuilt what "
            "the journal and the clips on disk say"
        )
    if session.recovered:
        env.output.info(f"rebuilt from the journal: {', '.join(session.recovered)}")
    if session.unverified:
        env.output.warn(
            f"the clip of {', '.join(session.unverified)} is not the video recorded: saving it "
            "again from its task (nothing is made again)"
        )
    if session.abandoned:
        env.output.warn(
            f"--restart leaves {', '.join(session.abandoned)} of the earlier run running on the "
            "server (they are billed); `seedance cancel ID` stops the ones still queued"
        )
    plan = session.plan
    if dry_run:
        _print_plan(env, plan)
        return
    out_dir = session.directory
    env.output.info(f"{plan.describe_total()} on profile {client.profile.name}, into {out_dir}")
    board = ShotBoard(env, plan, session.manifest)
    try:
        with board:
            result = session.run(concurrency=concurrency, concat=concat, on_event=board.event)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped; shots already submitted keep running on the server and chain.json "
            "remembers them",
            hint="resume with",
            suggestion=Suggestion.of("chain", str(path), output=output),
        ) from None
    except ChainIncomplete as incomplete:
        _summary(env, incomplete.result)
        _review(env, incomplete.result)
        for shot_id, outcome in incomplete.result.attention.items():
            record = incomplete.result.manifest.record(shot_id)
            reason = (record.error or {}).get("message") or outcome.state
            if outcome.error is not None and outcome.error.suggestions:
                from seedance.cli.wording import describe

                reason = describe(outcome.error, env.active_profile, env.argv)
            env.output.warn(f"shot '{shot_id}' {outcome.state}: {reason}")
        raise
    _summary(env, result)
    _review(env, result)
    if env.json:
        env.output.json(result.to_json())
    else:
        env.output.data(str(result.film or out_dir))


def _summary(env: Environment, result: ChainResult) -> None:
    from seedance.domain.catalogue import format_money

    if result.film is not None:
        clips = len(result.outcomes)
        env.output.info(f"joined {clips} clips into {result.film} ({result.joined_by})")
    done = len(result.outcomes) - len(result.attention)
    summary = f"{done}/{len(result.outcomes)} shots done"
    spent, currency = result.spent()
    if spent is not None:
        summary += f", spent {format_money(spent, currency)}"
    env.output.info(summary)


def _review(env: Environment, result: ChainResult) -> None:
    for note in result.notes:
        env.output.info(note)
    if result.review is not None:
        env.output.info(f"review: {result.review}")


def _print_plan(env: Environment, plan: Plan) -> None:
    from seedance.services.prepare import redact_body

    if env.json:
        env.output.json(plan.to_json())
        return
    lines = [] if plan.mode == "normal" else [f"mode: {plan.mode}"]
    for shot_plan in plan.shots.values():
        shot = shot_plan.shot
        start = shot_plan.start()
        if plan.mode == "finalize" and shot_plan.final_of is None:
            start = f"made anew, {start.replace(': ', ' (its final): ', 1)}"
        estimate = shot_plan.estimate.describe() if shot_plan.estimate else "price unknown"
        action = {"skip": "done, kept", "poll": "submitted earlier: poll", "run": estimate}
        lines.append(f"{shot.index:02d} {shot.id:<16} {start}")
        lines.append(f"   {action[shot_plan.action]}")
        if shot_plan.action == "run":  # inline media abbreviated to their hashes
            body = redact_body(shot_plan.prepared.body)
            lines.append("   " + json.dumps(body, ensure_ascii=False))
    lines.append(f"total: {plan.describe_total()}")
    env.output.data("\n".join(lines))


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
        from seedance.services.chain.session import spent

        spent_now, currency = spent(self.manifest)
        footer = f"{done}/{len(rows)} done · {self.elapsed()}"
        if spent_now is not None:
            from seedance.domain.catalogue import format_money

            footer += f" · spent {format_money(spent_now, currency)}"
        return Group(table, footer)
