"""What the user typed, checked before anything is read from the network or sent: prompts,
numbers, and where outputs go (`-o FILE`, `-o DIR/`, `-o -`)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seedance.cli.environment import Environment

STDOUT = "-"


# -- numbers ---------------------------------------------------------------------------------


def check_timeout(timeout: float | None, flag: str = "--timeout") -> None:
    check_positive(timeout, flag, unit="seconds")


def check_positive(value: float | None, flag: str, *, unit: str = "") -> None:
    """A finite number above zero (nan and inf are refused: they would turn a limit off)."""
    from seedance.domain.errors import UsageError

    if value is not None and not (0 < value < math.inf):
        raise UsageError(
            f"{flag} must be a positive number{' of ' + unit if unit else ''}, not {value:g}"
        )


def check_finite(value: float | None, flag: str, *, minimum: float = 0.0) -> None:
    """A finite number of at least `minimum`."""
    from seedance.domain.errors import UsageError

    if value is not None and not (minimum <= value < math.inf):
        raise UsageError(f"{flag} must be a number of {minimum:g} or more, not {value:g}")


# -- prompts ---------------------------------------------------------------------------------


def read_prompt(env: Environment, prompt: str | None, prompt_file: str | None) -> str | None:
    """The prompt from the argument, a file or stdin (`-`), as UTF-8 text; bytes that are not
    UTF-8 are refused here (exit 2), wherever they came from."""
    from seedance.domain.errors import UsageError

    if prompt is not None and prompt_file is not None:
        raise UsageError("give the prompt as an argument or with --prompt-file, not both")
    if prompt_file is None:
        return prompt
    if prompt_file == STDOUT:
        return _decoded(_stdin_bytes(env), "the prompt on stdin")
    path = env.path(prompt_file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"prompt file {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read prompt file {path}: {exc.strerror or exc}") from None
    return _decoded(data, f"prompt file {path}")


def _stdin_bytes(env: Environment) -> bytes:
    stream = env.stdin
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read()
        return data
    return stream.read().encode("utf-8", "surrogateescape")


def _decoded(data: bytes, what: str) -> str | None:
    from seedance.domain.errors import UsageError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="save it as UTF-8",
            field="prompt",
        ) from None
    return text.strip() or None


# -- outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """Where a video goes: a file, a folder (`<task id>.mp4` inside), or stdout (through a
    file in the data directory, saved and verified first)."""

    path: Path
    folder: bool = False
    stdout: bool = False
    given: str = ""

    def shown(self, saved: str) -> str:
        """The path to print: as the user gave it for a file, the file made in a folder."""
        return saved if self.folder else self.given or saved


def destination(
    env: Environment,
    given: str,
    *,
    suffix: str | None = None,
    create: bool = True,
    stdout_name: str | None = None,
) -> Destination:
    """Where `-o` points, checked before anything is sent: `-` (stdout, refused with --json),
    a folder (a name ending in `/`, made unless `create` is off, or one that exists), or a file
    (given the video's extension when it has none; a name with the other one is refused).
    Checks what can be checked without knowing whether the file is ours (which `generate`
    decides): its folder there and writable, nothing but a regular file in its place."""
    from seedance.domain.errors import UsageError
    from seedance.services.videos.outputs import check_file, ensure_folder

    if given == STDOUT:
        if env.json:
            raise UsageError(
                "-o - writes the video to stdout, where --json writes its document",
                hint="give a file name, or leave out --json",
                field="output",
            )
        folder = ensure_folder(env.data_dir / "stdout", create=create)
        name = stdout_name or "video"
        return Destination(folder / f"{name}{suffix or '.mp4'}", stdout=True, given=given)
    path = env.path(given)
    if given.endswith(("/", os.sep)) or path.is_dir():
        return Destination(ensure_folder(path, create=create), folder=True, given=given)
    if path.suffix == "":
        path = path.with_suffix(suffix or ".mp4")
        given += suffix or ".mp4"
    elif suffix and path.suffix.lower() in (".mp4", ".mov") and path.suffix.lower() != suffix:
        raise UsageError(
            f"{path.name} ends in {path.suffix}, but the video will be a {suffix} file",
            hint=f"name it {path.with_suffix(suffix).name}",
            field="output",
        )
    check_file(path, overwrite=True)
    return Destination(path, given=given)


def stream_to_stdout(env: Environment, path: Path) -> None:
    """The bytes of a saved, verified file, copied to stdout."""
    import shutil

    out = env.stdout
    out.flush()
    target = getattr(out, "buffer", None)
    with path.open("rb") as source:
        if target is None:  # a text-only stream (a test's StringIO): the bytes as latin-1
            out.write(source.read().decode("latin-1"))
        else:
            shutil.copyfileobj(source, target)
            target.flush()
