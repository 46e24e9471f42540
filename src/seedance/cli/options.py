"""Typer options built from the parameter definitions (`seedance.domain.params`): one
declaration serves the command line, the library and the MCP tools."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from types import GenericAlias
from typing import Annotated, Any

import typer

from seedance.cli.wording import SHORT, flag
from seedance.domain.params import Param

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def help_text(param: Param) -> str:
    """The help with `{name}` placeholders worded as flags."""
    return _PLACEHOLDER.sub(lambda m: flag(m.group(1)), param.help)


def typer_parameter(param: Param) -> inspect.Parameter:
    """The parameter as Typer reads it from a signature: `Annotated[type, typer.Option(...)]`."""
    info: Any
    default = param.default
    if param.positional:
        kind: Any = GenericAlias(list, (param.type,)) if param.many else param.type
        if param.required:
            default = inspect.Parameter.empty
        else:
            kind = kind | None
        info = typer.Argument(metavar=param.metavar, help=help_text(param), show_default=False)
    else:
        names = [flag(param.name)]
        if param.tristate:
            names = [f"{names[0]}/--no-{names[0][2:]}"]
        if param.name in SHORT:
            names.append(SHORT[param.name])
        kind = GenericAlias(list, (param.type,)) | None if param.many else _scalar(param)
        info = typer.Option(*names, metavar=param.metavar, help=help_text(param))
    return inspect.Parameter(
        param.name,
        inspect.Parameter.KEYWORD_ONLY,  # required arguments may follow optional ones
        default=default,
        annotation=Annotated[kind, info],
    )


def _scalar(param: Param) -> Any:
    if param.type is bool and not param.tristate:
        return bool
    return param.type | None


def command(
    params: Iterable[Param], body: Callable[..., None], *, name: str, doc: str
) -> Callable[..., None]:
    """A function Typer turns into a command with one option per parameter; it calls `body`
    with the values by name."""

    def run(**values: Any) -> None:
        body(**values)

    parameters = [typer_parameter(p) for p in params]
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__name__ = name
    run.__doc__ = doc
    return run
