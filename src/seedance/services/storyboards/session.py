"""A storyboard run from start to end, as the library offers it (`Client.chain`): load the
file, plan every shot against the profile, resume from the manifest (rebuilt from the journal
and the clips on disk when it is lost or damaged; a clip that is not its recorded video is
saved again), check the cost, run the shots, join the film, and say what needs attention.

One process at a time runs a storyboard into a directory (an OS lock); another is refused
before anything is sent."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance.domain.errors import (
    Reason,
    SeedanceError,
    StoryboardError,
    UsageError,
    most_serious,
)
from seedance.domain.models import video_suffix
from seedance.domain.pricing import money_fields
from seedance.services.account.gate import Allowance
from seedance.services.account.remote_models import require_models
from seedance.services.assets.cache import file_sha256
from seedance.services.locks import FileLock, Locks
from seedance.services.media import companions, video
from seedance.services.media.frames import available as frames_available
from seedance.services.media.references import Confinement
from seedance.services.review.review import try_review
from seedance.services.runs import identities
from seedance.services.runs.engine import Engine, Listener, Outcome
from seedance.services.state import State
from seedance.services.storyboards.manifest import (
    MANIFEST,
    Manifest,
    ShotState,
    read_data,
)
from seedance.services.storyboards.plan import (
    DRAFTS,
    Action,
    Drafts,
    Mode,
    Plan,
    make_plan,
    with_actions,
)
from seedance.services.storyboards.storyboard import Storyboard, chain_again, load
from seedance.services.storyboards.work import ShotWork

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime

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
    review: Path | None = None  # review.html, when the video extra is installed
    notes: list[str] = field(default_factory=list)  # what the caller should hear once

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
        document["shots"] = {key: money_fields(s) for key, s in document["shots"].items()}
        document["directory"] = str(self.directory)
        document["film"] = str(self.film) if self.film else None
        document["review"] = str(self.review) if self.review else None
        return document


class ChainIncomplete(SeedanceError):
    """Some shots need attention; the others are kept, and a re-run retries only those."""

    code = "chain_incomplete"

    def __init__(self, result: ChainResult) -> None:
        attention = result.attention
        found = {o.error.exit_status for o in attention.values() if o.error is not None}
        status = most_serious(found)
        plural = len(attention) > 1
        super().__init__(
            f"{len(attention)} shot{'s need' if plural else ' needs'} attention: "
            + ", ".join(attention),
            reason="shots_failed_kept",
            exit_status=status,
        )
        self.result = result
        self.details = result.to_json()


@dataclass
class ChainSession:
    """A planned storyboard run: the plan says what each shot will do and cost."""

    rt: Runtime
    storyboard: Storyboard
    plan: Plan
    manifest: Manifest
    directory: Path
    abandoned: list[str]  # task ids a --restart leaves running on the server
    lock: FileLock | None = None  # held from opening to the end of the run
    allowance: Allowance = field(default_factory=Allowance)  # what the run may spend
    recovered: list[str] = field(default_factory=list)  # shots rebuilt from the journal
    unverified: list[str] = field(default_factory=list)  # clips to save again

    def close(self) -> None:
        """Let another process run this storyboard (done by `run` when it ends)."""
        if self.lock is not None:
            self.lock.release()

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
        try:
            return self._run(concurrency, concat, on_event, stop)
        finally:
            self.close()

    def _run(
        self,
        concurrency: int,
        concat: bool,
        on_event: Listener | None,
        stop: threading.Event | None,
    ) -> ChainResult:
        work = ShotWork(self.rt, self.plan, self.manifest, self.directory, self.allowance)
        engine = Engine(
            self.rt,
            work,
            concurrency=min(max(concurrency, 1), MAX_CONCURRENCY),
            allowance=self.allowance,
            on_event=on_event,
            stop=stop,
        )
        # before the first paid create: every model the catalogue does not know, probed free
        require_models(self.rt, self.plan.unknown_models())
        self.manifest.ensure_all(self.storyboard.shots)
        self.manifest.save(self.rt.clock.time())
        units, settled = work.units()
        try:
            outcomes = engine.run(units, settled)
        finally:
            with contextlib.suppress(OSError):  # the log holds every change: readers replay it
                self.manifest.flush()
        result = ChainResult(self.plan, self.manifest, self.directory, outcomes)
        result.notes += engine.resumed
        film = self.directory / FILM
        remade = any(p.action is not Action.SKIP for p in self.plan.shots.values())
        if result.ok and (concat or (remade and film.is_file() and self._joinable())):
            # --concat, or a film an earlier run joined whose clips were made again
            clips = [self.directory / clip_name(self.manifest, s.id) for s in self.storyboard.shots]
            result.film = film
            result.joined_by = video.concat(clips, film)
        self.review(result)
        if not result.ok:
            raise ChainIncomplete(result)
        return result

    def _joinable(self) -> bool:
        return not branch_points(self.storyboard) and video.available()

    def review(self, result: ChainResult) -> None:
        """Posters, contact sheets and review.html, when the video extra is installed; never a
        failure of the run (what went wrong becomes a note)."""
        result.review, notes = try_review(
            self.directory, journal=self.rt.state, storyboard=self.storyboard
        )
        result.notes += notes


def clip_name(manifest: Manifest, shot_id: str) -> str:
    clip = manifest.record(shot_id).clip
    if clip is None:
        raise UsageError(f"shot '{shot_id}' has no clip yet")
    return clip


def open_chain(
    rt: Runtime,
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
    dry_run: bool = False,
    validate: bool = True,
    allow_outside: bool = False,
    confine: Confinement | None = None,
    name: str | None = None,
) -> ChainSession:
    """Load and plan a storyboard: every shot checked and estimated, the manifest of an earlier
    run applied (done shots kept, submitted ones polled; rebuilt from the journal and the clips
    on disk when lost or damaged), the cost checked. Nothing is sent.

    `draft` makes every shot as a 480p draft, into `<output>/drafts`; `finalize` then makes
    the finals into `<output>`: shots that start fresh from their drafts, the others anew from
    their parent final's last frame (a final reuses its draft's media, which would start it
    from a 480p draft frame).

    The local files the storyboard names must be in its folder (or `confine`'s), unless
    `allow_outside`. `name` is the storyboard's identity on every machine that shares the
    state (default: the file's stem): shots made under it, anywhere, are found again.

    Unless `dry_run`, the session holds the directory's lock until it has run (or is closed):
    raises BusyError when another process holds it."""
    if draft and finalize:
        raise UsageError("a run makes drafts or finalizes them, not both", field="finalize")
    if concat and not video.available():
        raise UsageError(
            "joining clips needs PyAV, which is not installed",
            reason=Reason.of("install_extra", extra="video"),
            field="concat",
        )
    board = load(path, allow_outside=allow_outside, confine=confine)
    if concat:
        refuse_branches(board)
    finals = output or default_output(path)
    directory = finals / DRAFTS if draft else finals
    mode = Mode.DRAFT if draft else (Mode.FINALIZE if finalize else Mode.NORMAL)
    check_directory(board, directory, create=not dry_run)
    drafts = load_drafts(board, finals) if finalize else None
    # every create passes the same cap (and the profile's budgets) as it is sent; made
    # first, so that the plan measures what a cap needs measured (reference videos by URL)
    allowance = Allowance.of(max_cost, allow_unpriced=allow_unpriced)
    plan = make_plan(
        rt,
        board,
        mode=mode,
        drafts=drafts,
        strict=strict,
        allowance=allowance,
        validate=validate,
    )
    plan = replace(plan, name=identities.run_name(name, path, path.stem))
    lock = None
    if not dry_run:
        lock = Locks(rt.data_dir).chain(directory.resolve())
        if not lock.try_acquire():
            raise lock.busy()
    try:
        abandoned = abandoned_tasks(directory) if restart else []
        manifest = Manifest.open(
            directory,
            storyboard=path,
            profile=rt.profile.name,
            now=rt.clock.time(),
            restart=restart,
        )
        recovered = unverified = []
        if not restart:
            recovered = recover(manifest, plan, rt.state, directory, rt.clock.time())
            unverified = verify_clips(manifest, directory, rt.clock.time())
        plan = with_actions(plan, manifest, set(rerun), directory, restart=restart)
        refuse_changed(rt, plan, directory)
        budgets = rt.gate.capped(Allowance())  # the profile's budgets
        plan.check_cost(max_cost, allow_unpriced=allow_unpriced, budgets=budgets)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    session = ChainSession(rt, board, plan, manifest, directory, abandoned, lock, allowance)
    session.recovered, session.unverified = recovered, unverified
    return session


def refuse_changed(rt: Runtime, plan: Plan, directory: Path) -> None:
    """Refuse shots whose newest create, on any machine (the state), asked for something
    else than the storyboard asks for now, unless they are made anew on purpose."""
    fresh = {shot_id for shot_id, p in plan.shots.items() if p.fresh}
    definitions = {shot_id: {p.definition_hash} for shot_id, p in plan.shots.items()}
    changed = identities.changed(rt.state, rt.profile.name, plan.label, definitions, fresh)
    if not changed:
        return
    many = len(changed) > 1
    names = ", ".join(f"'{n}'" for n in changed)
    raise StoryboardError(
        f"{plan.storyboard.path}: shot{'s' if many else ''} {names} changed since "
        f"{'they' if many else 'it'} ran (as storyboard '{plan.name}')",
        reason=Reason.of("shots_changed", many=many),
        suggestion=plan.again(directory, rerun=changed),
    )


def check_directory(board: Storyboard, directory: Path, *, create: bool) -> None:
    """The output folder, before anything is sent: made (unless a dry run, which only checks
    it could be) and writable; every file a shot writes there a regular file or nothing."""
    from seedance.services.videos.outputs import check_file, ensure_folder

    ensure_folder(directory, create=create)
    if not directory.is_dir():
        return
    stills = frames_available()
    for shot in board.shots:
        clip = directory / f"{shot.stem}{video_suffix(shot.params.output_format)}"
        for taken in (clip, directory / f"{shot.stem}.last.png"):
            check_file(taken, overwrite=True)  # a shot made again keeps the earlier take
        if stills:  # the review's, beside each clip (media/companions.py)
            kinds = (*companions.KINDS, "first") if shot.parent else companions.KINDS
            companions.check(clip, kinds=kinds, field="output")
    for name in (MANIFEST, FILM):
        check_file(
            directory / name, overwrite=True, field="manifest" if name == MANIFEST else "film"
        )


def branch_points(board: Storyboard) -> dict[str, tuple[str, ...]]:
    """The shots two or more others continue from: where the story branches."""
    return {s.id: s.children for s in board.shots if len(s.children) > 1}


def refuse_branches(board: Storyboard) -> None:
    """`concat` joins a story, in file order: a storyboard whose story branches (a shot that
    two others continue from: alternatives, not a sequence) has no one film, so it is refused
    before anything is sent. Shots that start fresh (cuts) are fine."""
    branches = branch_points(board)
    if not branches:
        return
    where = "; ".join(f"'{k}' is continued by {', '.join(v)}" for k, v in branches.items())
    raise StoryboardError(
        f"{board.path}: joining the clips needs a story without branches ({where})",
        reason="branches_not_joined",
        field="concat",
    )


def recover(
    manifest: Manifest, plan: Plan, journal: State, directory: Path, now: float
) -> list[str]:
    """Records the manifest lacks (it was lost or damaged), rebuilt from the journal: a shot
    whose clip on disk is the video a create of its definition saved (by SHA-256) is done; one
    whose create made a task for this very clip is submitted. Returns the shots rebuilt."""
    rebuilt: list[str] = []
    manifest.ensure_all(p.shot for p in plan.shots.values())
    for shot_id, shot_plan in plan.shots.items():
        record = manifest.data.shots.get(shot_id)
        if record is not None and (record.task_id or record.state is not ShotState.PENDING):
            continue
        shot = shot_plan.shot
        clip = directory / f"{shot.stem}{video_suffix(shot.params.output_format)}"
        made = journal.made_for(manifest.data.profile, shot_plan.definition_hash)
        digest = file_sha256(clip) if clip.is_file() and made else None
        saved = next((e for e in made if e.sha256 and e.sha256 == digest), None)
        mine = next((e for e in made if e.output_path == str(clip.resolve())), None)
        frame = directory / f"{shot.stem}.last.png"
        found: dict[str, object]
        if saved is not None:
            found = {
                "state": ShotState.DONE,
                "task_id": saved.task_id,
                "model": saved.model,
                "clip": clip.name,
                "sha256": saved.sha256,
                "bytes": clip.stat().st_size,
                "frame": frame.name if frame.is_file() else None,
                "tokens": saved.tokens,
            }
        elif mine is not None:
            found = {"state": ShotState.SUBMITTED, "task_id": mine.task_id, "model": mine.model}
        else:
            continue
        manifest.recovered(shot_id, now, request_hash=shot_plan.definition_hash, **found)
        rebuilt.append(shot_id)
    return rebuilt


def verify_clips(manifest: Manifest, directory: Path, now: float) -> list[str]:
    """Done shots whose clip is missing or is not the video recorded (by SHA-256): marked to
    be saved again from their task, never made again. Returns them."""
    again: list[str] = []
    for shot_id, record in manifest.data.shots.items():
        if record.state is not ShotState.DONE or not record.task_id or not record.sha256:
            continue
        clip = directory / (record.clip or "")
        if record.clip and clip.is_file() and file_sha256(clip) == record.sha256:
            continue
        manifest.unverified(shot_id, now)
        again.append(shot_id)
    return again


def load_drafts(board: Storyboard, finals: Path) -> Drafts:
    """The draft run of this storyboard, which a finalize run finishes."""
    path = finals / DRAFTS / MANIFEST
    try:
        data = read_data(path.parent)
    except FileNotFoundError:
        raise StoryboardError(
            f"{board.path}: no drafts were made in {path.parent}",
            reason="shots_missing",
            suggestion=chain_again(board.path, finals, draft=True),
        ) from None
    except (OSError, ValueError) as exc:
        raise StoryboardError(f"{path} cannot be read: {exc}") from None
    return Drafts(data, board.path, finals)


def abandoned_tasks(directory: Path) -> list[str]:
    """Tasks an earlier run submitted and did not finish: a restart leaves them running (and
    billed), so the caller can say so."""
    try:
        earlier = read_data(directory)
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
