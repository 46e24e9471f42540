"""Reference media: what the user wrote (URL, asset://ID, data: URI or local path) into what the
provider accepts (https URL, asset://ID or data: URI)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from seedance.domain import media
from seedance.domain.errors import Suggestion, UsageError, ValidationError
from seedance.domain.models import GenerationParams, MediaKind, Reference, Role
from seedance.domain.validation import ROLE_FIELDS

Form = Literal["url", "asset", "data", "file"]


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


def normalize_asset(ref: str) -> str:
    """`Asset://x` and `ASSET://x` are `asset://x` (docs/sources/phanedge.txt §10)."""
    return "asset://" + ref[len("asset://") :]


def classify(source: str, role: Role, base_dir: Path | None = None) -> RefSpec:
    text = source.strip()
    low = text.lower()
    if low.startswith("asset://"):
        if len(text) <= len("asset://"):
            raise UsageError(f"{source!r} names no asset", hint="write asset://ID")
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
                hint="give data:image/png;base64,... or a file path",
            )
        return RefSpec(role, text, "data")
    path = Path(text).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise UsageError(
            f"{role.kind} file {path} {what}",
            hint="give a local file, an https:// URL or asset://ID",
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
            hint=f"give it as a reference {found}",
            field=field[found],
        )


def plan(params: GenerationParams, base_dir: Path | None = None) -> list[RefSpec]:
    """Every reference of a request, in wire order: frames, images, videos, audios."""
    pairs: list[tuple[str, Role]] = []
    if params.first_frame:
        pairs.append((params.first_frame, Role.FIRST_FRAME))
    if params.last_frame:
        pairs.append((params.last_frame, Role.LAST_FRAME))
    pairs += [(s, Role.REFERENCE_IMAGE) for s in params.images]
    pairs += [(s, Role.REFERENCE_VIDEO) for s in params.videos]
    pairs += [(s, Role.REFERENCE_AUDIO) for s in params.audios]
    return [classify(source, role, base_dir) for source, role in pairs]


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
) -> list[Reference]:
    """Each reference in a form the provider accepts; on an assets-only profile, as assets.

    `assets` gives the profile's asset library, asked for only when a medium needs it.
    With `dry_run`, nothing is uploaded: a medium not yet an asset shows as a placeholder.
    """
    out = []
    for spec in specs:
        url = _resolve_one(
            spec, needs_assets=needs_assets, assets=assets, check=check, dry_run=dry_run
        )
        seconds = (
            media.media_seconds(spec.path)
            if spec.path and spec.kind is not MediaKind.IMAGE
            else None
        )
        out.append(Reference(role=spec.role, url=url, source=spec.source, seconds=seconds))
    return out


def _resolve_one(
    spec: RefSpec,
    *,
    needs_assets: bool,
    assets: Callable[[], AssetResolver | None],
    check: bool,
    dry_run: bool,
) -> str:
    if spec.form == "asset" or (spec.form in ("url", "data") and not needs_assets):
        return spec.source
    if spec.form == "file" and not needs_assets:
        if spec.kind is MediaKind.IMAGE:
            return local_image(spec.path or Path(spec.source), check=check)
        if assets() is None:
            raise UsageError(
                f"local {spec.kind} files cannot be sent inline: {spec.source}",
                hint="use an https:// URL, or make it an asset with",
                suggestion=Suggestion.of("assets.upload", spec.source),
            )
    if spec.form == "data":
        raise UsageError(
            "this profile takes media only as asset://ID, and a data: URI cannot become one",
            hint="pass the file's path or a public URL instead",
        )
    library = assets()
    if library is None:
        raise UsageError(
            f"this profile takes media only as asset://ID: {spec.source}",
            hint="configure its asset library (assets_url) or upload the medium yourself",
        )
    source: str | Path = spec.path if spec.path is not None else spec.source
    if dry_run:  # nothing uploaded; what the upload would refuse, refused now
        found = library.cached(source)
        if found is None and spec.path is not None:
            library.check_publishable(spec.path)
        return found or f"asset://<from {spec.source}>"
    if spec.path is not None:
        return library.asset_for_file(spec.path, spec.kind)
    return library.asset_for_url(spec.source, spec.kind)
