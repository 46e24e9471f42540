"""kapon's `/v1/videos` (docs/sources/kapon.txt §3.1, §4, §6).

The body: `duration` (int), `ratio` + `resolution` or `size`, `generate_audio`, `watermark`,
images as a flat `input_reference: ["asset://…"]` (no roles) and
`references: {"video": [...], "audio": [...]}`. What it cannot express, the Ark API on the same
gateway (the `kapon-native` preset) can: refusals say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from seedance.domain.errors import Reason, Suggestion
from seedance.domain.models import GenerationRequest, MediaKind, Role
from seedance.domain.validation import Problem
from seedance.providers.arkwire import ACCOUNT_ADVICE, RAW_URL_ADVICE
from seedance.providers.base import Advice
from seedance.providers.videowire import ARK_ONLY_FIELDS, VideosProvider, present

NATIVE_PRESET = "kapon-native"


class KaponProvider(VideosProvider):
    """`POST/GET {base}/v1/videos` with kapon's body shape."""

    title = "kapon's /v1/videos"
    takes_frames = False  # its images carry no roles (docs/sources/kapon.txt §4)
    alternative = NATIVE_PRESET
    undocumented = tuple(k for k in ARK_ONLY_FIELDS if k != "watermark")
    error_advice: ClassVar[Mapping[str, Advice]] = {
        **ACCOUNT_ADVICE,
        "raw_url_not_allowed": RAW_URL_ADVICE,
    }

    def problem_facts(self, request: GenerationRequest) -> list[Problem]:
        """kapon's refusals; those the native preset would accept point to it."""
        native = Suggestion.of("profiles.show", NATIVE_PRESET)
        return [
            Problem(
                p.message,
                p.field,
                p.allowed,
                Reason.of("native_accepts", preset=NATIVE_PRESET),
                native,
            )
            if p.field != "duration"
            else p
            for p in super().problem_facts(request)
        ]

    def shape_problems(self, request: GenerationRequest) -> list[Problem]:
        frames = [
            r.role for r in request.references if r.role in (Role.FIRST_FRAME, Role.LAST_FRAME)
        ]
        if not frames:
            return []
        return [
            Problem(
                f"{self.title} cannot express a first or last frame: its reference images carry "
                "no roles (a reference image is sent as a plain reference)",
                frames[0].value,
            )
        ]

    def shape_fields(self, request: GenerationRequest) -> dict[str, Any]:
        """A flat image list, references by kind, an int duration (docs/sources/kapon.txt §4,
        §4.1, §4.2)."""
        fields: dict[str, Any] = {}
        # frames are among the images only when validation was skipped
        images = [r.url for r in request.refs_of(MediaKind.IMAGE)]
        if images:
            fields["input_reference"] = images
        media = {
            "video": [r.url for r in request.refs_of(MediaKind.VIDEO)],
            "audio": [r.url for r in request.refs_of(MediaKind.AUDIO)],
        }
        if any(media.values()):
            fields["references"] = {kind: urls for kind, urls in media.items() if urls}
        if request.duration is not None:
            fields["duration"] = request.duration
        fields.update(
            present(ratio=request.ratio, resolution=request.resolution, size=request.size)
        )
        fields.update(present(generate_audio=request.generate_audio, watermark=request.watermark))
        return fields
