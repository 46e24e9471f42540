"""`seedance models`: the catalogue, as the selected profile's provider names it."""

from __future__ import annotations

import typer

from seedance.cli.app import current_env


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("models")(command(params.MODELS, models, name="models", doc=models.__doc__ or ""))


def models(all: bool, remote: bool) -> None:  # `all`: the option's name
    """The model catalogue with capabilities and prices."""
    from seedance.domain.catalogue import catalogue
    from seedance.domain.errors import ConfigError
    from seedance.services.catalogue_rows import model_rows

    env = current_env()
    if remote:
        _remote()
        return
    cat = catalogue()
    vocabularies: list[str | None]
    chosen = env.profile or env.environ.get("SEEDANCE_PROFILE")
    if all:
        vocabularies = list(cat.vocabularies)
    elif chosen:  # a profile asked for by name must exist
        vocabularies = [env.selected_profile().vocabulary]
    else:
        try:
            vocabularies = [env.selected_profile().vocabulary]
        except ConfigError:  # no profile yet: the whole catalogue
            vocabularies = list(cat.vocabularies)
    rows = model_rows(cat, vocabularies)
    env.output.listing(
        rows,
        [
            "MODEL",
            "PROVIDER",
            "TITLE",
            "RESOLUTIONS",
            "SECONDS",
            "REFS i/v/a",
            "AUDIO",
            "PRICE /M TOKENS",
        ],
        lambda r: [
            r["name"],
            r["provider"],
            r["title"],
            ",".join(
                f"{res}?" if res in r["resolutions_unconfirmed"] else res
                for res in r["resolutions"]
            ),
            f"{r['duration'][0]}-{r['duration'][1]}",
            "/".join(str(n) for n in r["max_references"].values()),
            "yes" if r["generate_audio"] else "no",
            r["price_text"],
        ],
    )


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
