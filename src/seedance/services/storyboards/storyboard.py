"""The storyboard file (`shots.toml`): its format, and the graph of shots it describes.

[defaults]            any create parameter, for every shot
[[shots]]
id = "dawn"           unique; used in file names
prompt = "..."        or prompt_file = "dawn.txt" (relative to the storyboard)
continue = false      start fresh instead of from the previous shot's last frame
after = "dawn"        start from the last frame of that shot instead
continuity = "frame"  how the parent's last frame is carried: as the first frame ("frame"), as
                      one more reference image ("reference"), or not at all ("none"); by
                      default "frame", or "reference" when the shot has reference media (the
                      API refuses a first frame beside them: docs/sources/real-world.md)
extend = "previous"   continue by extending the previous shot's video (task type extend, ratio
                      adaptive) instead of starting from its last frame
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seedance.domain.documents import parse_toml
from seedance.domain.errors import StoryboardError, Suggestion
from seedance.domain.field_errors import plain_message
from seedance.domain.models import CreateSettings, GenerationParams
from seedance.services.media.references import Confinement, OutsideError, local_path

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ShotSettings(CreateSettings):
    """Every create parameter a storyboard may set, for all shots or one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str | None = None
    images: list[str] | None = None
    videos: list[str] | None = None
    audios: list[str] | None = None
    continuity: Literal["frame", "reference", "none"] | None = None


class ShotEntry(ShotSettings):
    """One `[[shots]]` table."""

    id: str = Field(pattern=ID_PATTERN)
    prompt: str | None = None
    prompt_file: str | None = None
    first_frame: str | None = None
    last_frame: str | None = None
    continue_: bool | None = Field(None, alias="continue")
    after: str | None = None
    extend: Literal["previous"] | None = None


class StoryboardFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: ShotSettings = Field(default_factory=lambda: ShotSettings.model_validate({}))
    shots: list[ShotEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Shot:
    """A shot ready to plan: its parameters merged with the defaults, its place in the graph."""

    index: int  # 1-based, in file order
    id: str
    params: GenerationParams
    parent: str | None
    children: tuple[str, ...] = ()  # the shots that start from its last frame, in file order
    # as the storyboard says (the plan decides when it does not); "extend": the shot extends
    # its parent's video
    continuity: str | None = None

    @property
    def stem(self) -> str:
        """`NN-<id>`: how the shot's files are named."""
        return f"{self.index:02d}-{self.id}"


@dataclass(frozen=True)
class Storyboard:
    path: Path
    shots: tuple[Shot, ...]
    confine: Confinement | None = None  # the folder its local files are in (None: anywhere)

    @cached_property
    def by_id(self) -> dict[str, Shot]:
        """Shots by id, built once (a storyboard never changes once loaded)."""
        return {shot.id: shot for shot in self.shots}

    def descendants(self, shot_id: str) -> list[str]:
        """Every shot that follows `shot_id`, breadth first: O(the shots below it)."""
        return self.descendants_of([shot_id])

    def descendants_of(self, shot_ids: Iterable[str]) -> list[str]:
        """Every shot that follows any of `shot_ids`, each once, breadth first (one of them
        only when it follows another): one walk, however many shots it starts from."""
        by_id = self.by_id
        queue = [child for root in shot_ids for child in by_id[root].children]
        seen: set[str] = set()
        found: list[str] = []
        for child in queue:  # the list grows as the walk goes down
            if child not in seen:
                seen.add(child)
                found.append(child)
                queue.extend(by_id[child].children)
        return found

    def again(self, out_dir: Path, **options: object) -> Suggestion:
        """`chain_again` of this storyboard."""
        return chain_again(self.path, out_dir, **options)


def default_output(storyboard: Path) -> Path:
    """The directory a run writes to unless told otherwise: the file's name, beside it."""
    return storyboard.with_suffix("")


def chain_again(storyboard: Path, out_dir: Path, **options: object) -> Suggestion:
    """A next step: `chain` of this storyboard into `out_dir`, with `options` (`rerun`,
    `restart`...); the directory is named only when it is not the default one."""
    output = None if out_dir == default_output(storyboard) else str(out_dir)
    return Suggestion.of("chain", str(storyboard), output=output, **options)


def confined(path: Path) -> Confinement:
    """A storyboard's local files stay in its folder."""
    return Confinement(path.parent, "the storyboard's folder")


def load(
    path: Path, *, allow_outside: bool = False, confine: Confinement | None = None
) -> Storyboard:
    """Read and check a storyboard; every problem names the file, the shot and the field.
    The local files it names (media, prompt files) must be in its folder (or `confine`'s),
    unless `allow_outside`: nothing is read of one elsewhere."""
    try:
        raw = parse_toml(path.read_text("utf-8"))
    except FileNotFoundError:
        raise StoryboardError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoryboardError(f"{path}: cannot read it: {exc}") from None
    except ValueError as exc:  # TOMLDecodeError, or nested too deeply, a number too long
        raise StoryboardError(f"{path}: not valid TOML: {exc}") from None
    try:
        document = StoryboardFile.model_validate(raw)
    except ValidationError as exc:
        raise StoryboardError(_describe(path, raw, exc)) from None
    return _build(path, document, None if allow_outside else confine or confined(path))


def _describe(path: Path, raw: dict[str, Any], exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = str(path)
    if loc[:1] == ["shots"] and len(loc) > 1 and isinstance(loc[1], int):
        shots = raw.get("shots") or []
        entry = shots[loc[1]] if loc[1] < len(shots) and isinstance(shots[loc[1]], dict) else {}
        where += f": shot '{entry.get('id', loc[1] + 1)}'"
        loc = loc[2:]
    elif loc[:1] == ["defaults"]:
        where += ": [defaults]"
        loc = loc[1:]
    name = ".".join(str(p) for p in loc) or "storyboard"
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown field '{name}'"
    if err["type"] == "missing":
        return f"{where}: '{name}' is required"
    message = plain_message(err)
    if err["type"] == "string_pattern_mismatch":
        message = "ids use letters, digits, '-', '_' and '.' (at most 64)"
    return f"{where}: field '{name}': {message}"


def _build(path: Path, document: StoryboardFile, confine: Confinement | None) -> Storyboard:
    base = path.parent
    defaults = document.defaults.model_dump(exclude_none=True)
    seen: set[str] = set()
    shots: list[Shot] = []
    for number, entry in enumerate(document.shots, start=1):
        where = f"{path}: shot '{entry.id}'"
        if entry.id in seen:
            raise StoryboardError(f"{where}: the id is used twice")
        seen.add(entry.id)
        if confine is not None and entry.prompt_file is not None:
            read = base / entry.prompt_file  # as _prompt reads it
            _check_inside(confine, where, "prompt_file", "prompt file", entry.prompt_file, read)
        prompt = _prompt(entry, base, where)
        own = entry.model_dump(include=set(ShotSettings.model_fields), exclude_none=True)
        values = {**defaults, **own}
        continuity = values.pop("continuity", None)
        if entry.extend is not None:
            values, continuity = _extending(entry, own, values, shots, where)
        params = GenerationParams(
            prompt=prompt, first_frame=entry.first_frame, last_frame=entry.last_frame, **values
        )
        if confine is not None:
            for field_name, source in _media(params):
                found = local_path(source, base)
                if found is not None:
                    _check_inside(confine, where, field_name, "file", source, found)
        parent = _parent(entry, shots, where, continuity)
        if parent is None and entry.continuity in ("frame", "reference"):
            raise StoryboardError(
                f'{where}: continuity = "{entry.continuity}" but the shot starts fresh: it '
                "has no shot to continue from"
            )
        shots.append(Shot(number, entry.id, params, parent, continuity=continuity))
    children: dict[str, list[str]] = {shot.id: [] for shot in shots}
    for shot in shots:
        if shot.parent is not None:
            if shot.parent not in children:
                raise StoryboardError(
                    f"{path}: shot '{shot.id}': after = '{shot.parent}' names no shot"
                )
            if shot.parent == shot.id:
                raise StoryboardError(f"{path}: shot '{shot.id}': a shot cannot come after itself")
            children[shot.parent].append(shot.id)
    board = Storyboard(
        path,
        tuple(replace(shot, children=tuple(children[shot.id])) for shot in shots),
        confine,
    )
    _check_cycles(board)
    return board


def _extending(
    entry: ShotEntry,
    own: dict[str, Any],
    values: dict[str, Any],
    earlier: list[Shot],
    where: str,
) -> tuple[dict[str, Any], str]:
    """A shot that extends the previous shot's video: task type extend, the video's own shape
    (the defaults' ratio and size left out; its own, if any, checked like any request)."""
    if not earlier:
        raise StoryboardError(f'{where}: extend = "previous" but there is no previous shot')
    for key, clash in (
        ("after", entry.after is not None),
        ("continue = false", entry.continue_ is False),
        ("first_frame", entry.first_frame is not None),
        ("last_frame", entry.last_frame is not None),
        ("continuity", entry.continuity is not None),
    ):
        if clash:
            raise StoryboardError(
                f'{where}: extend = "previous" continues the previous shot\'s video; remove '
                f"'{key}'"
            )
    if own.get("task_type") not in (None, "extend"):
        raise StoryboardError(
            f'{where}: extend = "previous" is task type extend, not {own["task_type"]}'
        )
    kept = {k: v for k, v in values.items() if k not in ("ratio", "size") or k in own}
    return {**kept, "task_type": "extend"}, "extend"


def _media(params: GenerationParams) -> list[tuple[str, str]]:
    """(field, source) of every medium a shot names."""
    found = [(name, getattr(params, name)) for name in ("first_frame", "last_frame")]
    for name in ("images", "videos", "audios"):
        found += [(name, source) for source in getattr(params, name)]
    return [(name, source) for name, source in found if source]


def _check_inside(
    confine: Confinement, where: str, field_name: str, what: str, source: str, path: Path
) -> None:
    """A local file a shot names in `confine`'s folder (before anything is read of it)."""
    try:
        confine.check(path, source, what=what, field=field_name)
    except OutsideError as exc:
        raise StoryboardError(
            f"{where}: field '{field_name}': {exc.message}",
            code=exc.code,
            reason=exc.reasons,
            field=field_name,
            suggestion=exc.suggestion,
        ) from None


def _prompt(entry: ShotEntry, base: Path, where: str) -> str | None:
    if entry.prompt is not None and entry.prompt_file is not None:
        raise StoryboardError(f"{where}: give prompt or prompt_file, not both")
    if entry.prompt_file is None:
        return entry.prompt
    file = base / entry.prompt_file
    try:
        return file.read_text("utf-8").strip() or None
    except FileNotFoundError:
        raise StoryboardError(f"{where}: field 'prompt_file': {file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoryboardError(f"{where}: field 'prompt_file': cannot read {file}: {exc}") from None


def _parent(
    entry: ShotEntry, earlier: list[Shot], where: str, continuity: str | None
) -> str | None:
    own_frame_allowed = continuity == "none"  # it follows, but takes no frame from its parent
    if continuity == "extend":
        return earlier[-1].id
    if entry.after is not None:
        if entry.continue_ is False:
            raise StoryboardError(f"{where}: 'after' and 'continue = false' contradict each other")
        if entry.first_frame is not None and not own_frame_allowed:
            raise StoryboardError(
                f"{where}: a shot with 'after' starts from that shot's last "
                "frame; remove 'first_frame'"
            )
        return entry.after
    if entry.continue_ is False or not earlier:
        return None
    if entry.first_frame is not None and not own_frame_allowed:
        if entry.continue_ is True:
            raise StoryboardError(
                f"{where}: 'continue = true' starts from the previous shot's "
                "last frame; remove 'first_frame'"
            )
        raise StoryboardError(
            f"{where}: has its own 'first_frame' but would start from the previous shot's last "
            "frame; add 'continue = false' to use your own"
        )
    return earlier[-1].id


def _check_cycles(board: Storyboard) -> None:
    """Every shot's chain of parents must end: O(shots), since a walk stops at a shot whose
    chain is already known to end (such a shot cannot be on a loop)."""
    by_id = board.by_id
    ends: set[str] = set()  # shots whose chain of parents ends
    for shot in board.shots:
        seen = {shot.id: None}  # the walk so far, in order
        current = shot.parent
        while current is not None and current not in ends:
            if current in seen:
                loop = " -> ".join([*reversed(seen), current])
                raise StoryboardError(f"{board.path}: shots depend on each other in a loop: {loop}")
            seen[current] = None
            current = by_id[current].parent
        ends.update(seen)
