"""A storyboard run from start to end, as the library offers it (`Client.chain`): load the
file, plan every shot against the profile, resume from the manifest, check the cost, run the
shots, join the film, and say what needs attention."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance.domain.errors import (
    ExitStatus,
    SeedanceError,
    StoryboardError,
    UsageError,
)
from seedance.services import video
from seedance.services.chain.manifest import MANIFEST, Manifest, ManifestData, ShotState
from seedance.services.chain.plan import DRAFTS, Drafts, Mode, Plan, make_plan, with_actions
from seedance.services.chain.runner import ChainRunner, Listener, Outcome
from seedance.services.chain.storyboard import Storyboard, chain_again, load
from seedance.services.remote_models import require_models

if TYPE_CHECKING:
    from seedance.services.client import Client

MAX_CONCURRENCY = 10  # docs/sources/ark.txt: the provider's concurrency limit per model
FILM = "film.mp4"


def default_output(storyboard: Path) -> Path:
    """`<file stem>/` beside the storyboard, so two storyboards in a folder never share one."""
    return storyboard.with_suffix("")


@dataclass
class ChainResult:
    """What a storyboard run made: every shot's outcome, the manifest, the film, the spend."""

    plan: Plan
    manifest: Manifest
    directory: Path
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    film: Path | None = None
    joined_by: str | None = None  # how the film was joined: "remux" or "reencode"

    @property
    def attention(self) -> dict[str, Outcome]:
        """The shots that did not end done (failed, errors, blocked by a parent)."""
        return {k: v for k, v in self.outcomes.items() if v.state is not ShotState.DONE}

    @property
    def ok(self) -> bool:
        return not self.attention

    def spent(self) -> tuple[float | None, str | None]:
        """What the finished shots cost, from their billed tokens (None when unpriced)."""
        return spent(self.manifest)

    def to_json(self) -> dict[str, Any]:
        document = self.manifest.data.model_dump(mode="json")
        document["directory"] = str(self.directory)
        document["film"] = str(self.film) if self.film else None
        return document


class ChainIncomplete(SeedanceError):
    """Some shots need attention; the others are kept, and a re-run retries only those."""

    code = "chain_incomplete"

    def __init__(self, result: ChainResult) -> None:
        attention = result.attention
        status = ExitStatus.TASK_FAILED
        for outcome in attention.values():
            if outcome.error is not None and outcome.error.exit_status in (
                ExitStatus.API,
                ExitStatus.NETWORK,
            ):
                status = outcome.error.exit_status
        plural = len(attention) > 1
        super().__init__(
            f"{len(attention)} shot{'s need' if plural else ' needs'} attention: "
            + ", ".join(attention),
            hint="finished shots are kept; retry the others by running the same command again",
            exit_status=status,
        )
        self.result = result
        self.details = result.to_json()


@dataclass
class ChainSession:
    """A planned storyboard run: the plan says what each shot will do and cost."""

    client: Client
    storyboard: Storyboard
    plan: Plan
    manifest: Manifest
    directory: Path
    abandoned: list[str]  # task ids a --restart leaves running on the server

    def run(
        self,
        *,
        concurrency: int = 2,
        concat: bool = False,
        on_event: Listener | None = None,
        stop: threading.Event | None = None,
    ) -> ChainResult:
        """Make every shot that needs making. Raises ChainIncomplete when some did not end
        done; KeyboardInterrupt when stopped (submitted shots keep running on the server)."""
        runner = ChainRunner(
            self.client,
            self.plan,
            self.manifest,
            self.directory,
            concurrency=min(max(concurrency, 1), MAX_CONCURRENCY),
            on_event=on_event,
        )
        if stop is not None:
            runner.stop = stop
        # before the first paid create: every model the catalogue does not know, probed free
        require_models(self.client, self.plan.unknown_models())
        result = ChainResult(self.plan, self.manifest, self.directory, runner.run())
        if concat and result.ok:
            clips = [self.directory / clip_name(self.manifest, s.id) for s in self.storyboard.shots]
            result.film = self.directory / FILM
            result.joined_by = video.concat(clips, result.film)
        if not result.ok:
            raise ChainIncomplete(result)
        return result


def clip_name(manifest: Manifest, shot_id: str) -> str:
    clip = manifest.record(shot_id).clip
    if clip is None:
        raise UsageError(f"shot '{shot_id}' has no clip yet")
    return clip


def open_chain(
    client: Client,
    path: Path,
    *,
    output: Path | None = None,
    restart: bool = False,
    rerun: tuple[str, ...] | list[str] = (),
    max_cost: float | None = None,
    concat: bool = False,
    draft: bool = False,
    finalize: bool = False,
    allow_unpriced: bool = False,
    strict: bool = False,
) -> ChainSession:
    """Load and plan a storyboard: every shot checked and estimated, the manifest of an earlier
    run applied (done shots kept, submitted ones polled), the cost checked. Nothing is sent.

    `draft` makes every shot as a 480p draft, into `<output>/drafts`; `finalize` then makes
    the finals into `<output>`: shots that start fresh from their drafts, the others anew from
    their parent final's last frame (a final reuses its draft's media, which would start it
    from a 480p draft frame)."""
    if draft and finalize:
        raise UsageError("a run makes drafts or finalizes them, not both", field="finalize")
    if concat and not video.available():
        raise UsageError(
            "joining clips needs PyAV, which is not installed",
            hint=video.INSTALL_HINT,
            field="concat",
        )
    board = load(path)
    finals = output or default_output(path)
    directory = finals / DRAFTS if draft else finals
    mode = Mode.DRAFT if draft else (Mode.FINALIZE if finalize else Mode.NORMAL)
    if directory.exists() and not directory.is_dir():
        raise UsageError(
            f"{directory} is a file", hint="give a directory for the clips", field="output"
        )
    for shot in board.shots:
        for end in (".mp4", ".last.png"):
            taken = directory / f"{shot.stem}{end}"
            if taken.is_dir():
                raise UsageError(
                    f"{taken} is a directory, where a shot's file goes", hint="move it away"
                )
    drafts = load_drafts(board, finals) if finalize else None
    plan = make_plan(client, board, mode=mode, drafts=drafts, strict=strict)
    abandoned = abandoned_tasks(directory) if restart else []
    manifest = Manifest.open(
        directory,
        storyboard=path,
        profile=client.profile.name,
        now=client.clock.time(),
        restart=restart,
    )
    plan = with_actions(plan, manifest, set(rerun), directory, restart=restart)
    plan.check_cost(max_cost, allow_unpriced=allow_unpriced)
    return ChainSession(client, board, plan, manifest, directory, abandoned)


def load_drafts(board: Storyboard, finals: Path) -> Drafts:
    """The draft run of this storyboard, which a finalize run finishes."""
    path = finals / DRAFTS / MANIFEST
    try:
        data = ManifestData.model_validate_json(path.read_text("utf-8"))
    except FileNotFoundError:
        raise StoryboardError(
            f"{board.path}: no drafts were made in {path.parent}",
            hint="make them first with",
            suggestion=chain_again(board.path, finals, draft=True),
        ) from None
    except (OSError, ValueError) as exc:
        raise StoryboardError(f"{path} cannot be read: {exc}") from None
    return Drafts(data, board.path, finals)


def abandoned_tasks(directory: Path) -> list[str]:
    """Tasks an earlier run submitted and did not finish: a restart leaves them running (and
    billed), so the caller can say so."""
    try:
        earlier = ManifestData.model_validate_json((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return [
        r.task_id for r in earlier.shots.values() if r.state is ShotState.SUBMITTED and r.task_id
    ]


def spent(manifest: Manifest) -> tuple[float | None, str | None]:
    costs = [r.cost for r in manifest.data.shots.values() if r.state is ShotState.DONE]
    currency = next((r.currency for r in manifest.data.shots.values() if r.currency), None)
    known = [c for c in costs if c is not None]
    return (sum(known), currency) if known else (None, currency)
