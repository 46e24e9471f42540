"""Every error seedance reports, each carrying its exit status (the README's exit-code table).

Errors carry structured facts: the parameter at fault (`field`, in library names), the values
it allows (`allowed`), why it stands and the way out (`reasons`: names with their values) and a
next step (`suggestion`: an operation and its arguments). Nothing here or below the front ends
words advice, a command line or a flag: the front ends word a reason
(`seedance.wording.hints`), the CLI turns a suggestion into a command to type, the MCP server
into a tool call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    """Process exit codes: the contract scripts rely on."""

    OK = 0
    ERROR = 1  # an unexpected internal error: a bug
    USAGE = 2  # bad flag, bad file, a request the model cannot serve; nothing was sent
    API = 3  # the API refused or failed: auth, 4xx, 5xx after retries
    NETWORK = 4  # network failure after retries
    TASK_FAILED = 5  # the task ended failed, expired or cancelled
    TIMEOUT = 6  # the wait's timeout passed while the task was still queued or running
    LOCAL = 7  # a local failure after the task exists (disk, permission); running again resumes
    INTERRUPTED = 130  # Ctrl-C or SIGTERM


AGAIN = "again"  # the action of `Suggestion.again`


@dataclass(frozen=True)
class Suggestion:
    """A next step in library terms: an operation and its arguments.

    `action` names an operation the way the library and the command line share it ("wait",
    "download", "create", "chain", "status", "models", "tasks.list", "profiles.show", ...);
    `args` are its positional values (task ids, paths); `options` its named parameters, by
    their library names (`output`, `new`, `rerun`, ...).
    """

    action: str
    args: tuple[str, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, action: str, *args: str, **options: Any) -> Suggestion:
        """`Suggestion.of("wait", task_id, output="clip.mp4")`; options left None are dropped."""
        return cls(action, args, tuple((k, v) for k, v in options.items() if v is not None))

    @classmethod
    def again(cls, **options: Any) -> Suggestion:
        """The operation the user just ran, again, with these options (`new=True`)."""
        return cls.of(AGAIN, **options)

    @property
    def is_again(self) -> bool:
        return self.action == AGAIN

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "args": list(self.args), "options": dict(self.options)}


@dataclass(frozen=True)
class Reason:
    """Why an error stands, or the way out of it, by name ("output_exists", "resume"), with
    the values its words use (`task`, `path`, ...). The front ends word it
    (`seedance.wording.hints`); `Reason.of("result_kept", task=task_id)`."""

    name: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, name: str, **values: Any) -> Reason:
        return cls(name, tuple(values.items()))

    @property
    def value_map(self) -> dict[str, Any]:
        return dict(self.values)


Reasons = str | Reason | Iterable[Reason | str] | None  # what `reason=` takes: names, Reasons


def reasons_of(given: Reasons) -> tuple[Reason, ...]:
    """`reason=` as a tuple of Reasons (a bare name is a Reason without values)."""
    if given is None:
        return ()
    if isinstance(given, str):
        return (Reason(given),)
    if isinstance(given, Reason):
        return (given,)
    return tuple(Reason(r) if isinstance(r, str) else r for r in given)


class SeedanceError(Exception):
    """Base of every expected error: a message for people, a code for scripts."""

    exit_status: ExitStatus = ExitStatus.ERROR
    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        reason: Reasons = None,
        hint: str | None = None,
        exit_status: ExitStatus | None = None,
        field: str | None = None,
        allowed: Iterable[Any] | None = None,
        suggestion: Suggestion | Iterable[Suggestion] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if exit_status is not None:
            self.exit_status = exit_status
        # why it stands and the way out, in order; the front ends word them
        self.reasons: tuple[Reason, ...] = reasons_of(reason)
        # a front end's own words (never given below the front ends: tests/architecture)
        self.hint = hint
        self.field = field  # the parameter at fault, by its library name
        self.allowed = tuple(allowed) if allowed is not None else None
        # the next steps, the first the one to take; front ends word them
        self.suggestions: tuple[Suggestion, ...] = (
            (suggestion,) if isinstance(suggestion, Suggestion) else tuple(suggestion or ())
        )
        self.details: dict[str, Any] = {}  # the command's results, shown beside the error

    def because(self, reason: Reasons) -> SeedanceError:
        """Add reasons after those it has (a caller that knows more of the situation)."""
        self.reasons += reasons_of(reason)
        return self

    def instead(self, reason: Reasons) -> SeedanceError:
        """Replace what it says of the way out (a caller that knows the situation better)."""
        self.hint = None
        self.reasons = reasons_of(reason)
        return self

    @property
    def suggestion(self) -> Suggestion | None:
        """The first next step (setting it replaces them all)."""
        return self.suggestions[0] if self.suggestions else None

    @suggestion.setter
    def suggestion(self, value: Suggestion | None) -> None:
        self.suggestions = (value,) if value is not None else ()

    def __str__(self) -> str:
        """The message (and a front end's hint) for people: URLs without their query strings
        (a pre-signed result URL's signature is a credential), wherever the text came from.
        The words for its reasons are the front ends' (`seedance.wording.hints.explain`)."""
        from seedance.domain.redact import redact_urls  # (not at start-up: --help needs none)

        text = f"{self.message}; {self.hint}" if self.hint else self.message
        return redact_urls(text)

    def facts(self) -> dict[str, Any]:
        """The structured facts, for JSON documents (only those that are set)."""
        facts: dict[str, Any] = {}
        if self.field is not None:
            facts["field"] = self.field
        if self.allowed is not None:
            facts["allowed"] = list(self.allowed)
        if self.reasons:
            facts["reasons"] = [r.name for r in self.reasons]
        if self.suggestions:
            facts["suggestions"] = [s.to_json() for s in self.suggestions]
        return facts

    def record(self) -> dict[str, str]:
        """What a run's manifest keeps of it: its code, message and the names of its reasons,
        comma-separated (every value a string: a manifest an older seedance reads)."""
        found = {"code": self.code, "message": str(self)}
        if self.reasons:
            found["reasons"] = ", ".join(r.name for r in self.reasons)
        return found

    def to_json(self) -> dict[str, Any]:
        error = {
            "code": self.code,
            "message": str(self),
            "exit_code": int(self.exit_status),
            **self.facts(),
        }
        return {"error": error, **self.details}


# -- usage: exit 2, nothing was sent ---------------------------------------------------------


class UsageError(SeedanceError):
    """A bad flag, argument or file. `rule`: the catalogue cell a refusal comes from, when it
    does (set by ValidationError, and by the errors that carry one of a request's refusals:
    a storyboard's, a batch's)."""

    exit_status = ExitStatus.USAGE
    code = "usage"
    rule: Rule | None = None

    def facts(self) -> dict[str, Any]:
        found = super().facts()
        if self.rule is not None:
            found["rule"] = self.rule.to_json()
        return found


class ConfigError(UsageError):
    """A broken or missing profile, key or setting."""

    code = "config"


@dataclass(frozen=True)
class Rule:
    """The catalogue cell a refusal comes from: what it says (`name`, e.g.
    "seedance-2.5.resolutions") and the source it cites. A rule can be stale (the services
    change every few weeks): the front ends say how to send the request anyway."""

    name: str
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source}


class ValidationError(UsageError):
    """A request the model or gateway cannot serve, caught before sending. `rule`: the
    catalogue cell that refuses it, when the refusal comes from the catalogue (not from a
    fact of the request itself, such as a missing file)."""

    code = "validation"

    def __init__(self, message: str, *, rule: Rule | None = None, **facts: Any) -> None:
        super().__init__(message, **facts)
        self.rule = rule


class UnsupportedError(UsageError):
    """The profile's API has no such capability (list, cancel, last frame...)."""

    code = "unsupported"


class StoryboardError(UsageError):
    """A storyboard file that cannot run: names the file, shot and field."""

    code = "storyboard"


# -- the API: exit 3 -------------------------------------------------------------------------


class APIError(SeedanceError):
    """The service answered with an error (after retries where retrying was safe)."""

    exit_status = ExitStatus.API
    code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        reason: Reasons = None,
        request_id: str | None = None,
        field: str | None = None,
        suggestion: Suggestion | Iterable[Suggestion] | None = None,
    ) -> None:
        super().__init__(message, code=code, reason=reason, field=field, suggestion=suggestion)
        self.status_code = status_code
        self.request_id = request_id


class BadRequestError(APIError):
    code = "bad_request"


class AuthError(APIError):
    code = "unauthorized"


class QuotaError(APIError):
    code = "insufficient_quota"


class NotFoundError(APIError):
    code = "not_found"


class ConflictError(APIError):
    code = "conflict"


class RateLimitError(APIError):
    code = "rate_limited"


class ServerError(APIError):
    code = "server_error"


class BadResponseError(APIError):
    """The server answered something that is not what its API documents."""

    code = "bad_response"


class UnusableTaskIdError(BadResponseError):
    """The server answered with a task id seedance cannot use (`../x`, a space, a control
    character): not a path, a URL or a command. After a create, the task may exist and be
    billed; `answer` is what the server said."""

    code = "unusable_task_id"

    def __init__(self, message: str, *, answer: Any = None, **facts: Any) -> None:
        super().__init__(message, **facts)
        self.answer = answer


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthError,
    402: QuotaError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def api_error_class(status_code: int) -> type[APIError]:
    """The typed error for an HTTP status (openai-python style)."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIError)


# -- network: exit 4 -------------------------------------------------------------------------


class NetworkError(SeedanceError):
    exit_status = ExitStatus.NETWORK
    code = "network_error"


class OutcomeUnknownError(NetworkError):
    """A create request may have reached the server but its answer was lost.

    Never retried automatically: a second create could be a second bill.
    """

    code = "outcome_unknown"


class DeadlinePassedError(NetworkError):
    """The caller's deadline (a wait's timeout) passed while a request was still going on: a
    wait turns it into its own timeout, naming the task."""

    code = "deadline"


# -- tasks: exit 5 and 6 ---------------------------------------------------------------------


class TaskOutcomeError(SeedanceError):
    """A wait that did not end with a finished video; `task` is the task as last seen."""

    def __init__(self, message: str, *, task: Any = None, **facts: Any) -> None:
        super().__init__(message, **facts)
        self.task = task


class TaskFailedError(TaskOutcomeError):
    """The task ended failed, expired or cancelled."""

    exit_status = ExitStatus.TASK_FAILED
    code = "task_failed"


class WaitTimeoutError(TaskOutcomeError):
    """The wait's timeout passed while the task was still queued or running (it keeps
    running on the server)."""

    exit_status = ExitStatus.TIMEOUT
    code = "timeout"


class LocalError(SeedanceError):
    """A local failure (disk full, permission) after the task exists: nothing is lost, and
    running the same command again resumes where it stopped."""

    exit_status = ExitStatus.LOCAL
    code = "local_error"


class BusyError(SeedanceError):
    """Another process holds what this one needs (an output file, a storyboard's directory);
    nothing was sent. After a bounded wait ran out, the exit status is the timeout's."""

    exit_status = ExitStatus.USAGE
    code = "busy"


class BudgetError(UsageError):
    """A create refused before it was sent: it would take the spend above a cap (this run's
    `max_cost`, or the profile's `budget_day` / `budget_month`), or its price is unknown under
    a cap. Nothing was sent."""

    code = "over_budget"


class JournalDamagedError(UsageError):
    """The local journal cannot be read (`damage` says how); nothing was sent."""

    code = "journal_damaged"

    def __init__(self, message: str, *, damage: str = "", **facts: Any) -> None:
        super().__init__(message, **facts)
        self.damage = damage


class InterruptedByUser(SeedanceError):
    """Ctrl-C or SIGTERM: the remote task keeps running; the message says how to resume."""

    exit_status = ExitStatus.INTERRUPTED
    code = "interrupted"


# Several tasks, one exit code: the most serious first. A local failure (7) comes before a
# failed task (5): every task it stopped at exists, and running again goes on from there.
SERIOUSNESS = (ExitStatus.API, ExitStatus.NETWORK, ExitStatus.LOCAL, ExitStatus.TIMEOUT)


def most_serious(
    found: Iterable[ExitStatus],
    order: tuple[ExitStatus, ...] = SERIOUSNESS,
    otherwise: ExitStatus = ExitStatus.TASK_FAILED,
) -> ExitStatus:
    """The exit status of a run whose parts ended with `found`: the first of `order` found."""
    statuses = set(found)
    return next((s for s in order if s in statuses), otherwise)


def unexpected(exc: BaseException) -> SeedanceError:
    """The error document of an exception no step turned into a SeedanceError: the one
    mapping the command line and the MCP server share (each words its own hint, by code).

    Ctrl-C outside the steps that say more is `interrupted`; a file the system refused
    (`OSError`) is a path to fix, `os_error`, exit 2; anything else is a bug, `internal`."""
    if isinstance(exc, SeedanceError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return InterruptedByUser("interrupted")
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return SeedanceError(
            f"{exc.strerror or exc}{where}", code="os_error", exit_status=ExitStatus.USAGE
        )
    return SeedanceError(f"internal error: {type(exc).__name__}: {exc}", code="internal")
