"""`seedance spend`: estimated and billed spend from the journal, grouped, with a bar chart."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seedance.cli.app import current_env

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.services.account.spend import Spend
    from seedance.services.state import LedgerLine

SPEND_HELP = "Estimated and billed spend from the journal, per day, model, profile or run."
BAR = 16


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("spend")(command(params.SPEND, spend, name="spend", doc=SPEND_HELP))


def spend(since: str | None, by: str) -> None:
    """Estimated and billed spend from the journal, per day, model, profile or run."""
    from seedance.services.account.spend import spend as ledger

    env = current_env()
    state = env.state()
    report = ledger(state, by=by, since=since, now=env.clock.time(), profile=env.profile)
    if env.json:
        env.output.json(report.to_json())
    elif env.quiet:
        for total in report.totals():
            env.output.data(_money(total["billed"], total["currency"]))
    else:
        source = "the shared state" if state.shared else "this machine's journal"
        _render(env, report, source)


def _render(env: Environment, report: Spend, source: str) -> None:
    out = env.output
    if not report.lines:
        out.info(f"nothing spent since {_day(report.since)} (by {source})")
        return
    tallest: dict[str | None, float] = {}
    for line in report.lines:
        tallest[line.currency] = max(tallest.get(line.currency, 0.0), _height(line))
    rows = []
    for line in report.lines:
        top = tallest.get(line.currency) or 0.0
        filled = round(_height(line) / top * BAR) if top else 0
        bar = "█" * max(filled, 1 if _height(line) > 0 else 0)
        rows.append(
            [
                _key(report.by, line.key),
                line.creates,
                _money(line.estimated, line.currency),
                _money(line.billed, line.currency) + ("*" if line.unfinished else ""),
                bar,
            ]
        )
    for total in report.totals():
        rows.append(
            [
                "total",
                total["creates"],
                _money(total["estimated"], total["currency"]),
                _money(total["billed"], total["currency"]),
                "",
            ]
        )
    unpriced = report.unpriced()["creates"]
    if unpriced:
        rows.append(["total", unpriced, "unpriced", "unpriced", ""])
    out.table([report.by.upper(), "CREATES", "ESTIMATED", "BILLED", ""], rows)
    if any(line.unfinished for line in report.lines):
        out.info("* some tasks are not seen finished yet: billed so far")
    out.info(f"since {_day(report.since)} (UTC), from {source}")


def _height(line: LedgerLine) -> float:
    return line.billed or line.estimated or 0.0


def _key(by: str, key: str | None) -> str:
    if key is None:
        return {"storyboard": "(no storyboard)", "batch": "(no batch)"}.get(by, "(unknown)")
    if by in ("storyboard", "batch"):
        return Path(key).name
    return key


def _money(amount: float | None, currency: str | None) -> str:
    from seedance.domain.catalogue import format_money

    if currency is None:
        return "unpriced"
    return format_money(amount or 0.0, currency)


def _day(moment: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M")
