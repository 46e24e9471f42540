"""ope.ai's `/v1/videos` (docs/sources/opeai.txt §1-4).

The body: `seconds` as a string, `size` or `resolution` + `ratio` (never both),
`generate_audio`, `seed`, and `input_reference: {"content": [Ark content items with roles]}`.
"""

from __future__ import annotations

from typing import Any

from seedance.domain.catalogue import DEFAULT_RATIO, DEFAULT_RESOLUTION
from seedance.domain.models import GenerationRequest
from seedance.domain.validation import Problem
from seedance.providers.arkwire import content_item
from seedance.providers.videowire import ARK_ONLY_FIELDS, VideosProvider, present

# docs/sources/opeai.txt §2: no "adaptive"
OPEAI_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")


class OpeAIProvider(VideosProvider):
    """`POST/GET {base}/v1/videos` with ope.ai's body shape (OpenAI's own `seconds`/`size`)."""

    title = "ope.ai's /v1/videos"
    undocumented = tuple(k for k in ARK_ONLY_FIELDS if k != "seed")

    def shape_problems(self, request: GenerationRequest) -> list[Problem]:
        if request.ratio is not None and request.ratio not in OPEAI_RATIOS:
            choices = ", ".join(OPEAI_RATIOS)
            return [
                Problem(
                    f"{self.title} has no ratio {request.ratio}: choose one of {choices}",
                    "ratio",
                    OPEAI_RATIOS,
                )
            ]
        return []

    def shape_fields(self, request: GenerationRequest) -> dict[str, Any]:
        """`size` or `resolution` + `ratio`, `seconds` as a string."""
        fields: dict[str, Any] = {}
        if request.size:
            fields["size"] = request.size
        else:  # "conditionally required": always send a complete pair
            fields["resolution"] = request.resolution or DEFAULT_RESOLUTION
            fields["ratio"] = request.ratio or DEFAULT_RATIO
        if request.duration is not None:
            fields["seconds"] = str(request.duration)
        fields.update(present(generate_audio=request.generate_audio, seed=request.seed))
        if request.references:
            fields["input_reference"] = {"content": [content_item(r) for r in request.references]}
        return fields
