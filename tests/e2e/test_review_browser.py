"""Review pages rendered in a real headless Chromium (the `browser` fixture, tests/browser.py):
a branching storyboard made by the simulator and a batch of rows × takes. Each test takes a
screenshot, checks it is not blank, counts cards and seams in the DOM, and checks the basics of
accessibility and that the page reaches nothing outside its folder."""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path
from typing import Any

from PIL import Image

from batch_fixture import SCRIPT_PROMPT, write_batch_folder
from support import KEYS

EXAMPLES = Path(__file__).parents[2] / "examples"

# Every image, heading and text colour pair of the page, from the rendered DOM.
FACTS = """(() => {
  const rgba = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const behind = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      if (colour.length === 3 || colour[3] > 0) return colour;
    }
    return [255, 255, 255];
  };
  const pairs = {};
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const words = node.textContent.trim();
    const element = node.parentElement;
    if (!words || !element.getClientRects().length) continue;
    const colour = rgba(getComputedStyle(element).color);
    const background = behind(element);
    pairs[colour + '/' + background] = {colour, background, words: words.slice(0, 40)};
  }
  return {
    title: document.title,
    scripts: document.querySelectorAll('script, iframe, object, embed').length,
    handlers: [...document.querySelectorAll('*')].filter(
      (e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    images: [...document.images].map((i) => ({
      src: i.getAttribute('src'), alt: i.getAttribute('alt'), width: i.naturalWidth})),
    headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(
      (h) => Number(h.tagName[1])),
    pairs: Object.values(pairs),
  };
})()"""


def luminance(colour: list[float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def check_page(page: Any, folder: Path) -> dict[str, Any]:
    """What every review page must be; returns the facts for more checks."""
    facts = page.evaluate(FACTS)
    # self-contained: everything it loaded is a file in its folder; no scripts at all
    assert page.requests, "the page loaded nothing"
    for url in page.requests:
        assert url.startswith(folder.resolve().as_uri() + "/"), url
    assert facts["scripts"] == 0 and facts["handlers"] == 0
    # every image has its file and a text alternative
    assert facts["images"]
    for image in facts["images"]:
        assert image["alt"] and len(image["alt"]) > 8, image
        assert image["width"] > 0, f"{image['src']} did not load"
    # one h1, then no level skipped
    headings = facts["headings"]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(headings)), headings
    # every colour pair of text on its background: at least 4.5:1
    assert len(facts["pairs"]) >= 5
    for pair in facts["pairs"]:
        assert len(pair["background"]) == 3 or pair["background"][3] == 1, pair  # opaque
        ratio = contrast(pair["colour"], pair["background"])
        assert ratio >= 4.5, f"{pair['words']!r}: {ratio:.2f}:1"
    html = (folder / "review.html").read_text()
    for secret in ("X-Tos-", "Signature=", "http://", "https://", *KEYS.values()):
        assert secret not in html
    return facts


def check_screenshot(png: bytes, width: int) -> Image.Image:
    """A real picture: the page's width, tall, and far from one flat colour."""
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    assert shot.width == width and shot.height > 600
    colours = shot.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 1000
    commonest = max(count for count, _colour in colours)
    assert commonest < 0.8 * shot.width * shot.height
    return shot


def test_a_branching_storyboard_in_chromium(world, run, media_sim, browser):
    shutil.copy(EXAMPLES / "branching.toml", world.root / "branching.toml")
    result = run("chain", "branching.toml")
    assert result.exit_code == 0, result.stderr
    folder = world.root / "branching"
    page = browser.open(folder / "review.html", width=1200)
    try:
        facts = check_page(page, folder)
        dom = page.evaluate(
            """({
              cards: [...document.querySelectorAll('.card')].map((c) => c.id),
              seams: [...document.querySelectorAll('.seam')].map((s) => ({
                label: s.getAttribute('aria-label'),
                frames: [...s.querySelectorAll('img')].map((i) => i.naturalWidth > 0),
                next: s.nextElementSibling.id})),
              branch: getComputedStyle(document.getElementById('shot-harbor')).marginLeft,
              trunk: getComputedStyle(document.getElementById('shot-bridge')).marginLeft,
            })"""
        )
        assert dom["cards"] == ["shot-dawn", "shot-bridge", "shot-city", "shot-harbor"]
        assert [(s["next"], s["frames"]) for s in dom["seams"]] == [
            ("shot-bridge", [True, True]),
            ("shot-harbor", [True, True]),
        ]
        assert dom["seams"][1]["label"] == "Seam: 01 dawn → 04 harbor"
        assert float(dom["branch"][:-2]) > float(dom["trunk"][:-2])  # the branch is indented
        assert sum(1 for i in facts["images"] if i["src"].endswith(".sheet.png")) == 4
        check_screenshot(page.screenshot(), 1200)
    finally:
        page.close()


def test_a_batch_with_takes_in_chromium(tmp_path, browser):
    folder = tmp_path / "shots"
    write_batch_folder(folder)
    from seedance.services.review.review import write_review

    review = write_review(folder)
    assert review.skipped == [] and review.notices == []
    page = browser.open(folder / "review.html", width=1200)
    try:
        facts = check_page(page, folder)
        assert facts["title"] == "Review of shots.jsonl"  # no script ran
        grid = page.evaluate(
            """({
              columns: [...document.querySelectorAll('thead th')].map((t) => t.textContent),
              rows: [...document.querySelectorAll('tbody tr')].map((r) => ({
                row: r.querySelector('th strong').textContent,
                prompt: r.querySelector('th .prompt').textContent,
                takes: [...r.querySelectorAll('.card')].map((c) => c.id)})),
              failed: document.querySelector('#take-storm-2 .error').textContent,
              tops: [...document.querySelectorAll('tbody tr:first-child .card')].map(
                (c) => Math.round(c.getBoundingClientRect().top)),
            })"""
        )
        assert grid["columns"] == ["Row", "Take 1", "Take 2"]
        assert [(r["row"], r["takes"]) for r in grid["rows"]] == [
            ("boat", ["take-boat-1", "take-boat-2"]),
            ("tower", ["take-tower-1", "take-tower-2"]),
            ("storm", ["take-storm-1", "take-storm-2"]),
        ]
        assert len(set(grid["tops"])) == 1  # the takes of a row sit side by side
        assert grid["rows"][1]["prompt"] == SCRIPT_PROMPT  # shown as text, not run
        assert grid["failed"].startswith(
            "OutputVideoSensitiveContentDetected: The output video may contain sensitive content."
        )
        assert "X-Tos" not in grid["failed"]
        check_screenshot(page.screenshot(), 1200)
    finally:
        page.close()


EXTENDING = """\
[defaults]
model = "2.5"
duration = 5

[[shots]]
id = "dawn"
prompt = "A paper boat on calm water at dawn"

[[shots]]
id = "more"
prompt = "extend forward: the boat drifts under a bridge"
extend = "previous"
"""


def test_an_extending_storyboard_in_chromium(world, run, media_sim, browser):
    """A shot that extends the previous shot's video says so on its card, and a prompt the
    model rewrote is shown beside the one written (issue 26)."""
    media_sim.config.revised_prompts = True
    (world.root / "ext.toml").write_text(EXTENDING)
    result = run("chain", "ext.toml")
    assert result.exit_code == 0, result.stderr
    folder = world.root / "ext"
    page = browser.open(folder / "review.html", width=1200)
    try:
        check_page(page, folder)
        dom = page.evaluate(
            """({
              cards: [...document.querySelectorAll('.card')].map((c) => c.id),
              after: document.querySelector('#shot-more .after').textContent,
              revised: [...document.querySelectorAll('.revised')].map((r) => r.textContent),
            })"""
        )
        assert dom["cards"] == ["shot-dawn", "shot-more"]
        assert dom["after"] == "extends the video of 01 dawn (task type extend)"
        assert len(dom["revised"]) == 2
        assert dom["revised"][0].startswith("As the model rewrote it: A paper boat")
        check_screenshot(page.screenshot(), 1200)
    finally:
        page.close()
