"""What a review page shows (`seedance.services.review.review` builds it, `review_page` writes it),
and the batch manifest it reads.

`batch.json` is written by batch runs (services/batches/): the jobs file's name, the profile, and
every row with its takes, each take a task and what became of it (clips named `<id>.mp4`,
`<id>.take2.mp4`, ...). Every field but the row's `id` has a default, so a manifest written by
hand (or by an older version) reads too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from seedance.services.runs.reruns import RerunMark

FAILED = ("failed", "error")


# -- the batch manifest ----------------------------------------------------------------------------


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
    error: dict[str, str] | None = None  # code, message and, when it names any, reasons
    request_hash: str | None = None  # what was asked (the journal's name for the request)
    bytes: int | None = None
    updated_at: float | None = None
    rerun: RerunMark | None = None  # a rerun of the take under way (services/reruns.py)
    revised_prompt: str | None = None  # the prompt as the model rewrote it, when it says


class BatchRow(BaseModel):
    """One row of the jobs file, with its takes."""

    model_config = ConfigDict(extra="ignore")

    id: str
    index: int = 0  # 1-based position in the jobs file
    prompt: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)  # create parameters by library name
    takes: list[BatchTake] = Field(default_factory=list)
    line: int | None = None  # where the row is in the jobs file
    digest: str | None = None  # what the row asks for: a changed row is refused, not remade


class BatchManifest(BaseModel):
    """`batch.json`: the jobs file's name, the profile, and every row with its takes."""

    model_config = ConfigDict(extra="ignore")

    jobs: str = Field(validation_alias=AliasChoices("jobs", "batch", "source"))
    profile: str | None = None
    rows: list[BatchRow] = Field(default_factory=list)
    version: int = 1
    skipped: list[dict[str, Any]] = Field(default_factory=list)  # invalid rows left out
    updated_at: float | None = None


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
    revised_prompt: str | None = None  # the prompt as the model rewrote it
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
