"""Edit and extend: a new video made from an existing one, by task type (Seedance 2.5's
`omni_reference_task_type`, docs/sources/november-2026.md "Task types").

An edit changes its video as the prompt says (the new video has its length and shape: ratio
adaptive, duration -1); an extension continues it (ratio adaptive; its duration is the new
part's). The video is a reference video like any other (a local file reaches the API the way
any local reference video does); it may also be named by the id of a task whose video
seedance saved. Everything else is an ordinary create: checked, priced, journaled.

Small on purpose (narrow inputs: the journal, the working directory), so the library's
resources can call it wherever they end up.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import UsageError
from seedance.domain.models import GenerationParams
from seedance.domain.profiles import Profile
from seedance.services.videos.prepare import resolve_model

Kind = Literal["edit", "extend"]
KINDS: tuple[Kind, ...] = ("edit", "extend")
_REFERENCE_PREFIXES = ("https://", "http://", "asset://", "data:")


class SavedVideos(Protocol):
    """What the journal knows of a task: where its video was saved, and its digest."""

    def find(self, task_id: str) -> Any: ...


def source_video(given: str, journal: SavedVideos, cwd: Path | None = None) -> str:
    """The video to edit or extend as a reference: a URL, an asset:// id or a local file as
    given; a task id whose video seedance saved (and that is still the file it saved), that
    file's path. UsageError (exit 2) when it is none of these."""
    text = given.strip()
    if not text:
        raise UsageError("give the video to work on", reason="video_source_forms")
    if text.lower().startswith(_REFERENCE_PREFIXES):
        return text
    path = Path(text).expanduser()
    if not path.is_absolute() and cwd is not None:
        path = cwd / path
    if path.exists():
        return text
    entry = journal.find(text)
    if entry is None:
        raise UsageError(
            f"{text} is neither a video file, a URL, an asset:// id nor a task in the journal",
            reason="video_task_unknown",
            field="video",
        )
    saved = Path(entry.saved_path) if entry.saved_path else None
    if saved is None or not saved.is_file():
        raise UsageError(
            f"task {text}'s video is not saved on this machine",
            reason="video_task_unsaved",
            field="video",
        )
    if entry.sha256 and _sha256(saved) != entry.sha256:
        raise UsageError(
            f"{saved} is no longer the video task {text} made (it changed since it was saved)",
            reason="video_task_changed",
            field="video",
        )
    return str(saved)


def _sha256(path: Path) -> str:
    from seedance.services.assets.cache import file_sha256

    return file_sha256(path)


def task_params(
    kind: Kind, video: str, prompt: str | None, settings: Mapping[str, Any]
) -> GenerationParams:
    """The create parameters of an edit or an extension of `video`: the video as the first
    reference video, the task type, and what the type needs unless the caller says otherwise
    (ratio adaptive; an edit's duration -1: the checks refuse anything else)."""
    values = {k: v for k, v in settings.items() if v is not None and v != []}
    values.pop("videos", None)
    values["ratio"] = values.get("ratio") or "adaptive"
    if kind == "edit":
        values["duration"] = values.get("duration", -1)
    return GenerationParams(prompt=prompt, videos=[video], task_type=kind, **values)


def model_for(profile: Profile, kind: Kind, named: str | None) -> tuple[str | None, str | None]:
    """The model an edit or extension goes to, and what to say about it: the one named; else
    the profile's, when it takes this task type; else this provider's first model that does
    (said, since that is not the profile's model: its price differs)."""
    if named:
        return named, None
    default = profile.defaults.get("model") or profile.model
    spec = resolve_model(profile, default if isinstance(default, str) else None, validate=False)
    if spec is None or kind in spec.family.task_types:
        return None, None
    able = catalogue().models_able(profile.vocabulary, task_types=kind)
    if not able:
        return None, None
    return able[0], (
        f"{spec.name} (the profile's model) takes no task type {kind}: {able[0]} is used"
    )
