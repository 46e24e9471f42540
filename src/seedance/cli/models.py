"""`seedance models`: the catalogue, as the selected profile's provider names it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from seedance.cli.app import current_env

if TYPE_CHECKING:
    from seedance.domain.catalogue import Catalogue, ModelSpec


def register(app: typer.Typer) -> None:
    app.command("models")(models)


def models(
    all_: Annotated[
        bool, typer.Option("--all", help="Every provider's names, not just this profile's.")
    ] = False,
    remote: Annotated[
        bool,
        typer.Option(
            "--remote",
            help="The provider's live model list against the catalogue: known, new, gone.",
        ),
    ] = False,
) -> None:
    """The model catalogue with capabilities and prices."""
    from seedance.domain.catalogue import catalogue
    from seedance.domain.errors import ConfigError

    env = current_env()
    if remote:
        _remote()
        return
    cat = catalogue()
    vocabularies: list[str | None]
    chosen = env.profile or env.environ.get("SEEDANCE_PROFILE")
    if all_:
        vocabularies = list(cat.vocabularies)
    elif chosen:  # a profile asked for by name must exist
        vocabularies = [env.selected_profile().vocabulary]
    else:
        try:
            vocabularies = [env.selected_profile().vocabulary]
        except ConfigError:  # no profile yet: the whole catalogue
            vocabularies = list(cat.vocabularies)
    rows = [model_row(cat, spec) for vocab in vocabularies for spec in _specs(cat, vocab)]
    several = len(vocabularies) > 1
    if not several and rows and not env.json:
        env.output.info(f"models of {rows[0]['provider']} (refs, audio, sources: --json)")
    headers = ["MODEL", "ALIAS", *(["PROVIDER"] if several else []), "RESOLUTION"]
    env.output.listing(
        rows,
        [*headers, "SECONDS", "PRICE /M"],
        lambda r: [
            r["name"],
            _alias(r["aliases"]),
            *([r["vocabulary"] or ""] if several else []),
            _resolutions(r),
            f"{r['duration'][0]}-{r['duration'][1]}",
            r["price_text"],
        ],
    )


def _alias(aliases: list[str]) -> str:
    """The shortest name that means this model here (`-m fast`)."""
    return min(aliases, key=len) if aliases else ""


def _resolutions(row: dict[str, Any]) -> str:
    """`480p-1080p`, lowest to highest; `?` marks one the sources disagree on."""
    order = ["480p", "720p", "1080p", "2k", "4k"]
    found = sorted(row["resolutions"], key=lambda r: order.index(r) if r in order else 99)
    marked = [f"{r}?" if r in row["resolutions_unconfirmed"] else r for r in found]
    return marked[0] if len(marked) == 1 else f"{marked[0]}-{marked[-1]}"


def _specs(cat: Catalogue, vocabulary: str | None) -> list[ModelSpec]:
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
        "price_text": _price_text(prices, currency),
    }


def _price_text(prices: dict[str, float], currency: str | None) -> str:
    from seedance.domain.catalogue import format_money

    if not prices:
        return "unknown"
    low, high = min(prices.values()), max(prices.values())
    if low == high:
        return format_money(low, currency)
    return f"{format_money(low, currency)}-{format_money(high, currency).lstrip('$¥€£')}"


def _remote() -> None:
    from datetime import UTC, datetime

    env = current_env()
    client = env.client()
    listing = client.remote_models()
    when = datetime.fromtimestamp(listing.fetched_at, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    if listing.cached:
        env.output.warn(f"the provider could not be reached: its list as of {when} (cached)")
    else:
        env.output.info(f"the live list of profile '{listing.profile}', {when}")
    if env.json:
        env.output.json(listing.to_json())
        return
    rows = [m.to_json() for m in listing.models]
    env.output.listing(
        rows,
        ["MODEL", "STANDING", "STATUS", "FAMILY"],
        lambda r: [r["name"], r["standing"], r["status"] or "", r["family"] or ""],
    )
