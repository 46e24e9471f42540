"""The provider interface: one implementation per API dialect, holding all of its quirks."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx

from seedance.domain.errors import APIError, BadResponseError, UnsupportedError, api_error_class
from seedance.domain.models import GenerationRequest, Task, TaskStatus
from seedance.domain.profiles import Profile
from seedance.providers.http import HttpClient


@dataclass(frozen=True)
class Capabilities:
    """What a profile's API can do; the CLI and README read these, never a gateway's name."""

    can_list: bool
    can_cancel: bool
    returns_last_frame: bool
    needs_assets: bool
    content_endpoint: bool  # the video is downloaded from the API (with the key), not a URL
    reports_progress: bool


@dataclass(frozen=True)
class DownloadSource:
    url: str
    authenticated: bool  # True: through the API host with the key; False: a pre-signed URL


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    total: int | None


CancelOutcome = Literal["cancelled", "deleted"]

# Codes gateways answer with, and what the user should do about each.
ERROR_HINTS: dict[str, str] = {
    "raw_url_not_allowed": "this gateway takes media only as asset://ID: set references = "
    '"assets" in the profile or run `seedance assets upload URL` first',
    "feature_disabled": "the gateway has not enabled this feature for your account; "
    "ask its administrator",
    "channel_not_available": "the gateway has no channel for this model right now; "
    "ask its administrator or try another model",
    "model_mapping_required": "the gateway has not mapped this model to an official version; "
    "ask its administrator or use another model",
    "insufficient_user_quota": "top up the account's balance, then run the command again",
    "insufficient user quota": "top up the account's balance, then run the command again",
    "model not allowed": "this key may not use this model: check the key's model list, or "
    "pick another with --model",
    "InvalidAction.RunningTaskDeletion": "a running task cannot be cancelled; wait for it to "
    "finish (`seedance wait ID`), then `seedance cancel ID` deletes it",
    "invalid_duration": "see the model's duration range in `seedance models`",
    "service_unavailable": "the account has not been enabled for this model or the asset "
    "library; ask the provider",
    "moderation_skip_not_allowed": "the gateway does not allow skipping moderation",
    "InvalidAction": "the gateway does not open this action (no Update* or Delete* of assets)",
    "task_not_found": "check the task id and the profile (-p) it was created with",
    "task_not_exist": "check the task id and the profile (-p) it was created with",
}


class Provider(ABC):
    """Turns domain requests into one dialect's HTTP and its answers into domain tasks."""

    dialect: ClassVar[str]
    # What the dialect can do (needs_assets comes from the profile's `references`).
    can_list: ClassVar[bool] = False
    can_cancel: ClassVar[bool] = False
    returns_last_frame: ClassVar[bool] = False
    content_endpoint: ClassVar[bool] = False
    reports_progress: ClassVar[bool] = False

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

    def problems(self, request: GenerationRequest) -> list[str]:
        """Rules of this dialect a request breaks (checked before anything is sent)."""
        return []

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
    ) -> TaskPage:
        raise UnsupportedError(
            f"profile '{self.profile.name}' ({self.dialect} API) has no task list endpoint",
            hint="`seedance tasks list --local` lists the tasks this machine created",
        )

    def cancel(self, task: Task) -> CancelOutcome:
        """Cancel a queued task or delete a finished one (`task` is its current state)."""
        raise UnsupportedError(
            f"profile '{self.profile.name}' ({self.dialect} API) has no cancel endpoint",
            hint="the task runs to its end; nothing more is billed for waiting",
        )

    @abstractmethod
    def download_source(self, task: Task, what: Literal["video", "last_frame"]) -> DownloadSource:
        """Where to fetch a finished task's video or last frame."""

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
                hint="seedance does not follow API redirects with your key; if the service "
                "moved, set the profile's base_url to its new address",
            )
        return parse_json(response)

    def error_for(self, response: httpx.Response) -> APIError:
        """A typed error from an error answer; dialects override `error_fields`."""
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        code, message = self.error_fields(data) if data is not None else (None, None)
        if not message:
            message = describe_non_json(response)
        return make_api_error(response, code, message)

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


def make_api_error(response: httpx.Response, code: str | None, message: str) -> APIError:
    cls = api_error_class(response.status_code)
    hint = ERROR_HINTS.get(code or "") or ERROR_HINTS.get(message)
    shown = (
        f"{response.status_code} {code}: {message}"
        if code
        else f"{response.status_code}: {message}"
    )
    return cls(
        f"the API answered {shown}",
        status_code=response.status_code,
        code=code or cls.code,
        hint=hint,
        request_id=response.headers.get("x-request-id"),
    )


def parse_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadResponseError(
            f"the API answered {response.status_code} with something that is not JSON "
            f"({describe_non_json(response)})",
            status_code=response.status_code,
            hint="the base_url may point at the wrong server; check `seedance profiles show`",
        ) from None


def describe_non_json(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    text = " ".join(response.text[:120].split()) if response.content else "empty body"
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


def normalize_status(word: Any, table: dict[str, TaskStatus]) -> TaskStatus:
    """A dialect's status word as a contract status; unknown words become `unknown`."""
    if not isinstance(word, str):
        return TaskStatus.UNKNOWN
    return table.get(word.strip().lower(), TaskStatus.UNKNOWN)


def require_task_id(data: Any, *keys: str) -> str:
    """The task id from a create answer, or a clear error when the answer has none."""
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    raise BadResponseError(
        "the API accepted the request but its answer has no task id",
        hint="check `seedance tasks list` (or the provider's console) before trying again",
    )
