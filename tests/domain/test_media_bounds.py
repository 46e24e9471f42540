"""The reference media bounds are catalogue data (issue 27): each bound with its rule and
source, a provider's own cells over the catalogue's, and an overlay changes them."""

from __future__ import annotations

import copy

from seedance import data
from seedance.domain.catalogue import Catalogue, catalogue


def test_every_bound_names_its_cell_and_a_source_the_catalogue_lists():
    cat = catalogue()
    bounds = cat.media_bounds("byteplus")
    for name in bounds.values:
        rule = bounds.rule(name)
        assert rule.name in (f"media.{name}", f"vocabularies.byteplus.media.{name}")
        assert rule.source in cat.sources.values(), name
    assert bounds.video_pixels == (407_696, 8_295_044) and bounds.video_fps == (24, 60)
    assert bounds.body_max_bytes == 64 * 2**20 and bounds.audio_max_bytes == 15 * 2**20


def test_a_provider_keeps_its_own_rules():
    cat = catalogue()
    assert cat.media_bounds("byteplus").audio_inline  # bpsa-inline
    assert not cat.media_bounds("volcengine").audio_inline  # no source found
    opeai = cat.media_bounds("opeai")
    assert opeai.video_max_bytes == 50 * 2**20
    assert opeai.rule("video_max_bytes").name == "vocabularies.opeai.media.video_max_bytes"


def test_cells_merged_over_the_bundled_catalogue_change_the_bounds():
    """What the config directory's catalogue.toml does, merged over the bundled one."""
    merged = copy.deepcopy(data.load("catalogue.toml"))
    merged["vocabularies"]["volcengine"]["media"] = {"audio_inline": True}
    merged["media"]["video_fps"] = [15, 60]

    cat = Catalogue(merged)

    bounds = cat.media_bounds("volcengine")
    assert bounds.audio_inline
    assert bounds.rule("audio_inline").name == "vocabularies.volcengine.media.audio_inline"
    assert bounds.video_fps == (15, 60)
