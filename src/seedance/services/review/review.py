"""The review page of an output folder: `review.html`, one self-contained file that works
offline, to judge a storyboard or a batch by looking.

A storyboard (`chain.json`) is shown in plan order, branches indented, one card per shot
(poster, contact sheet, prompt, model and settings, seed, status, cost, length, a link to the
clip) and a seam before every shot that continues from a frame: its parent's last frame beside
its own first frame, so a jump is visible. A batch (`batch.json`, the shape of
`review_model.BatchManifest`) is shown as a grid, rows × takes. Facts come from the manifest,
the journal (what was sent) and the storyboard (what was asked); stills are made with the
`video` extra (`seedance.services.media.frames`) when it is installed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from seedance.domain.catalogue import format_money
from seedance.domain.errors import SeedanceError, StoryboardError, UsageError
from seedance.domain.paths import is_inside
from seedance.services.media import frames
from seedance.services.review.folder import REVIEW, Folder
from seedance.services.review.model import (
    FAILED,
    BatchManifest,
    BatchRow,
    BatchTake,
    Card,
    Image,
    Review,
    Row,
    Seam,
)
from seedance.services.state import Entry, State
from seedance.services.storyboards.manifest import LOG, MANIFEST, ShotRecord, read_data
from seedance.services.storyboards.storyboard import Storyboard, load

__all__ = [
    "BATCH_MANIFEST",
    "REVIEW",
    "BatchManifest",
    "BatchRow",
    "BatchTake",
    "Card",
    "Image",
    "Review",
    "Row",
    "Seam",
    "read_folder",
    "try_review",
    "write_review",
]

BATCH_MANIFEST = "batch.json"
FILM = "film.mp4"
SETTINGS = (
    "resolution",
    "ratio",
    "size",
    "duration",
    "generate_audio",
    "camera_fixed",
    "watermark",
    "draft",
    "service_tier",
)
REFERENCES = ("first_frame", "last_frame", "images", "videos", "audios")


# -- building ----------------------------------------------------------------------------------


def write_review(
    directory: Path,
    *,
    journal: State | None = None,
    stills: bool | None = None,
    storyboard: Storyboard | None = None,
) -> Review:
    """Build the review of a storyboard's or batch's output folder and write `review.html`
    in it (atomically). Stills are made when `stills` (default: when the extra is installed).
    `journal` adds what was sent; `storyboard` saves reading the file the manifest names.
    """
    from seedance.services.review.page import render

    review = read_folder(directory, journal=journal, stills=stills, storyboard=storyboard)
    path = directory / REVIEW
    tmp = directory / f".{REVIEW}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # new: never a link
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render(review))
        os.replace(tmp, path)  # a link named review.html is replaced, never followed
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    review.path = path
    return review


def try_review(
    directory: Path, *, journal: State | None, storyboard: Storyboard | None = None
) -> tuple[Path | None, list[str]]:
    """A run's review page with its stills, when the video extra is installed; never a failure
    of the run: what could not be done becomes a note. Returns the page and the notes."""
    if not frames.available():
        return None, [frames.unavailable_notice("posters, contact sheets and review.html")]
    try:
        page = write_review(directory, journal=journal, stills=True, storyboard=storyboard)
    except (SeedanceError, OSError) as exc:
        return None, [f"the review page was not written: {exc}"]
    return page.path, []


def read_folder(
    directory: Path,
    *,
    journal: State | None = None,
    stills: bool | None = None,
    storyboard: Storyboard | None = None,
) -> Review:
    """The review of a folder, without writing it. It reads and writes only files in the
    folder (services/review_folder.py), and the storyboard of a chain only from the folder
    or, beside it, the one whose run it is by default (`shots.toml` for `shots/`)."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder", field="directory")
    folder = Folder(directory, frames.available() if stills is None else stills)
    for name in (MANIFEST, LOG, BATCH_MANIFEST):
        if os.path.lexists(directory / name) and not is_inside(directory / name, directory):
            raise UsageError(
                f"{directory / name} leads out of the folder: it is not read",
                reason="review_folder_empty",
                field="directory",
            )
    if (directory / MANIFEST).is_file():
        review = _storyboard(folder, journal, storyboard)
    elif (directory / BATCH_MANIFEST).is_file():
        review = _batch(folder, journal)
    else:
        raise UsageError(
            f"{directory} holds neither {MANIFEST} nor {BATCH_MANIFEST}",
            reason="review_not_a_folder",
            field="directory",
        )
    if not folder.stills:
        review.notices.append(frames.unavailable_notice())
    review.skipped = folder.skipped + folder.extras()
    return review


Document = TypeVar("Document")


def _read_manifest(path: Path, read: Callable[[Path], Document]) -> Document:
    try:
        return read(path)
    except (OSError, ValueError, ValidationError) as exc:
        raise UsageError(
            f"{path} is damaged ({str(exc).splitlines()[0]})", field="directory"
        ) from None


def _storyboard(folder: Folder, journal: State | None, board: Storyboard | None) -> Review:
    # chain.json, with the changes its log holds
    data = _read_manifest(folder.directory / MANIFEST, lambda path: read_data(path.parent))
    folder.known.update({MANIFEST, LOG, FILM})
    board = board or _load_storyboard(folder, Path(data.storyboard))
    review = Review("storyboard", Path(data.storyboard).name, folder.directory, data.profile)
    records = sorted(data.shots.values(), key=lambda r: r.index)
    asked = {s.id: s.params.model_dump(exclude_none=True) for s in board.shots} if board else {}
    titles = {r.id: f"{r.index:02d} {r.id}" for r in records}
    lanes = _lanes(records)
    for record in records:  # plan order: the storyboard's, which numbers the files
        entry = journal.find(record.task_id) if journal and record.task_id else None
        values = {**asked.get(record.id, {}), **_sent(entry)}
        card = _card(folder, f"shot-{record.id}", titles[record.id], record, values)
        card.facts.insert(1, ("seed", _seed(values, record)))
        card.depth = lanes[record.id][0]
        if record.parent is None:
            card.after = "starts fresh"
        elif record.extends:  # chain.json says what was made, whatever the storyboard says now
            card.after = f"extends the video of {titles.get(record.parent)} (task type extend)"
        else:
            branch = " (a branch)" if lanes[record.id][1] else ""
            card.after = f"continues from the last frame of {titles.get(record.parent)}{branch}"
            parent = data.shots.get(record.parent)
            card.seam = folder.seam(parent, record, titles) if parent else None
        review.cards.append(card)
    review.spent = _spent([(r.state, r.cost, r.currency) for r in records])
    return review


def _load_storyboard(folder: Folder, path: Path) -> Storyboard | None:
    """The storyboard the manifest names, by its file name only (the manifest does not choose
    which file is read): in the folder, or beside it when the folder is its run's by default
    (`shots/` beside `shots.toml`). Elsewhere, prompts and settings come from the journal."""
    directory = folder.directory
    name = path.name
    candidates = [directory / name]
    if Path(name).stem == directory.name:  # the folder a run of it makes by default
        candidates.append(directory.parent / name)
    found = next((c for c in candidates if c.is_file() and is_inside(c, c.parent)), None)
    if found is None:
        folder.skipped.append(
            f"the storyboard: {name} is neither in the folder nor beside it; prompts and "
            "settings come from the journal"
        )
        return None
    try:
        return load(found)
    except StoryboardError as exc:
        folder.skipped.append(f"the storyboard: {exc}; prompts and settings come from the journal")
        return None


def _lanes(records: list[ShotRecord]) -> dict[str, tuple[int, bool]]:
    """How many branches deep each shot is, and whether it starts a branch (a second or later
    child of its parent); a shot's first child continues its lane."""
    lanes: dict[str, tuple[int, bool]] = {}
    first_child: dict[str, str] = {}
    for record in records:  # file order: parents come first
        parent = record.parent
        if parent is None or parent not in lanes:
            lanes[record.id] = (0, False)
        elif first_child.setdefault(parent, record.id) == record.id:
            lanes[record.id] = (lanes[parent][0], False)
        else:
            lanes[record.id] = (lanes[parent][0] + 1, True)
    return lanes


def _sent(entry: Entry | None) -> dict[str, Any]:
    """What the journal says was sent: its columns, and the body's settings where they have
    the library's names (the Ark dialect's)."""
    if entry is None:
        return {}
    values: dict[str, Any] = {}
    try:
        body = entry.body
    except ValueError:
        body = {}
    for key in (*SETTINGS, "seed"):
        if isinstance(body.get(key), str | int | bool):
            values[key] = body[key]
    for key in ("prompt", "model", "resolution", "duration"):
        value = getattr(entry, key)
        if value is not None:
            values[key] = value
    return values


def _seed(values: dict[str, Any], record: Any) -> str:
    seed = getattr(record, "seed", None)
    if seed is None:
        seed = values.get("seed")
    if isinstance(seed, int) and seed >= 0:
        return str(seed)
    return "chosen by the provider"


def _batch(folder: Folder, journal: State | None) -> Review:
    data = _read_manifest(
        folder.directory / BATCH_MANIFEST,
        lambda path: BatchManifest.model_validate_json(path.read_text("utf-8")),
    )
    folder.known.add(BATCH_MANIFEST)
    review = Review("batch", Path(data.jobs).name, folder.directory, data.profile)
    for row in sorted(data.rows, key=lambda r: r.index):
        asked = {k: v for k, v in row.params.items() if v is not None}
        prompt = row.prompt or asked.get("prompt")
        cards = []
        for take in sorted(row.takes, key=lambda t: t.take):
            entry = journal.find(take.task_id) if journal and take.task_id else None
            values = {**asked, **_sent(entry), "model": take.model or asked.get("model")}
            key = f"take-{row.id}-{take.take}"
            card = _card(folder, key, f"{row.id} · take {take.take}", take, values)
            card.prompt = None  # the row shows it once
            card.facts.insert(1, ("seed", _seed(values, take)))
            cards.append(card)
        facts = _settings({**asked, **{"model": asked.get("model")}})
        review.rows.append(Row(f"row-{row.id}", row.id, prompt, facts, cards))
    takes = [t for row in data.rows for t in row.takes]
    review.spent = _spent([(t.state, t.cost, t.currency) for t in takes])
    return review


def _card(folder: Folder, key: str, title: str, record: Any, values: dict[str, Any]) -> Card:
    """A card from a manifest record (a shot or a take) and what was asked and sent."""
    card = Card(key, title, record.state, prompt=values.get("prompt"))
    card.revised_prompt = getattr(record, "revised_prompt", None)
    card.facts = [("status", record.state), *_settings(values)]
    card.facts.append(("cost", _cost(record)))
    if record.task_id:
        card.facts.append(("task", record.task_id))
    if record.error:
        card.error = (record.error.get("code") or "error", record.error.get("message") or "")
    clip = folder.clip(record.clip, title, record.state == "done")
    if clip is None:
        card.note = f"no clip yet ({record.state})"
        if record.clip:
            where = "outside the folder" if record.clip in folder.outside else "missing"
            card.note = f"{record.clip} is {where}"
        return card
    card.clip = clip.name
    info = folder.info(clip)
    if info is not None:
        card.facts.append(("length", f"{info.seconds:.1f} s, {info.width}×{info.height}"))
    seam = bool(getattr(record, "parent", None))  # a shot that continues: its first frame too
    card.poster, card.sheet = folder.stills_of(clip, title, first=seam)
    return card


def _settings(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Model, settings and references in plain words."""
    shown: list[tuple[str, str]] = []
    if values.get("model"):
        shown.append(("model", str(values["model"])))
    for key in SETTINGS:
        value = values.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "on" if value else "off"
        elif key == "duration":
            text = "chosen by the model" if value == -1 else f"{value} s"
        else:
            text = str(value)
        shown.append((key.replace("_", " "), text))
    for key in REFERENCES:
        value = values.get(key)
        refs = value if isinstance(value, list) else [value] if value else []
        if refs:
            shown.append((key.replace("_", " "), ", ".join(safe_ref(str(r)) for r in refs)))
    return shown


def safe_ref(ref: str) -> str:
    """A reference fit for the page: an asset as is, a URL as its file name and host (the
    query of a pre-signed URL is a credential), a local file by its name."""
    if ref.startswith("asset://"):
        return ref
    if "://" in ref:
        parts = urlsplit(ref)
        name = parts.path.rstrip("/").rpartition("/")[2] or "a file"
        return f"{name} from {parts.hostname or 'a server'}"
    if ref.startswith("data:"):
        return "inline data"
    return Path(ref).name


def _cost(record: Any) -> str:
    if record.cost is not None:
        return format_money(record.cost, record.currency)
    if record.state in (*FAILED, "blocked"):
        return "nothing billed"
    estimate = getattr(record, "estimated_cost", None)
    if estimate is not None:
        return f"≈ {format_money(estimate, record.currency)} (estimate)"
    return "unknown"


def _spent(items: list[tuple[str, float | None, str | None]]) -> str | None:
    known = [cost for state, cost, _ in items if state == "done" and cost is not None]
    currency = next((c for _, _, c in items if c), None)
    return format_money(sum(known), currency) if known else None
