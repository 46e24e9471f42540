"""The one path from a request to a saved, verified video (`Client.generate`).

    lock the output -> already saved? -> an earlier create of this request and output to
    resume (found exactly when its answer was lost) -> create (journaled, with its identity
    nonce, before it is sent) -> wait -> download -> verify -> journal

`create -o`, `wait -o` and every storyboard shot go this way; nothing else repeats these
steps. Each step raises a typed error that says what exists on the server and how to go on:
a failed task (TaskFailedError), a timeout (WaitTimeoutError), an outcome that cannot be told
(OutcomeUnknownError), another process on the same output (BusyError), a local failure after
the task exists (LocalError), an interruption (InterruptedByUser).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from seedance.domain.errors import (
    BadResponseError,
    InterruptedByUser,
    NotFoundError,
    OutcomeUnknownError,
    SeedanceError,
    ServerError,
    Suggestion,
    TaskFailedError,
    UsageError,
    WaitTimeoutError,
)
from seedance.domain.models import DownloadResult, Task, video_suffix
from seedance.services import crashpoints, output_record, request_ids
from seedance.services.accounts import MAX_CROWDED, SLOT_POLL, is_crowded
from seedance.services.asset_cache import file_sha256
from seedance.services.identity import LostCreate, identity_picker, with_identity
from seedance.services.journal import Entry, JournalState
from seedance.services.locks import FileLock, Holder, Locks, holding
from seedance.services.polling import Listener
from seedance.services.prepare import Prepared, redact_body

if TYPE_CHECKING:
    from seedance.services.client import Client

MAX_SENDS = 5  # creates sent for one request when each provably never arrived


class Step(StrEnum):
    """What `generate` is doing (told to `on_step` with a detail)."""

    WAITING_FOR_LOCK = "waiting-for-lock"  # detail: who holds the output
    WAITING_FOR_SLOT = "waiting-for-slot"  # the account is full (detail: how full)
    SAVED_BEFORE = "saved-before"  # detail: the task whose video is already there
    COPYING = "copying"  # detail: the saved copy of the video, copied to the output
    RESUMING = "resuming"  # detail: the task an earlier create made
    SENDING = "sending"
    CREATED = "created"  # detail: the new task
    LOOKING = "looking"  # the answer was lost: looking for the task (detail: what)
    FOUND = "found"  # detail: the lost create's task, found
    NOT_ARRIVED = "not-arrived"  # the lost create provably never arrived: sending it again
    DOWNLOADING = "downloading"  # detail: the file


class Origin(StrEnum):
    """Where a generated video's task came from."""

    CREATED = "created"  # made by this call
    RESUMED = "resumed"  # an earlier create of the same request and output (or a given id)
    SAVED_BEFORE = "saved-before"  # the video was already saved there


OnStep = Callable[[Step, str], None]
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Generated:
    """A saved, verified video and the task it comes from."""

    task: Task
    video: DownloadResult
    last_frame: DownloadResult | None = None
    origin: Origin = Origin.CREATED


@dataclass
class Run:
    """One call's settings."""

    client: Client
    output: Path  # resolved: the journal's name for it
    last_frame_output: Path | None
    deadline: float | None  # monotonic
    new: bool
    overwrite: bool
    again: Suggestion  # how the user makes it anew on purpose
    on_step: OnStep
    on_update: Listener | None
    on_progress: Progress | None
    stop: threading.Event | None
    task_id: str | None = None  # once a task exists
    suffix: str = ".mp4"  # the video's extension, from the requested output format

    def saved_as(self, task_id: str) -> Path:
        """The file the video is saved as: the output, or `<task id>.mp4` (`.mov`) in it."""
        return self.output / f"{task_id}{self.suffix}" if self.output.is_dir() else self.output

    label: str | None = None  # what the create is made for, in the ledger ("batch:DIR")

    def step(self, step: Step, detail: str = "") -> None:
        self.on_step(step, detail)

    def interrupted(self) -> InterruptedByUser:
        """Stopped between steps: what runs on the server, and how to go on."""
        if self.task_id is None:
            return InterruptedByUser(
                "stopped; this command made no task", suggestion=Suggestion.again()
            )
        return InterruptedByUser(
            f"stopped; task {self.task_id} keeps running on the server",
            hint="resume with",
            suggestion=[
                Suggestion.again(),
                Suggestion.of("wait", self.task_id, output=str(self.output)),
            ],
        )

    def left(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - self.client.clock.monotonic(), 0.0)


def generate(
    client: Client,
    prepared: Prepared | None,
    *,
    task_id: str | None,
    output: Path,
    last_frame_output: Path | None = None,
    timeout: float | None = None,
    new: bool = False,
    overwrite: bool = False,
    again: Suggestion | None = None,
    on_step: OnStep | None = None,
    on_update: Listener | None = None,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    label: str | None = None,
    request_id: str | None = None,
) -> Generated:
    """See `Client.generate`."""
    clock = client.clock
    run = Run(
        client,
        output.resolve(),
        last_frame_output,
        clock.monotonic() + timeout if timeout is not None else None,
        new,
        overwrite,
        again or Suggestion.again(new=True),
        on_step or (lambda _step, _detail: None),
        on_update,
        on_progress,
        stop,
        label=label,
    )
    if prepared is not None and prepared.request.output_format:
        run.suffix = video_suffix(prepared.request.output_format)
    lock = Locks(client.data_dir).output(run.output)

    def waiting(holder: Holder) -> None:
        who = f"process {holder.pid}" if holder.pid else "another process"
        run.step(Step.WAITING_FOR_LOCK, f"{who} is working on {holder.what}")

    try:
        lock.acquire(clock, timeout=run.left(), on_wait=waiting)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"stopped waiting for the other process working on {run.output.name}; nothing was sent",
            hint="run the same command again once it is done: it finds the video",
            suggestion=Suggestion.again(),
        ) from None
    with holding(lock):
        try:
            if prepared is None:
                assert task_id is not None
                run.task_id = task_id
                return _for_task(run, task_id)
            if request_id is not None:
                return _for_request_id(run, prepared, request_id)
            return _for_request(run, prepared)
        except KeyboardInterrupt:  # the steps that know more say it themselves
            raise run.interrupted() from None


# -- a request -------------------------------------------------------------------------------


def _for_request(run: Run, prepared: Prepared) -> Generated:
    client = run.client
    key = str(run.output)
    if not run.new:
        _recall(run, prepared)
        done = _saved_before(run, prepared.request_hash)
        if done is not None:
            return done
    try:
        _check_destinations(run)
    except UsageError as refused:
        if not run.new and refused.code == "output_exists" and refused.field == "output":
            _made_already(run, prepared.request_hash, refused)
        raise
    task_id = None if run.new else _resume(run, prepared)
    if task_id is not None:
        _refuse_failed(run, task_id)
        run.task_id = task_id
        run.step(Step.RESUMING, task_id)
        origin = Origin.RESUMED
    else:
        task_id = send(client, prepared, output=key, run=run).id
        origin = Origin.CREATED
    _remember(run, task_id)
    try:
        task = _wait(run, task_id, just_created=origin is Origin.CREATED)
    except TaskFailedError as exc:
        exc.hint = exc.hint or "making it again is a new create, billed anew"
        exc.suggestions = exc.suggestions or (run.again,)
        raise
    except NotFoundError as exc:
        if origin is Origin.CREATED:
            raise
        exc.hint = "the server no longer has the task an earlier create of this request made"
        exc.suggestions = (run.again,)
        raise
    return _save(run, task, origin)


def _for_request_id(run: Run, prepared: Prepared, request_id: str) -> Generated:
    """A request under a caller's request id (services/request_ids.py): its first use
    creates (a new video), a repeat goes on with what the first made. The id's lock is held
    until the end, so a concurrent repeat waits and then finds the create."""
    client = run.client
    lock = Locks(client.data_dir).request(client.profile.name, request_id)
    lock.acquire(client.clock, timeout=run.left())
    with holding(lock):
        earlier = request_ids.earlier(
            client.journal,
            client.profile.name,
            request_id,
            request_hash=prepared.request_hash,
            output=run.output,
        )
        run.new = earlier is None
        run.label = request_ids.label(request_id)
        return _for_request(run, prepared)


def _refuse_failed(run: Run, task_id: str) -> None:
    """The task of an earlier create of this request ended failed (the journal saw it): it is
    not followed again, which would fail again every time; making it anew is a new, billed
    create, so the caller asks for it (`new`)."""
    entry = run.client.journal.find(task_id)
    if entry is None or entry.status is None or not entry.status.is_failure:
        return
    code = (entry.error or "").partition(": ")[0]
    raise TaskFailedError(
        f"task {task_id}, made earlier for this request and output, {entry.status.value}"
        + (f": {entry.error}" if entry.error else ""),
        code=code or None,
        hint="it is not followed again; making it again is a new create, billed anew",
        suggestion=run.again,
    )


def send(
    client: Client,
    prepared: Prepared,
    *,
    output: str | None = None,
    run: Run | None = None,
) -> Task:
    """Send a create, journaled (with its identity nonce and a lease on its row) before it
    goes out. Never sent twice blindly: when its answer is lost, the task is looked for (on
    dialects that can), adopted when found, and the create sent again only when it provably
    never arrived."""
    on_step = run.on_step if run is not None else (lambda _s, _d: None)
    again = run.again if run is not None else Suggestion.again(new=True)
    attempt = crowded = 0
    while attempt < MAX_SENDS:
        attempt += 1
        try:
            task, lost = _send_once(client, prepared, output, run, again)
        except Crowded as refused:
            crowded += 1
            if crowded >= MAX_CROWDED:
                raise refused.error from None
            client.gate.crowded(refused.error)
            pause = min(SLOT_POLL * crowded, 60.0)  # the account's other users, if any
            stop = run.stop if run is not None else None
            if stop is None:
                client.clock.sleep(pause)
            elif client.clock.wait(stop, pause):
                raise KeyboardInterrupt from None
            attempt -= 1
            continue
        crowded = 0
        if task is not None:
            return task
        assert lost is not None
        if attempt == MAX_SENDS:
            raise ServerError(
                f"the create failed {attempt} times, and each time nothing was made "
                f"({lost.message})",
                hint="nothing is billed; try again later",
            )
        on_step(Step.NOT_ARRIVED, lost.message)
    raise AssertionError("unreachable")


class Crowded(Exception):
    """A create the API refused for concurrency (nothing was made): wait for a slot, then
    send it again."""

    def __init__(self, error: SeedanceError) -> None:
        super().__init__(error.message)
        self.error = error


def _send_once(
    client: Client,
    prepared: Prepared,
    output: str | None,
    run: Run | None,
    again: Suggestion,
) -> tuple[Task | None, SeedanceError | None]:
    """(the task, None), or (None, why) when the create provably never arrived."""
    journal, clock, provider = client.journal, client.clock, client.provider
    exact = client.capabilities.finds_lost_creates
    locks = Locks(client.data_dir)
    lease: list[FileLock] = []

    def hold(row: int) -> None:
        lock = locks.row(row)
        lock.try_acquire()
        lease.append(lock)

    request = prepared.request

    def slot_wait(detail: str) -> None:
        if run is not None:
            run.step(Step.WAITING_FOR_SLOT, detail)
        else:
            client.notify(f"waiting for a slot: {detail}")

    with client.gate.admit(
        prepared,
        allowance=client.allowance,
        deadline=run.deadline if run is not None else None,
        on_wait=slot_wait,
        stop=run.stop if run is not None else None,
    ) as ticket:
        row = _begin(client, prepared, output, hold, ticket.ledger(run.label if run else None))
    try:
        entry = journal.entry(row)
        assert entry is not None
        body = prepared.body
        if entry.nonce is not None:  # the request as sent carries its identity
            body = provider.build_body(with_identity(request, entry))
        if run is not None:
            run.step(Step.SENDING)
        try:
            crashpoints.reached("create-sending")
        except KeyboardInterrupt:
            journal.rejected(row, "interrupted before it was sent", clock.time())
            ticket.release()
            raise InterruptedByUser(
                "stopped before the create was sent; nothing was sent"
            ) from None
        try:
            with client.explain_auth():
                task = provider.create(body)
        except (OutcomeUnknownError, ServerError, BadResponseError) as exc:
            # it may have arrived: a lost answer, a 5xx, or an answer we cannot read (even a
            # 200 without a task id may have made one)
            journal.unknown(row, exc.message, clock.time())
            if not exact:
                raise client.lost_answer(exc) from None
            found = _find_lost(
                client, entry, run, again, just_lost=True, output=output, reason=exc.message
            )
            if found is None:
                journal.rejected(row, f"never reached the server ({exc.message})", clock.time())
                ticket.release()
                return None, exc
            journal.adopt(row, found.id, clock.time())
            if run is not None:
                run.task_id = found.id
            _told(run, Step.FOUND, found.id)
            return found, None
        except KeyboardInterrupt:
            journal.unknown(row, "interrupted while it was being sent", clock.time())
            raise _interrupted_sending(output) from None
        except SeedanceError as exc:
            journal.rejected(row, str(exc), clock.time())
            ticket.release()
            if is_crowded(exc):
                raise Crowded(exc) from None
            raise
        if run is not None:
            run.task_id = task.id
        crashpoints.reached("create-sent")
        journal.created(row, task.id, clock.time())
        crashpoints.reached("create-created")
        _told(run, Step.CREATED, task.id)
        return task, None
    finally:
        for lock in lease:
            lock.release()


def _begin(
    client: Client,
    prepared: Prepared,
    output: str | None,
    hold: Callable[[int], object],
    ledger: dict[str, object],
) -> int:
    """The journal row of a create about to be sent (its lease taken before it is seen)."""
    request = prepared.request
    exact = client.capabilities.finds_lost_creates
    return client.journal.begin(
        profile=client.profile.name,
        dialect=client.provider.dialect,
        base_url=client.profile.base_url,
        body=redact_body(prepared.body),
        request_hash=prepared.request_hash,
        model=request.model,
        resolution=request.resolution,
        duration=request.duration,
        prompt=request.prompt,
        output_path=output,
        at=client.clock.time(),
        service_tier=request.service_tier,
        nonce=identity_picker(request) if exact else None,
        hold=hold,
        ledger=ledger,
    )


def _interrupted_sending(output: str | None) -> InterruptedByUser:
    """Stopped with the create on the wire: it may exist. With an output, the same command
    finds it; a create without one is a new request each time, so the task list tells."""
    stopped = "stopped while the create was being sent: it may have reached the server"
    if output is None:
        return InterruptedByUser(
            stopped,
            hint="it was not sent again; the server's task list (or the journal) shows it",
            suggestion=[Suggestion.of("tasks.list"), Suggestion.of("tasks.list", local=True)],
        )
    return InterruptedByUser(
        stopped,
        hint="the same command finds its task (never sending it twice) when run again",
        suggestion=Suggestion.again(),
    )


def _told(run: Run | None, step: Step, task_id: str) -> None:
    if run is not None:
        run.step(step, task_id)


def _find_lost(
    client: Client,
    entry: Entry,
    run: Run | None,
    again: Suggestion,
    *,
    just_lost: bool,
    output: str | None,
    reason: str | None = None,
) -> Task | None:
    def say(text: str) -> None:
        if run is not None:
            run.step(Step.LOOKING, text)

    search = LostCreate(
        client.provider,
        client.journal,
        client.clock,
        entry,
        again=again,
        output=output,
        on_step=say,
        stop=run.stop if run is not None else None,
        reason=reason,
    )
    try:
        with client.explain_auth():
            return search.find(
                deadline=run.deadline if run is not None else None,
                keep_watching=run is not None,
                just_lost=just_lost,
            )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped while looking for the task of a create whose answer was lost; "
            "nothing was sent again",
            hint="the same command looks again when run again",
            suggestion=Suggestion.again(),
        ) from None


def _resume(run: Run, prepared: Prepared) -> str | None:
    """The task of an earlier create of this very request to this very output, found on the
    server if its answer was lost; None to create now."""
    client = run.client
    journal = client.journal
    entry = journal.latest_for(client.profile.name, prepared.request_hash, str(run.output))
    if entry is None:
        return None
    if entry.state is JournalState.CREATED:
        return entry.task_id
    lease = Locks(client.data_dir).row(entry.row)
    lease.acquire(client.clock, timeout=run.left())  # its sender may still be at it
    with holding(lease):
        entry = journal.entry(entry.row) or entry
        if entry.state is JournalState.CREATED:
            return entry.task_id
        if entry.state is JournalState.REJECTED:
            return None
        found = _find_lost(client, entry, run, run.again, just_lost=False, output=str(run.output))
        if found is None:
            at = client.clock.time()
            journal.rejected(entry.row, "never reached the server", at)
            return None
        journal.adopt(entry.row, found.id, client.clock.time())
        run.step(Step.FOUND, found.id)
        return found.id


def _recall(run: Run, prepared: Prepared) -> None:
    """A record beside the output names a task the journal does not know (the journal was
    lost or rebuilt): write it back into the journal, so the steps below find it."""
    client = run.client
    record = output_record.find(run.output, client.profile.name, prepared.request_hash)
    if record is not None and client.journal.find(record.task_id) is None:
        client.journal.record(record.entry())


def _saved_before(run: Run, request_hash: str) -> Generated | None:
    """This very request already saved its video at the output, say just before a crash.
    Only the file seedance wrote counts: its SHA-256 was journaled before it took its name.
    When the output is gone but `download` saved the task's video elsewhere since (the
    journal's saved path), that verified copy is copied to the output: no network, and the
    task's URL may have expired.

    Only the newest create of the request and output counts: a newer one whose task is not
    known yet (a rerun killed with its create journaled or in flight) may have made a task,
    paid for and not saved; the video of an earlier create is then not the answer, the newer
    create is followed (or looked for) instead."""
    client = run.client
    entry = client.journal.latest_for(client.profile.name, request_hash, str(run.output))
    if entry is None or entry.task_id is None or entry.state is not JournalState.CREATED:
        return None
    return _saved_or_copied(run, entry)


def _saved_or_copied(run: Run, entry: Entry) -> Generated | None:
    """`entry`'s task's verified video at the output: already there, or copied there from
    where the journal says it was saved since (no network)."""
    if entry.task_id is None or entry.sha256 is None:
        return None
    output = run.saved_as(entry.task_id)
    done = _if_saved(run, entry, output)
    if done is None and _copied(run, entry, output):
        done = _if_saved(run, entry, output, verified=True)
    return done


def _if_saved(run: Run, entry: Entry, saved: Path, *, verified: bool = False) -> Generated | None:
    """The video of `entry`'s task at `saved` (its SHA-256 the journaled one, unless just
    `verified`), answered as made before: the journal's saved path then names it."""
    client = run.client
    if entry.sha256 is None or not (verified or _holds(saved, entry.sha256)):
        return None
    assert entry.task_id is not None
    size = saved.stat().st_size
    if entry.downloaded_at is None or entry.saved_path != str(saved):
        client.journal.downloaded(
            entry.task_id, path=str(saved), sha256=entry.sha256, size=size, at=client.clock.time()
        )
        _remember(run, entry.task_id)
    run.step(Step.SAVED_BEFORE, entry.task_id)
    video = DownloadResult(path=str(saved), bytes=size, sha256=entry.sha256)
    try:
        task = client.get(entry.task_id)
    except SeedanceError:  # the server let it go (7 days): the saved video is what counts
        if run.last_frame_output is not None and not run.last_frame_output.is_file():
            raise
        task = Task(id=entry.task_id, profile=client.profile.name, model=entry.model)
    return Generated(task, video, _frame(run, task, kept=True), Origin.SAVED_BEFORE)


def _holds(path: Path, sha256: str) -> bool:
    return path.is_file() and file_sha256(path) == sha256


def _copied(run: Run, entry: Entry, dest: Path) -> bool:
    """The task's video, saved elsewhere by a `download` (the journal's saved path), copied
    to `dest`, where nothing is: verified as it is copied (a copy that is not the journaled
    video is dropped: False), fsynced, journaled, then renamed into place, as a download."""
    from seedance.services.client import local_failure
    from seedance.services.outputs import check_file

    task_id, sha256 = entry.task_id, entry.sha256
    assert task_id is not None and sha256 is not None
    source = Path(entry.saved_path) if entry.saved_path else None
    if source is None or source == dest or os.path.lexists(dest) or not source.is_file():
        return False
    check_file(dest)  # its folder there and writable
    run.step(Step.COPYING, str(source))
    temporary = dest.with_name(f".{dest.name}.{os.getpid()}.copy")
    digest, size = hashlib.sha256(), 0
    try:
        with source.open("rb") as reader, temporary.open("wb") as writer:
            for chunk in iter(lambda: reader.read(1 << 20), b""):
                digest.update(chunk)
                writer.write(chunk)
                size += len(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        if digest.hexdigest() != sha256:  # changed since it was saved: not the video
            temporary.unlink()
            return False
        run.client.journal.saving(task_id, path=str(dest), sha256=sha256, size=size)
        os.replace(temporary, dest)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise local_failure(exc, dest, task_id) from None
    return True


def _made_already(run: Run, request_hash: str, refused: UsageError) -> None:
    """The output holds a file that is not this request's video, yet the request was made
    (a create to this output): the same request under a free name would pay again, so the
    next step saves that task's video there instead (`wait` never creates)."""
    from seedance.services.outputs import free_name

    client = run.client
    entry = client.journal.latest_for(client.profile.name, request_hash, str(run.output))
    if entry is None or (entry.status is not None and entry.status.is_failure):
        return  # nothing made (a failed task is made again by a new create, as it says)
    if entry.task_id is None:  # its answer was lost: the same command looks for it
        refused.hint = (
            "an earlier create of this request to this output may have reached the server; "
            "move the file away, then run the same command again: it looks for that task"
        )
        refused.suggestions = (Suggestion.again(),)
        return
    sha256, saved = entry.sha256, entry.saved_path
    elsewhere = saved if sha256 and saved and _holds(Path(saved), sha256) else None
    refused.message = (
        f"{run.output} already exists and is not the video task {entry.task_id} made for "
        "this request" + (f"; that video is saved at {elsewhere}" if elsewhere else "")
    )
    refused.hint = (
        "move the file away and run the same command again, or save the video under "
        "another name with"
    )
    refused.suggestions = (Suggestion.of("wait", entry.task_id, output=str(free_name(run.output))),)


def _check_destinations(run: Run) -> None:
    """Refuse, before anything is sent, an output we would not write (services/outputs.py)."""
    from seedance.services.outputs import check_distinct, check_file

    if not run.output.is_dir():
        check_file(run.output, overwrite=run.overwrite)
        check_distinct({"output": run.output, "last_frame_output": run.last_frame_output})
    elif run.overwrite:
        raise UsageError(f"{run.output} is a directory", hint="give a file name")
    if run.last_frame_output is not None:
        check_file(run.last_frame_output, overwrite=run.overwrite, field="last_frame_output")


# -- a task ----------------------------------------------------------------------------------


def _for_task(run: Run, task_id: str) -> Generated:
    from seedance.services.outputs import check_distinct

    # before a saved copy is answered or copied: else the video is taken for its last frame
    check_distinct({"output": run.saved_as(task_id), "last_frame_output": run.last_frame_output})
    entry = run.client.journal.find(task_id)
    # a last frame already at its path is taken as the video's only beside the video seedance
    # saved there itself; anywhere else it is a file the checks below refuse to overwrite
    frame_there = run.last_frame_output is not None and run.last_frame_output.exists()
    saved_here = entry is not None and entry.saved_path == str(run.saved_as(task_id))
    if entry is not None and (saved_here or not frame_there):
        done = _saved_or_copied(run, entry)
        if done is not None:
            return done
    _check_destinations(run)
    return _save(run, _wait(run, task_id, just_created=False), Origin.RESUMED)


# -- waiting and saving ----------------------------------------------------------------------


def _wait(run: Run, task_id: str, *, just_created: bool) -> Task:
    client = run.client
    try:
        return client.wait_one(
            task_id,
            timeout=run.left(),
            on_update=run.on_update,
            just_created=just_created,
            stop=run.stop,
        )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"stopped waiting; task {task_id} keeps running on the server",
            hint="resume with",
            suggestion=[Suggestion.again(), Suggestion.of("wait", task_id, output=_shown(run))],
        ) from None
    except WaitTimeoutError as exc:
        exc.suggestions = (Suggestion.again(), Suggestion.of("wait", task_id, output=_shown(run)))
        raise


def _save(run: Run, task: Task, origin: Origin) -> Generated:
    client = run.client
    dest = run.saved_as(task.id)
    run.step(Step.DOWNLOADING, dest.name)
    try:
        video = client.download(task, dest, on_progress=run.on_progress)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped the download; the part saved so far is kept",
            hint="resume with",
            suggestion=[Suggestion.again(), Suggestion.of("download", task.id, output=str(dest))],
        ) from None
    _remember(run, task.id)
    return Generated(task, video, _frame(run, task), origin)


def _frame(run: Run, task: Task, *, kept: bool = False) -> DownloadResult | None:
    """The last frame, when asked for: downloaded, or `kept` from the run that saved the
    video (it was written after the video, by a rename, to a path checked free before)."""
    path = run.last_frame_output
    if path is None:
        return None
    if kept and path.is_file():
        return DownloadResult(path=str(path), bytes=path.stat().st_size, sha256=file_sha256(path))
    try:
        return run.client.download(task, path, what="last_frame")
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped the download of the last frame",
            hint="resume with",
            suggestion=Suggestion.again(),
        ) from None


def _remember(run: Run, task_id: str) -> None:
    """Keep the record beside the output up to date (best effort: the journal has it too)."""
    journal = run.client.journal
    entry = journal.find(task_id)
    if entry is None or entry.output_path != str(run.output):
        return
    saved = Path(entry.saved_path) if entry.saved_path else None
    if saved is None:
        saved = run.saved_as(task_id)
    with contextlib.suppress(OSError):
        output_record.write(output_record.OutputRecord.of(entry, task_id), saved)


def _shown(run: Run) -> str:
    return str(run.output)


def with_hash(prepared: Prepared, request_hash: str) -> Prepared:
    """`prepared` known by another request hash (a storyboard shot's definition)."""
    return replace(prepared, request_hash=request_hash)
