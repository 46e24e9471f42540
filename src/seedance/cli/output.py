"""Output discipline: data on stdout (plain, a table, or one JSON document), people on stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from seedance.cli.environment import Environment
    from seedance.domain.errors import SeedanceError


class Output:
    """Writes for one command run; knows --json, --quiet, colour and whether streams are TTYs."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._console: Console | None = None
        self._out_console: Console | None = None

    # -- stdout: data only -------------------------------------------------------------------

    def data(self, text: str) -> None:
        self.env.stdout.write(text + "\n")
        self.env.stdout.flush()

    def json(self, document: Any) -> None:
        self.env.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        self.env.stdout.flush()

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Aligned columns with a header on a terminal (never folded: a cell stays whole, the
        gap narrows to fit); tab-separated rows in a pipe."""
        cells = [["" if c is None else str(c) for c in row] for row in rows]
        if not self.env.stdout_isatty:
            for row in cells:
                self.data("\t".join(row))
            return
        names = [str(h) for h in headers]
        widths = [max(len(row[i]) for row in [names, *cells]) for i in range(len(names))]
        width = self.stdout_console.width
        gap = 2 if sum(widths) + 2 * (len(widths) - 1) <= width else 1

        def line(row: Sequence[str]) -> str:
            return (" " * gap).join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

        head = line(names)
        color = self.env.color and self.env.stdout_isatty
        self.data(f"\x1b[1m{head}\x1b[0m" if color else head)
        for row in cells:
            self.data(line(row))

    def listing(
        self,
        rows: Sequence[dict[str, Any]],
        headers: Sequence[str],
        cells: Callable[[dict[str, Any]], Sequence[Any]],
    ) -> None:
        """Named records: the JSON array, their names alone with --quiet, or a table."""
        if self.env.json:
            self.json(list(rows))
        elif self.env.quiet:
            for row in rows:
                self.data(row["name"])
        else:
            self.table(headers, [cells(row) for row in rows])

    @property
    def stdout_console(self) -> Console:
        if self._out_console is None:
            from rich.console import Console

            tty = self.env.stdout_isatty
            self._out_console = Console(
                file=self.env.stdout,
                force_terminal=tty and self.env.color,
                no_color=not (tty and self.env.color),
                highlight=False,
                soft_wrap=False,
                width=None if tty else 200,
            )
        return self._out_console

    # -- stderr: messages for people ---------------------------------------------------------

    @property
    def console(self) -> Console:
        """A rich console on stderr, coloured only where colour is wanted."""
        if self._console is None:
            from rich.console import Console

            color = self.env.color
            self._console = Console(
                file=self.env.stderr,
                force_terminal=color or self.env.live,
                no_color=not color,
                highlight=False,
                force_interactive=self.env.live,
                width=None if self.env.stderr_isatty else 100,
            )
        return self._console

    def _say(self, text: str, style: str | None = None) -> None:
        """Every message for people passes here: URLs lose their query strings (credentials).
        On a terminal, through the console (so a live display stays whole); styled only where
        colour is wanted."""
        from seedance.domain.redact import redact_secrets, redact_urls
        from seedance.domain.server_text import strip_controls

        # (texts from servers are clean already, `domain/server_text.py`: this is a second net)
        text = redact_secrets(strip_controls(redact_urls(text)))
        if self.env.color or self.env.live:
            style = style if self.env.color else None
            self.console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
        else:
            self.env.stderr.write(text + "\n")
            self.env.stderr.flush()

    def info(self, text: str) -> None:
        if not self.env.quiet:
            self._say(text, "dim")

    @property
    def board_is_the_summary(self) -> bool:
        """A live board was drawn on the terminal stdout shows too: its last frame already
        says which tasks ended how, so stdout does not say it again (in a pipe it does)."""
        return self.env.live and self.env.stdout_isatty and not self.env.json

    def result(self, text: str) -> None:
        """A message that repeats what stdout is about to show (a saved file's path): on a
        terminal showing both, the data line alone says it; elsewhere (a log), it is said."""
        if not (self.env.stdout_isatty and self.env.stderr_isatty):
            self.info(text)

    def success(self, text: str) -> None:
        if not self.env.quiet:
            self._say(text, "green")

    def warn(self, text: str) -> None:
        self._say(f"warning: {text}", "yellow")

    def debug_line(self, text: str) -> None:
        self._say(text, "dim cyan")

    def error(self, exc: SeedanceError) -> None:
        """One line on stderr; with --json, the error document on stdout."""
        from seedance.cli.wording import describe
        from seedance.domain.redact import redact_urls, redact_urls_in
        from seedance.domain.server_text import one_line

        text = one_line(redact_urls(describe(exc, self.env.active_profile, self.env.argv)))
        if self.env.json:
            document = exc.to_json()
            document["error"] = redact_urls_in({**document["error"], "message": text})
            self.json(document)
        self._say(f"error: {text}", "bold red")


def abbreviated(value: Any, names: dict[str, str]) -> Any:
    """A request body for people: each inline medium (a data: URI) as `<boat.png, 196 KB,
    sha256 9f2c…>` (`names`: the URI -> where it came from)."""
    if isinstance(value, dict):
        return {key: abbreviated(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [abbreviated(item, names) for item in value]
    if isinstance(value, str) and value.startswith("data:"):
        import base64
        import binascii
        import hashlib

        head, _, payload = value.partition(",")
        try:
            data = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            data = payload.encode()
        name = Path(names.get(value) or head[5:].split(";", 1)[0]).name
        digest = hashlib.sha256(data).hexdigest()[:12]
        return f"<{name}, {human_bytes(len(data))}, sha256 {digest}…>"
    return value


def human_bytes(size: int) -> str:
    """1,234 B, 196 KB, 2.5 MB."""
    if size < 1024:
        return f"{size:,} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 2**20:.1f} MB"


def human_duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
