"""The domain: what a user asks for, and the task a provider answers with (dialect-neutral)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypedDict, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from seedance.domain.errors import UsageError


class Listed(Protocol):
    """What a page holds: anything that renders itself as JSON."""

    def to_json(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=Listed)


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_failure(self) -> bool:
        return self in _FAILURES


_TERMINAL = frozenset(
    {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.EXPIRED, TaskStatus.CANCELLED}
)
_FAILURES = frozenset({TaskStatus.FAILED, TaskStatus.EXPIRED, TaskStatus.CANCELLED})


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


class Role(StrEnum):
    FIRST_FRAME = "first_frame"
    LAST_FRAME = "last_frame"
    REFERENCE_IMAGE = "reference_image"
    REFERENCE_VIDEO = "reference_video"
    REFERENCE_AUDIO = "reference_audio"

    @property
    def kind(self) -> MediaKind:
        if self is Role.REFERENCE_VIDEO:
            return MediaKind.VIDEO
        if self is Role.REFERENCE_AUDIO:
            return MediaKind.AUDIO
        return MediaKind.IMAGE


class Reference(BaseModel):
    """One reference medium as it goes on the wire: an https URL, asset:// id or data: URI."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    role: Role
    url: str
    source: str | None = None  # what the user wrote (a path, a URL), for messages
    seconds: float | None = None  # a video's or audio's length, when known
    # what the URL is, where the URL itself may not go (a presigned URL is a secret: the
    # journal, manifests and messages show this instead, e.g. s3://bucket/key)
    stands_for: str | None = None

    @property
    def kind(self) -> MediaKind:
        return self.role.kind


class CreateSettings(BaseModel):
    """The create parameters every form of a request shares (the `create` options)."""

    model_config = ConfigDict(defer_build=True)

    duration: int | None = None
    ratio: str | None = None
    resolution: str | None = None
    size: str | None = None
    generate_audio: bool | None = None
    watermark: bool | None = None
    seed: int | None = None
    camera_fixed: bool | None = None
    draft: bool | None = None
    return_last_frame: bool | None = None
    callback_url: str | None = Field(
        None, validation_alias=AliasChoices("callback_url", "CallbackURL")
    )  # docs/sources/phanedge.txt: CallbackURL is an alias
    service_tier: str | None = None
    priority: int | None = None
    expires_after: int | None = None
    safety_id: str | None = None
    output_format: str | None = None  # mp4 | mov, where the model offers a choice
    # omni_reference_task_type (2.5): auto | reference | edit | extend (docs/sources/
    # november-2026.md "Task types")
    task_type: str | None = None

    @field_validator("resolution")
    @classmethod
    def _resolution_folded(cls, value: str | None) -> str | None:
        """`4K`, `720P`: resolutions are names in lower case (`4k`, `720p`) on every API."""
        return value.strip().lower() if isinstance(value, str) else value


class GenerationParams(CreateSettings):
    """Everything `create` accepts, before the profile's defaults and the model are applied.

    References are still as the user wrote them (URL, asset://, local path).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    prompt: str | None = None
    model: str | None = None
    images: list[str] = Field(default_factory=list)
    first_frame: str | None = None
    last_frame: str | None = None
    videos: list[str] = Field(default_factory=list)
    audios: list[str] = Field(default_factory=list)

    def with_defaults(self, defaults: dict[str, Any]) -> GenerationParams:
        """Fill every unset field from `defaults` (a profile's or a storyboard's)."""
        data = self.model_dump()
        for key, value in defaults.items():
            if key in data and (data[key] is None or data[key] == []):
                data[key] = value
        return GenerationParams.model_validate(data)

    def settings(self) -> dict[str, Any]:
        """The shared create parameters, without the model, prompt and references."""
        return self.model_dump(include=set(CreateSettings.model_fields))


def asks_last_frame(given: bool | None, output: object | None) -> bool | None:
    """Whether a request asks the API for its last frame: as given, and always when the last
    frame will be saved somewhere (an output for it); None leaves it to the defaults."""
    return True if given or output is not None else None


class VideoRequest(TypedDict, total=False):
    """`GenerationParams` as keyword arguments (`client.videos.generate(prompt=..., duration=5)`):
    the same names and types, for type checkers (tests/domain keeps the two alike)."""

    prompt: str | None
    model: str | None
    images: list[str]
    first_frame: str | None
    last_frame: str | None
    videos: list[str]
    audios: list[str]
    duration: int | None
    ratio: str | None
    resolution: str | None
    size: str | None
    generate_audio: bool | None
    watermark: bool | None
    seed: int | None
    camera_fixed: bool | None
    draft: bool | None
    return_last_frame: bool | None
    callback_url: str | None
    service_tier: str | None
    priority: int | None
    expires_after: int | None
    safety_id: str | None
    output_format: str | None
    task_type: str | None


class GenerationRequest(CreateSettings):
    """A validated request for one provider: model id in its vocabulary, references resolved."""

    model: str
    prompt: str | None = None
    references: list[Reference] = Field(default_factory=list)
    draft_task: str | None = None  # a final made from this draft task (content item draft_task)

    def refs(self, role: Role) -> list[Reference]:
        return [r for r in self.references if r.role is role]

    def refs_of(self, kind: MediaKind) -> list[Reference]:
        return [r for r in self.references if r.kind is kind]


class TaskError(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    message: str


class Usage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    completion_tokens: int | None = None
    total_tokens: int | None = None


class Task(BaseModel):
    """A task normalized from any dialect: the JSON contract of the README's "JSON output"."""

    model_config = ConfigDict(defer_build=True)

    id: str
    status: TaskStatus = TaskStatus.UNKNOWN
    progress: int | None = None
    model: str | None = None
    profile: str | None = None
    video_url: str | None = None
    last_frame_url: str | None = None
    # the prompt as the model rewrote it, and a generated file's URL, when the answer has them
    # (the SDKs' task type: docs/sources/november-2026.md "The answer")
    revised_prompt: str | None = None
    file_url: str | None = None
    error: TaskError | None = None
    usage: Usage | None = None
    duration: int | None = None
    resolution: str | None = None
    ratio: str | None = None
    seed: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
    poll_after: float | None = Field(default=None, exclude=True)  # a server's poll hint, seconds
    # The task's queue-expiry setting as the server echoes it (Ark: execution_expires_after),
    # None when the answer leaves it out; seedance's identity nonce for a create.
    expires_after: int | None = Field(default=None, exclude=True)
    # The task's safety identifier as the server echoes it (Ark: safety_identifier), None when
    # the answer leaves it out; part of seedance's identity for a create.
    safety_id: str | None = Field(default=None, exclude=True)
    output_format: str | None = Field(default=None, exclude=True)  # the video's container
    draft: bool | None = Field(default=None, exclude=True)  # a draft (480p preview), if said

    @property
    def video_suffix(self) -> str:
        """The file extension its video is saved with: `.mov` for a mov, else `.mp4`."""
        return video_suffix(self.output_format)

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if self.usage is not None:
            data["usage"] = {"completion_tokens": self.usage.completion_tokens}
        return data


def video_suffix(output_format: str | None) -> str:
    """`.mov` or `.mp4`: the saved file's extension follows the output format."""
    return ".mov" if (output_format or "").lower() == "mov" else ".mp4"


class DownloadResult(BaseModel):
    model_config = ConfigDict(defer_build=True)

    path: str
    bytes: int
    sha256: str


def from_unix(value: Any) -> datetime | None:
    """A unix timestamp (int, float or numeric string) as an aware datetime; None if unusable."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# -- the asset library -----------------------------------------------------------------------


class AssetStatus(StrEnum):
    PROCESSING = "Processing"
    ACTIVE = "Active"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, word: Any) -> AssetStatus:
        text = word.strip().lower() if isinstance(word, str) else ""
        return next((s for s in cls if s.value.lower() == text), cls.UNKNOWN)


class Asset(BaseModel):
    """One medium in the asset library."""

    model_config = ConfigDict(defer_build=True)

    id: str
    group_id: str | None = None
    type: str | None = None  # Image | Video | Audio
    name: str | None = None
    status: AssetStatus = AssetStatus.UNKNOWN
    url: str | None = None
    error: str | None = None  # why it Failed
    created_at: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"asset://{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, **self.model_dump(mode="json")}


class AssetGroup(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str | None = None
    type: str | None = None
    description: str | None = None
    created_at: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int | None
    page: int
    page_size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [item.to_json() for item in self.items],
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
        }


def asset_id(text: str) -> str:
    """`asset://ID`, `Asset://ID` or a bare `ID` as the bare id."""
    text = text.strip()
    bare = text[len("asset://") :] if text.lower().startswith("asset://") else text
    if not bare:
        raise UsageError(f"{text!r} names no asset", reason="asset_id_forms")
    return bare
