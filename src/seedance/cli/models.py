"""`seedance models`: the catalogue, as the selected profile's provider names it."""

from __future__ import annotations

from typing import Any

import typer

from seedance.cli.app import current_env


def register(app: typer.Typer) -> None:
    from seedance.cli.options import command
    from seedance.domain import params

    app.command("models")(command(params.MODELS, models, name="models", doc=models.__doc__ or ""))


def models(all: bool, remote: bool, sources: bool = False) -> None:  # `all`: the option's name
    """The model catalogue with capabilities and prices."""
    from seedance.domain.catalogue import catalogue
    from seedance.domain.errors import ConfigError
    from seedance.services.account.catalogue_rows import model_rows

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
    if sources:
        _sources(cat, vocabularies)
        return
    rows = model_rows(cat, vocabularies)
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


def _sources(cat: Any, vocabularies: list[str | None]) -> None:
    """Every cell of every model, with its sources; the overlay's marked."""
    from seedance.services.account.catalogue_rows import cell_rows, specs_of

    env = current_env()
    rows = [row for v in vocabularies for spec in specs_of(cat, v) for row in cell_rows(cat, spec)]
    if cat.overlay_path:
        marked = sum(1 for r in rows if r["overlay"])
        env.output.info(f"{marked} value(s) from the overlay {cat.overlay_path} (marked *)")
    if env.json:
        env.output.json({"overlay": cat.overlay_path, "cells": rows})
        return
    env.output.listing(
        rows,
        ["MODEL", "CELL", "VALUE", "SOURCE"],
        lambda r: [
            r["model"],
            r["cell"] + (" *" if r["overlay"] else ""),
            _value(r["value"]),
            " ".join(r["sources"]) or ("overlay" if r["overlay"] else "?"),
        ],
    )


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return "(table)"
    return str(value)


def _alias(aliases: list[str]) -> str:
    """The shortest name that means this model here (`-m fast`)."""
    return min(aliases, key=len) if aliases else ""


def _resolutions(row: dict[str, Any]) -> str:
    """`480p-1080p`, lowest to highest; `?` marks one the sources disagree on."""
    order = ["480p", "720p", "1080p", "2k", "4k"]
    found = sorted(row["resolutions"], key=lambda r: order.index(r) if r in order else 99)
    marked = [f"{r}?" if r in row["resolutions_unconfirmed"] else r for r in found]
    return marked[0] if len(marked) == 1 else f"{marked[0]}-{marked[-1]}"


def _remote() -> None:
    from datetime import UTC, datetime

    env = current_env()
    client = env.client()
    listing = client.account.models()
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
