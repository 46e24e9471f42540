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


def doctor(probe_models: bool) -> None:
    """Check the profile, key, network, clock and models before a real run; spends nothing."""
    from seedance.services.account.doctor import DoctorFailed

    env = current_env()
    client = env.client(offline=True)  # a missing key is a finding, not a crash
    report = client.account.doctor(probe_models=probe_models, config_file=env.store.path)
    if not env.json:
        from seedance.cli.wording import command_line

        rows = []
        for check in report.checks:
            detail = check.detail
            if check.hint and check.status != "ok":
                step = check.suggestion
                more = f": {command_line(step, report.profile)}" if step is not None else ""
                detail += f" ({check.hint}{more})"
            rows.append([check.name, f"{STYLES[check.status]} {check.status}", detail])
        env.output.table(["CHECK", "STATUS", "DETAIL"], rows)
    if not report.ok:
        raise DoctorFailed(report)
    if env.json:
        env.output.json(report.to_json())
    else:
        env.output.success(f"profile '{report.profile}' is ready: nothing was spent checking")
