"""Reference media: what the user wrote (URL, asset://ID, data: URI or local path) into what the
provider accepts (https URL, asset://ID or data: URI)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from seedance.domain import media
from seedance.domain.errors import Reason, SeedanceError, Suggestion, UsageError, ValidationError
from seedance.domain.media_bounds import MediaBounds
from seedance.domain.models import GenerationParams, MediaKind, Reference, Role
from seedance.domain.paths import is_inside
from seedance.domain.validation import ROLE_FIELDS

Form = Literal["url", "asset", "data", "file"]
# What a dry run puts where a medium is not uploaded yet (an asset, a presigned URL)
PLACEHOLDERS = ("asset://<", "<")
# data:audio/<format> by the file's suffix (the sources show wav and mp3)
AUDIO_TYPES = {"mp3": "mp3", "wav": "wav", "m4a": "m4a", "aac": "aac", "ogg": "ogg"}


def is_placeholder(url: str) -> bool:
    """Whether a reference is still what a dry run put in place of an upload."""
    return url.startswith(PLACEHOLDERS)


@dataclass(frozen=True)
class RefSpec:
    """One reference as the user gave it, classified."""

    role: Role
    source: str
    form: Form
    path: Path | None = None

    @property
    def kind(self) -> MediaKind:
        return self.role.kind


class AssetResolver(Protocol):
    """Turns media into Active assets of the profile's asset library (see core/assets.py)."""

    def asset_for_url(self, url: str, kind: MediaKind) -> str:
        """`asset://ID` for a public URL."""

    def asset_for_file(self, path: Path, kind: MediaKind) -> str:
        """`asset://ID` for a local file (published first by the profile's upload_cmd)."""

    def cached(self, source: str | Path) -> str | None:
        """The asset already made from this source, without any request."""

    def check_publishable(self, path: Path) -> None:
        """Raise what `asset_for_file` would raise before any request (no upload_cmd, one
        that cannot be split): a dry run's rehearsal of an upload."""


class Publisher(Protocol):
    """Publishes local files as URLs the API fetches (services/media/storage.py)."""

    def planned(self, path: Path) -> str:
        """What a dry run shows for `path` (nothing sent)."""

    def publish(self, path: Path, *, lifetime: int | None = None) -> Any:
        """`path` as a URL (`.url`, a secret) and what it is (`.location`)."""


def normalize_asset(ref: str) -> str:
    """`Asset://x` and `ASSET://x` are `asset://x` (docs/sources/phanedge.txt §10)."""
    return "asset://" + ref[len("asset://") :]


@dataclass(frozen=True)
class Confinement:
    """The folder local files must be in (every symbolic link followed, every `..`
    resolved): a jobs file's or a storyboard's own, or an MCP server's output folder. `name`
    says which, in words; `can_allow`: the operation can be told to read elsewhere
    (`allow_outside`)."""

    root: Path
    name: str
    can_allow: bool = True
    reason: str = "outside_folder"  # why it is refused, by name (the front ends word it)

    def check(self, path: Path, source: str, *, what: str, field: str | None) -> None:
        """Raise OutsideError when `path` (given as `source`) leads out of the folder."""
        if is_inside(path, self.root):
            return
        leads_to = os.path.realpath(path)  # where `..` and links lead
        shown = source if source.strip() == leads_to else f"{source} (that is {leads_to})"
        raise OutsideError(
            f"{what} {shown} is outside {self.name} {self.root}",
            reason=[Reason(self.reason), *([Reason("trust_outside")] if self.can_allow else [])],
            field=field,
            suggestion=Suggestion.again(allow_outside=True) if self.can_allow else None,
        )


class OutsideError(UsageError):
    """A local file named by a jobs file, a storyboard or an agent, outside its folder."""

    code = "outside_folder"


def local_path(source: str, base_dir: Path | None = None) -> Path | None:
    """The file a reference names, when it names a local file (None for a URL, an asset or
    a data: URI)."""
    text = source.strip()
    if text.lower().startswith(("asset://", "https://", "http://", "data:")):
        return None
    path = Path(text).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return path


def classify(
    source: str, role: Role, base_dir: Path | None = None, confine: Confinement | None = None
) -> RefSpec:
    text = source.strip()
    low = text.lower()
    if low.startswith("asset://"):
        if len(text) <= len("asset://"):
            raise UsageError(f"{source!r} names no asset", reason="asset_id_form")
        return RefSpec(role, normalize_asset(text), "asset")
    if low.startswith(("https://", "http://")):
        _check_kind(source, role)
        return RefSpec(role, text, "url")
    if low.startswith("data:"):
        if role.kind is not MediaKind.IMAGE:
            raise UsageError(f"a data: URI can only carry an image, not a {role.kind}")
        if not low.startswith("data:image/"):
            media_type = low[5:].split(";", 1)[0] or "no media type"
            raise UsageError(
                f"this data: URI holds {media_type}, which does not look like an image",
                reason="data_url_form",
            )
        return RefSpec(role, text, "data")
    path = local_path(text, base_dir)
    assert path is not None
    if confine is not None:  # before anything is read of it, or told of it
        confine.check(path, source, what=f"{role.kind} file", field=ROLE_FIELDS[role])
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise UsageError(
            f"{role.kind} file {path} {what}",
            reason="reference_unusable",
        )
    _check_kind(str(path), role)
    return RefSpec(role, text, "file", path)


def _check_kind(name: str, role: Role) -> None:
    found = media.kind_of(name)
    if found is not None and found is not role.kind:
        field = {MediaKind.IMAGE: "images", MediaKind.VIDEO: "videos", MediaKind.AUDIO: "audios"}
        raise UsageError(
            f"{name} looks like {'an' if found is MediaKind.AUDIO else 'a'} {found}, "
            f"not {'an' if role.kind is MediaKind.IMAGE else 'a'} {role.kind}",
            reason=Reason.of("wrong_media_kind", kind=str(found)),
            field=field[found],
        )


def plan(
    params: GenerationParams, base_dir: Path | None = None, confine: Confinement | None = None
) -> list[RefSpec]:
    """Every reference of a request, in wire order: frames, images, videos, audios; local
    files inside `confine`'s folder when given."""
    pairs: list[tuple[str, Role]] = []
    if params.first_frame:
        pairs.append((params.first_frame, Role.FIRST_FRAME))
    if params.last_frame:
        pairs.append((params.last_frame, Role.LAST_FRAME))
    pairs += [(s, Role.REFERENCE_IMAGE) for s in params.images]
    pairs += [(s, Role.REFERENCE_VIDEO) for s in params.videos]
    pairs += [(s, Role.REFERENCE_AUDIO) for s in params.audios]
    return [classify(source, role, base_dir, confine) for source, role in pairs]


def local_image(path: Path, *, check: bool = True) -> str:
    """A local image as a data: URI, after the API's image rules (unless `check` is off)."""
    data, info = _read_image(path, check=check)
    return media.data_uri(data, info or media.ImageInfo("png", None, None))


def _read_image(path: Path, *, check: bool) -> tuple[bytes, media.ImageInfo | None]:
    """A local image's bytes and format, refused (ValidationError) when the API would not
    take it or it is not a whole image (unless `check` is off)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    info = media.image_info(data[:65536])
    problems = media.image_problems(path, info, len(data), data) if check else []
    if problems:
        raise ValidationError("; ".join(problems))
    return data, info


def check_local(specs: list[RefSpec], *, check: bool = True) -> None:
    """Every local file read and checked before anything is uploaded or sent: an image that
    the API would refuse, or that is cut short, stops the request here."""
    for spec in specs:
        if spec.path is None:
            continue
        if spec.kind is MediaKind.IMAGE:
            try:
                _read_image(spec.path, check=check)
            except ValidationError as exc:
                exc.field = ROLE_FIELDS[spec.role]
                raise
        else:
            try:
                with spec.path.open("rb") as handle:
                    handle.read(1)
            except OSError as exc:
                raise UsageError(f"cannot read {spec.path}: {exc.strerror}") from None


def resolve(
    specs: list[RefSpec],
    *,
    needs_assets: bool,
    assets: Callable[[], AssetResolver | None],
    check: bool = True,
    dry_run: bool = False,
    publisher: Callable[[], Publisher | None] = lambda: None,
    bounds: MediaBounds | None = None,
    seconds: dict[Path, float] | None = None,
    lifetime: int | None = None,
    measure: Callable[[str], float | None] | None = None,
) -> list[Reference]:
    """Each reference in a form the provider accepts; on an assets-only profile, as assets.

    `assets` gives the profile's asset library and `publisher` its bucket, asked for only
    when a medium needs one: local images go inline, local audio too where the `bounds` say
    the API takes it (else it is a URL like a video), other local media are published to the
    bucket (a presigned URL, signed for `lifetime` seconds) or made assets. With `dry_run`,
    nothing is uploaded: a medium not yet uploaded shows as a placeholder. `seconds` are the
    lengths already measured (services/media/preflight.py); reference videos by URL are
    measured too when `measure` is given (services/media/remote_media.py: input video
    seconds are billed).
    """
    out = []
    known = seconds or {}
    for spec in specs:
        url, stands_for = _resolve_one(
            spec,
            needs_assets=needs_assets,
            assets=assets,
            check=check,
            dry_run=dry_run,
            publisher=publisher,
            bounds=bounds,
            lifetime=lifetime,
        )
        length = None
        if spec.path and spec.kind is not MediaKind.IMAGE:
            length = known.get(spec.path)
            if length is None:
                length = media.media_seconds(spec.path)
        elif measure is not None and spec.form == "url" and spec.kind is MediaKind.VIDEO:
            length = measure(spec.source)
        out.append(
            Reference(
                role=spec.role, url=url, source=spec.source, seconds=length, stands_for=stands_for
            )
        )
    return out


def _resolve_one(
    spec: RefSpec,
    *,
    needs_assets: bool,
    assets: Callable[[], AssetResolver | None],
    check: bool,
    dry_run: bool,
    publisher: Callable[[], Publisher | None],
    bounds: MediaBounds | None,
    lifetime: int | None,
) -> tuple[str, str | None]:
    """The reference on the wire, and what stands for it where a secret URL may not go."""
    if spec.form == "asset" or (spec.form in ("url", "data") and not needs_assets):
        return spec.source, None
    if spec.form == "file" and not needs_assets:
        path = spec.path or Path(spec.source)
        if spec.kind is MediaKind.IMAGE:
            return local_image(path, check=check), None
        inline = bounds is not None and bounds.audio_inline
        if spec.kind is MediaKind.AUDIO and (inline or (bounds is not None and not check)):
            return local_audio(path, bounds, check=check), None
        bucket = publisher()
        if bucket is not None:
            if dry_run:
                return bucket.planned(path), None
            made = bucket.publish(path, lifetime=lifetime)
            return made.url, made.location
        if assets() is None:
            raise _cannot_send(spec, bounds)
    if spec.form == "data":
        raise UsageError(
            "this profile takes media only as asset://ID, and a data: URI cannot become one",
            reason="reference_not_public",
        )
    library = assets()
    if library is None:
        raise UsageError(
            f"this profile takes media only as asset://ID: {spec.source}",
            reason="reference_needs_asset_library",
        )
    source: str | Path = spec.path if spec.path is not None else spec.source
    if dry_run:  # nothing uploaded; what the upload would refuse, refused now
        found = library.cached(source)
        if found is None and spec.path is not None:
            library.check_publishable(spec.path)
        return found or f"asset://<from {spec.source}>", None
    if spec.path is not None:
        return library.asset_for_file(spec.path, spec.kind), None
    return library.asset_for_url(spec.source, spec.kind), None


def _cannot_send(spec: RefSpec, bounds: MediaBounds | None) -> SeedanceError:
    """Why a local video or audio cannot reach the API from this profile, and the ways it can."""
    if spec.kind is MediaKind.AUDIO and bounds is not None:
        rule = bounds.rule("audio_inline")
        return ValidationError(
            f"local audio cannot be sent inline on this profile: {spec.source} (no source says "
            f"its API takes data:audio; catalogue {rule.name} is off)",
            rule=rule,
            field="audios",
            reason="local_media_ways",
            suggestion=Suggestion.of("assets.upload", spec.source),
        )
    return UsageError(
        f"local {spec.kind} files cannot be sent inline: {spec.source}",
        reason="local_media_ways",
        field=ROLE_FIELDS[spec.role],
        suggestion=Suggestion.of("assets.upload", spec.source),
    )


def local_audio(path: Path, bounds: MediaBounds | None, *, check: bool = True) -> str:
    """A local audio file as `data:audio/<format>;base64,...`, within the bounds' size (which
    the sources measure on the base64 text) unless `check` is off."""
    import base64

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    text = base64.b64encode(data).decode("ascii")
    most = bounds.audio_max_bytes if bounds is not None else None
    if check and bounds is not None and most is not None and len(text) > most:
        raise ValidationError(
            f"{path.name}: inline, it is {len(text) / 2**20:.1f} MB of base64; a reference "
            f"audio is at most {most / 2**20:.1f} MB",
            rule=bounds.rule("audio_max_bytes"),
            field="audios",
            reason="inline_too_large",
        )
    kind = AUDIO_TYPES.get(path.suffix.lower().lstrip("."), path.suffix.lower().lstrip("."))
    return f"data:audio/{kind or 'wav'};base64,{text}"
