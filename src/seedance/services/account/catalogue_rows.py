"""The catalogue as data: one row per model, with its limits, aliases and prices (what
`models` lists and the MCP server's list_models returns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seedance.domain.catalogue import Catalogue, ModelSpec


def model_rows(cat: Catalogue, vocabularies: Sequence[str | None]) -> list[dict[str, Any]]:
    """Every model each vocabulary (a provider's names; None: the families) lists."""
    return [model_row(cat, spec) for vocab in vocabularies for spec in specs_of(cat, vocab)]


def specs_of(cat: Catalogue, vocabulary: str | None) -> list[ModelSpec]:
    """The models a vocabulary names first (one per family)."""
    if vocabulary is None:
        return [s for f in cat.families if (s := cat.spec_for_family(f, None)) is not None]
    return [cat.resolve(name, vocabulary) for name in cat.vocabularies[vocabulary].primaries()]


def model_row(cat: Catalogue, spec: ModelSpec) -> dict[str, Any]:
    """One model as data: capabilities, aliases on this provider and prices."""
    fam = spec.family
    vocab = cat.vocabularies.get(spec.vocabulary or "")
    aliases = (
        [n for n, f in vocab.models.items() if f == fam.key and n != spec.name] if vocab else []
    )
    prices: dict[str, float] = {}
    currency = None
    for res in fam.all_resolutions:
        for video in (False, True):
            price, currency = cat.price(
                spec,
                resolution=res,
                video_reference=video,
                generate_audio=fam.generate_audio,
                flex=False,
            )
            if price is not None:
                prices[f"{res}{'+video' if video else ''}"] = price
    return {
        "name": spec.name,
        "provider": vocab.title if vocab else "",
        "vocabulary": spec.vocabulary,
        "family": fam.key,
        "title": fam.title,
        "aliases": aliases + list(fam.aliases),
        "resolutions": list(fam.all_resolutions),
        "resolutions_unconfirmed": [r for r in fam.all_resolutions if r not in fam.resolutions],
        "ratios": list(fam.ratios),
        "duration": [fam.duration_min, fam.duration_max],
        "duration_auto": fam.duration_auto,
        "first_frame": fam.first_frame,
        "last_frame": fam.last_frame,
        "max_references": {
            "images": fam.max_reference_images,
            "videos": fam.max_reference_videos,
            "audios": fam.max_reference_audios,
        },
        "audio_alone": not fam.audio_needs_visual,
        "generate_audio": fam.generate_audio,
        "draft": fam.draft,
        "final_resolutions": list(fam.final_resolutions),
        "flex": fam.flex,
        "output_formats": list(fam.output_formats),
        "sources": list(dict.fromkeys([*(vocab.sources if vocab else ()), *fam.sources])),
        "currency": currency if prices else None,
        "prices_per_million_tokens": prices,
        "price_text": price_text(prices, currency),
    }


def cell_rows(cat: Catalogue, spec: ModelSpec) -> list[dict[str, Any]]:
    """Every value the catalogue holds for a model, with the cell it comes from, the sources
    that cell cites and whether the user's overlay set it."""
    fam = spec.family
    rows = []
    for name in sorted(fam.origins):
        rule = fam.rule(name)
        cited = [k for k in fam.cites.get(name, ())]
        value = getattr(fam, name, None)
        rows.append(
            {
                "model": spec.name,
                "cell": rule.name,
                "value": list(value) if isinstance(value, tuple) else value,
                "sources": {k: cat.sources.get(k, "") for k in cited},
                "overlay": name in fam.overlaid,
            }
        )
    return rows


def price_text(prices: dict[str, float], currency: str | None) -> str:
    from seedance.domain.catalogue import format_money

    if not prices:
        return "unknown"
    low, high = min(prices.values()), max(prices.values())
    if low == high:
        return format_money(low, currency)
    return f"{format_money(low, currency)}-{format_money(high, currency).lstrip('$¥€£')}"
