"""`seedance doctor`: why the first real run will or will not work; spends nothing."""

from __future__ import annotations

import typer

from seedance.cli.app import current_env

DOCTOR_HELP = "Check the profile, key, network, clock and models before a real run; spends nothing."
STYLES = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("doctor")(command(params.DOCTOR, doctor, name="doctor", doc=DOCTOR_HELP))


NAME = 12  # the check column; a longer name (a model's probe) has its line to itself


def fitted(rows: list[list[str]], width: int) -> list[str]:
    """The checks as lines of at most `width` (80 is enough): the details wrapped between
    words under their own column, a long check name alone on its line."""
    import textwrap

    status = max([len("STATUS"), *(len(row[1]) for row in rows)])
    indent = " " * (NAME + 2 + status + 2)
    lines = [f"{'CHECK':<{NAME}}  {'STATUS':<{status}}  DETAIL"]
    for name, state, detail in rows:
        wrapped = textwrap.wrap(
            detail,
            width=max(width, len(indent) + 20),
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [indent]
        if len(name) > NAME:
            lines.append(name)
            lines.append(" " * (NAME + 2) + f"{state:<{status}}  " + wrapped[0][len(indent) :])
        else:
            lines.append(f"{name:<{NAME}}  {state:<{status}}  " + wrapped[0][len(indent) :])
        lines += [line.rstrip() for line in wrapped[1:]]
    return [line.rstrip() for line in lines]


def doctor(probe_models: bool) -> None:
    """Check the profile, key, network, clock and models before a real run; spends nothing."""
    from seedance.services.account.doctor import DoctorFailed
    from seedance.wording.hints import words

    env = current_env()
    client = env.client(offline=True)  # a missing key is a finding, not a crash
    report = client.account.doctor(probe_models=probe_models, config_file=env.store.path)
    document = report.to_json()
    for check, found in zip(report.checks, document["checks"], strict=True):
        found["hint"] = words(check.reasons)
    if not env.json:
        from seedance.cli.wording import command_line

        rows = []
        for check, found in zip(report.checks, document["checks"], strict=True):
            detail = check.detail
            if found["hint"] and check.status != "ok":
                step = check.suggestion
                more = f": {command_line(step, report.profile)}" if step is not None else ""
                detail += f" ({found['hint']}{more})"
            rows.append([check.name, f"{STYLES[check.status]} {check.status}", detail])
        if env.stdout_isatty:
            for line in fitted(rows, env.output.stdout_console.width):
                env.output.data(line)
        else:
            env.output.table(["CHECK", "STATUS", "DETAIL"], rows)
    if not report.ok:
        failed = DoctorFailed(report)
        failed.details = document
        raise failed
    if env.json:
        env.output.json(document)
    else:
        env.output.success(f"profile '{report.profile}' is ready: nothing was spent checking")
