"""`assets upload|get|list` and `assets groups [create]`: the profile's asset library."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedance.cli.app import current_env, sub_app

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.domain.models import Asset
    from seedance.services.assets.resource import Assets

KINDS = ("image", "video", "audio")
STATUSES = ("Processing", "Active", "Failed")


def register(app: typer.Typer) -> None:
    assets_app = sub_app("The profile's asset library (media referenced as asset://ID).")
    groups_app = sub_app("Asset groups: list them, or create one.", no_args_is_help=False)
    assets_app.command("upload")(upload)
    assets_app.command("get")(get)
    assets_app.command("list")(list_assets)
    groups_app.callback(invoke_without_command=True)(groups)
    groups_app.command("create")(create_group)
    assets_app.add_typer(groups_app, name="groups")
    app.add_typer(assets_app, name="assets")


def _service(env: Environment) -> Assets:
    """The selected profile's asset library; a one-line error when it has none.

    A signed library needs only its access key pair, not the API key.
    """
    from seedance.domain.errors import UnsupportedError

    profile = env.selected_profile()
    if not profile.assets_url:
        raise UnsupportedError(f"profile '{profile.name}' has no asset library (no assets_url)")
    return env.client(offline=profile.assets_auth == "aksk").assets


def _positive(value: float | None, flag: str) -> None:
    from seedance.cli.inputs import check_positive

    check_positive(value, flag)


# -- upload, get -----------------------------------------------------------------------------


def upload(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="An https:// URL, a local file or asset://ID.",
            show_default=False,
        ),
    ],
    type_: Annotated[
        str | None,
        typer.Option(
            "--type", metavar="TYPE", help="image, video or audio [default: from the extension]."
        ),
    ] = None,
    group: Annotated[
        str | None, typer.Option(metavar="ID", help="Asset group id [default: the profile's].")
    ] = None,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Name the asset [default: the file name].")
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Print the id at once; do not wait for Active.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(metavar="SECONDS", help="Stop waiting after SECONDS (exit 6) [default: 600]."),
    ] = None,
) -> None:
    """Make a URL or local file an Active asset; prints asset://ID."""
    from seedance.domain.errors import UsageError
    from seedance.domain.models import MediaKind

    env = current_env()
    if type_ is not None and type_.lower() not in KINDS:
        raise UsageError(f"unknown --type '{type_}'", hint="one of image, video, audio")
    _positive(timeout, "--timeout")
    kind = MediaKind(type_.lower()) if type_ else None
    text = source.strip()
    target: Any = text if "://" in text else env.path(text)
    service = _service(env)
    with _progress(env) as on_status:
        asset = service.upload(
            target,
            kind=kind,
            group=group,
            name=name,
            wait=not no_wait,
            timeout=timeout,
            on_status=on_status,
        )
    if env.json:
        env.output.json(asset.to_json())
    else:
        env.output.data(asset.ref)


class _Progress(AbstractContextManager["_Progress"]):
    """Asset status while waiting: a spinner on a terminal, plain lines in logs, or nothing."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._status: Any = None
        self._last = ""

    def __enter__(self) -> _Progress:
        if self.env.live:
            self._status = self.env.output.console.status("adding to the asset library…")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)

    def __call__(self, asset: Asset, elapsed: float) -> None:
        from seedance.cli.output import human_duration

        line = f"{asset.ref} {asset.status.value} ({human_duration(elapsed)})"
        if self._status is not None:
            self._status.update(line)
        elif line != self._last:
            self.env.output.info(line)
        self._last = line


def _progress(env: Environment) -> AbstractContextManager[Any]:
    return nullcontext(None) if env.quiet else _Progress(env)


def get(
    asset_id: Annotated[
        str, typer.Argument(metavar="ASSET_ID", help="asset://ID or the id.", show_default=False)
    ],
) -> None:
    """One asset and its status."""
    from seedance.domain.redact import is_presigned, redact_url

    env = current_env()
    asset = _service(env).get(asset_id)
    if env.json:
        env.output.json(asset.to_json())
    elif env.quiet:
        env.output.data(asset.status.value)
    else:
        rows = [("id", asset.ref), ("status", asset.status.value)]
        for key in ("type", "name", "group_id", "url", "error", "created_at"):
            value = getattr(asset, key)
            if key == "url" and value and is_presigned(value):
                value = redact_url(value)  # a presigned URL (the profile's storage): a secret
            if value:
                rows.append((key.replace("_id", "").replace("_at", ""), str(value)))
        width = max(len(k) for k, _ in rows)
        env.output.data("\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in rows))


# -- lists -----------------------------------------------------------------------------------


def _check_page(page: int, page_size: int) -> None:
    from seedance.domain.errors import UsageError

    if page < 1 or not 1 <= page_size <= 100:
        raise UsageError("--page must be 1 or more and --page-size 1-100")


def list_assets(
    group: Annotated[str | None, typer.Option(metavar="ID", help="Only this group.")] = None,
    status: Annotated[
        str | None, typer.Option(metavar="STATUS", help="Processing, Active or Failed.")
    ] = None,
    page: Annotated[int, typer.Option(metavar="N", help="Page number (from 1).")] = 1,
    page_size: Annotated[int, typer.Option(metavar="N", help="Assets per page (1-100).")] = 20,
) -> None:
    """Assets in the library (this account's)."""
    from seedance.domain.errors import UsageError

    env = current_env()
    _check_page(page, page_size)
    wanted = next((s for s in STATUSES if status and s.lower() == status.lower()), None)
    if status is not None and wanted is None:
        raise UsageError(f"unknown --status '{status}'", hint="one of Processing, Active, Failed")
    result = _service(env).list(group=group, status=wanted, page=page, page_size=page_size)
    if env.json:
        env.output.json(result.to_json())
        return
    env.output.table(
        ["ASSET", "STATUS", "TYPE", "NAME", "GROUP", "CREATED"],
        [[a.ref, a.status.value, a.type, a.name, a.group_id, a.created_at] for a in result.items],
    )
    _more(env, len(result.items), result.total, page, page_size)


def _more(env: Environment, shown: int, total: int | None, page: int, page_size: int) -> None:
    if total is not None and total > (page - 1) * page_size + shown:
        env.output.info(f"{shown} of {total}; see more with --page {page + 1}")


def groups(
    ctx: typer.Context,
    page: Annotated[int, typer.Option(metavar="N", help="Page number (from 1).")] = 1,
    page_size: Annotated[int, typer.Option(metavar="N", help="Groups per page (1-100).")] = 20,
) -> None:
    """Asset groups (this account's); `assets groups create NAME` makes one."""
    if ctx.invoked_subcommand is not None:
        return
    env = current_env()
    _check_page(page, page_size)
    service = _service(env)
    result = service.groups(page=page, page_size=page_size)
    if env.json:
        env.output.json(result.to_json())
        return
    default = service.default_group
    env.output.table(
        ["GROUP", "NAME", "DESCRIPTION", "CREATED", "DEFAULT"],
        [
            [g.id, g.name, g.description, g.created_at, "*" if g.id == default else ""]
            for g in result.items
        ],
    )
    _more(env, len(result.items), result.total, page, page_size)


def create_group(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The group's name.", show_default=False)
    ],
    description: Annotated[
        str | None, typer.Option(metavar="NAME", help="What the group holds.")
    ] = None,
) -> None:
    """Create an asset group; prints its id (use it with `assets upload --group ID`)."""
    env = current_env()
    group_id = _service(env).create_group(name, description)
    if env.json:
        env.output.json({"id": group_id, "name": name, "description": description})
    else:
        env.output.data(group_id)
