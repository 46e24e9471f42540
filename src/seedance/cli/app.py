"""The Typer application: global options, command registration, and the one place where errors
become output and exit codes."""

from __future__ import annotations

import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import import_module
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from seedance import __version__
from seedance.cli.environment import Environment
from seedance.cli.wording import UNEXPECTED_HINTS
from seedance.domain.errors import ExitStatus, SeedanceError, UsageError, unexpected

GLOBAL_FLAGS = frozenset({"--json", "--quiet", "-q", "--verbose", "-v", "--no-color"})
GLOBAL_VALUED = frozenset({"--profile", "-p"})
# Options whose value may be left out: (command, option) -> what stands for "no value"
OPTIONAL_VALUES: dict[tuple[str, str], str] = {("download", "--last-frame"): ""}

_ENV: ContextVar[Environment | None] = ContextVar("seedance_env", default=None)


def current_env() -> Environment:
    """The environment of the command being run."""
    env = _ENV.get()
    if env is None:  # a command called outside `cli.main` (a test calling a function)
        env = Environment()
        _ENV.set(env)
    return env


# Every command: the module that defines it, and its one-line help (a test keeps these equal
# to the commands' own). Only the module of the command being run is loaded and converted.
COMMANDS: dict[str, tuple[str, str]] = {
    "create": (
        "create",
        "Create a task from a prompt and reference media; --wait / -o to block and download.",
    ),
    "status": ("tasks", "One task, normalized."),
    "wait": ("tasks", "Block with progress until every task ends."),
    "download": ("tasks", "Save a finished task's video (and optionally its last frame)."),
    "cancel": ("tasks", "Cancel queued tasks; delete finished ones."),
    "tasks": ("tasks", "Server-side task list, or the local journal."),
    "chain": (
        "chain",
        "Run a multi-shot storyboard; every shot starts from the previous shot's last frame.",
    ),
    "batch": (
        "batch",
        "Many videos from a .jsonl or .csv file: takes, one manifest, resumable, capped.",
    ),
    "spend": (
        "spend",
        "Estimated and billed spend from the journal, per day, model, profile or run.",
    ),
    "review": (
        "review",
        "review.html: posters, contact sheets, seams between shots, takes side by side.",
    ),
    "frames": ("frames", "A frame or a contact sheet of any clip (needs the video extra)."),
    "assets": ("assets", "The profile's asset library (media referenced as asset://ID)."),
    "edit": (
        "edit",
        "A new video: VIDEO changed as PROMPT says (task type edit; its length and shape).",
    ),
    "extend": ("edit", "A new video continuing VIDEO as PROMPT says (task type extend)."),
    "finalize": (
        "finalize",
        "Make the final video of a draft task (from create --draft); -o to save it.",
    ),
    "doctor": (
        "doctor",
        "Check the profile, key, network, clock and models before a real run; spends nothing.",
    ),
    "models": ("models", "The model catalogue with capabilities and prices."),
    "profiles": ("profiles", "Manage connection profiles (profiles.toml)."),
    "journal": (
        "journal",
        "Inspect, repair or migrate the state; move a local journal into a shared state.",
    ),
    "mcp": ("mcp", "Serve seedance's tools to AI agents over MCP (stdio; needs the mcp extra)."),
    "sim": (
        "sim",
        "Run the local simulator of every Seedance API (loopback; any token unless --token).",
    ),
    "completion": ("completion", "Print the completion script for bash, zsh or fish."),
}


def sub_app(help: str, **settings: Any) -> typer.Typer:
    """A command group, with the same plain help as the top level."""
    return typer.Typer(
        **{"help": help, "rich_markup_mode": None, "no_args_is_help": True, **settings}
    )


def _plain_metavars() -> None:
    """Help in plain words: `TASK_ID...` and `-o PATH`, not Typer's Python types
    (`TASK_ID <str>`, `<list[str]>`) or its braces around required arguments (`{TASK_ID}`)."""
    from typer.core import TyperArgument, TyperOption

    def no_type(self: Any, ctx: Any = None) -> None:
        return None

    def usage_name(self: Any) -> str:
        name = str(self.display_name_raw)
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name if self.required else f"[{name}]"

    def option_metavar(self: Any, ctx: Any = None) -> str:
        return str(self.metavar or (self.name or "value").upper())

    TyperArgument.display_type_rich = no_type  # type: ignore[method-assign]
    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]
    TyperOption.display_type_rich = option_metavar  # type: ignore[method-assign]


_plain_metavars()


class SeedanceGroup(TyperGroup):
    """Typer's group, plus: commands loaded on first use, global options anywhere, and the
    error -> exit code mapping."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self._load(COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def _load(self, module_name: str) -> None:
        module = import_module(f"seedance.cli.{module_name}")
        holder = typer.Typer(rich_markup_mode=None, add_completion=False)
        holder.callback()(_no_options)  # a callback makes even one command a group
        module.register(holder)
        self.commands.update(typer.main.get_command(holder).commands)  # type: ignore[attr-defined]

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        """`seedance --help | head -0`: the help is printed while the arguments are read."""
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            raise typer.Exit(_reader_gone()) from None

    def invoke(self, ctx: Any) -> Any:
        """The command, with a closed stdout taken as the reader having what it wanted (Click
        would exit 1 on it)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            return _reader_gone()

    def load_all(self) -> SeedanceGroup:
        """Every command converted (for tools that walk the whole tree)."""
        for name in COMMANDS:
            self.get_command(None, name)
        return self

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list from the table: `--help` loads no command module."""
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shorten(text, width)) for name, (_module, text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        env = extra.pop("obj", None) or Environment()
        given = list(sys.argv[1:] if args is None else args)
        env.json = env.json or "--json" in given
        env.argv = given
        token = _ENV.set(env)
        try:
            with _terminate_as_interrupt():
                try:
                    argv, path = normalize_args(self, given)
                except SeedanceError as exc:
                    env.output.error(exc)
                    code = int(exc.exit_status)
                else:
                    code = self._run(env, argv, " ".join(["seedance", *path]), complete_var, extra)
        except BrokenPipeError:  # the reader went away (`seedance models | head -1`)
            code = _reader_gone()
        finally:
            env.close()
            _ENV.reset(token)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        env: Environment,
        argv: list[str],
        command: str,
        complete_var: str | None,
        extra: dict[str, Any],
    ) -> int:
        from seedance.domain.catalogue import use_overlay

        use_overlay(env.config_dir)  # the user's catalogue.toml, read when first needed
        try:
            result = super().main(
                args=argv,
                prog_name="seedance",
                complete_var=complete_var,
                standalone_mode=False,
                obj=env,
                **extra,
            )
        except SeedanceError as exc:
            if env.debug:
                raise
            env.output.error(exc)
            return int(exc.exit_status)
        except typer.TyperException as exc:  # Click's usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":
                context = getattr(exc, "ctx", None)
                if hasattr(getattr(context, "command", None), "list_commands"):
                    env.output.data(exc.format_message())  # `seedance`, `seedance tasks`
                    return int(ExitStatus.OK)
                # a command without its arguments (`seedance edit`): a script whose variable
                # was empty must not go on as if it had run
                env.stderr.write(exc.format_message() + "\n")
                return int(ExitStatus.USAGE)
            hint = _usage_hint(exc, command)
            error = SeedanceError(
                _plain_usage(exc),
                code="usage",
                hint=hint,
                exit_status=ExitStatus(exc.exit_code)
                if exc.exit_code in (1, 2)
                else ExitStatus.USAGE,
            )
            env.output.error(error)
            return int(error.exit_status)
        except (typer.Abort, KeyboardInterrupt):  # outside the steps that say more
            return _unexpected(env, KeyboardInterrupt())
        except BrokenPipeError:
            return _reader_gone()
        except Exception as exc:  # a file the system refused, or a bug (domain/errors.py)
            if env.debug:
                raise
            return _unexpected(env, exc)
        return result if isinstance(result, int) else 0


def _unexpected(env: Environment, exc: BaseException) -> int:
    """An exception no step worded, as the one error document both front ends make of it
    (`unexpected`), with the command line's hint for its code."""
    error = unexpected(exc)
    error.hint = error.hint or UNEXPECTED_HINTS.get(error.code)
    env.output.error(error)
    return int(error.exit_status)


def _plain_usage(exc: Any) -> str:
    """Click's message in plain words: a value that is not a whole number says so, not the
    sentence of the parser Typer asks (pydantic's "Input should be a valid integer...")."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors) and hasattr(exc, "message"):
        first = (errors() or [{}])[0]
        if first.get("type") in ("int_parsing", "int_from_float"):
            exc.message = f"{first.get('input')!r} is not a whole number"
        elif first.get("type") == "float_parsing":
            exc.message = f"{first.get('input')!r} is not a number"
    return str(exc.format_message()).rstrip(".")


def _usage_hint(exc: Any, command: str) -> str:
    """`see `seedance create --help``, or for a mistyped command the commands it may mean."""
    import difflib

    match = re.match(r"No such command '([^']+)'", str(getattr(exc, "message", "")))
    group = getattr(getattr(exc, "ctx", None), "command", None)
    if match and group is not None and hasattr(group, "list_commands"):
        names = group.list_commands(exc.ctx)
        close = difflib.get_close_matches(match.group(1), names, n=3, cutoff=0.6)
        if close:
            prefix = " ".join(["seedance", *exc.ctx.command_path.split()[1:]])
            exc.message = match.group(0)  # Click's own "Did you mean 'list'?" said once, below
            return "did you mean " + " or ".join(f"`{prefix} {name}`" for name in close) + "?"
    return f"see `{command} --help`"


def _reader_gone() -> int:
    """stdout's reader closed the pipe (`| head -1`): it has what it wanted. End quietly with
    0, and point stdout at /dev/null so the interpreter's last flush finds no broken pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's stream)
        pass
    return int(ExitStatus.OK)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM handled as Ctrl-C: every step then says what runs on the server and how to
    resume, and the exit code is 130 (only the main thread can take signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    earlier = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, earlier)


def normalize_args(group: Any, args: list[str]) -> tuple[list[str], list[str]]:
    """Move global options given after the subcommand to the front; fill optional values.

    Returns the arguments and the command path (e.g. ["tasks", "list"]).
    """
    front: list[str] = []
    rest: list[str] = []
    command: Any = group
    path: list[str] = []
    once = Once()
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        if token in GLOBAL_FLAGS:
            front.append(token)
        elif token in GLOBAL_VALUED:
            front += args[i : i + 2]  # without a value, Click says the option needs one
            once.given("--profile", args[i + 1 : i + 2])
            i += 1
        elif token.startswith("--profile=") or (token.startswith("-p") and len(token) > 2):
            front.append(token)
            once.given("--profile", [token.split("=", 1)[-1].removeprefix("-p")])
        elif (
            path
            and (path[-1], token) in OPTIONAL_VALUES
            and (i + 1 >= len(args) or args[i + 1].startswith("-"))
        ):
            rest += [token, OPTIONAL_VALUES[(path[-1], token)]]
        elif command is not None and token in _valued_options(command) and i + 1 < len(args):
            rest += [token, args[i + 1]]
            once.given(_single_valued(command).get(token), [args[i + 1]])
            i += 1
        else:
            name = token.split("=", 1)[0] if token.startswith("--") and "=" in token else None
            if command is not None and name is not None:
                once.given(_single_valued(command).get(name), [token.split("=", 1)[1]])
            lookup = getattr(command, "get_command", None)
            sub = lookup(None, token) if lookup is not None and not token.startswith("-") else None
            if sub is not None:
                command = sub
                path.append(token)
            rest.append(token)
        i += 1
    return front + rest, path


class Once:
    """Options that take one value, each given at most once: a second `--first-frame` is
    refused, never silently dropped (Click would keep the last)."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}

    def given(self, flag: str | None, value: list[str]) -> None:
        if flag is None or not value:
            return
        earlier = self.values.setdefault(flag, [])
        earlier += value
        if len(earlier) > 1:
            shown = ", ".join(repr(v) for v in earlier)
            raise UsageError(
                f"{flag} is given twice ({shown}); it takes one value",
                hint="give it once",
            )


def _single_valued(command: Any) -> dict[str, str]:
    """Each spelling of the options that take one value -> the option's main flag."""
    names: dict[str, str] = {}
    for param in getattr(command, "params", []):
        if param.param_type_name != "option" or param.is_flag or param.count:
            continue
        if param.multiple:
            continue
        main = max(param.opts, key=len)
        for spelling in param.opts:
            names[spelling] = main
    return names


def _valued_options(command: Any) -> frozenset[str]:
    """The options of a (Click) command that take a value."""
    names: set[str] = set()
    for param in getattr(command, "params", []):
        if param.param_type_name == "option" and not param.is_flag and not param.count:
            names.update(param.opts)
    return frozenset(names)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seedance {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=SeedanceGroup,
    name="seedance",
    help="Make AI videos with ByteDance Seedance 2.0: Ark, BytePlus ModelArk and the gateways "
    'that resell them.\n\nFirst run, offline: seedance -p demo create "a paper boat at dawn" '
    "-o boat.mp4",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", "-p", help="Profile to use (env SEEDANCE_PROFILE).", show_default=False
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the essential value.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log HTTP requests (secrets redacted).")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colours (also NO_COLOR).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """Global options go before or after the command."""
    env = current_env()
    env.profile = profile or env.profile
    env.json = json_output or env.json
    env.quiet = quiet or env.quiet
    env.verbose = verbose or env.verbose
    env.no_color = no_color or env.no_color


def _no_options() -> None:
    """(the holder's callback: commands are invoked through SeedanceGroup)"""


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 10)].rsplit(" ", 1)[0] + "..."


cli: SeedanceGroup = typer.main.get_command(app)  # type: ignore[assignment]
