"""The model catalogue: names per provider, translation, capabilities, prices and estimates."""

from __future__ import annotations

import json

import pytest

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import Suggestion, ValidationError

SEED_MODEL_IDS = [
    # docs/sources/ark.txt (Ark official)
    ("volcengine", "doubao-seedance-1-5-pro-251215"),
    ("volcengine", "doubao-seedance-1-0-pro-250528"),
    ("volcengine", "doubao-seedance-1-0-pro-fast-251015"),
    ("volcengine", "doubao-seedance-1-0-lite-t2v-250428"),
    ("volcengine", "doubao-seedance-1-0-lite-i2v-250428"),
    ("byteplus", "seedance-1-5-pro-251215"),
    ("byteplus", "seedance-1-0-pro-250528"),
    ("byteplus", "seedance-pro-fast"),
    ("byteplus", "seedance-1-0-lite-t2v"),
    ("byteplus", "seedance-1-0-lite-i2v"),
    # docs/sources/phanedge.txt (PhanEdge, and the official BytePlus versions it names)
    ("phanedge", "dreamina-seedance-2-0"),
    ("phanedge", "dreamina-seedance-2-0-fast"),
    ("phanedge", "dreamina-seedance-2-0-mini"),
    ("phanedge", "dreamina-seedance-2-0-filter-off"),
    ("phanedge", "dreamina-seedance-2-0-fast-filter-off"),
    ("byteplus", "dreamina-seedance-2-0-260128"),
    ("byteplus", "dreamina-seedance-2-0-fast-260128"),
    ("byteplus", "dreamina-seedance-2-0-mini-260615"),
    # docs/sources/kapon.txt, opeai.txt, easyrouter.txt
    ("kapon", "seedance-2-0"),
    ("kapon", "seedance-2-0-fast"),
    ("opeai", "seedance-2-0-nsfw"),
    ("easyrouter", "dreamina-seedance-2-0-fast"),
]


@pytest.mark.parametrize(("vocabulary", "name"), SEED_MODEL_IDS)
def test_every_seed_model_id_is_known_and_sent_as_is(vocabulary, name):
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
        ("2.0", "volcengine", "doubao-seedance-2-0"),
        ("MINI", "phanedge", "dreamina-seedance-2-0-mini"),
    ],
)
def test_names_translate_across_providers(name, vocabulary, sent):
    assert catalogue().resolve(name, vocabulary).name == sent


@pytest.mark.parametrize(
    ("name", "vocabulary", "message"),
    [
        ("dreamina-seedance-2-0-mini", "kapon", "choose one of: seedance-2-0, seedance-2-0-fast"),
        ("seedance-2-0-nsfw", "phanedge", "not offered by PhanEdge"),
        ("seedance-1-5-pro-251215", "easyrouter", "not offered by EasyRouter"),
        ("seedanse-2-0", "kapon", "did you mean 'seedance-2-0'"),
    ],
)
def test_names_a_provider_lacks_are_refused_with_valid_names(name, vocabulary, message):
    with pytest.raises(ValidationError) as refused:
        catalogue().resolve(name, vocabulary)
    assert message in str(refused.value)


def test_refused_names_carry_the_field_and_the_names_that_work():
    with pytest.raises(ValidationError) as refused:
        catalogue().resolve("seedanse-2-0", "kapon")
    assert refused.value.field == "model"
    assert refused.value.allowed == ("seedance-2-0", "seedance-2-0-fast")
    with pytest.raises(ValidationError) as unknown:
        catalogue().resolve("no-such-model", None)
    assert unknown.value.field == "model"
    assert unknown.value.suggestion == Suggestion.of("models")
    assert "skip validation to send it anyway" in str(unknown.value)


def test_gateway_limits_apply():
    cat = catalogue()
    assert "4k" in cat.resolve("dreamina-seedance-2-0", "phanedge").family.resolutions
    assert "4k" not in cat.resolve("dreamina-seedance-2-0-fast", "phanedge").family.resolutions
    assert "4k" not in cat.resolve("dreamina-seedance-2-0-260128", "byteplus").family.resolutions
    assert cat.resolve("seedance-2-0", "kapon").family.max_reference_images == 5
    assert cat.resolve("seedance-2-0", "opeai").family.max_reference_images == 9
    mini = cat.resolve("mini", "phanedge").family
    assert (mini.max_reference_audios, mini.flex, mini.draft) == (0, False, False)
    assert mini.resolutions == ("480p", "720p")


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
    assert unknown.cost is None and unknown.describe() == "108,900 tokens"


def test_sizes_round_trip():
    cat = catalogue()
    assert cat.parse_size("720x1280") == ("720p", "9:16")
    assert cat.size_of("4k", "21:9") == (4398, 1886)
    assert cat.parse_size("1000x1000") is None


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
