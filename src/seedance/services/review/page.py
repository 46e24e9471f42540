"""`review.html` as text: one self-contained page with inline CSS, images by relative links to
the files beside it, no scripts, and every text escaped."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from seedance.services.review.model import Card, Image, Review, Row, Seam

# Colour pairs chosen for a contrast of at least 4.5:1 (WCAG 2.x AA, normal text).
CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; background: #f3f3f0; }
header.top { background: #1f2933; color: #ffffff; padding: 20px 28px; }
header.top h1 { margin: 0 0 4px; font-size: 24px; }
header.top p { margin: 0; color: #e4e7eb; }
.totals { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 12px 0 0; padding: 0;
  list-style: none; }
.totals li { color: #ffffff; }
.totals strong { font-size: 20px; margin-right: 4px; }
main { padding: 20px 28px 40px; max-width: 1240px; }
h2 { font-size: 19px; margin: 24px 0 12px; }
h3 { font-size: 16px; margin: 0 0 8px; }
ol.board { list-style: none; margin: 0; padding: 0; }
.card { background: #ffffff; border: 1px solid #cfcfca; border-radius: 8px; padding: 14px 16px;
  margin: 0 0 14px; }
.after { margin: 0 0 8px; color: #4a4a4a; font-size: 14px; }
.shot { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.poster img { display: block; max-width: 256px; max-height: 256px; width: auto; height: auto;
  border-radius: 4px; }
.facts { flex: 1 1 260px; min-width: 240px; max-width: 420px; }
.prompt { margin: 0 0 8px; font-size: 16px; white-space: pre-wrap; overflow-wrap: anywhere; }
.revised { margin: 0 0 8px; color: #4a4a4a; white-space: pre-wrap; overflow-wrap: anywhere; }
.revised .label { font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: #4a4a4a; }
dd { margin: 0; overflow-wrap: anywhere; }
.sheet { margin: 0; flex: 1 1 420px; max-width: 600px; }
.sheet img { display: block; max-width: 100%; height: auto; border-radius: 4px; }
figcaption { color: #4a4a4a; font-size: 13px; margin-top: 4px; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px;
  font-weight: 600; margin-left: 8px; vertical-align: 1px; }
.state-done { background: #e3f1e6; color: #1c5e30; }
.state-failed, .state-error { background: #fbe4e4; color: #8f1a1a; }
.state-other { background: #f7efd2; color: #5c4800; }
.error { background: #fbe4e4; color: #7a1414; border-radius: 6px; padding: 8px 10px;
  margin: 8px 0 0; overflow-wrap: anywhere; }
.note { color: #4a4a4a; font-style: italic; margin: 4px 0; }
a { color: #1a4e9c; }
.seam { margin: -4px 0 14px; padding: 10px 16px; background: #e8ecf3; border-radius: 8px;
  border: 1px dashed #6b7c99; }
.seam p { margin: 0 0 6px; font-size: 14px; color: #2b3445; }
.seam .pair { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.seam figure { margin: 0; }
.seam img { display: block; max-height: 150px; width: auto; height: auto; }
.seam .arrow { font-size: 22px; color: #2b3445; padding: 0 6px; }
.scroll { overflow-x: auto; }
table.grid { border-collapse: separate; border-spacing: 10px; margin: 0 -10px; }
table.grid th { text-align: left; vertical-align: top; }
table.grid thead th { color: #1b1b1b; }
table.grid tbody th { max-width: 260px; font-weight: normal; }
table.grid tbody th strong { display: block; }
table.grid td { vertical-align: top; }
.take { min-width: 230px; max-width: 340px; margin: 0; }
.take .poster img { max-width: 100%; }
ul.skipped { padding-left: 20px; }
li.depth-1 { margin-left: 40px; border-left: 5px solid #3d6fb4; }
li.depth-2 { margin-left: 80px; border-left: 5px solid #7a4fb0; }
li.depth-3, li.depth-4 { margin-left: 120px; border-left: 5px solid #a0522d; }
"""

POLICY = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)


URL = re.compile(r"\b(?:https?|ftp|wss?)://([^\s\"'<>]*)", re.IGNORECASE)


def scrub(value: str) -> str:
    """Text with every web URL cut to its host and path: no link out of the page, and no
    query (a pre-signed URL carries its credentials there) or user name and password."""

    def cut(match: re.Match[str]) -> str:
        rest = match.group(1).rpartition("@")[2]
        where = re.split(r"[?#]", rest, maxsplit=1)[0]
        return where + ("?…" if where != rest else "")

    return URL.sub(cut, value)


def text(value: object) -> str:
    """Any text for the page: scrubbed, then escaped (prompts and messages are not HTML)."""
    return escape(scrub(str(value)), quote=True)


def href(name: str) -> str:
    """A file beside the page, as a relative link."""
    return text(quote(name, safe=""))


def render(review: Review) -> str:
    kind = "Storyboard" if review.kind == "storyboard" else "Batch"
    totals = review.totals()
    items = [
        f"<li><strong>{totals['shots']}</strong>{'shots' if review.cards else 'takes'}</li>",
        f"<li><strong>{totals['done']}</strong>done</li>",
        f"<li><strong>{totals['failed']}</strong>failed</li>",
        f"<li><strong>{text(totals['spent'] or 'nothing billed')}</strong>"
        f"{'spent' if totals['spent'] else ''}</li>",
    ]
    profile = f" · profile {text(review.profile)}" if review.profile else ""
    body = _storyboard(review) if review.kind == "storyboard" else _batch(review)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        f"<title>Review of {text(review.source)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<header class="top">',
        f"<h1>{text(review.source)}</h1>",
        f"<p>{kind} review{profile}</p>",
        f'<ul class="totals">{"".join(items)}</ul>',
        "</header>",
        "<main>",
        body,
        _skipped(review),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _storyboard(review: Review) -> str:
    out = ["<h2>Shots in plan order</h2>", '<ol class="board">']
    for card in review.cards:
        if card.seam is not None:
            out.append(_seam(card, card.seam))
        out.append(f'<li class="{_classes(card)}" id="{text(card.key)}">{_card(card)}</li>')
    out.append("</ol>")
    return "\n".join(out)


def _classes(card: Card, extra: str = "") -> str:
    depth = f" depth-{min(card.depth, 4)}" if card.depth else ""
    return f"card{extra}{depth}"


def _state(state: str) -> str:
    style = state if state in ("done", "failed", "error") else "other"
    return f'<span class="state state-{style}">{text(state)}</span>'


def _card(card: Card, heading: str = "h3") -> str:
    out = [f"<{heading}>{text(card.title)}{_state(card.state)}</{heading}>"]
    if card.after:
        out.append(f'<p class="after">{text(card.after)}</p>')
    out.append('<div class="shot">')
    if card.poster is not None and card.clip:
        out.append(f'<a class="poster" href="{href(card.clip)}">{_img(card.poster)}</a>')
    out.append('<div class="facts">')
    if card.prompt:
        out.append(f'<p class="prompt">{text(card.prompt)}</p>')
    if card.revised_prompt:
        out.append(
            '<p class="revised"><span class="label">As the model rewrote it:</span> '
            f"{text(card.revised_prompt)}</p>"
        )
    out.append(_facts(card.facts))
    if card.clip:
        out.append(f'<p><a href="{href(card.clip)}">Open the clip {text(card.clip)}</a></p>')
    if card.note:
        out.append(f'<p class="note">{text(card.note)}</p>')
    if card.error is not None:
        code, message = card.error
        out.append(
            f'<p class="error"><strong>{text(code)}</strong>'
            f"{': ' + text(message) if message else ''}</p>"
        )
    out.append("</div>")
    if card.sheet is not None:
        out.append(
            f'<figure class="sheet">{_img(card.sheet)}'
            "<figcaption>Contact sheet: frames across the clip</figcaption></figure>"
        )
    out.append("</div>")
    return "\n".join(out)


def _facts(facts: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{text(k)}</dt><dd>{text(v)}</dd>" for k, v in facts)
    return f"<dl>{rows}</dl>"


def _img(image: Image) -> str:
    size = ""
    if image.width and image.height:
        size = f' width="{image.width}" height="{image.height}"'
    return f'<img src="{href(image.src)}" alt="{text(image.alt)}"{size}>'


def _seam(card: Card, seam: Seam) -> str:
    label = f"Seam: {seam.parent} → {card.title}"
    frames = []
    for image in (seam.before, seam.after):
        frames.append(f"<figure>{_img(image)}</figure>" if image is not None else "")
    pair = ""
    if seam.before is not None and seam.after is not None:
        pair = f'<div class="pair">{frames[0]}<span class="arrow">→</span>{frames[1]}</div>'
    note = f" ({text(seam.note)})" if seam.note else ""
    depth = f" depth-{min(card.depth, 4)}" if card.depth else ""
    return (
        f'<li class="seam{depth}" aria-label="{text(label)}">'
        f"<p>The last frame of {text(seam.parent)} beside the first frame of "
        f"{text(card.title)}{note}</p>{pair}</li>"
    )


def _batch(review: Review) -> str:
    width = max((len(row.takes) for row in review.rows), default=0)
    heads = "".join(f'<th scope="col">Take {n}</th>' for n in range(1, width + 1))
    out = [
        "<h2>Takes by row</h2>",
        '<div class="scroll"><table class="grid">',
        f'<thead><tr><th scope="col">Row</th>{heads}</tr></thead>',
        "<tbody>",
    ]
    for row in review.rows:
        out.append(_row(row, width))
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _row(row: Row, width: int) -> str:
    prompt = f'<p class="prompt">{text(row.prompt)}</p>' if row.prompt else ""
    head = (
        f'<th scope="row" id="{text(row.key)}"><strong>{text(row.title)}</strong>'
        f"{prompt}{_facts(row.facts)}</th>"
    )
    cells = [
        f'<td><div class="{_classes(take, " take")}" id="{text(take.key)}">{_card(take)}</div></td>'
        for take in row.takes
    ]
    cells += ["<td></td>"] * (width - len(row.takes))
    return f"<tr>{head}{''.join(cells)}</tr>"


def _skipped(review: Review) -> str:
    lines = review.notices + review.skipped
    if not lines:
        return ""
    items = "".join(f"<li>{text(line)}</li>" for line in lines)
    return f'<h2>Left out</h2><ul class="skipped">{items}</ul>'
