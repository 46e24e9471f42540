"""The provider interface: one implementation per API dialect, holding all of its quirks."""

from __future__ import annotations

import builtins
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx

from seedance.domain.errors import (
    APIError,
    BadResponseError,
    Suggestion,
    UnsupportedError,
    UnusableTaskIdError,
    api_error_class,
)
from seedance.domain.models import GenerationRequest, Task, TaskStatus
from seedance.domain.profiles import Profile
from seedance.domain.server_text import clean_text
from seedance.domain.validation import Problem, messages, shown_id, usable_task_id
from seedance.providers.http import HttpClient, Retry


@dataclass(frozen=True)
class Capabilities:
    """What a profile's API can do; the CLI and README read these, never a gateway's name."""

    can_list: bool
    can_cancel: bool
    returns_last_frame: bool
    needs_assets: bool
    content_endpoint: bool  # the video is downloaded from the API (with the key), not a URL
    reports_progress: bool
    # a lost create can be found exactly: the dialect lists and reads tasks, and they echo the
    # identity nonce seedance sends (`expires_after`) once they end
    finds_lost_creates: bool = False
    takes_frames: bool = True  # first/last frame roles can be expressed
    can_finalize: bool = False  # a final from a draft (content item draft_task)
    can_probe: bool = False  # the free model probe (a body with only `model`)


ProbeOutcome = Literal["usable", "not_activated", "not_found", "unknown"]


@dataclass(frozen=True)
class ModelProbe:
    """What the server said about one model id, for free: the probe creates nothing."""

    model: str
    outcome: ProbeOutcome
    status: int
    code: str | None
    message: str


@dataclass(frozen=True)
class RemoteModel:
    """One entry of a provider's live model list."""

    id: str
    status: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class DownloadSource:
    url: str
    authenticated: bool  # True: through the API host with the key; False: a pre-signed URL


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    total: int | None
    server_time: float | None = None  # the server's clock when it answered (its Date header)


CancelOutcome = Literal["cancelled", "deleted"]


@dataclass(frozen=True)
class Advice:
    """What to do about an error code a service answers with: plain words and, where one
    helps, a next step (the front ends word it as a command or a tool call)."""

    reason: str  # by name: the front ends word it
    suggestion: Suggestion | None = None
    field: str | None = None


WRONG_SERVER = Advice(
    "wrong_server",
    Suggestion.of("profiles.show"),
    "base_url",
)


TASK_NOT_FOUND = Advice("task_not_found")


class Provider(ABC):
    """Turns domain requests into one dialect's HTTP and its answers into domain tasks."""

    dialect: ClassVar[str]
    # What the dialect can do (needs_assets comes from the profile's `references`).
    can_list: ClassVar[bool] = False
    can_cancel: ClassVar[bool] = False
    returns_last_frame: ClassVar[bool] = False
    content_endpoint: ClassVar[bool] = False
    reports_progress: ClassVar[bool] = False
    finds_lost_creates: ClassVar[bool] = False
    takes_frames: ClassVar[bool] = True
    can_finalize: ClassVar[bool] = False
    can_probe: ClassVar[bool] = False
    models_path: ClassVar[str | None] = None  # the live model list, under the base URL
    alternative: ClassVar[str | None] = None  # a preset with a fuller API on the same service
    # What to do about the error codes this dialect's services answer with.
    error_advice: ClassVar[Mapping[str, Advice]] = {}

    def __init__(self, profile: Profile, http: HttpClient) -> None:
        self.profile = profile
        self.http = http

    @classmethod
    def capabilities_for(cls, profile: Profile) -> Capabilities:
        """What this dialect can do for `profile` (no connection needed)."""
        return Capabilities(
            can_list=cls.can_list,
            can_cancel=cls.can_cancel,
            returns_last_frame=cls.returns_last_frame,
            needs_assets=profile.references == "assets",
            content_endpoint=cls.content_endpoint,
            reports_progress=cls.reports_progress,
            finds_lost_creates=cls.finds_lost_creates,
            takes_frames=cls.takes_frames,
            can_finalize=cls.can_finalize,
            can_probe=cls.can_probe,
        )

    @property
    def capabilities(self) -> Capabilities:
        return self.capabilities_for(self.profile)

    def url(self, path: str) -> str:
        return self.profile.base_url.rstrip("/") + path

    # -- the operations ----------------------------------------------------------------------

    @abstractmethod
    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The exact JSON body `create` will send (also what --dry-run prints)."""

    def problem_facts(self, request: GenerationRequest) -> list[Problem]:
        """Rules of this dialect a request breaks (checked before anything is sent)."""
        return []

    def problems(self, request: GenerationRequest) -> list[str]:
        """`problem_facts` as text."""
        return messages(self.problem_facts(request))

    @abstractmethod
    def create(self, body: dict[str, Any]) -> Task:
        """Send a create; the answer is a task with at least its id."""

    @abstractmethod
    def get(self, task_id: str) -> Task: ...

    def get_many(self, task_ids: Iterable[str]) -> dict[str, Task]:
        """Several tasks at once (providers with a batch read override this)."""
        return {task_id: self.get(task_id) for task_id in task_ids}

    def list(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        page: int = 1,
        page_size: int = 20,
        task_ids: list[str] | None = None,
        service_tier: str | None = None,
    ) -> TaskPage:
        raise UnsupportedError(
            f"profile '{self.profile.name}' ({self.dialect} API) has no task list endpoint",
            reason="no_task_list",
            suggestion=Suggestion.of("tasks.list", local=True),
        )

    def cancel(self, task: Task) -> CancelOutcome:
        """Cancel a queued task or delete a finished one (`task` is its current state)."""
        raise UnsupportedError(
            f"profile '{self.profile.name}' ({self.dialect} API) has no cancel endpoint",
            reason="no_cancel",
        )

    @abstractmethod
    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        """Where to fetch a finished task's video or last frame."""

    # -- what the account can do (free reads: they create nothing) ---------------------------

    def auth_read(self) -> httpx.Response:
        """The cheapest authenticated read of this dialect, not retried (for a diagnosis:
        its status tells whether the key works, its `Date` header the server's clock)."""
        return self.http.request("GET", self.url(self.auth_path()), retry=Retry.NEVER)

    def auth_path(self) -> str:
        return "/"

    def probe_model(self, model: str) -> ModelProbe:
        """Whether `model` is usable with this key, asked for free (dialects that can)."""
        raise UnsupportedError(
            f"profile '{self.profile.name}' ({self.dialect} API) cannot ask which models are "
            "open: the free probe is documented only for the Ark API",
            reason="no_listing",
        )

    def list_models(self) -> builtins.list[RemoteModel]:
        """The provider's live model list (`models_path`), raised as UnsupportedError where
        it has none."""
        if self.models_path is None:
            raise UnsupportedError(
                f"profile '{self.profile.name}' ({self.dialect} API) has no model list"
            )
        response = self.http.request("GET", self.url(self.models_path))
        if response.status_code == 404:
            raise UnsupportedError(
                f"profile '{self.profile.name}': the provider answered 404 for its model list "
                f"({self.models_path}), so it has none"
            )
        return parse_model_list(self.json_of(response))

    # -- shared helpers ----------------------------------------------------------------------

    def task(self, **fields: Any) -> Task:
        return Task(profile=self.profile.name, **fields)

    def json_of(self, response: httpx.Response) -> Any:
        """The JSON of a successful answer, or a typed error for anything else."""
        if response.status_code >= 400:
            raise self.error_for(response)
        if 300 <= response.status_code < 400:
            where = response.headers.get("location", "another address")
            raise BadResponseError(
                f"the API answered {response.status_code}, a redirect to {where}",
                status_code=response.status_code,
                reason="redirect_refused",
            )
        return parse_json(response)

    def error_for(self, response: httpx.Response) -> APIError:
        """A typed error from an error answer; dialects override `error_fields`."""
        try:
            data = response.json()
        except (ValueError, RecursionError):  # not JSON, too deep, a number too long
            data = None
        code, message = self.error_fields(data) if data is not None else (None, None)
        if not message:
            message = describe_non_json(response)
        cls = self.error_class(response.status_code, code)
        return make_api_error(response, code, message, self.error_advice, cls=cls)

    def error_class(self, status_code: int, code: str | None) -> type[APIError]:
        """The typed error for an answer: by its HTTP status (dialects may read the code)."""
        return api_error_class(status_code)

    def error_fields(self, data: Any) -> tuple[str | None, str | None]:
        """(code, message) from an error body: `{"error": {"code", "message"}}` by default."""
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            return _str(err.get("code")), _str(err.get("message"))
        if isinstance(err, str):
            return None, err
        if isinstance(data, dict):
            return _str(data.get("code")), _str(data.get("message"))
        return None, None


def parse_model_list(data: Any) -> list[RemoteModel]:
    """`{"data": [{"id": …}]}` (OpenAI-style, also how generic clients read Ark's list:
    docs/sources/live-research.md §5) or `{"items": […]}`; entries without an id are skipped."""
    items = data.get("data", data.get("items")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise BadResponseError("the model list answer holds no list of models")
    found = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
            status = item.get("status")
            found.append(RemoteModel(item["id"], status if isinstance(status, str) else None, item))
    return found


def make_api_error(
    response: httpx.Response,
    code: str | None,
    message: str,
    advice: Mapping[str, Advice],
    *,
    cls: type[APIError] | None = None,
    service: str = "the API",
    request_id: str | None = None,
) -> APIError:
    """A typed error (by HTTP status unless `cls` is given) with the advice for its code."""
    cls = cls or api_error_class(response.status_code)
    shown = (
        f"{response.status_code} {code}: {message}"
        if code
        else f"{response.status_code}: {message}"
    )
    error = cls(
        f"{service} answered {shown}",
        status_code=response.status_code,
        code=code or cls.code,
        request_id=request_id or response.headers.get("x-request-id"),
    )
    return advised(error, advice.get(code or ""))


def advised(error: APIError, advice: Advice | None) -> APIError:
    """`error` with the reason, field and next step of `advice` (when there is one)."""
    if advice is not None:
        error.instead(advice.reason)
        error.field = advice.field
        error.suggestion = advice.suggestion
    return error


def parse_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, too deep, a number too long
        error = BadResponseError(
            f"the API answered {response.status_code} with something that is not JSON "
            f"({describe_non_json(response)})",
            status_code=response.status_code,
        )
        raise advised(error, WRONG_SERVER) from None


def describe_non_json(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    # (a body that is text is clean already, providers/http.py clean_answer; bytes are not)
    text = clean_text(response.text)[:120] if response.content else "empty body"
    text = " ".join(text.split())
    return f"{kind}: {text}" if text else kind


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip().rstrip("%s").strip())
        except ValueError:
            return None
    return None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def status_word(data: dict[str, Any], key: str = "status", *, required: bool = True) -> Any:
    """A task answer's status, refused when it is no word (a number, a list, an object; or
    missing, when `required`): a wait cannot go on from such an answer, and it says so
    (services/polling.py). An unknown word is read as `unknown`, not refused: a service may
    add statuses."""
    value = data.get(key)
    if isinstance(value, str) or (value is None and not required):
        return value
    shown = "none" if value is None else f"{type(value).__name__} {json.dumps(value)[:40]}"
    raise BadResponseError(
        f"the API answered task {as_str(data.get('id')) or as_str(data.get('task_id')) or '?'} "
        f"with a status that is no word ({key}: {shown})"
    )


def normalize_status(word: Any, table: dict[str, TaskStatus]) -> TaskStatus:
    """A dialect's status word as a contract status; unknown words become `unknown`."""
    if not isinstance(word, str):
        return TaskStatus.UNKNOWN
    return table.get(word.strip().lower(), TaskStatus.UNKNOWN)


def no_last_frame(task: Task) -> UnsupportedError:
    """The error for a task that was created without asking for its last frame."""
    return UnsupportedError(
        f"task {task.id} has no last frame",
        reason="ask_for_last_frame",
        field="return_last_frame",
    )


def usable_id(value: str, data: Any, *, created: bool = False) -> str:
    """A task id a server answered, when seedance can use it (in a URL path, a file name, a
    command line); UnusableTaskIdError otherwise. `created`: the answer of a create (the
    task may exist and be billed)."""
    if usable_task_id(value):
        return value
    if created:
        raise UnusableTaskIdError(
            f"the server answered the create with an unusable task id ({shown_id(value)}: not "
            "fit for a URL, a file name or a command): it may have made the task, and bill it",
            answer=data,
            reason="task_not_followable",
        )
    raise UnusableTaskIdError(
        f"the server answered with an unusable task id ({shown_id(value)}: not fit for a URL, "
        "a file name or a command)",
        answer=data,
    )


def usable_items(items: Iterable[Any], *keys: str) -> list[dict[str, Any]]:
    """The entries of a task list that are objects with a usable id (others are skipped, as
    entries without an id are: nothing can be done with them)."""
    return [
        item
        for item in items
        if isinstance(item, dict) and any(usable_task_id(item.get(key)) for key in keys)
    ]


def require_task_id(data: Any, *keys: str) -> str:
    """The task id from a create answer, or a clear error when the answer has none or one
    seedance cannot use."""
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, str) and value:
                return usable_id(value, data, created=True)
    raise BadResponseError(
        "the API accepted the request but its answer has no task id",
        reason="create_may_exist",
    )
