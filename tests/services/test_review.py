"""The review page, read as files and text: what `seedance review` and the end of a chain write,
what they skip and say, and what the page never holds. (tests/e2e/test_review_browser.py
renders it in Chromium.)"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from batch_fixture import SCRIPT_PROMPT, SIGNED, write_batch_folder
from seedance.services.media import frames
from seedance.services.review.review import read_folder
from support import KEYS

EXAMPLES = Path(__file__).parents[2] / "examples"


def branching(world) -> Path:
    shutil.copy(EXAMPLES / "branching.toml", world.root / "branching.toml")
    return world.root / "branching.toml"


def cards(html: str) -> list[str]:
    return re.findall(r'class="card[^"]*" id="([^"]+)"', html)


def test_a_chain_ends_with_its_review_page(world, run, sim):
    branching(world)
    result = run("chain", "branching.toml", "--json")
    assert result.exit_code == 0, result.stderr
    folder = world.root / "branching"
    document = json.loads(result.stdout)
    assert document["review"] == str(folder / "review.html")
    assert result.stderr.rstrip().endswith(f"review: {folder / 'review.html'}")
    html = (folder / "review.html").read_text()
    # plan order: the storyboard's
    assert cards(html) == ["shot-dawn", "shot-bridge", "shot-city", "shot-harbor"]
    assert html.count('<li class="seam') == 2  # bridge and harbor continue from dawn
    for stem in ("01-dawn", "02-bridge", "03-city", "04-harbor"):
        assert frames.poster_path(folder / f"{stem}.mp4").is_file()
        assert frames.sheet_path(folder / f"{stem}.mp4").is_file()
        assert f'href="{stem}.mp4"' in html
    assert (folder / "02-bridge.first.png").is_file() and (folder / "04-harbor.first.png").is_file()
    assert "dreamina-seedance-2-0-260128" in html  # the model as sent, from the journal
    assert "<h1>branching.toml</h1>" in html


def test_review_says_what_it_skipped(world, run, sim):
    branching(world)
    assert run("chain", "branching.toml").exit_code == 0
    folder = world.root / "branching"
    (folder / "02-bridge.mp4").unlink()
    (folder / "03-city.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 damaged")
    (folder / "03-city.poster.png").unlink()
    (folder / "notes.txt").write_text("mine")
    (folder / "old.mp4").write_bytes(b"an older take")
    result = run("review", "branching", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    skipped = document["skipped"]
    assert skipped[0] == "02-bridge.mp4: missing (02 bridge is done in the manifest)"
    assert skipped[1].startswith("03-city.mp4: cannot read the video")
    assert skipped[2:] == ["notes.txt: not in the manifest", "old.mp4: not in the manifest"]
    for line in skipped:
        assert f"warning: skipped {line}" in result.stderr
    html = (folder / "review.html").read_text()
    assert cards(html) == ["shot-dawn", "shot-bridge", "shot-city", "shot-harbor"]
    assert "02-bridge.mp4 is missing" in html and "notes.txt: not in the manifest" in html
    assert document["totals"] == {"shots": 4, "done": 4, "failed": 0, "spent": "$3.50"}
    plain = run("review", str(folder))
    assert plain.stdout == f"{folder / 'review.html'}\n"


def test_review_refuses_what_is_not_an_output_folder(world, run):
    (world.root / "empty").mkdir()
    result = run("review", "empty")
    assert result.exit_code == 2
    assert "holds neither chain.json nor batch.json" in result.stderr
    assert run("review", "nowhere").exit_code == 2
    (world.root / "broken").mkdir()
    (world.root / "broken" / "chain.json").write_text("{not json")
    result = run("review", "broken")
    assert result.exit_code == 2 and "chain.json is damaged" in result.stderr
    assert not (world.root / "broken" / "review.html").exists()


def test_failed_shots_show_the_provider_s_code_and_message(world, run, sim):
    sim.fail_next("InputImageSensitiveContentDetected", "The input image may be <unsafe>.")
    (world.root / "two.toml").write_text(
        '[[shots]]\nid = "a"\nprompt = "one"\n\n[[shots]]\nid = "b"\nprompt = "two"\n'
    )
    result = run("chain", "two.toml", "--json")
    assert result.exit_code == 5
    document = json.loads(result.stdout)
    page = world.root / "two" / "review.html"
    assert document["review"] == str(page)
    html = page.read_text()
    assert "<strong>InputImageSensitiveContentDetected</strong>" in html
    assert "The input image may be &lt;unsafe&gt;." in html
    assert re.search(r"failed</span></h3>", html) and "blocked" in html


def test_the_page_escapes_prompts_and_holds_no_signed_url_or_key(world, run, sim):
    (world.root / "odd.toml").write_text(
        f'[[shots]]\nid = "odd"\nprompt = \'{SCRIPT_PROMPT}\'\nimages = ["{SIGNED}"]\n'
    )
    result = run("chain", "odd.toml")
    assert result.exit_code == 0, result.stderr
    html = (world.root / "odd" / "review.html").read_text()
    assert "<script" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;document.title = &quot;owned&quot;&lt;/script&gt;" in html
    assert "style.png from tos.example.com" in html
    for secret in ("X-Tos-", "Signature=", "Credential=", *KEYS.values()):
        assert secret not in html
    assert not re.search(r'(src|href)="(?![\w.%-]+")', html)  # only files beside the page


def test_without_the_extra_a_chain_gives_one_notice_and_no_page(world, run, sim, monkeypatch):
    monkeypatch.setattr(frames, "missing", lambda: ["PyAV", "Pillow"])
    branching(world)
    result = run("chain", "branching.toml", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["review"] is None
    notices = [line for line in result.stderr.splitlines() if "need PyAV and Pillow" in line]
    assert len(notices) == 1
    assert not (world.root / "branching" / "review.html").exists()
    assert not list((world.root / "branching").glob("*.poster.png"))


def test_a_batch_folder_reads_as_rows_and_takes(tmp_path):
    write_batch_folder(tmp_path / "shots")
    review = read_folder(tmp_path / "shots", stills=False)
    assert review.kind == "batch" and review.source == "shots.jsonl"
    assert [row.title for row in review.rows] == ["boat", "tower", "storm"]
    assert [take.title for take in review.rows[0].takes] == ["boat · take 1", "boat · take 2"]
    assert review.totals() == {"shots": 6, "done": 5, "failed": 1, "spent": "$3.80"}
    failed = review.rows[2].takes[1]
    assert failed.error is not None and failed.error[0] == "OutputVideoSensitiveContentDetected"
    assert ("seed", "32") in failed.facts and ("cost", "nothing billed") in failed.facts
    assert review.skipped == [] and review.notices  # the stills were not asked for


def test_review_open_hands_the_page_to_the_browser(world, run, sim, monkeypatch):
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda uri: opened.append(uri) or True)
    branching(world)
    assert run("chain", "branching.toml").exit_code == 0
    result = run("review", "branching", "--open")
    assert result.exit_code == 0, result.stderr
    assert opened == [(world.root / "branching" / "review.html").as_uri()]
