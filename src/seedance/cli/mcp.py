"""`seedance mcp`: seedance's tools for AI agents, as an MCP server over stdio (the `mcp` extra).

The SDK is imported here only, when the server starts: `--help` stays fast without it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seedance.cli.app import current_env

MCP_HELP = "Serve seedance's tools to AI agents over MCP (stdio; needs the mcp extra)."
SDK_MODULES = ("mcp", "mcp_types", "anyio", "jsonschema")


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)


def mcp(
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            metavar="DIR",
            help="Where videos go when a tool call names no output [default: the data "
            "directory's videos folder].",
        ),
    ] = None,
) -> None:
    """Serve seedance's tools to AI agents over MCP (stdio; needs the mcp extra)."""
    from seedance.domain.errors import UsageError
    from seedance.domain.extras import install_hint

    env = current_env()
    try:
        from seedance.mcp.server import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in SDK_MODULES:
            raise
        raise UsageError(
            "seedance mcp needs the MCP SDK, which is not installed",
            hint=install_hint("mcp"),
        ) from None
    from seedance.mcp.calls import Settings

    env.selected_profile()  # a profile that does not exist fails here, before serving
    serve(
        Settings(
            profile=env.profile or env.environ.get("SEEDANCE_PROFILE"),
            environ=env.environ,
            cwd=env.cwd or Path.cwd(),
            output_dir=env.path(output_dir) if output_dir else env.data_dir / "videos",
            clock=env.clock,
        )
    )
