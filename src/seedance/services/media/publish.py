"""Publishing a local file with the profile's `upload_cmd`, so the asset library can fetch it."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.domain.errors import ConfigError, Reason
from seedance.domain.redact import program_of
from seedance.services.assets.cache import file_sha256

if TYPE_CHECKING:
    from seedance.domain.profiles import Profile

UPLOAD_CMD_TIMEOUT = 900.0


def publish(
    profile: Profile, path: Path, environ: Mapping[str, str], notify: Callable[[str], None]
) -> str:
    """Run the profile's upload_cmd for a local file; its last output line is the URL."""
    argv = check_publishable(profile, path)
    command = profile.upload_cmd or ""
    notify(f"publishing {path.name} with upload_cmd")
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=UPLOAD_CMD_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env=upload_environment(path, environ),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"upload_cmd `{program_of(command)} …` did not finish in {UPLOAD_CMD_TIMEOUT:.0f} s"
        ) from None
    except OSError as exc:  # the program only: its arguments may hold a secret
        raise ConfigError(
            f"upload_cmd `{program_of(command)} …` could not run: "
            f"{exc.strerror or type(exc).__name__}"
        ) from None
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [""])[-1]
        raise ConfigError(
            f"upload_cmd failed (exit {done.returncode}) for {path}"
            + (f": {tail}" if tail else ""),
            reason="upload_cmd_failed",
        )
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    url = lines[-1] if lines else ""
    if not url.lower().startswith("https://"):
        raise ConfigError(
            f"upload_cmd printed no https:// URL last for {path}"
            + (f" (it printed {url[:80]!r})" if url else ""),
            reason="upload_cmd_no_url",
        )
    return url


def check_publishable(profile: Profile, path: Path) -> list[str]:
    """The argv that would publish `path`, or the ConfigError that stops it, without running
    anything (a dry run checks this much)."""
    command = profile.upload_cmd
    if not command:
        raise ConfigError(
            f"profile '{profile.name}' cannot upload local files: it has no upload_cmd",
            reason=Reason.of("no_upload_cmd", profile=profile.name),
        )
    return upload_argv(command, path)


# The programs that treat an argument as a script of commands: a file name spliced into that
# script would be code. Their scripts get the values from the environment instead.
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox"})
PLACEHOLDERS = {"{path}": "SEEDANCE_UPLOAD_PATH", "{name}": "SEEDANCE_UPLOAD_NAME"}
SHA_PLACEHOLDER = ("{sha256}", "SEEDANCE_UPLOAD_SHA256")


def upload_argv(command: str, path: Path) -> list[str]:
    """The upload_cmd split like a shell would, then {path}, {name}, {sha256} put in each word.

    No shell is involved, so a value put in a word stays one argument whatever it holds. A
    shell's script (`sh -c '...'`) may not hold a placeholder: a file name spliced into a
    script would run as code; the script reads the values from the environment instead
    (`upload_environment`)."""
    try:
        words = shlex.split(command)
    except ValueError:
        raise ConfigError("upload_cmd cannot be split into words (an unclosed quote?)") from None
    if not words:
        raise ConfigError("upload_cmd is empty")
    for script in _shell_scripts(words):
        used = [p for p in (*PLACEHOLDERS, SHA_PLACEHOLDER[0]) if p in script]
        if used:
            names = {**PLACEHOLDERS, SHA_PLACEHOLDER[0]: SHA_PLACEHOLDER[1]}
            raise ConfigError(
                f"upload_cmd puts {', '.join(used)} inside a shell script, where a file name "
                "would run as commands",
                reason=Reason.of(
                    "upload_cmd_script", variables=", ".join(f'"${names[p]}"' for p in used)
                ),
                field="upload_cmd",
            )
    values = _values(path, any(SHA_PLACEHOLDER[0] in word for word in words))
    out = []
    for word in words:
        for placeholder, value in values.items():
            word = word.replace(placeholder, value)
        out.append(word)
    return out


def upload_environment(path: Path, base: Mapping[str, str]) -> dict[str, str]:
    """The environment upload_cmd runs in: the caller's, plus the file's path, name and
    SHA-256 (for shell scripts, which must not have them spliced in)."""
    values = _values(path, True)
    names = {**PLACEHOLDERS, SHA_PLACEHOLDER[0]: SHA_PLACEHOLDER[1]}
    return {**base, **{names[p]: v for p, v in values.items()}}


def _values(path: Path, with_sha: bool) -> dict[str, str]:
    values = {"{path}": str(path.resolve()), "{name}": path.name}
    if with_sha:
        values[SHA_PLACEHOLDER[0]] = file_sha256(path)
    return values


def _shell_scripts(words: list[str]) -> list[str]:
    """The scripts a command line hands to a shell (`sh -c SCRIPT`, `env bash -lc SCRIPT`)."""
    scripts = []
    for index, word in enumerate(words):
        if Path(word).name not in SHELLS:
            continue
        options = words[index + 1 :]
        for position, option in enumerate(options[:-1]):
            if option.startswith("-") and "c" in option.lstrip("-"):
                scripts.append(options[position + 1])
                break
    return scripts
