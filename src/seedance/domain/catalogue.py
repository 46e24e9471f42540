"""The model catalogue: families, the names each provider uses for them, prices and sizes.

Loaded once from `seedance/data/catalogue.toml`. Every capability check, translation and cost
estimate reads from here; nothing about a model is written in an `if`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

from seedance import data
from seedance.domain.errors import Suggestion, ValidationError

DEFAULT_RESOLUTION = "720p"
DEFAULT_RATIO = "16:9"
DEFAULT_DURATION = 5
FRAMES_PER_SECOND = 24


@dataclass(frozen=True)
class Family:
    """What a model can do. Limits of 0 mean "not accepted"."""

    key: str
    title: str
    aliases: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    ratios: tuple[str, ...] = ()
    duration_min: int = 4
    duration_max: int = 15
    duration_auto: bool = False
    first_frame: bool = True
    last_frame: bool = True
    max_reference_images: int = 0
    max_reference_videos: int = 0
    max_reference_audios: int = 0
    reference_video_total_seconds: float = 0
    reference_audio_total_seconds: float = 0
    audio_needs_visual: bool = True
    generate_audio: bool = False
    draft: bool = False
    flex: bool = True
    prompt_max_cjk_chars: int | None = None
    prompt_max_words: int | None = None
    price_as: str | None = None

    @property
    def price_family(self) -> str:
        return self.price_as or self.key


@dataclass(frozen=True)
class Vocabulary:
    """The model names one provider accepts, and its own limits."""

    key: str
    title: str
    models: dict[str, str]  # name -> family key; the first name per family is its primary
    price_list: str | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def primary(self, family: str) -> str | None:
        return next((name for name, fam in self.models.items() if fam == family), None)

    def primaries(self) -> list[str]:
        seen: dict[str, str] = {}
        for name, fam in self.models.items():
            seen.setdefault(fam, name)
        return list(seen.values())


@dataclass(frozen=True)
class ModelSpec:
    """A model as a given provider offers it: the name to send and what it can do there."""

    name: str
    family: Family
    vocabulary: str | None
    requested: str
    price_list: str | None = None

    @property
    def translated(self) -> bool:
        return self.name != self.requested


@dataclass(frozen=True)
class Estimate:
    tokens: int
    price_per_million: float | None
    currency: str | None
    approximate: bool  # auto duration, draft or adaptive ratio: an upper bound or a guess

    @property
    def cost(self) -> float | None:
        if self.price_per_million is None:
            return None
        return self.tokens / 1_000_000 * self.price_per_million

    def describe(self) -> str:
        """`108,900 tokens ≈ $0.76` (or just tokens when no price is known)."""
        approx = "about " if self.approximate else ""
        text = f"{approx}{self.tokens:,} tokens"
        if self.cost is not None:
            text += f" ≈ {format_money(self.cost, self.currency)}"
        return text


def total_of(estimates: list[Estimate | None]) -> tuple[int, float | None, str | None]:
    """The tokens and cost of several requests (the cost None unless every one is priced)."""
    known = [e for e in estimates if e is not None]
    tokens = sum(e.tokens for e in known)
    priced = len(known) == len(estimates) and all(e.cost is not None for e in known)
    cost = sum(e.cost or 0.0 for e in known) if priced else None
    currency = next((e.currency for e in known if e.currency), None)
    return tokens, cost, currency


_SYMBOLS = {"USD": "$", "CNY": "¥"}


def format_money(amount: float, currency: str | None) -> str:
    symbol = _SYMBOLS.get(currency or "", "")
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency or ''}".strip()


class Catalogue:
    """All families, vocabularies, price lists and sizes."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.families = _load_families(data["families"])
        self.vocabularies = {
            key: Vocabulary(
                key=key,
                title=v.get("title", key),
                models=dict(v.get("models", {})),
                price_list=v.get("price_list"),
                limits=dict(v.get("limits", {})),
                overrides={k: dict(o) for k, o in v.get("overrides", {}).items()},
            )
            for key, v in data["vocabularies"].items()
        }
        self.price_lists: dict[str, dict[str, Any]] = data.get("price_lists", {})
        self.sizes: dict[str, dict[str, tuple[int, int]]] = {
            res: {ratio: _parse_wxh(s) for ratio, s in table.items()}
            for res, table in data.get("sizes", {}).items()
        }

    # -- names -------------------------------------------------------------------------------

    def family_for_name(self, name: str) -> Family | None:
        """A family by its key, a seedance alias, or any provider's model name."""
        wanted = name.strip().lower()
        for fam in self.families.values():
            if wanted == fam.key or wanted in fam.aliases:
                return fam
        for vocab in self.vocabularies.values():
            for model, fam_key in vocab.models.items():
                if model.lower() == wanted:
                    return self.families[fam_key]
        return None

    def resolve(self, name: str, vocabulary: str | None) -> ModelSpec:
        """The model to send for `name` on a provider speaking `vocabulary`.

        A name the provider documents is sent as is; a seedance alias or another provider's
        name for the same model is translated to this provider's name; anything else is
        refused with the names that would work.
        """
        requested = name.strip()
        if vocabulary is None:
            fam = self.family_for_name(requested)
            if fam is None:
                raise ValidationError(
                    f"unknown model '{requested}'",
                    hint="skip validation to send it anyway, or pick one of the models listed by",
                    field="model",
                    suggestion=Suggestion.of("models"),
                )
            return ModelSpec(requested, fam, None, requested)
        vocab = self.vocabularies[vocabulary]
        for model, fam_key in vocab.models.items():
            if model.lower() == requested.lower():
                return self._spec(model, fam_key, vocab, requested)
        fam = self.family_for_name(requested)
        if fam is not None:
            primary = vocab.primary(fam.key)
            if primary is not None:
                return self._spec(primary, fam.key, vocab, requested)
            raise ValidationError(
                f"{fam.title} ('{requested}') is not offered by {vocab.title}",
                hint=f"choose one of: {', '.join(vocab.primaries())}",
                field="model",
                allowed=vocab.primaries(),
            )
        close = difflib.get_close_matches(requested, list(vocab.models), n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        raise ValidationError(
            f"unknown model '{requested}' for {vocab.title}",
            hint=f"{guess}choose one of: {', '.join(vocab.primaries())}",
            field="model",
            allowed=vocab.primaries(),
        )

    def spec_for_family(self, family: str, vocabulary: str | None) -> ModelSpec | None:
        if vocabulary is None:
            fam = self.families[family]
            return ModelSpec(fam.key, fam, None, fam.key)
        vocab = self.vocabularies[vocabulary]
        primary = vocab.primary(family)
        return None if primary is None else self._spec(primary, family, vocab, primary)

    def _spec(self, name: str, fam_key: str, vocab: Vocabulary, requested: str) -> ModelSpec:
        fam = self.families[fam_key]
        changes = {**vocab.limits, **vocab.overrides.get(fam_key, {})}
        if changes:
            fam = replace(fam, **{k: _freeze(v) for k, v in changes.items()})
        return ModelSpec(name, fam, vocab.key, requested, vocab.price_list)

    def models_able(self, vocabulary: str | None, **needs: Any) -> list[str]:
        """Names on this provider whose family satisfies `needs` (for helpful errors)."""
        names = (
            self.vocabularies[vocabulary].primaries()
            if vocabulary
            else [f.key for f in self.families.values()]
        )
        able = []
        for name in names:
            spec = self.resolve(name, vocabulary)
            if all(_satisfies(spec.family, k, v) for k, v in needs.items()):
                able.append(name)
        return able

    # -- sizes and money ---------------------------------------------------------------------

    def size_of(self, resolution: str, ratio: str) -> tuple[int, int] | None:
        table = self.sizes.get(resolution, {})
        return table.get(ratio) or (table.get(DEFAULT_RATIO) if ratio == "adaptive" else None)

    def default_size(self) -> tuple[int, int]:
        """The size of the default resolution and ratio (the catalogue always has it)."""
        size = self.size_of(DEFAULT_RESOLUTION, DEFAULT_RATIO)
        if size is None:
            raise LookupError(f"the catalogue has no {DEFAULT_RESOLUTION} {DEFAULT_RATIO} size")
        return size

    def parse_size(self, size: str) -> tuple[str, str] | None:
        """`1280x720` -> ("720p", "16:9"), from the size table; None if not in it."""
        try:
            wanted = _parse_wxh(size)
        except ValueError:
            return None
        for res, table in self.sizes.items():
            for ratio, dims in table.items():
                if dims == wanted:
                    return res, ratio
        return None

    def known_sizes(self, resolutions: tuple[str, ...] | None = None) -> list[str]:
        return [
            f"{w}x{h}"
            for res, table in self.sizes.items()
            if resolutions is None or res in resolutions
            for (w, h) in table.values()
        ]

    def price(
        self,
        spec: ModelSpec,
        *,
        resolution: str,
        video_reference: bool,
        generate_audio: bool,
        flex: bool,
    ) -> tuple[float | None, str | None]:
        plist = self.price_lists.get(spec.price_list or "")
        if not plist:
            return None, None
        facts = {
            "family": spec.family.price_family,
            "resolution": resolution,
            "video_reference": video_reference,
            "generate_audio": generate_audio,
        }
        for rule in plist.get("rules", []):
            if all(facts.get(k) == v for k, v in rule.items() if k != "price"):
                factor = plist.get("flex_factor", 1.0) if flex else 1.0
                return rule["price"] * factor, plist.get("currency")
        return None, plist.get("currency")

    def estimate(
        self,
        spec: ModelSpec,
        *,
        resolution: str | None,
        ratio: str | None,
        duration: int | None,
        video_reference: bool = False,
        generate_audio: bool | None = None,
        draft: bool = False,
        flex: bool = False,
    ) -> Estimate:
        """tokens = width × height × (24 × duration + 1) / 1024, times the price per million."""
        res = resolution or DEFAULT_RESOLUTION
        rat = ratio or DEFAULT_RATIO
        approximate = draft or rat == "adaptive"
        seconds = duration if duration is not None else DEFAULT_DURATION
        if seconds < 0:  # -1: the service chooses; estimate the longest
            seconds, approximate = spec.family.duration_max, True
        width, height = self.size_of(res, rat) or self.default_size()
        tokens = width * height * (FRAMES_PER_SECOND * seconds + 1) // 1024
        audio = spec.family.generate_audio if generate_audio is None else generate_audio
        price, currency = self.price(
            spec, resolution=res, video_reference=video_reference, generate_audio=audio, flex=flex
        )
        return Estimate(tokens, price, currency, approximate)


def _satisfies(fam: Family, key: str, value: Any) -> bool:
    have = getattr(fam, key)
    if isinstance(have, tuple):
        return value in have
    if isinstance(have, bool):
        return bool(have == value)
    return bool(have >= value)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _parse_wxh(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep:
        raise ValueError(text)
    return int(w), int(h)


def _load_families(raw: dict[str, dict[str, Any]]) -> dict[str, Family]:
    names = {f.name for f in fields(Family)}
    resolved: dict[str, dict[str, Any]] = {}

    def build(key: str) -> dict[str, Any]:
        if key not in resolved:
            entry = dict(raw[key])
            base = entry.pop("base", None)
            merged = {**build(base), **entry} if base else entry
            for own in ("aliases", "price_as"):  # a family's names are its own
                if own not in entry:
                    merged.pop(own, None)
            resolved[key] = merged
        return resolved[key]

    families = {}
    for key in raw:
        values = {k: _freeze(v) for k, v in build(key).items() if k in names}
        families[key] = Family(key=key, **values)
    return families


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped in the package (read once)."""
    return Catalogue(data.load("catalogue.toml"))
