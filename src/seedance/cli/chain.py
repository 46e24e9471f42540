"""`seedance chain FILE.toml`: run a multi-shot storyboard with last-frame continuity."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from seedance.cli.app import current_env
from seedance.cli.inputs import check_finite
from seedance.cli.progress import FINISHED, Board, Row, time_left
from seedance.domain import params
from seedance.domain.catalogue import format_money

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.services.storyboards.manifest import Manifest
    from seedance.services.storyboards.plan import Plan
    from seedance.services.storyboards.session import ChainResult


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
    allow_outside: bool,
    no_validate: bool = False,
    name: str | None = None,
) -> None:
    """Run a multi-shot storyboard; every shot starts from the previous shot's last frame."""
    from seedance.domain.errors import InterruptedByUser, Suggestion, UsageError
    from seedance.services.storyboards.session import MAX_CONCURRENCY, ChainIncomplete

    env = current_env()
    if concurrency < 1:
        raise UsageError("--concurrency must be 1 or more")
    check_finite(max_cost, "--max-cost")
    if concurrency > MAX_CONCURRENCY:
        env.output.warn(
            f"--concurrency {concurrency} is above the provider's limit; using {MAX_CONCURRENCY}"
        )
        concurrency = MAX_CONCURRENCY
    path = env.path(storyboard)
    client = env.client(offline=dry_run and not finalize)  # finalize reads its drafts
    session = client.storyboards.plan(
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
        validate=not no_validate,
        allow_outside=allow_outside,
        name=name,
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
    pretend = " (simulated: nothing is billed)" if client.profile.simulated else ""
    env.output.info(
        f"{plan.describe_total()}{pretend} on profile {client.profile.name}, into {out_dir}"
    )
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
            if outcome.error is not None:
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
    """What the run made, once: on a terminal the board's last frame says it."""
    if result.film is not None:
        clips = len(result.outcomes)
        env.output.info(f"joined {clips} clips into {result.film} ({result.joined_by})")
    if env.live:
        return
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
    from seedance.cli.output import abbreviated

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
        if shot_plan.action == "run":  # inline media abbreviated: <boat.png, 196 KB, sha256 …>
            request = shot_plan.prepared
            names = {r.url: r.source or "" for r in request.request.references}
            lines.append("   " + json.dumps(abbreviated(request.body, names), ensure_ascii=False))
    lines.append(f"total: {plan.describe_total()}")
    env.output.data("\n".join(lines))


class ShotBoard(Board):
    """One row per shot: its state, its task's progress, time taken and left, its cost (the
    estimate until billed); the footer adds what was spent."""

    title = "SHOT"

    def __init__(self, env: Environment, plan: Plan, manifest: Manifest) -> None:
        super().__init__(env)
        self.plan = plan
        self.manifest = manifest
        self._began: dict[str, float] = {}  # when each shot was first sent (monotonic)
        self._ended: dict[str, float] = {}
        self._details: dict[str, str] = {}
        for shot in plan.storyboard.shots:
            self.rows[shot.id] = Row(f"{shot.index:02d} {shot.id}", cost=self._estimate(shot.id))

    def event(self, shot_id: str, state: str, detail: str) -> None:
        now = self.env.clock.monotonic()
        if state not in ("waiting", "done", "blocked") and shot_id not in self._began:
            self._began[shot_id] = now
        if state in FINISHED and shot_id not in self._ended:
            self._ended[shot_id] = now
        progress = int(detail[:-1]) if detail.endswith("%") and detail[:-1].isdigit() else None
        began = self._began.get(shot_id)
        elapsed = (self._ended.get(shot_id, now) - began) if began is not None else None
        record = self.manifest.data.shots.get(shot_id)
        note = "" if progress is not None else detail
        self._details[shot_id] = detail  # what a log line says
        if not note and record is not None and record.task_id:
            note = record.task_id
        left = None
        if began is not None and state not in FINISHED:
            left = time_left(elapsed or 0.0, progress, self._typical(shot_id))
        cost = self._estimate(shot_id)
        if record is not None and record.cost is not None and state == "done":
            cost = format_money(record.cost, record.currency)
        self.put(
            shot_id,
            Row(
                self.rows[shot_id].label,
                state,
                progress=progress,
                elapsed=elapsed,
                left=left,
                cost=cost,
                note=note,
            ),
        )

    def plain(self, row: Row) -> str:
        """A log line: `01 dawn  running  45%`, or the state and what it says."""
        shot_id = row.label.split(" ", 1)[1]
        return "  ".join(p for p in (row.label, row.state, self._details.get(shot_id)) if p)

    def _estimate(self, shot_id: str) -> str:
        shot_plan = self.plan.shots.get(shot_id)
        estimate = shot_plan.estimate if shot_plan is not None else None
        cost = estimate.cost if estimate is not None else None
        return f"~{format_money(cost, estimate.currency)}" if cost and estimate else ""

    def _typical(self, shot_id: str) -> float | None:
        spec = self.plan.shots[shot_id].prepared.spec
        return spec.family.typical_seconds if spec is not None else None

    def footer(self, rows: list[Row]) -> str:
        from seedance.services.storyboards.session import spent

        text = super().footer(rows)
        spent_now, currency = spent(self.manifest)
        if spent_now is not None:
            text += f" · spent {format_money(spent_now, currency)}"
        return text
