"""The model catalogue: families, the names each provider uses for them, prices and sizes.

Loaded once from `seedance/data/catalogue.toml`, where every cell cites its source. Every
capability check, translation and cost estimate reads from here; nothing about a model is
written in an `if`.

The catalogue is open (docs/sources/real-world.md "New ids keep coming"): a name it does not
know, or an endpoint id, raises `UnknownModel`, which carries a notice; the caller either
sends the request unchecked with that notice or, in strict mode, refuses it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from seedance import data
from seedance.domain.errors import Reason, Rule, Suggestion, ValidationError
from seedance.domain.media_bounds import MediaBounds, load_bounds
from seedance.domain.pricing import (
    Estimate,
    PriceFacts,
    ProfilePrices,
    format_money,
    list_price,
    tokens_for,
    total_of,
)

__all__ = [
    "Catalogue",
    "Estimate",
    "Family",
    "ModelSpec",
    "UnknownModel",
    "format_money",
    "total_of",
]

DEFAULT_RESOLUTION = "720p"
DEFAULT_RATIO = "16:9"
DEFAULT_DURATION = 5
DRAFT_RESOLUTION = "480p"  # a draft is always 480p (docs/sources/ark.txt, research §7)
ENDPOINT_PREFIX = "ep-"  # Volcengine endpoint ids (docs/sources/real-world.md "Models")

Size = tuple[int, int]


@dataclass(frozen=True)
class Family:
    """What a model can do. Limits of 0 mean "not accepted"."""

    key: str
    title: str
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    resolutions_unconfirmed: tuple[str, ...] = ()  # sources disagree: sent, with a notice
    ratios: tuple[str, ...] = ()
    ratios_unconfirmed: tuple[str, ...] = ()
    duration_min: int = 4
    duration_max: int = 15
    duration_auto: bool = False
    duration_default: int | None = None  # what the service does without a duration
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
    draft_last_frame: bool = True
    draft_flex: bool = True
    final_resolutions: tuple[str, ...] = ()  # of a final made from a draft
    final_resolutions_unconfirmed: tuple[str, ...] = ()
    flex: bool = True
    priority: bool = True
    output_formats: tuple[str, ...] = ()  # empty: the field is not accepted
    # omni_reference_task_type: the values it takes (empty: none), and what each needs
    task_types: tuple[str, ...] = ()
    task_types_need_video: tuple[str, ...] = ()  # a reference video to edit or extend
    task_types_adaptive: tuple[str, ...] = ()  # ratio adaptive only
    task_types_auto_duration: tuple[str, ...] = ()  # duration -1 only (the source's length)
    edit_min_seconds: float | None = None  # the shortest video an edit takes
    disputed: tuple[str, ...] = ()  # parameters whose effect the sources disagree on
    prompt_max_cjk_chars: int | None = None  # guidance, not a limit: warned about
    prompt_max_words: int | None = None
    price_as: str | None = None
    sizes: Mapping[str, Mapping[str, Size]] = field(default_factory=dict)
    # how long a 720p clip usually takes, submit to finish: a progress display's first guess
    typical_seconds: float | None = None
    # where each value comes from: the table that set it ("seedance-2.5",
    # "byteplus/seedance-2.0-fast") and the source keys it cites; values an overlay set
    origins: Mapping[str, str] = field(default_factory=dict)
    cites: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    overlaid: frozenset[str] = frozenset()

    @property
    def price_family(self) -> str:
        return self.price_as or self.key

    def offers(self, resolution: str) -> bool:
        """Whether a resolution may be sent (confirmed or not)."""
        return resolution in self.resolutions or resolution in self.resolutions_unconfirmed

    @property
    def all_resolutions(self) -> tuple[str, ...]:
        return self.resolutions + tuple(
            r for r in self.resolutions_unconfirmed if r not in self.resolutions
        )

    @property
    def all_ratios(self) -> tuple[str, ...]:
        return self.ratios + tuple(r for r in self.ratios_unconfirmed if r not in self.ratios)

    @property
    def all_final_resolutions(self) -> tuple[str, ...]:
        unconfirmed = self.final_resolutions_unconfirmed
        return self.final_resolutions + tuple(
            r for r in unconfirmed if r not in self.final_resolutions
        )

    def rule(self, name: str) -> Rule:
        """The catalogue cell behind a value: which table set it and the sources it cites."""
        table = self.origins.get(name, self.key)
        cited = " ".join(self.cites.get(name, ()))
        if name in self.overlaid:
            cited = f"{cited} (overlay)".strip()
        return Rule(f"{table}.{name}", cited or None)


@dataclass(frozen=True)
class Retired:
    """A name a provider no longer serves."""

    family: str
    reason: str
    replacement: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Folded:
    """A name a provider merged into another model: still sent as asked (the server decides
    whether it answers to it), with a notice naming what replaces it."""

    into: str
    reason: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None

    def replacement(self) -> str:
        """`dreamina-seedance-2-5-260628 at resolution 4k`."""
        extra = ", ".join(f"{k} {v}" for k, v in self.settings.items())
        return self.into + (f" at {extra}" if extra else "")


@dataclass(frozen=True)
class Vocabulary:
    """The model names one provider accepts, and its own limits."""

    key: str
    title: str
    models: dict[str, str]  # name -> family key; the first name per family is its primary
    price_list: str | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    retired: dict[str, Retired] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    media: dict[str, Any] = field(default_factory=dict)  # its own reference media bounds
    folded: dict[str, Folded] = field(default_factory=dict)
    cites: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "limits.ratios", ...
    overlaid: frozenset[str] = frozenset()

    def primary(self, family: str) -> str | None:
        return next((name for name, fam in self.models.items() if fam == family), None)

    def primaries(self) -> list[str]:
        """The first name of each family (a folded name is never one)."""
        seen: dict[str, str] = {}
        for name, fam in self.models.items():
            if name not in self.folded:
                seen.setdefault(fam, name)
        return list(seen.values())

    def retired_name(self, name: str) -> tuple[str, Retired] | None:
        wanted = name.lower()
        return next(((n, r) for n, r in self.retired.items() if n.lower() == wanted), None)

    def retired_family(self, family: str) -> tuple[str, Retired] | None:
        return next(((n, r) for n, r in self.retired.items() if r.family == family), None)


@dataclass(frozen=True)
class ModelSpec:
    """A model as a given provider offers it: the name to send and what it can do there."""

    name: str
    family: Family
    vocabulary: str | None
    requested: str
    price_list: str | None = None
    endpoint: bool = False  # an endpoint id whose family the profile declares
    folded: Folded | None = None  # a name the provider merged into another model

    @property
    def translated(self) -> bool:
        return self.name != self.requested


class UnknownModel(ValidationError):
    """A model name the catalogue cannot check: unknown, another provider's, or an endpoint id.

    `notice` is the one line to show when it is sent anyway (the default); in strict mode the
    error itself is raised."""

    code = "unknown_model"

    def __init__(self, message: str, *, notice: str, allowed: list[str] | None = None) -> None:
        super().__init__(
            message,
            reason=[
                Reason("strict_known_models"),
                *([Reason.of("choose_one", choices=", ".join(allowed))] if allowed else []),
            ],
            field="model",
            allowed=allowed,
            suggestion=Suggestion.of("models"),
        )
        self.notice = notice


def is_endpoint(name: str) -> bool:
    return name.strip().lower().startswith(ENDPOINT_PREFIX)


class Catalogue:
    """All families, vocabularies, price lists and sizes."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        overlaid: frozenset[tuple[str, ...]] = frozenset(),
        overlay_path: str | None = None,
    ) -> None:
        """`overlaid`: the cells (key paths) a user's overlay set, at `overlay_path`."""
        self.raw = data
        self.overlaid = overlaid
        self.overlay_path = overlay_path
        self.sources: dict[str, str] = dict(data.get("sources", {}))
        self.families = _load_families(data["families"], overlaid)
        self.vocabularies = {
            key: _vocabulary(key, v, overlaid) for key, v in data["vocabularies"].items()
        }
        self.price_lists: dict[str, dict[str, Any]] = data.get("price_lists", {})
        self.sizes: dict[str, dict[str, Size]] = {
            res: {ratio: parse_wxh(s) for ratio, s in table.items() if ratio != "cite"}
            for res, table in data.get("sizes", {}).items()
        }
        self.media: dict[str, Any] = dict(data.get("media", {}))

    def media_bounds(self, vocabulary: str | None) -> MediaBounds:
        """The reference media bounds on a provider speaking `vocabulary` (its own cells
        over the catalogue's `[media]`)."""
        vocab = self.vocabularies.get(vocabulary or "")
        own = vocab.media if vocab is not None else None
        return load_bounds(self.media, own, vocabulary, self.sources)
        self.conflicts: list[dict[str, Any]] = list(data.get("conflicts", []))

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
            found = vocab.retired_name(wanted)
            if found is not None:
                return self.families[found[1].family]
        return None

    def is_alias(self, name: str) -> bool:
        """A seedance alias or family key (not any provider's model id)."""
        wanted = name.strip().lower()
        return any(wanted == f.key or wanted in f.aliases for f in self.families.values())

    def resolve(
        self, name: str, vocabulary: str | None, *, model_family: str | None = None
    ) -> ModelSpec:
        """The model to send for `name` on a provider speaking `vocabulary`.

        A name the provider documents is sent as is; a seedance alias or another provider's
        name for the same model is translated to this provider's name. A retired name, or an
        alias of a model the provider does not offer, is refused (ValidationError). Anything
        else (a new model, another provider's model this one does not list, an endpoint id)
        raises UnknownModel: the caller decides whether to send it unchecked.
        `model_family` is what an endpoint id serves, when the profile says.
        """
        requested = name.strip()
        vocab = self.vocabularies[vocabulary] if vocabulary else None
        if is_endpoint(requested):
            return self._endpoint(requested, vocab, model_family)
        if vocab is None:
            fam = self.family_for_name(requested)
            if fam is None:
                raise UnknownModel(
                    f"unknown model '{requested}'",
                    notice=f"model {requested} is not in seedance's catalogue: "
                    "its limits were not checked, the server decides",
                )
            return ModelSpec(requested, fam, None, requested)
        for model, fam_key in vocab.models.items():
            if model.lower() == requested.lower():
                return self._spec(model, fam_key, vocab, requested)
        gone = vocab.retired_name(requested)
        if gone is not None:
            raise _retired(gone[0], gone[1], vocab)
        fam = self.family_for_name(requested)
        if fam is not None:
            primary = vocab.primary(fam.key)
            if primary is not None:
                return self._spec(primary, fam.key, vocab, requested)
            gone = vocab.retired_family(fam.key)
            if gone is not None:
                raise _retired(gone[0], gone[1], vocab)
            if self.is_alias(requested):
                raise ValidationError(
                    f"{fam.title} ('{requested}') is not offered by {vocab.title}",
                    reason=[
                        Reason.of("choose_one", choices=", ".join(vocab.primaries())),
                        Reason("own_model_id"),
                    ],
                    field="model",
                    allowed=vocab.primaries(),
                )
            raise UnknownModel(
                f"{vocab.title} does not list {requested}",
                notice=f"{vocab.title} does not list {requested}: it was sent as named, "
                "unchecked, and the server decides",
                allowed=vocab.primaries(),
            )
        close = difflib.get_close_matches(requested, list(vocab.models), n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        raise UnknownModel(
            f"unknown model '{requested}' for {vocab.title}{guess}",
            notice=f"model {requested} is not in seedance's catalogue{guess}: its limits were "
            "not checked, the server decides",
            allowed=vocab.primaries(),
        )

    def _endpoint(
        self, requested: str, vocab: Vocabulary | None, model_family: str | None
    ) -> ModelSpec:
        if model_family is None:
            raise UnknownModel(
                f"{requested} is an endpoint id; the catalogue cannot tell which model it serves",
                notice=f"{requested} is an endpoint id: its model's limits were not checked "
                "(a profile's model_family says which model it serves), the server decides",
            )
        fam = self.family_for_name(model_family)
        if fam is None:
            raise ValidationError(
                f"model_family '{model_family}' names no model the catalogue knows",
                reason=Reason.of("choose_one", choices=", ".join(self.families)),
                field="model_family",
                allowed=list(self.families),
            )
        if vocab is None:
            return ModelSpec(requested, fam, None, requested, endpoint=True)
        spec = self._spec(requested, fam.key, vocab, requested)
        return replace(spec, endpoint=True)

    def spec_for_family(self, family: str, vocabulary: str | None) -> ModelSpec | None:
        if vocabulary is None:
            fam = self.families[family]
            return ModelSpec(fam.key, fam, None, fam.key)
        vocab = self.vocabularies[vocabulary]
        primary = vocab.primary(family)
        return None if primary is None else self._spec(primary, family, vocab, primary)

    def _spec(self, name: str, fam_key: str, vocab: Vocabulary, requested: str) -> ModelSpec:
        fam = self.families[fam_key]
        own = vocab.overrides.get(fam_key, {})
        changes = {**vocab.limits, **own}
        if changes:
            origins, cites = dict(fam.origins), dict(fam.cites)
            overlaid = set(fam.overlaid)
            for key in changes:
                part = f"overrides.{fam_key}" if key in own else "limits"
                origins[key] = f"{vocab.key}/{fam_key}" if key in own else vocab.key
                cites[key] = vocab.cites.get(f"{part}.{key}", vocab.sources)
                overlaid.discard(key)
                if f"{part}.{key}" in vocab.overlaid:
                    overlaid.add(key)
            fam = replace(
                fam,
                origins=origins,
                cites=cites,
                overlaid=frozenset(overlaid),
                **{k: _freeze(v) for k, v in changes.items()},
            )
        folded = vocab.folded.get(name)
        return ModelSpec(name, fam, vocab.key, requested, vocab.price_list, folded=folded)

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

    # -- sizes -------------------------------------------------------------------------------

    def size_of(self, resolution: str, ratio: str, family: Family | None = None) -> Size | None:
        """The pixel size of a resolution and ratio (a family's own cells first). `adaptive`
        is estimated as 16:9; 9:21, which no source sizes, as 21:9 turned on its side."""
        if ratio == "adaptive":
            ratio = DEFAULT_RATIO
        own = family.sizes.get(resolution, {}) if family is not None else {}
        found = own.get(ratio) or self.sizes.get(resolution, {}).get(ratio)
        if found is None and ratio == "9:21":
            wide = self.size_of(resolution, "21:9", family)
            found = (wide[1], wide[0]) if wide else None
        return found

    def default_size(self) -> Size:
        """The size of the default resolution and ratio (the catalogue always has it)."""
        size = self.size_of(DEFAULT_RESOLUTION, DEFAULT_RATIO)
        if size is None:
            raise LookupError(f"the catalogue has no {DEFAULT_RESOLUTION} {DEFAULT_RATIO} size")
        return size

    def parse_size(self, size: str) -> tuple[str, str] | None:
        """`1280x720` -> ("720p", "16:9"), from the size tables; None if not in them."""
        try:
            wanted = parse_wxh(size)
        except ValueError:
            return None
        tables = [self.sizes, *(f.sizes for f in self.families.values())]
        for table in tables:
            for res, cells in table.items():
                for ratio, dims in cells.items():
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

    # -- money -------------------------------------------------------------------------------

    def currency_of(self, spec: ModelSpec | None) -> str | None:
        plist = self.price_lists.get(spec.price_list or "") if spec is not None else None
        return plist.get("currency") if plist else None

    def price(
        self,
        spec: ModelSpec,
        *,
        resolution: str,
        video_reference: bool,
        generate_audio: bool,
        flex: bool,
        overrides: ProfilePrices | None = None,
    ) -> tuple[float | None, str | None]:
        """The price per million tokens and its currency: the profile's own price for this
        model first, then the provider's price list."""
        if overrides is not None:
            names = [spec.name, spec.requested, spec.family.key, spec.family.price_family]
            own = overrides.price(names, resolution, video_reference)
            if own is not None:
                return own, overrides.currency or self.currency_of(spec)
        facts = PriceFacts(spec.family.price_family, resolution, video_reference, generate_audio)
        plist = self.price_lists.get(spec.price_list or "")
        return list_price(plist, facts, flex=flex), self.currency_of(spec)

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
        input_seconds: float = 0.0,
        unknown_inputs: bool = False,
        overrides: ProfilePrices | None = None,
    ) -> Estimate:
        """The tokens of the video to make (and of the input videos whose length is known),
        times the price per million. A draft is 480p; an automatic duration is estimated at
        the model's longest."""
        fam = spec.family
        res = DRAFT_RESOLUTION if draft else (resolution or DEFAULT_RESOLUTION)
        rat = ratio or DEFAULT_RATIO
        approximate = draft or rat in ("adaptive", "9:21")
        seconds = duration if duration is not None else fam.duration_default
        if seconds is None:
            seconds = DEFAULT_DURATION
        if seconds < 0:  # -1: the service chooses; estimate the longest
            seconds, approximate = fam.duration_max, True
        width, height = self.size_of(res, rat, fam) or self.default_size()
        tokens = tokens_for(width, height, seconds + input_seconds)
        audio = fam.generate_audio if generate_audio is None else generate_audio
        price, currency = self.price(
            spec,
            resolution=res,
            video_reference=video_reference,
            generate_audio=audio,
            flex=flex,
            overrides=overrides,
        )
        return Estimate(tokens, price, currency, approximate, lower_bound=unknown_inputs)


def _retired(name: str, gone: Retired, vocab: Vocabulary) -> ValidationError:
    return ValidationError(
        f"{name} is retired on {vocab.title}: {gone.reason}",
        reason=Reason.of("model_retired", replacement=gone.replacement or ""),
        field="model",
        allowed=vocab.primaries(),
        suggestion=Suggestion.of("models"),
    )


def _satisfies(fam: Family, key: str, value: Any) -> bool:
    if key == "resolutions":
        return fam.offers(value)
    have = getattr(fam, key)
    if isinstance(have, tuple):
        return value in have
    if isinstance(have, bool):
        return bool(have == value)
    return bool(have >= value)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def parse_wxh(text: str) -> Size:
    w, sep, h = text.lower().partition("x")
    if not sep:
        raise ValueError(text)
    return int(w), int(h)


def cited(value: Any) -> tuple[str, ...]:
    """A `cite` entry as source keys: "a b" or ["a", "b"]."""
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(v) for v in value or ())


def _vocabulary(key: str, raw: dict[str, Any], overlaid: frozenset[tuple[str, ...]]) -> Vocabulary:
    cites = {name: cited(v) for name, v in (raw.get("cite") or {}).items()}
    limits = dict(raw.get("limits", {}))
    cites |= {f"limits.{k}": cited(v) for k, v in (limits.pop("cite", None) or {}).items()}
    overrides: dict[str, dict[str, Any]] = {}
    for fam, entry in raw.get("overrides", {}).items():
        values = dict(entry)
        own = values.pop("cite", None) or {}
        cites |= {f"overrides.{fam}.{k}": cited(v) for k, v in own.items()}
        overrides[fam] = values
    here = ("vocabularies", key)
    marked = frozenset(
        ".".join(path[2:]) for path in overlaid if path[:2] == here and len(path) > 2
    )
    for name in list(cites):  # an overlay's value without its own citation cites nothing
        part, _, cell = name.rpartition(".")
        if name in marked and f"{part}.cite.{cell}".lstrip(".") not in marked:
            cites[name] = ()
    return Vocabulary(
        key=key,
        title=raw.get("title", key),
        models=dict(raw.get("models", {})),
        price_list=raw.get("price_list"),
        limits=limits,
        overrides=overrides,
        retired={name: Retired(**entry) for name, entry in raw.get("retired", {}).items()},
        sources=tuple(raw.get("sources", ())),
        media=dict(raw.get("media", {})),
        folded={
            name: Folded(
                into=entry["into"],
                reason=entry.get("reason", ""),
                settings=dict(entry.get("settings", {})),
                source=entry.get("source"),
            )
            for name, entry in raw.get("folded", {}).items()
        },
        cites=cites,
        overlaid=marked,
    )


# Keys of a family table that are not values of a model: its names and bookkeeping.
FAMILY_META = frozenset({"title", "aliases", "sources", "base", "cite"})


def _load_families(
    raw: dict[str, dict[str, Any]], overlaid: frozenset[tuple[str, ...]] = frozenset()
) -> dict[str, Family]:
    names = {f.name for f in fields(Family)} - {"origins", "cites", "overlaid", "key"}
    resolved: dict[str, dict[str, Any]] = {}
    # per family: each value's table, its cited sources, whether an overlay set it
    origins: dict[str, dict[str, str]] = {}
    cites: dict[str, dict[str, tuple[str, ...]]] = {}
    marks: dict[str, set[str]] = {}

    def build(key: str) -> dict[str, Any]:
        if key not in resolved:
            entry = dict(raw[key])
            base = entry.pop("base", None)
            own_cites = {k: cited(v) for k, v in (entry.pop("cite", None) or {}).items()}
            merged = {**build(base), **entry} if base else entry
            origins[key] = dict(origins[base]) if base else {}
            cites[key] = dict(cites[base]) if base else {}
            marks[key] = set(marks[base]) if base else set()
            for own in ("aliases", "price_as"):  # a family's names are its own
                if own not in entry:
                    merged.pop(own, None)
            for name in entry:
                if name in FAMILY_META:
                    continue
                origins[key][name] = key
                cites[key][name] = own_cites.get(name, ())
                marks[key].discard(name)
                if ("families", key, name) in overlaid:
                    marks[key].add(name)
                    if ("families", key, "cite", name) not in overlaid:
                        cites[key][name] = ()  # the bundled source is not the overlay's
            resolved[key] = merged
        return resolved[key]

    families = {}
    for key in raw:
        values = {k: _freeze(v) for k, v in build(key).items() if k in names}
        if "sizes" in values:
            values["sizes"] = {
                res: {ratio: parse_wxh(s) for ratio, s in cells.items()}
                for res, cells in values["sizes"].items()
            }
        families[key] = Family(
            key=key,
            origins=origins[key],
            cites=cites[key],
            overlaid=frozenset(marks[key]),
            **values,
        )
    return families


@cache
def bundled() -> Catalogue:
    """The catalogue shipped in the package (read once)."""
    return Catalogue(data.load("catalogue.toml"))


OVERLAY_FILE = "catalogue.toml"  # in the config directory: merged over the bundled one
_overlay: Path | None = None


def use_overlay(config_dir: Path | None) -> None:
    """From now on, `catalogue()` is the bundled catalogue with `config_dir/catalogue.toml`
    merged over it, when that file exists (read when first needed, again when it changes)."""
    global _overlay
    _overlay = config_dir / OVERLAY_FILE if config_dir is not None else None


def overlay_file() -> Path | None:
    """Where the user's catalogue overlay is read from (it may not exist yet)."""
    return _overlay


def catalogue() -> Catalogue:
    """The catalogue in use: the bundled one, with the user's overlay merged over it."""
    path = _overlay
    if path is None:
        return bundled()
    try:
        stamp = path.stat()
    except OSError:
        return bundled()
    return _with_overlay(str(path), stamp.st_mtime_ns, stamp.st_size)


@cache
def _with_overlay(path: str, _mtime: int, _size: int) -> Catalogue:
    from seedance.domain.catalogue_overlay import merged

    raw, cells = merged(data.load("catalogue.toml"), Path(path))
    return Catalogue(raw, overlaid=cells, overlay_path=path)
