"""The review page of an output folder: `review.html`, one self-contained file that works
offline, to judge a storyboard or a batch by looking.

A storyboard (`chain.json`) is shown in plan order, branches indented, one card per shot
(poster, contact sheet, prompt, model and settings, seed, status, cost, length, a link to the
clip) and a seam before every shot that continues from a frame: its parent's last frame beside
its own first frame, so a jump is visible. A batch (`batch.json`, the shape in
`BatchManifest` below) is shown as a grid, rows × takes. Facts come from the manifest, the
journal (what was sent) and the storyboard (what was asked); stills are made with the `video`
extra (`seedance.services.frames`) when it is installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from seedance.domain import media
from seedance.domain.catalogue import format_money
from seedance.domain.errors import SeedanceError, StoryboardError, UsageError
from seedance.services import frames
from seedance.services.chain.manifest import MANIFEST, ManifestData, ShotRecord
from seedance.services.chain.storyboard import Storyboard, load
from seedance.services.journal import Entry, Journal

REVIEW = "review.html"
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
FAILED = ("failed", "error")
STILLS = ("poster", "sheet", "first", "last")


# -- the batch manifest this page reads (written by batch runs) --------------------------------


class BatchTake(BaseModel):
    """One take of one row: a task and what became of it."""

    model_config = ConfigDict(extra="ignore")

    take: int = 1  # 1-based
    state: str = Field("pending", validation_alias=AliasChoices("state", "status"))
    task_id: str | None = None
    seed: int | None = None
    model: str | None = None
    clip: str | None = None  # the file name in the batch's folder
    sha256: str | None = None
    tokens: int | None = None
    cost: float | None = None
    estimated_cost: float | None = None
    currency: str | None = None
    error: dict[str, str] | None = None


class BatchRow(BaseModel):
    """One row of the jobs file, with its takes."""

    model_config = ConfigDict(extra="ignore")

    id: str
    index: int = 0  # 1-based position in the jobs file
    prompt: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)  # create parameters by library name
    takes: list[BatchTake] = Field(default_factory=list)


class BatchManifest(BaseModel):
    """`batch.json`: the jobs file's name, the profile, and every row with its takes."""

    model_config = ConfigDict(extra="ignore")

    jobs: str = Field(validation_alias=AliasChoices("jobs", "batch", "source"))
    profile: str | None = None
    rows: list[BatchRow] = Field(default_factory=list)


# -- what the page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    src: str  # a file name beside the page
    alt: str
    width: int | None = None
    height: int | None = None


@dataclass
class Seam:
    """Where a shot continues from its parent's last frame."""

    parent: str  # the parent's title
    before: Image | None  # the parent's last frame
    after: Image | None  # this shot's first frame
    note: str | None = None  # why a frame is not shown


@dataclass
class Card:
    """One shot, or one take of a batch row."""

    key: str  # unique on the page
    title: str
    state: str
    prompt: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    clip: str | None = None  # a file name beside the page
    poster: Image | None = None
    sheet: Image | None = None
    error: tuple[str, str] | None = None  # the provider's code and message
    note: str | None = None  # why there is nothing to see
    after: str | None = None  # where the shot starts
    depth: int = 0  # how many branches deep
    seam: Seam | None = None


@dataclass
class Row:
    key: str
    title: str
    prompt: str | None
    facts: list[tuple[str, str]]
    takes: list[Card]


@dataclass
class Review:
    """A review page, before and after it is written."""

    kind: Literal["storyboard", "batch"]
    source: str  # the storyboard's or jobs file's name
    directory: Path
    profile: str | None = None
    cards: list[Card] = field(default_factory=list)  # a storyboard's shots, in plan order
    rows: list[Row] = field(default_factory=list)  # a batch's rows
    spent: str | None = None
    skipped: list[str] = field(default_factory=list)  # files left out, and why
    notices: list[str] = field(default_factory=list)  # what could not be done at all
    path: Path | None = None  # where the page was written

    @property
    def all_cards(self) -> list[Card]:
        return self.cards + [take for row in self.rows for take in row.takes]

    def totals(self) -> dict[str, Any]:
        cards = self.all_cards
        return {
            "shots": len(cards),
            "done": sum(1 for c in cards if c.state == "done"),
            "failed": sum(1 for c in cards if c.state in FAILED),
            "spent": self.spent,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "review": str(self.path) if self.path else None,
            "kind": self.kind,
            "source": self.source,
            "totals": self.totals(),
            "skipped": self.skipped,
            "notices": self.notices,
        }


# -- building ----------------------------------------------------------------------------------


def write_review(
    directory: Path,
    *,
    journal: Journal | None = None,
    stills: bool | None = None,
    storyboard: Storyboard | None = None,
) -> Review:
    """Build the review of a storyboard's or batch's output folder and write `review.html`
    in it (atomically). Stills are made when `stills` (default: when the extra is installed).
    `journal` adds what was sent; `storyboard` saves reading the file the manifest names.
    """
    from seedance.services.review_page import render

    review = read_folder(directory, journal=journal, stills=stills, storyboard=storyboard)
    path = directory / REVIEW
    tmp = directory / f".{REVIEW}.{os.getpid()}.tmp"
    tmp.write_text(render(review), encoding="utf-8")
    os.replace(tmp, path)
    review.path = path
    return review


def read_folder(
    directory: Path,
    *,
    journal: Journal | None = None,
    stills: bool | None = None,
    storyboard: Storyboard | None = None,
) -> Review:
    """The review of a folder, without writing it."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder", field="directory")
    folder = Folder(directory, frames.available() if stills is None else stills)
    if (directory / MANIFEST).is_file():
        review = _storyboard(folder, journal, storyboard)
    elif (directory / BATCH_MANIFEST).is_file():
        review = _batch(folder, journal)
    else:
        raise UsageError(
            f"{directory} holds neither {MANIFEST} nor {BATCH_MANIFEST}",
            hint="give the output folder of a storyboard or a batch",
            field="directory",
        )
    if not folder.stills:
        review.notices.append(frames.unavailable_notice())
    review.skipped = folder.skipped + folder.extras()
    return review


def _read_manifest(path: Path, model: type[Any]) -> Any:
    try:
        return model.model_validate_json(path.read_text("utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        raise UsageError(
            f"{path} is damaged ({str(exc).splitlines()[0]})", field="directory"
        ) from None


def _storyboard(folder: Folder, journal: Journal | None, board: Storyboard | None) -> Review:
    data: ManifestData = _read_manifest(folder.directory / MANIFEST, ManifestData)
    folder.known.update({MANIFEST, FILM})
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
        else:
            branch = " (a branch)" if lanes[record.id][1] else ""
            card.after = f"continues from the last frame of {titles.get(record.parent)}{branch}"
            parent = data.shots.get(record.parent)
            card.seam = folder.seam(parent, record, titles) if parent else None
        review.cards.append(card)
    review.spent = _spent([(r.state, r.cost, r.currency) for r in records])
    return review


def _load_storyboard(folder: Folder, path: Path) -> Storyboard | None:
    """The storyboard the manifest names. A relative name was relative to where the run
    started: by default the folder sits beside the storyboard, so look there first."""
    candidates = [path] if path.is_absolute() else []
    candidates += [folder.directory.parent / path, folder.directory / path, path]
    found = next((c for c in candidates if c.is_file()), candidates[0])
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


def _batch(folder: Folder, journal: Journal | None) -> Review:
    data: BatchManifest = _read_manifest(folder.directory / BATCH_MANIFEST, BatchManifest)
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
    card.facts = [("status", record.state), *_settings(values)]
    card.facts.append(("cost", _cost(record)))
    if record.task_id:
        card.facts.append(("task", record.task_id))
    if record.error:
        card.error = (record.error.get("code") or "error", record.error.get("message") or "")
    clip = folder.clip(record.clip, title, record.state == "done")
    if clip is None:
        card.note = f"{record.clip} is missing" if record.clip else f"no clip yet ({record.state})"
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


def _stale(stills: list[Path], clip: Path) -> bool:
    """Whether any of the stills is missing or older than its clip (a shot made again)."""
    made = clip.stat().st_mtime
    return any(not p.is_file() or p.stat().st_mtime < made for p in stills)


# -- the files of the folder -------------------------------------------------------------------


class Folder:
    """The output folder: which files the manifest names, which are missing, which are extra,
    and the stills made from its clips."""

    def __init__(self, directory: Path, stills: bool) -> None:
        self.directory = directory
        self.stills = stills
        self.known: set[str] = {REVIEW}
        self.skipped: list[str] = []
        self._info: dict[Path, frames.ClipInfo | None] = {}

    def clip(self, name: str | None, owner: str, done: bool) -> Path | None:
        if not name:
            return None
        path = self.directory / name
        self.known.add(name)  # and its stills, even when they outlive it
        self.known.update(frames.still_path(path, kind).name for kind in STILLS)
        if path.is_file():
            return path
        if done:
            self.skipped.append(f"{name}: missing ({owner} is done in the manifest)")
        return None

    def info(self, clip: Path) -> frames.ClipInfo | None:
        """The clip's size and length; None (and a note) when it cannot be read."""
        if clip not in self._info:
            self._info[clip] = None
            if self.stills:
                try:
                    self._info[clip] = frames.probe(clip)
                except SeedanceError as exc:
                    self.skipped.append(f"{clip.name}: {exc.message}")
        return self._info[clip]

    def _still(self, clip: Path, kind: str, make: Any) -> Path | None:
        """`NAME.<kind>.png`, made by `make(clip, path)` unless it is newer than the clip."""
        path = frames.still_path(clip, kind)
        self.known.add(path.name)
        if not self.stills or self.info(clip) is None:
            return path if path.is_file() else None
        try:
            if _stale([path], clip):
                make(clip, path)
        except SeedanceError as exc:
            self.skipped.append(f"{clip.name}: {exc.message}")
            return None
        return path

    def stills_of(
        self, clip: Path, title: str, first: bool = False
    ) -> tuple[Image | None, Image | None]:
        """The poster and sheet of a clip (and its first frame, for a seam), made in one pass
        unless they are newer than the clip."""
        kinds = ("poster", "sheet", "first") if first else ("poster", "sheet")
        paths = [frames.still_path(clip, kind) for kind in kinds]
        info = self.info(clip)
        if info is not None:
            try:
                if _stale(paths, clip):
                    frames.make_stills(clip, first=paths[2] if first else None)
            except SeedanceError as exc:
                self.skipped.append(f"{clip.name}: {exc.message}")
        middle = span = ""
        if info is not None:
            times = frames.sheet_times(info.seconds)
            middle = f", the frame at {frames.stamp(info.seconds / 2)}"
            span = f": {len(times)} frames from {frames.stamp(times[0])} to "
            span += frames.stamp(times[-1])
        return (
            self.image(paths[0], f"Poster of {title}{middle}"),
            self.image(paths[1], f"Contact sheet of {title}{span}"),
        )

    def seam(self, parent: ShotRecord, record: ShotRecord, titles: dict[str, str]) -> Seam:
        seam = Seam(titles.get(parent.id, parent.id), None, None)
        parent_clip = self.directory / parent.clip if parent.clip else None
        clip = self.directory / record.clip if record.clip else None
        if parent.frame and (self.directory / parent.frame).is_file():
            self.known.add(parent.frame)
            last: Path | None = self.directory / parent.frame
        elif parent_clip is not None and parent_clip.is_file():
            last = self._still(parent_clip, "last", frames.save_last_frame)
        else:
            last = None
        first = frames.still_path(clip, "first") if clip is not None else None
        seam.before = self.image(last, f"Last frame of {seam.parent}")
        seam.after = self.image(first, f"First frame of {titles.get(record.id, record.id)}")
        if seam.before is None or seam.after is None:
            seam.note = "not made yet" if record.state != "done" else "frames unavailable"
        return seam

    def image(self, path: Path | None, alt: str) -> Image | None:
        if path is None or not path.is_file():
            return None
        with open(path, "rb") as fh:
            info = media.image_info(fh.read(65536))
        width, height = (info.width, info.height) if info else (None, None)
        return Image(path.name, alt, width, height)

    def extras(self) -> list[str]:
        """Files in the folder that the manifest does not account for."""
        found = []
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.name not in self.known:
                found.append(f"{path.name}: not in the manifest")
        return found
