"""Every local reference video and audio measured against the API's bounds before anything is
paid (catalogue `[media]`, domain/media_bounds.py): a video's container, codec, pixels, frame
rate, size and length; an audio's format, size and length; and the whole request body's size.

A refusal names the file, what was measured and the bound, with the catalogue rule it comes
from (so the front ends can say how to send it anyway). Without PyAV a video is checked for its
size only, and a notice says so. With `fit`, a video out of bounds in ways a re-encode mends
(pixels, frame rate, codec, container) is re-encoded (services/media/fit.py) and that file is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seedance.domain.errors import Rule, Suggestion, ValidationError
from seedance.domain.media_bounds import MediaBounds
from seedance.domain.models import MediaKind
from seedance.domain.validation import ROLE_FIELDS
from seedance.services.media.probe import MediaFacts, available, measure
from seedance.services.media.references import RefSpec

NO_PYAV = (
    "PyAV is not installed, so reference videos and audio were checked for their size only "
    "(not their pixels, frame rate, codec or length): install seedance[video] to check them "
    "before paying"
)


@dataclass(frozen=True)
class Breach:
    """One bound a medium is out of: what was measured, the bound, and whether a re-encode
    mends it."""

    message: str
    rule: Rule
    fixable: bool = False


@dataclass(frozen=True)
class Checked:
    """The references after the preflight (a fitted video in place of its source), the
    measured lengths by source, and what to tell the user."""

    specs: list[RefSpec]
    seconds: dict[Path, float]
    notes: list[str]


def preflight(
    specs: list[RefSpec],
    bounds: MediaBounds,
    *,
    validate: bool = True,
    fit: bool = False,
    dry_run: bool = False,
    data_dir: Path | None = None,
    made_here: frozenset[Path] = frozenset(),
) -> Checked:
    """Measure every local video and audio; refuse (ValidationError) what is out of bounds
    unless `validate` is off; with `fit`, re-encode what a re-encode mends (a dry run only
    says what it would change). A video in `made_here` (the service's own output, verified)
    is measured, never refused: the service takes what it made."""
    out: list[RefSpec] = []
    ours = {path.resolve() for path in made_here}  # the service's own outputs
    seconds: dict[Path, float] = {}
    notes: list[str] = []
    for spec in specs:
        if spec.path is None or spec.kind is MediaKind.IMAGE:
            out.append(spec)
            continue
        video = spec.kind is MediaKind.VIDEO
        facts = measure(spec.path, video=video)
        if not facts.measured and not available() and NO_PYAV not in notes:
            notes.append(NO_PYAV)
        breaches = video_breaches(facts, bounds) if video else audio_breaches(facts, bounds)
        if spec.path.resolve() in ours:
            breaches = []
        name = spec.source
        if breaches and fit and video and all(b.fixable for b in breaches):
            spec, facts, said = _fitted(spec, facts, bounds, dry_run=dry_run, data_dir=data_dir)
            notes.append(said)
            breaches = [] if dry_run else video_breaches(facts, bounds)
        if breaches and validate:
            raise refusal(name, spec, breaches, fit_offered=video and not fit)
        if facts.seconds is not None and spec.path is not None:
            seconds[spec.path] = facts.seconds
        out.append(spec)
    return Checked(out, seconds, notes)


def _fitted(
    spec: RefSpec, facts: MediaFacts, bounds: MediaBounds, *, dry_run: bool, data_dir: Path | None
) -> tuple[RefSpec, MediaFacts, str]:
    from seedance.services.media.fit import changes_of, fit, target_for

    target = target_for(facts, bounds)
    if target is None or data_dir is None:
        raise ValidationError(
            f"{spec.source} cannot be re-encoded: its size or frame rate could not be measured",
            field=ROLE_FIELDS[spec.role],
            reason="reencode_yourself",
        )
    if dry_run:
        said = ", ".join(changes_of(facts, target))
        return spec, facts, f"{spec.source} would be re-encoded to fit the API's bounds: {said}"
    made = fit(facts, target, data_dir)
    refitted = measure(made.path, video=True)
    said = ", ".join(made.changes)
    return (
        replace(spec, path=made.path),
        refitted,
        f"re-encoded {spec.source} to fit the API's bounds ({said}); that copy is sent",
    )


def refusal(
    name: str, spec: RefSpec, breaches: list[Breach], *, fit_offered: bool
) -> ValidationError:
    """One error for a medium's breaches: each fact and bound, the first one's rule."""
    mendable = fit_offered and all(b.fixable for b in breaches)
    return ValidationError(
        f"{name}: " + "; ".join(b.message for b in breaches),
        rule=breaches[0].rule,
        field=ROLE_FIELDS[spec.role],
        reason="media_mendable" if mendable else "media_out_of_bounds",
        suggestion=Suggestion.again(fit=True) if mendable else None,
    )


def video_breaches(facts: MediaFacts, bounds: MediaBounds) -> list[Breach]:
    """What makes a local video one the API refuses, each measured fact beside its bound."""
    found = _too_big(facts, bounds.video_max_bytes, "video", bounds.rule("video_max_bytes"))
    formats = bounds.video_formats
    if facts.unreadable:
        found.append(
            Breach(
                "it cannot be read as a video (PyAV could not open it): a reference video is "
                + " or ".join(f.upper() for f in formats or ("MP4",)),
                bounds.rule("video_formats"),
            )
        )
    if not facts.measured:
        return found
    if formats and not set(formats) & set(facts.formats):
        found.append(
            Breach(
                f"it is a {facts.format_name} file; a reference video is "
                + " or ".join(f.upper() for f in formats),
                bounds.rule("video_formats"),
                fixable=True,
            )
        )
    codecs = bounds.video_codecs
    if codecs and facts.codec not in codecs:
        found.append(
            Breach(
                f"its video is {_codec(facts.codec)}; a reference video is "
                + " or ".join(_codec(c) for c in codecs),
                bounds.rule("video_codecs"),
                fixable=True,
            )
        )
    pixels, rates = bounds.video_pixels, bounds.video_fps
    if pixels is not None and facts.pixels is not None:
        low, high = pixels
        if not low <= facts.pixels <= high:
            found.append(
                Breach(
                    f"{facts.width}x{facts.height} is {facts.pixels:,} pixels; a reference video "
                    f"has {low:,.0f} to {high:,.0f}",
                    bounds.rule("video_pixels"),
                    fixable=True,
                )
            )
    if rates is not None and facts.fps is not None:
        low, high = rates
        if not low <= facts.fps <= high:
            found.append(
                Breach(
                    f"its frame rate is {facts.fps:g} fps; a reference video has {low:g} to "
                    f"{high:g} fps",
                    bounds.rule("video_fps"),
                    fixable=True,
                )
            )
    found += _too_short(facts, bounds.video_min_seconds, "video", bounds.rule("video_min_seconds"))
    return found


def audio_breaches(facts: MediaFacts, bounds: MediaBounds) -> list[Breach]:
    """What makes a local audio file one the API refuses."""
    found = _too_big(facts, bounds.audio_max_bytes, "audio", bounds.rule("audio_max_bytes"))
    formats = bounds.audio_formats
    shown = facts.path.suffix.lower().lstrip(".")
    known = set(facts.formats) if facts.measured else {shown}
    if facts.unreadable:
        found.append(
            Breach(
                "it cannot be read as audio (PyAV could not open it)",
                bounds.rule("audio_formats"),
            )
        )
    elif formats and not set(formats) & known:
        found.append(
            Breach(
                f"it is {shown.upper() or 'an unknown format'}; a reference audio is "
                + " or ".join(f.upper() for f in formats),
                bounds.rule("audio_formats"),
            )
        )
    found += _too_short(facts, bounds.audio_min_seconds, "audio", bounds.rule("audio_min_seconds"))
    return found


def _too_big(facts: MediaFacts, most: float | None, kind: str, rule: Rule) -> list[Breach]:
    if most is None or facts.size <= most:
        return []
    return [Breach(f"it is {_size(facts.size)}; a reference {kind} is at most {_size(most)}", rule)]


def _too_short(facts: MediaFacts, least: float | None, kind: str, rule: Rule) -> list[Breach]:
    if least is None or facts.seconds is None or facts.seconds >= least:
        return []
    return [
        Breach(
            f"it lasts {facts.seconds:.2f} s; a reference {kind} lasts at least {least:g} s", rule
        )
    ]


def body_size(body: dict[str, Any]) -> int:
    """The size of the body as the HTTP layer sends it (httpx: compact JSON, UTF-8)."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def check_body(body: dict[str, Any], bounds: MediaBounds) -> None:
    """Refuse a request body larger than the API takes (inline images and audio add up)."""
    most = bounds.body_max_bytes
    size = body_size(body)
    if most is not None and size > most:
        raise ValidationError(
            f"the request body is {_size(size)}; the API takes at most {_size(most)}",
            rule=bounds.rule("body_max_bytes"),
            reason="body_too_large",
        )


def _size(count: float) -> str:
    """Bytes in MiB (as the bounds' sources count them: 200 MB is 200 x 1024 x 1024)."""
    return f"{count / 2**20:,.1f} MB" if count >= 2**20 else f"{count / 1024:,.0f} KB"


_CODECS = {"h264": "H.264", "hevc": "H.265", "av1": "AV1", "vp9": "VP9", "vp8": "VP8"}


def _codec(name: str | None) -> str:
    return _CODECS.get(name or "", name or "an unknown codec")
