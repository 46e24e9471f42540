"""Every catalogue cell names its source, and every source is one a reader can find: a file in
docs/sources/, a repository path at a commit, or an address with the date it was read."""

from __future__ import annotations

import re
from pathlib import Path

from seedance import data
from seedance.domain.catalogue import FAMILY_META, cited

ROOT = Path(__file__).resolve().parents[2]
RAW = data.load("catalogue.toml")
SOURCES = RAW["sources"]

FILE = re.compile(r"^docs/sources/(?P<file>[\w.-]+)\b")
AT_COMMIT = re.compile(r"^[\w.-]+/[\w.-]+ \S+@[0-9a-f]{40}\b")
ADDRESS = re.compile(r"^https://\S+ \(read (by )?\d{4}-\d{2}-\d{2}\b")


def uncited(table: dict, keys: list[str], cite: dict, where: str) -> list[str]:
    missing = []
    for key in keys:
        named = cited(cite.get(key, ()))
        if not named:
            missing.append(f"{where}.{key}: no source")
        missing += [f"{where}.{key}: unknown source {n}" for n in named if n not in SOURCES]
    return missing


def test_every_source_is_a_file_a_path_at_a_commit_or_an_address_with_its_date():
    bad = []
    for key, text in SOURCES.items():
        found = FILE.match(text)
        if found:
            if not (ROOT / "docs" / "sources" / found["file"]).is_file():
                bad.append(f"{key}: no such file {found['file']}")
        elif not (AT_COMMIT.match(text) or ADDRESS.match(text)):
            bad.append(f"{key}: {text}")
    assert not bad, bad


def test_every_family_cell_names_a_source():
    missing = []
    for key, family in RAW["families"].items():
        cells = [k for k in family if k not in FAMILY_META]
        missing += uncited(family, cells, family.get("cite", {}), f"families.{key}")
        missing += [
            f"families.{key}.sources: {s}" for s in family.get("sources", ()) if s not in SOURCES
        ]
    assert not missing, missing


def test_every_vocabulary_cell_names_a_source():
    missing = []
    for key, vocab in RAW["vocabularies"].items():
        where = f"vocabularies.{key}"
        own = [k for k in ("models", "price_list") if k in vocab]
        missing += uncited(vocab, own, vocab.get("cite", {}), where)
        limits = vocab.get("limits", {})
        cells = [k for k in limits if k != "cite"]
        missing += uncited(limits, cells, limits.get("cite", {}), f"{where}.limits")
        for family, values in vocab.get("overrides", {}).items():
            cells = [k for k in values if k != "cite"]
            missing += uncited(values, cells, values.get("cite", {}), f"{where}.overrides.{family}")
        for part in ("retired", "folded"):
            for name, entry in vocab.get(part, {}).items():
                if entry.get("source") not in SOURCES:
                    missing.append(f"{where}.{part}.{name}: no known source")
    assert not missing, missing


def test_every_price_size_and_conflict_names_a_source():
    missing = []
    for key, plist in RAW["price_lists"].items():
        cells = [k for k in plist if k not in ("rules", "cite")]
        missing += uncited(plist, cells, plist.get("cite", {}), f"price_lists.{key}")
        missing += [
            f"price_lists.{key}: rule {n + 1}"
            for n, rule in enumerate(plist["rules"])
            if rule.get("source") not in SOURCES
        ]
    for res, table in RAW["sizes"].items():
        if table.get("cite") not in SOURCES:
            missing.append(f"sizes.{res}: no known source")
    for conflict in RAW["conflicts"]:
        named = conflict.get("sources") or []
        if len(named) < 2 or any(s not in SOURCES for s in named):
            missing.append(f"conflicts {conflict.get('cell')}: needs two known sources")
        if not conflict.get("chosen"):
            missing.append(f"conflicts {conflict.get('cell')}: says no choice")
    assert not missing, missing


def test_a_refusal_names_its_cell_and_source():
    from seedance.domain.catalogue import catalogue

    fast = catalogue().resolve("fast", "byteplus").family
    rule = fast.rule("resolutions")
    assert rule.name == "seedance-2.0-fast.resolutions" and rule.source == "tanstack phanedge"
    kapon = catalogue().resolve("fast", "kapon").family
    assert kapon.rule("max_reference_images").name == "kapon.max_reference_images"
