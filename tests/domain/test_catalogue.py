"""The model catalogue: names per provider, translation, capabilities, prices and estimates."""

from __future__ import annotations

import json

import pytest

from seedance.domain.catalogue import UnknownModel, catalogue
from seedance.domain.errors import Suggestion, ValidationError
from seedance.wording.hints import explain

LIVE_MODEL_IDS = [
    # docs/sources/live-research.md §1a: the ids the live services answer to
    ("byteplus", "dreamina-seedance-2-5-260628"),
    ("byteplus", "dreamina-seedance-2-5-premium-260915"),
    ("byteplus", "dreamina-seedance-2-0-260128"),
    ("byteplus", "dreamina-seedance-2-0-fast-260128"),
    ("byteplus", "dreamina-seedance-2-0-mini-260615"),
    ("byteplus", "seedance-1-0-pro-250528"),
    ("byteplus", "seedance-1-0-pro-fast-251015"),
    ("volcengine", "doubao-seedance-2-5-260628"),
    ("volcengine", "doubao-seedance-2-0-260128"),
    ("volcengine", "doubao-seedance-2-0-fast-260128"),
    ("volcengine", "doubao-seedance-2-0-mini-260615"),
    # docs/sources/ark.txt (Ark official, Volcengine)
    ("volcengine", "doubao-seedance-1-5-pro-251215"),
    ("volcengine", "doubao-seedance-1-0-pro-250528"),
    ("volcengine", "doubao-seedance-1-0-pro-fast-251015"),
    ("volcengine", "doubao-seedance-1-0-lite-t2v-250428"),
    ("volcengine", "doubao-seedance-1-0-lite-i2v-250428"),
    # docs/sources/phanedge.txt (PhanEdge)
    ("phanedge", "dreamina-seedance-2-0"),
    ("phanedge", "dreamina-seedance-2-0-fast"),
    ("phanedge", "dreamina-seedance-2-0-mini"),
    ("phanedge", "dreamina-seedance-2-0-filter-off"),
    ("phanedge", "dreamina-seedance-2-0-fast-filter-off"),
    # docs/sources/kapon.txt, opeai.txt, easyrouter.txt
    ("kapon", "seedance-2-0"),
    ("kapon", "seedance-2-0-fast"),
    ("opeai", "seedance-2-0-nsfw"),
    ("easyrouter", "dreamina-seedance-2-0-fast"),
]


@pytest.mark.parametrize(("vocabulary", "name"), LIVE_MODEL_IDS)
def test_every_live_model_id_is_known_and_sent_as_is(vocabulary, name):
    spec = catalogue().resolve(name, vocabulary)
    assert spec.name == name and not spec.translated


@pytest.mark.parametrize(
    ("name", "vocabulary", "sent"),
    [
        ("dreamina-seedance-2-0", "byteplus", "dreamina-seedance-2-0-260128"),
        ("seedance-2-0", "phanedge", "dreamina-seedance-2-0"),
        ("dreamina-seedance-2-0-260128", "kapon", "dreamina-seedance-2-0-260128"),  # kapon alias
        ("dreamina-seedance-2-0-fast", "opeai", "seedance-2-0-fast"),
        ("fast", "easyrouter", "dreamina-seedance-2-0-fast"),
        ("MINI", "phanedge", "dreamina-seedance-2-0-mini"),
        # aliases resolve per provider, to the dated official ids (docs/sources/real-world.md)
        ("2.0", "volcengine", "doubao-seedance-2-0-260128"),
        ("fast", "volcengine", "doubao-seedance-2-0-fast-260128"),
        ("mini", "volcengine", "doubao-seedance-2-0-mini-260615"),
        ("2.5", "volcengine", "doubao-seedance-2-5-260628"),
        ("2.5", "byteplus", "dreamina-seedance-2-5-260628"),
        ("fast", "byteplus", "dreamina-seedance-2-0-fast-260128"),
        ("mini", "byteplus", "dreamina-seedance-2-0-mini-260615"),
        ("doubao-seedance-2-0", "volcengine", "doubao-seedance-2-0-260128"),  # the undated name
        ("dreamina-seedance-2-5-260628", "volcengine", "doubao-seedance-2-5-260628"),
        ("seedance-pro-fast", "byteplus", "seedance-1-0-pro-fast-251015"),  # ark.txt's old name
        ("seedance-1-5-pro-251215", "volcengine", "doubao-seedance-1-5-pro-251215"),
    ],
)
def test_names_translate_across_providers(name, vocabulary, sent):
    assert catalogue().resolve(name, vocabulary).name == sent


@pytest.mark.parametrize(
    ("name", "vocabulary", "message"),
    [
        ("mini", "kapon", "choose one of: seedance-2-0, seedance-2-0-fast"),
        ("nsfw", "phanedge", "not offered by PhanEdge"),
        ("2.5", "easyrouter", "not offered by EasyRouter"),
        # docs/sources/live-research.md §1a: retired, with the replacement named
        ("seedance-1-5-pro-251215", "byteplus", "use dreamina-seedance-2-0-mini-260615"),
        ("1.5", "byteplus", "shut it down on 2026-11-11"),
        ("seedance-1-0-lite-t2v", "byteplus", "does not serve it outside China"),
    ],
)
def test_aliases_a_provider_lacks_and_retired_names_are_refused(name, vocabulary, message):
    with pytest.raises(ValidationError) as refused:
        catalogue().resolve(name, vocabulary)
    assert not isinstance(refused.value, UnknownModel)
    assert message in explain(refused.value)


@pytest.mark.parametrize(
    ("name", "vocabulary", "notice"),
    [
        ("seedanse-2-0", "kapon", "did you mean seedance-2-0?"),
        ("dreamina-seedance-2-6-270101", "byteplus", "not in seedance's catalogue"),
        # another provider's id, named by the user: the gateway gets it as named
        ("seedance-2-0-nsfw", "phanedge", "PhanEdge does not list seedance-2-0-nsfw"),
        ("seedance-1-5-pro-251215", "easyrouter", "EasyRouter does not list"),
        ("ep-20260101123456-abcde", "volcengine", "is an endpoint id"),
        ("no-such-model", None, "not in seedance's catalogue"),
    ],
)
def test_unknown_names_carry_a_notice_to_send_them_unchecked(name, vocabulary, notice):
    with pytest.raises(UnknownModel) as unknown:
        catalogue().resolve(name, vocabulary)
    assert notice in unknown.value.notice
    assert "checked" in unknown.value.notice and "--" not in unknown.value.notice
    assert unknown.value.field == "model"
    assert unknown.value.suggestion == Suggestion.of("models")


def test_an_endpoint_id_takes_the_checks_of_the_family_its_profile_declares():
    spec = catalogue().resolve("ep-20260101-x", "volcengine", model_family="2.0")
    assert spec.name == "ep-20260101-x" and spec.endpoint and not spec.translated
    assert spec.family.key == "seedance-2.0" and spec.price_list == "volcengine"
    with pytest.raises(ValidationError) as bad:
        catalogue().resolve("ep-1", "volcengine", model_family="9.9")
    assert bad.value.field == "model_family"


def test_refused_names_carry_the_field_and_the_names_that_work():
    with pytest.raises(ValidationError) as refused:
        catalogue().resolve("mini", "kapon")
    assert refused.value.field == "model"
    assert refused.value.allowed == ("seedance-2-0", "seedance-2-0-fast")


def test_gateway_limits_apply():
    cat = catalogue()
    assert "4k" in cat.resolve("dreamina-seedance-2-0", "phanedge").family.resolutions
    assert "4k" not in cat.resolve("dreamina-seedance-2-0-fast", "phanedge").family.resolutions
    assert "4k" not in cat.resolve("seedance-2-0", "kapon").family.all_resolutions
    assert cat.resolve("seedance-2-0", "kapon").family.max_reference_images == 5
    assert cat.resolve("seedance-2-0", "opeai").family.max_reference_images == 9
    mini = cat.resolve("mini", "phanedge").family
    assert (mini.max_reference_audios, mini.flex, mini.draft) == (0, False, False)
    assert mini.resolutions == ("480p", "720p")
    assert cat.resolve("mini", "byteplus").family.max_reference_audios == 3  # the Ark rule
    assert "9:21" not in cat.resolve("seedance-2-0", "kapon").family.ratios


def test_the_live_capabilities():
    """docs/sources/live-research.md §1b, cell by cell."""
    cat = catalogue()
    standard = cat.resolve("2.0", "byteplus").family
    assert "4k" in standard.resolutions  # probed
    assert "9:21" in standard.ratios_unconfirmed and "9:21" in standard.all_ratios  # conflict
    assert (standard.draft, standard.flex, standard.audio_needs_visual) == (False, False, True)
    assert standard.output_formats == ()
    volc = cat.resolve("2.0", "volcengine").family
    assert "4k" not in volc.resolutions and volc.offers("4k")  # sent, the server decides
    v25 = cat.resolve("2.5", "byteplus").family
    assert (v25.duration_min, v25.duration_max, v25.duration_auto) == (4, 30, True)
    assert v25.resolutions == ("480p", "720p", "1080p", "4k")  # BPSA v0.9.0, November
    assert (v25.draft, v25.flex, v25.audio_needs_visual) == (True, False, False)
    assert v25.output_formats == ("mp4", "mov") and v25.final_resolutions == ("1080p",)
    assert v25.all_final_resolutions == ("1080p", "4k")  # conflict: 4k sent with a notice
    assert v25.task_types == ("auto", "reference", "edit", "extend")
    flash = cat.resolve("dreamina-seedance-2-5-flash-261115", "byteplus")
    assert flash.family.resolutions == ("480p", "720p") and not flash.family.draft
    assert (flash.family.max_reference_images, flash.family.max_reference_videos) == (10, 5)
    assert (v25.max_reference_images, v25.max_reference_videos) == (30, 10)
    assert "4k" in cat.resolve("2.5", "volcengine").family.resolutions  # probed 2026-11-18
    premium = cat.resolve("premium", "byteplus")
    assert premium.family.resolutions == ("4k",) and premium.family.offers("720p")
    assert premium.family.final_resolutions == ("4k",)
    assert premium.folded is not None and premium.folded.into == "dreamina-seedance-2-5-260628"
    assert "dreamina-seedance-2-5-premium-260915" not in cat.vocabularies["byteplus"].primaries()
    pro = cat.resolve("1.5", "volcengine").family
    assert (pro.draft, pro.flex, pro.priority, pro.draft_last_frame) == (True, True, False, False)
    assert cat.resolve("1.0-pro", "volcengine").family.duration_min == 2
    every = [cat.resolve(n, v) for v in cat.vocabularies for n in cat.vocabularies[v].primaries()]
    assert all(
        s.family.sources or cat.vocabularies[v].sources for s in every for v in [s.vocabulary]
    )
    assert all(key in cat.sources for f in cat.families.values() for key in f.sources)


def test_every_price_rule_cites_a_known_source():
    cat = catalogue()
    rules = [r for plist in cat.price_lists.values() for r in plist["rules"]]
    assert rules and all(r.get("source") in cat.sources for r in rules)


def test_the_token_formula_matches_the_seeds():
    cat = catalogue()
    spec = cat.resolve("dreamina-seedance-2-0-260128", "byteplus")
    estimate = cat.estimate(spec, resolution="720p", ratio="16:9", duration=5)
    assert (
        estimate.tokens == 108_900
    )  # docs/sources/ark.txt and docs/sources/easyrouter.txt sample responses
    assert estimate.cost == pytest.approx(108_900 / 1e6 * 7.0)
    assert estimate.describe() == "108,900 tokens ≈ $0.76"
    with_video = cat.estimate(
        spec, resolution="1080p", ratio="9:16", duration=5, video_reference=True
    )
    assert with_video.price_per_million == 4.7
    cn = cat.resolve("doubao-seedance-1-5-pro-251215", "volcengine")
    silent = cat.estimate(
        cn, resolution="1080p", ratio="9:16", duration=5, generate_audio=False, flex=True
    )
    assert silent.price_per_million == 4.0 and silent.currency == "CNY"
    unknown = cat.estimate(
        cat.resolve("seedance-2-0", "kapon"), resolution=None, ratio=None, duration=None
    )
    assert unknown.cost is None and unknown.describe() == "108,900 tokens, price unknown"


def test_estimates_count_input_video_seconds_and_say_when_they_are_a_lower_bound():
    cat = catalogue()
    spec = cat.resolve("2.0", "byteplus")
    plain = cat.estimate(spec, resolution="720p", ratio="16:9", duration=5)
    with_input = cat.estimate(
        spec, resolution="720p", ratio="16:9", duration=5, video_reference=True, input_seconds=3
    )
    assert with_input.tokens == 1280 * 720 * (24 * 8 + 1) // 1024 > plain.tokens
    unknown = cat.estimate(
        spec,
        resolution="720p",
        ratio="16:9",
        duration=5,
        video_reference=True,
        unknown_inputs=True,
    )
    assert unknown.describe().startswith("at least 108,900 tokens")


def test_estimates_of_2_5():
    cat = catalogue()
    bp = cat.resolve("2.5", "byteplus")
    # docs/sources/live-research.md §2: BytePlus's own 5 s 480p example, $0.514 (x120 frames)
    small = cat.estimate(bp, resolution="480p", ratio="16:9", duration=5)
    assert small.tokens == 854 * 480 * 121 // 1024 and small.price_per_million == 10.7
    auto = cat.estimate(bp, resolution="720p", ratio="16:9", duration=None)  # default -1
    assert auto.approximate and auto.tokens == 1280 * 720 * (24 * 30 + 1) // 1024
    draft = cat.estimate(bp, resolution="1080p", ratio="16:9", duration=5, draft=True)
    assert draft.tokens == small.tokens  # a draft is 480p
    premium = cat.estimate(
        cat.resolve("premium", "byteplus"), resolution="4k", ratio="16:9", duration=4
    )
    assert premium.cost is None and premium.describe().endswith("price unknown")
    cny = cat.estimate(
        cat.resolve("2.5", "volcengine"), resolution="1080p", ratio="16:9", duration=5
    )
    assert (cny.price_per_million, cny.currency) == (77.0, "CNY")


def test_a_profiles_prices_come_first():
    from seedance.domain.pricing import ProfilePrices

    cat = catalogue()
    spec = cat.resolve("premium", "byteplus")
    own = ProfilePrices({"dreamina-seedance-2-5-premium-260915": {"4k": 16.0, "default": 12.0}})
    estimate = cat.estimate(spec, resolution="4k", ratio="16:9", duration=4, overrides=own)
    assert (estimate.price_per_million, estimate.currency) == (16.0, "USD")
    endpoint = cat.resolve("ep-1", "volcengine", model_family="2.0")
    flat = ProfilePrices({"ep-1": 40}, currency="CNY")
    assert (
        cat.estimate(
            endpoint, resolution="720p", ratio="16:9", duration=5, overrides=flat
        ).price_per_million
        == 40
    )


def test_sizes_round_trip():
    cat = catalogue()
    assert cat.parse_size("720x1280") == ("720p", "9:16")
    assert cat.size_of("4k", "21:9") == (4398, 1886)
    assert cat.parse_size("1000x1000") is None
    v25 = cat.resolve("2.5", "byteplus").family
    assert cat.size_of("480p", "16:9", v25) == (854, 480)  # 2.5's own 480p (research §3)
    assert cat.size_of("720p", "16:9", v25) == (1280, 720)
    assert cat.parse_size("854x480") == ("480p", "16:9")
    assert cat.size_of("720p", "9:21") == (630, 1470)  # no source sizes 9:21: 21:9 turned


def test_models_command_lists_the_profiles_names_with_prices(run):
    rows = json.loads(run("-p", "phanedge", "models", "--json").stdout)
    names = [r["name"] for r in rows]
    assert names == [
        "dreamina-seedance-2-0",
        "dreamina-seedance-2-0-fast",
        "dreamina-seedance-2-0-mini",
        "dreamina-seedance-2-0-filter-off",
        "dreamina-seedance-2-0-fast-filter-off",
    ]
    standard = rows[0]
    assert "dreamina-seedance-2-0-260128" in standard["aliases"]
    assert standard["prices_per_million_tokens"]["4k"] == 4.0
    assert standard["prices_per_million_tokens"]["1080p+video"] == 4.7
    assert rows[3]["prices_per_million_tokens"] == standard["prices_per_million_tokens"]
    table = run("-p", "phanedge", "models")
    assert table.stdout.splitlines()[0].startswith("dreamina-seedance-2-0\t")


def test_create_shows_the_estimate(run, sim):
    result = run("create", "a boat", "-r", "1080p", "-d", "5")
    assert "estimate: 245,025 tokens ≈ $1.89" in result.stderr
