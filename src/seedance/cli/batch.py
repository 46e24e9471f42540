"""`seedance batch JOBS`: many videos from a JSON-lines or CSV file, takes, one manifest,
resumable, within the account's slots and the spending caps."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seedance.cli.app import current_env
from seedance.cli.output import human_duration
from seedance.cli.progress import LiveBoard

if TYPE_CHECKING:
    from rich.console import RenderableType

    from seedance.cli.environment import Environment
    from seedance.services.batches.manifest import BatchFile
    from seedance.services.batches.plan import BatchPlan
    from seedance.services.batches.session import BatchResult

BATCH_HELP = "Many videos from a .jsonl or .csv file: takes, one manifest, resumable, capped."
STYLES = {
    "done": "green",
    "failed": "red",
    "error": "red",
    "stopped": "magenta",
    "waiting": "yellow",
    "queued": "yellow",
    "running": "cyan",
}
SHOWN = 12  # running takes listed under the summary


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("batch", no_args_is_help=True)(
        command(params.BATCH, batch, name="batch", doc=BATCH_HELP)
    )


def batch(
    jobs: str | None,
    output: str | None,
    concurrency: int | None,
    max_cost: float | None,
    allow_unpriced: bool,
    dry_run: bool,
    fail_fast: bool,
    no_validate: bool,
    retry_failed: bool,
    skip_invalid: bool,
    allow_outside: bool,
    rerun: list[str] | None,
) -> None:
    """Many videos from a .jsonl or .csv file: takes, one manifest, resumable, capped."""
    from seedance.domain.errors import InterruptedByUser, Suggestion, UsageError
    from seedance.services.batches.jobs import Jobs, confined_to, parse_jobs
    from seedance.services.batches.session import MAX_CONCURRENCY, BatchIncomplete

    env = current_env()
    if jobs is None:
        raise UsageError("give the jobs: a .jsonl or .csv file, or - for JSON lines on stdin")
    if concurrency is not None and concurrency < 1:
        raise UsageError("--concurrency must be 1 or more")
    if concurrency is not None and concurrency > MAX_CONCURRENCY:
        env.output.warn(f"--concurrency {concurrency} is a lot of threads; using {MAX_CONCURRENCY}")
    source: Jobs | Path
    if jobs == "-":
        if output is None:
            raise UsageError("with the jobs on stdin, say where the clips go: --output DIR")
        here = env.cwd or Path.cwd()
        confine = None if allow_outside else confined_to(here, "the current folder")
        source = parse_jobs(
            env.stdin.read(), kind="jsonl", name="stdin", base_dir=here, confine=confine
        )
    else:
        source = env.path(jobs)
    client = env.client(offline=dry_run)
    session = client.batches.plan(
        source,
        output=env.path(output) if output else None,
        rerun=rerun or [],
        retry_failed=retry_failed,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        base_dir=env.cwd,
        max_cost=max_cost,
        allow_unpriced=allow_unpriced,
        validate=not no_validate,
        allow_outside=allow_outside,
    )
    plan = session.plan
    for skipped in plan.skipped:
        env.output.warn(f"skipped {skipped.describe(plan.jobs.name)}")
    if session.manifest.damaged is not None:
        env.output.warn(
            f"batch.json was damaged: kept it as {session.manifest.damaged.name}; the journal "
            "still knows every take's task, so nothing is paid twice"
        )
    if dry_run:
        _print_plan(env, plan, max_cost)
        return
    pretend = " (simulated: nothing is billed)" if client.profile.simulated else ""
    env.output.info(
        f"{plan.describe_total()}{pretend} on profile {client.profile.name}, into {plan.directory}"
    )
    kept = len(plan.takes) - len(plan.to_make())
    if kept:
        env.output.info(f"{kept} take{'s' if kept != 1 else ''} kept from an earlier run")
    board = BatchBoard(env, plan, session.manifest)
    try:
        with board:
            result = session.run(concurrency=concurrency, fail_fast=fail_fast, on_event=board.event)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped; takes already submitted keep running on the server and batch.json "
            "remembers them",
            hint="resume with",
            suggestion=Suggestion.again(),
        ) from None
    except BatchIncomplete as incomplete:
        _summary(env, incomplete.result)
        _attention(env, incomplete.result)
        raise
    _summary(env, result)
    if env.json:
        env.output.json(result.to_json())
    else:
        env.output.data(str(result.directory))


def _summary(env: Environment, result: BatchResult) -> None:
    from seedance.domain.catalogue import format_money

    counts = result.counts()
    done = counts.get("done", 0)
    text = f"{done}/{len(result.outcomes)} takes done"
    for state in ("failed", "error", "stopped", "pending"):
        if counts.get(state):
            text += f", {counts[state]} {state}"
    spent, currency = result.spent()
    if spent is not None:
        text += f", spent {format_money(spent, currency)}"
    env.output.info(text)
    for note in result.notes:
        env.output.info(note)
    if result.review is not None:
        env.output.info(f"review: {result.review}")


def _attention(env: Environment, result: BatchResult) -> None:
    from seedance.cli.wording import describe

    shown = 0
    for key, outcome in result.attention.items():
        if outcome.state == "pending":
            continue
        if shown == SHOWN:
            env.output.warn(f"... and {len(result.attention) - shown} more (see batch.json)")
            break
        reason: str = outcome.state
        if outcome.error is not None:
            reason = describe(outcome.error, env.active_profile)
        env.output.warn(f"{key} {outcome.state}: {reason}")
        shown += 1
    if result.halted == "fail-fast":
        env.output.warn("stopped at the first failure (--fail-fast); the rest were not started")


def _print_plan(env: Environment, plan: BatchPlan, max_cost: float | None) -> None:
    from seedance.cli.output import abbreviated
    from seedance.domain.catalogue import format_money
    from seedance.services.videos.prepare import redact_body

    if env.json:
        env.output.json(plan.to_json())
        return
    lines = []
    for take in plan.takes:
        estimate = take.estimate.describe() if take.estimate else "no estimate"
        action = {"skip": "done, kept", "keep": "failed earlier, kept", "run": estimate}
        lines.append(f"{take.key:<24} seed {take.seed:<11} {action[take.action.value]}")
        if take.action.value == "run":  # inline media as chain and create show them
            request = take.prepared
            names = {r.url: r.source or "" for r in request.request.references}
            body = redact_body(abbreviated(request.body, names), request.redactions)
            lines.append("   " + json.dumps(body, ensure_ascii=False))
    lines.append(f"total: {plan.describe_total()}")
    _tokens, cost, currency = plan.total()
    if max_cost is not None and cost is not None and cost > max_cost:
        fit, spent = 0, 0.0
        for take in plan.to_make():
            spent += (take.estimate.cost or 0.0) if take.estimate else 0.0
            if spent > max_cost:
                break
            fit += 1
        lines.append(
            f"above --max-cost {format_money(max_cost, currency)}: the run would stop after "
            f"about {fit} of {len(plan.to_make())} takes"
        )
    env.output.data("\n".join(lines))


class BatchBoard(LiveBoard):
    """One summary bar (done, running, waiting for a slot, failed, spent, ETA), then the takes
    at work; plain lines of what changed when there is no terminal."""

    def __init__(self, env: Environment, plan: BatchPlan, manifest: BatchFile) -> None:
        super().__init__(env)
        self.manifest = manifest
        self.order = [t.key for t in plan.takes]
        self.states: dict[str, tuple[str, str]] = {key: ("pending", "") for key in self.order}
        self.tasks: dict[str, str] = {}
        self.finished_here = 0  # takes that ended in this run (for the ETA)
        self.began: dict[str, float] = {}  # when each take's task was submitted (monotonic)
        self.took: list[float] = []  # how long the takes done in this run took
        self.costs = {t.key: _estimate(t) for t in plan.takes}  # each take's own estimate
        self._lock = threading.Lock()

    def event(self, key: str, state: str, detail: str) -> None:
        with self._lock:
            before = self.states.get(key, ("pending", ""))[0]
            if self.states.get(key) == (state, detail):
                return
            self.states[key] = (state, detail)
            now = self.env.clock.monotonic()
            if state == "submitted":
                self.tasks[key] = detail
                self.began.setdefault(key, now)
            ended = state in ("done", "failed", "error", "stopped")
            if ended and detail not in ("kept from an earlier run", "failed in an earlier run"):
                self.finished_here += 1
                if state == "done" and key in self.began:
                    self.took.append(now - self.began[key])
            if state in ("failed", "error", "stopped"):
                self.costs[key] = ""  # a take that failed is billed nothing
        if self.live is None and not self.env.quiet and self._worth_a_line(before, state, detail):
            said = f"waiting for a slot: {detail}" if state == "waiting" else f"{state}  {detail}"
            self.env.output.info(f"{key}  {said}".rstrip())

    @staticmethod
    def _worth_a_line(before: str, state: str, detail: str) -> bool:
        """In a log: starts, slots, ends; not every percent, nor every take kept."""
        if detail in ("kept from an earlier run", "failed in an earlier run"):
            return False
        if state in ("done", "failed", "error", "stopped", "downloading"):
            return True
        if state == "waiting":
            return before != "waiting"
        return state == "submitted"

    def counts(self) -> dict[str, int]:
        counts = {"done": 0, "running": 0, "waiting": 0, "failed": 0, "pending": 0}
        for state, _ in self.states.values():
            if state == "done":
                counts["done"] += 1
            elif state in ("failed", "error", "stopped"):
                counts["failed"] += 1
            elif state in ("waiting", "pending"):
                counts[state] += 1
            else:
                counts["running"] += 1
        return counts

    def summary(self) -> str:
        from seedance.cli.output import human_duration
        from seedance.domain.catalogue import format_money

        with self._lock:
            counts = self.counts()
            finished = self.finished_here
        total = len(self.order)
        width = 16
        filled = round(counts["done"] / total * width) if total else width
        text = f"{'█' * filled}{'░' * (width - filled)} {counts['done']}/{total} done"
        takes = [t for row in self.manifest.data.rows for t in row.takes]
        costs = [t.cost for t in takes if t.state == "done" and t.cost is not None]
        if costs:
            currency = next((t.currency for t in takes if t.currency), None)
            text += f" · {format_money(sum(costs), currency)}"
        left = total - counts["done"] - counts["failed"]
        if finished and left:
            seconds = self.env.clock.monotonic() - self.started
            text += f" · ETA {human_duration(seconds / finished * left)}"
        parts = [f"{counts['running']} running"]
        if counts["waiting"]:
            parts.append(f"{counts['waiting']} waiting for a slot")
        if counts["failed"]:
            parts.append(f"{counts['failed']} failed")
        if counts["pending"]:
            parts.append(f"{counts['pending']} to start")
        return text + "\n" + " · ".join(parts) + f" · {self.elapsed()}"

    def __rich__(self) -> RenderableType:
        return _Fitted(self)  # drawn for the width it is given

    def render(self, width: int) -> RenderableType:
        """The summary and the takes at work: each with its state, time taken, time left and
        own estimate, and its task id where the width leaves room (80 columns do not)."""
        from rich.console import Group
        from rich.table import Table

        with_task = width >= WITH_TASK
        table = Table(box=None, header_style="bold", pad_edge=False, show_header=True)
        table.add_column("TAKE", no_wrap=True)
        table.add_column("STATE", no_wrap=True, min_width=12)
        table.add_column("TIME", no_wrap=True, justify="right", min_width=6)
        table.add_column("LEFT", no_wrap=True, justify="right", min_width=7)
        table.add_column("COST", no_wrap=True, justify="right", min_width=7)
        if with_task:
            table.add_column("TASK", no_wrap=True)
        with self._lock:
            busy = [
                (key, state, detail)
                for key in self.order
                for state, detail in [self.states[key]]
                if state not in ("done", "failed", "error", "stopped", "pending")
            ]
            tasks = dict(self.tasks)
            began = dict(self.began)
            typical = sum(self.took) / len(self.took) if self.took else None
        now = self.env.clock.monotonic()
        # the takes at work first: many may wait for their model's limit, passed over
        busy.sort(key=lambda row: row[1] == "waiting")
        for key, state, detail in busy[:SHOWN]:
            shown = f"{state} {detail}" if detail and detail.endswith("%") else state
            style = STYLES.get(state, "white")
            age = now - began[key] if key in began else None
            cells = [
                _short(key),
                f"[{style}]{shown}[/]",
                human_duration(age) if age is not None else "",
                _left(age, detail if state == "running" else "", typical),
                self.costs.get(key, ""),
            ]
            table.add_row(*cells, *([tasks.get(key, "")] if with_task else []))
        parts: list[RenderableType] = [self.summary()]
        if busy:
            parts.append(table)
        if len(busy) > SHOWN:
            parts.append(f"… and {len(busy) - SHOWN} more at work")
        return Group(*parts)


WITH_TASK = 100  # the width from which the takes' task ids are shown too


class _Fitted:
    """A batch board drawn for the width rich gives it."""

    def __init__(self, board: BatchBoard) -> None:
        self.board = board

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.board.render(options.max_width)


def _estimate(take: Any) -> str:
    """`~$0.76`: a take's own estimate (its model, resolution, duration), until billed."""
    from seedance.domain.catalogue import format_money

    estimate = take.estimate
    if estimate is None or estimate.cost is None:
        return ""
    return "~" + format_money(estimate.cost, estimate.currency)


def _left(age: float | None, detail: str, typical: float | None) -> str:
    """`~1m20s`: from the take's progress, else what is left of the time the takes done in
    this run took (blank when it cannot be told)."""
    from seedance.cli.progress import time_left

    if age is None:
        return ""
    progress = int(detail[:-1]) if detail.endswith("%") and detail[:-1].isdigit() else None
    left = time_left(age, progress, typical)
    return f"~{human_duration(left)}" if left is not None else ""


def _short(key: str, width: int = 24) -> str:
    """A take's key within `width`, its take number kept (`a-long-na…-row#2`)."""
    if len(key) <= width:
        return key
    row, _, take = key.rpartition("#")
    keep = width - len(take) - 2
    return f"{row[: keep - keep // 3]}…{row[len(row) - keep // 3 :]}#{take}"
