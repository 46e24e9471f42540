"""How the command line words what the library says in structure: a `Suggestion` becomes a
command to type, a parameter name becomes its flag, an error becomes one line."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from seedance.domain.errors import SeedanceError, StoryboardError, Suggestion

# Parameters whose flag is not simply `--` + the name with dashes.
FLAGS: dict[str, str] = {
    "images": "--image",
    "videos": "--video",
    "audios": "--audio",
    "task_ids": "",  # positional
    "clip": "",  # positional (frames)
    "directory": "",  # positional (review)
    "video": "",  # positional (edit, extend)
}
# Short forms of a few options (the contract's -m, -d, -r, -o), used in commands we print.
SHORT: dict[str, str] = {"model": "-m", "duration": "-d", "resolution": "-r", "output": "-o"}
# Operations whose command is not simply the action's words ("tasks.list" -> tasks list).
COMMANDS: dict[str, tuple[str, ...]] = {}


# Parameters of commands that are not in the shared definitions (domain/params.py).
COMMAND_OPTIONS = frozenset(
    {
        "type",
        "max_cost",
        "force",
        "concat",
        "rerun",
        "restart",
        "timeout",
        "concurrency",
        "group",
        "allow_unpriced",
        "finalize",
        "probe_models",
        "remote",
    }
)


def is_option(name: str) -> bool:
    """Whether a library parameter is also a command-line option (not, say, a profile key)."""
    from seedance.domain.params import BATCH, CREATE

    return name in COMMAND_OPTIONS or any(
        p.name == name and not p.positional for p in (*CREATE, *BATCH)
    )


def flag(name: str) -> str:
    """The command-line flag of a library parameter: `expires_after` -> `--expires-after`."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def flags(names: Iterable[str]) -> str:
    return ", ".join(flag(name) for name in names)


def command_words(suggestion: Suggestion, profile: str | None = None) -> list[str]:
    """`seedance [-p PROFILE] <command> <args> <options>` as a list of words."""
    words = ["seedance"]
    if profile:
        words += ["-p", profile]
    words += COMMANDS.get(suggestion.action, tuple(suggestion.action.split(".")))
    words += suggestion.args
    for name, value in suggestion.options:
        words += _option_words(name, value)
    return words


def _option_words(name: str, value: Any) -> list[str]:
    option = SHORT.get(name) or flag(name)
    if value is True:
        return [option]
    if value is False or value is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in values:
        out += [option, str(item)] if option else [str(item)]
    return out


def command_line(
    suggestion: Suggestion, profile: str | None = None, argv: list[str] | None = None
) -> str:
    """The suggestion as a command to type (shell-quoted). "again" is the command that was
    run (`argv`, its words), with the suggestion's options added; without its words, "the
    same command [with OPTIONS]"."""
    if suggestion.is_again:
        if argv is not None:
            again, left = _with_values(argv, suggestion.options)
            extra = [w for w in _words_of(left) if w not in again or not w.startswith("-")]
            return shlex.join(["seedance", *again, *extra])
        words = _words_of(suggestion.options)
        return "the same command" + (" with " + shlex.join(words) if words else "")
    return shlex.join(command_words(suggestion, profile))


def _words_of(options: Iterable[tuple[str, Any]]) -> list[str]:
    return [w for name, value in options for w in _option_words(name, value)]


def _with_values(
    argv: list[str], options: Iterable[tuple[str, Any]]
) -> tuple[list[str], list[tuple[str, Any]]]:
    """`argv` with the value of each single-valued option it gives replaced by the one in
    `options` (`-o boat.mp4` becomes `-o boat-2.mp4`, never `-o boat.mp4 boat-2.mp4`), and the
    options left to add."""
    words, left = list(argv), []
    for name, value in options:
        spellings = {flag(name), SHORT.get(name)} - {None, ""}
        at = next((i for i, w in enumerate(words[:-1]) if w in spellings), None)
        joined = next((i for i, w in enumerate(words) if w.startswith(f"{flag(name)}=")), None)
        if isinstance(value, bool | list | tuple) or value is None:
            left.append((name, value))
        elif at is not None:
            words[at + 1] = str(value)
        elif joined is not None:
            words[joined] = f"{flag(name)}={value}"
        else:
            left.append((name, value))
    return words, left


def describe(exc: SeedanceError, profile: str | None = None, argv: list[str] | None = None) -> str:
    """One line: the message, the hint and, when there are any, the commands to run next
    (`argv`: the words of the command that was run, for "run it again")."""
    from seedance.wording.hints import explain, hint

    text = explain(exc)
    advice = hint(exc)
    field = exc.field
    if field and not exc.suggestions and not isinstance(exc, StoryboardError) and is_option(field):
        choices = f" {'|'.join(map(str, exc.allowed))}" if exc.allowed else ""
        text += f" ({flag(field)}{choices})"
    for number, suggestion in enumerate(exc.suggestions):
        lead = "; or " if number else (": " if advice else "; run: ")
        text += lead + command_line(suggestion, profile, argv)
    return text + stale_rule_words(exc)


def stale_rule_words(exc: SeedanceError) -> str:
    """A refusal that comes from a catalogue cell may be stale (the services change every few
    weeks): say which rule it is and how to send the request anyway."""
    rule = getattr(exc, "rule", None)
    if rule is None:
        return ""
    source = f", source {rule.source}" if rule.source else ""
    return (
        f" (the catalogue's rule {rule.name}{source}; if the service has changed, "
        "--no-validate sends it anyway and the server decides)"
    )


# The command line's words for the errors no step worded (domain/errors.py `unexpected`).
UNEXPECTED_HINTS: dict[str, str] = {
    "interrupted": "whatever was running on the server keeps running; run the same command "
    "again to pick it up",
    "os_error": "check the path, its permissions, SEEDANCE_CONFIG_DIR and SEEDANCE_DATA_DIR",
    "internal": "this is a bug; run with SEEDANCE_DEBUG=1 for the traceback and report it",
}


def said(exc: BaseException) -> str:
    """Any exception in one line for people: a seedance error with what to do about it."""
    from seedance.wording.hints import explain

    return explain(exc) if isinstance(exc, SeedanceError) else str(exc)


def error_document(exc: SeedanceError) -> dict[str, Any]:
    """The `error` object of a JSON document, its message with what to do."""
    return {**exc.to_json()["error"], "message": said(exc)}
