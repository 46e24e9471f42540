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
from dataclasses import replace
from pathlib import Path

from seedance.domain.errors import (
    APIError,
    BadResponseError,
    DeadlinePassedError,
    InterruptedByUser,
    NotFoundError,
    Reason,
    SeedanceError,
    Suggestion,
    TaskFailedError,
    UnusableTaskIdError,
    UsageError,
    WaitTimeoutError,
)
from seedance.domain.models import DownloadResult, Task, video_suffix
from seedance.providers.deadline import within
from seedance.services.account.gate import Allowance
from seedance.services.assets.cache import file_sha256
from seedance.services.locks import Locks, holding
from seedance.services.runs.identities import UnitKey
from seedance.services.runtime import Runtime
from seedance.services.state import UNFINISHED, Entry, Holder, JournalState
from seedance.services.videos import output_record, request_ids, saving, tasks
from seedance.services.videos.polling import Listener
from seedance.services.videos.prepare import Prepared
from seedance.services.videos.sending import find_lost, send, was_unusable
from seedance.services.videos.steps import (
    Generated,
    OnStep,
    Origin,
    Progress,
    Run,
    Step,
)


def generate(
    rt: Runtime,
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
    allowance: Allowance | None = None,
    unit: UnitKey | None = None,
) -> Generated:
    """A request (or an existing task, `task_id`) made into a saved, verified video at
    `output`; see `Videos.generate`. `allowance`: what the call may spend (none: no cap but
    the profile's budgets); `unit`: the unit of a run it makes, whose creates (on any
    machine, to any output) are its own (runs/identities.py)."""
    clock = rt.clock
    run = Run(
        rt,
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
        allowance or Allowance(),
        label=label,
        unit=unit,
    )
    if prepared is not None and prepared.request.output_format:
        run.suffix = video_suffix(prepared.request.output_format)
    lock = Locks(rt.data_dir).output(run.output)

    def waiting(holder: Holder) -> None:
        who = f"process {holder.pid}" if holder.pid else "another process"
        run.step(Step.WAITING_FOR_LOCK, f"{who} is working on {holder.what}")

    try:
        lock.acquire(clock, timeout=run.left(), on_wait=waiting)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"stopped waiting for the other process working on {run.output.name}; nothing was sent",
            reason="request_busy",
            suggestion=Suggestion.again(),
        ) from None
    with holding(lock):
        try:
            if prepared is None:
                assert task_id is not None
                run.task_id = task_id
                return _for_task(run, task_id)
            if request_id is not None:
                made = _for_request_id(run, prepared, request_id)
            else:
                made = _for_request(run, prepared)
            _release(rt, prepared)
            return made
        except KeyboardInterrupt:  # the steps that know more say it themselves
            raise run.interrupted() from None


def _release(rt: Runtime, prepared: Prepared) -> None:
    """The bucket's objects the request was made from, let go now its video is made (deleted
    with the profile's `storage_cleanup`)."""
    if prepared.redactions:
        storage = rt.storage()
        if storage is not None:
            storage.release(list(prepared.redactions.values()))


# -- a request -------------------------------------------------------------------------------


def _for_request(run: Run, prepared: Prepared) -> Generated:
    rt = run.rt
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
        task_id = send(rt, prepared, allowance=run.allowance, output=key, run=run).id
        origin = Origin.CREATED
    _remember(run, task_id)
    try:
        task = _wait(run, task_id, just_created=origin is Origin.CREATED)
    except TaskFailedError as exc:
        if not exc.reasons:
            exc.because("remade_is_billed")
        exc.suggestions = exc.suggestions or (run.again,)
        raise
    except NotFoundError as exc:
        if origin is Origin.CREATED:
            raise
        exc.instead("earlier_task_gone")
        exc.suggestions = (run.again,)
        raise
    return _save(run, task, origin)


def _for_request_id(run: Run, prepared: Prepared, request_id: str) -> Generated:
    """A request under a caller's request id (services/request_ids.py): its first use
    creates (a new video), a repeat goes on with what the first made. The id's lock is held
    until the end, so a concurrent repeat waits and then finds the create."""
    rt = run.rt
    lock = rt.state.request_lock(rt.profile.name, request_id)

    def waiting(holder: Holder) -> None:  # (a process here, or on another machine)
        run.step(Step.WAITING_FOR_LOCK, holder.working())

    lock.acquire(rt.clock, timeout=run.left(), on_wait=waiting)
    with holding(lock):
        earlier = request_ids.earlier(
            rt.state,
            rt.profile.name,
            request_id,
            request_hash=prepared.request_hash,
            output=run.output,
        )
        run.new = earlier is None
        run.label = request_ids.label(request_id)
        run.by_label = True
        return _for_request(run, prepared)


def _refuse_failed(run: Run, task_id: str) -> None:
    """The task of an earlier create of this request ended failed (the journal saw it): it is
    not followed again, which would fail again every time; making it anew is a new, billed
    create, so the caller asks for it (`new`)."""
    entry = run.rt.state.find(task_id)
    if entry is None or entry.status is None or not entry.status.is_failure:
        return
    code = (entry.error or "").partition(": ")[0]
    raise TaskFailedError(
        f"task {task_id}, made earlier for this request and output, {entry.status.value}"
        + (f": {entry.error}" if entry.error else ""),
        code=code or None,
        reason="earlier_create_failed",
        suggestion=run.again,
    )


def _resume(run: Run, prepared: Prepared) -> str | None:
    """The task of an earlier create of this very request to this very output, found on the
    server if its answer was lost; None to create now."""
    rt = run.rt
    journal = rt.state
    entry = _latest(run, prepared.request_hash)
    if entry is None:
        return None
    if entry.state is JournalState.CREATED:
        return entry.task_id
    if was_unusable(entry):
        raise UnusableTaskIdError(
            "an earlier create of this request to this output reached the server, which "
            "answered with an unusable task id; it may have made the task, and bill it",
            reason="earlier_create_refused",
            suggestion=run.again,
        )
    lease = journal.row_lease(entry.row)
    lease.acquire(rt.clock, timeout=run.left())  # its sender may still be at it
    with holding(lease):
        entry = journal.entry(entry.row) or entry
        if entry.state is JournalState.CREATED:
            return entry.task_id
        if entry.state is JournalState.REJECTED:
            return None
        found = find_lost(rt, entry, run, run.again, just_lost=False, output=str(run.output))
        if found is None:
            at = rt.clock.time()
            journal.rejected(entry.row, "never reached the server", at)
            return None
        journal.adopt(entry.row, found.id, rt.clock.time())
        run.step(Step.FOUND, found.id)
        return found.id


def _recall(run: Run, prepared: Prepared) -> None:
    """A record beside the output names a task the journal does not know (the journal was
    lost or rebuilt): write it back into the journal, so the steps below find it."""
    rt = run.rt
    record = output_record.find(run.output, rt.profile.name, prepared.request_hash)
    if record is not None and rt.state.find(record.task_id) is None:
        rt.state.record(record.entry())


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
    entry = _latest(run, request_hash)
    if entry is None or entry.task_id is None or entry.state is not JournalState.CREATED:
        return None
    return _saved_or_copied(run, entry)


def _latest(
    run: Run, request_hash: str, states: tuple[JournalState, ...] = UNFINISHED
) -> Entry | None:
    """The newest create of this request made for what the call makes, in `states`: a run's
    unit (its generation) or a request id, made on any machine to any output; else (and
    for creates an older seedance made, which name no unit) one to this very output."""
    rt = run.rt
    profile, unit = rt.profile.name, run.unit
    if unit is not None:
        entry = rt.state.latest_of(
            profile,
            unit.label,
            unit.unit,
            request_hash=request_hash,
            generation=unit.generation,
            states=states,
        )
        if entry is not None or unit.generation > 0:
            return entry
    elif run.by_label and run.label is not None:
        entry = rt.state.latest_of(
            profile, run.label, None, request_hash=request_hash, states=states
        )
        if entry is not None:
            return entry
    return rt.state.latest_for(profile, request_hash, str(run.output), states)


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
    rt = run.rt
    if entry.sha256 is None or not (verified or _holds(saved, entry.sha256)):
        return None
    assert entry.task_id is not None
    size = saved.stat().st_size
    if entry.downloaded_at is None or entry.saved_path != str(saved):
        rt.state.downloaded(
            entry.task_id, path=str(saved), sha256=entry.sha256, size=size, at=rt.clock.time()
        )
        _remember(run, entry.task_id)
    _vouch(run, entry.task_id, saved)
    run.step(Step.SAVED_BEFORE, entry.task_id)
    video = DownloadResult(path=str(saved), bytes=size, sha256=entry.sha256)
    try:
        task = tasks.get(rt, entry.task_id)
    except SeedanceError:  # the server let it go (7 days): the saved video is what counts
        if run.last_frame_output is not None and not run.last_frame_output.is_file():
            raise
        task = Task(id=entry.task_id, profile=rt.profile.name, model=entry.model)
    return Generated(task, video, _frame(run, task, kept=True), Origin.SAVED_BEFORE)


def _holds(path: Path, sha256: str) -> bool:
    return path.is_file() and file_sha256(path) == sha256


def _copied(run: Run, entry: Entry, dest: Path) -> bool:
    """The task's video, saved elsewhere by a `download` (the journal's saved path), copied
    to `dest`, where nothing is: verified as it is copied (a copy that is not the journaled
    video is dropped: False), fsynced, journaled, then renamed into place, as a download."""
    from seedance.services.videos.outputs import check_file

    task_id, sha256 = entry.task_id, entry.sha256
    assert task_id is not None and sha256 is not None
    source = Path(entry.saved_path) if entry.saved_path else None
    if source is None or source == dest or os.path.lexists(dest) or not source.is_file():
        return False
    if _saved_elsewhere(run, entry):  # a path on another machine: downloaded here instead
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
        run.rt.state.saving(task_id, path=str(dest), sha256=sha256, size=size)
        os.replace(temporary, dest)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise saving.local_failure(exc, dest, task_id) from None
    return True


def _made_already(run: Run, request_hash: str, refused: UsageError) -> None:
    """The output holds a file that is not this request's video, yet the request was made
    (a create to this output): the same request under a free name would pay again, so the
    next step saves that task's video there instead (`wait` never creates)."""
    from seedance.services.videos.outputs import free_name

    entry = _latest(run, request_hash)
    if entry is None or (entry.status is not None and entry.status.is_failure):
        return  # nothing made (a failed task is made again by a new create, as it says)
    if entry.task_id is None:  # its answer was lost: the same command looks for it
        refused.instead("earlier_create_may_exist")
        refused.suggestions = (Suggestion.again(),)
        return
    sha256, saved = entry.sha256, entry.saved_path
    elsewhere = saved if sha256 and saved and _holds(Path(saved), sha256) else None
    refused.message = (
        f"{run.output} already exists and is not the video task {entry.task_id} made for "
        "this request" + (f"; that video is saved at {elsewhere}" if elsewhere else "")
    )
    refused.instead("made_elsewhere_in_output")
    refused.suggestions = (Suggestion.of("wait", entry.task_id, output=str(free_name(run.output))),)


def _check_destinations(run: Run) -> None:
    """Refuse, before anything is sent, an output we would not write (services/outputs.py)."""
    from seedance.services.videos.outputs import check_distinct, check_file

    if not run.output.is_dir():
        check_file(run.output, overwrite=run.overwrite)
        check_distinct({"output": run.output, "last_frame_output": run.last_frame_output})
    elif run.overwrite:
        raise UsageError(f"{run.output} is a directory", reason="output_is_folder_plain")
    if run.last_frame_output is not None:
        check_file(run.last_frame_output, overwrite=run.overwrite, field="last_frame_output")


# -- a task ----------------------------------------------------------------------------------


def _for_task(run: Run, task_id: str) -> Generated:
    from seedance.services.videos.outputs import check_distinct

    # before a saved copy is answered or copied: else the video is taken for its last frame
    check_distinct({"output": run.saved_as(task_id), "last_frame_output": run.last_frame_output})
    entry = run.rt.state.find(task_id)
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
    rt = run.rt
    try:
        return tasks.wait_one(
            rt,
            task_id,
            timeout=run.left(),
            on_update=run.on_update,
            just_created=just_created,
            stop=run.stop,
        )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"stopped waiting; task {task_id} keeps running on the server",
            reason="resume",
            suggestion=[Suggestion.again(), Suggestion.of("wait", task_id, output=_shown(run))],
        ) from None
    except (WaitTimeoutError, BadResponseError) as exc:  # (the server's answers were invalid)
        exc.suggestions = (Suggestion.again(), Suggestion.of("wait", task_id, output=_shown(run)))
        raise


def _save(run: Run, task: Task, origin: Origin) -> Generated:
    rt = run.rt
    dest = run.saved_as(task.id)
    run.step(Step.DOWNLOADING, dest.name)
    resume = [Suggestion.again(), Suggestion.of("download", task.id, output=str(dest))]
    try:
        with within(rt.clock, run.deadline):  # the timeout bounds the download too
            video = saving.save(rt, task, dest, on_progress=run.on_progress)
            _remember(run, task.id)
            _vouch(run, task.id, Path(video.path))
            frame = _frame(run, task)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped the download; the part saved so far is kept",
            reason="resume",
            suggestion=resume,
        ) from None
    except APIError as exc:
        if exc.code == RESULT_EXPIRED:
            _refuse_expired_elsewhere(run, task.id)
        raise
    except DeadlinePassedError as exc:
        raise WaitTimeoutError(
            f"task {task.id} has {task.status.value}, but the time given ran out while its "
            f"result was downloading ({exc.message}); the part saved so far is kept",
            reason="resume",
            suggestion=resume,
            task=task,
        ) from None
    return Generated(task, video, frame, origin)


def _saved_elsewhere(run: Run, entry: Entry) -> str | None:
    """The machine `entry`'s video was saved on, when another than this one."""
    here = run.rt.state.who.machine
    return entry.saved_on if entry.saved_on not in (None, here) else None


def _refuse_expired_elsewhere(run: Run, task_id: str) -> None:
    """The task's result URL has expired, and its video was saved on another machine: say
    where, and the choices (never a silent new create)."""
    entry = run.rt.state.find(task_id)
    machine = _saved_elsewhere(run, entry) if entry is not None else None
    if entry is None or machine is None:
        return
    raise APIError(
        f"the video of task {task_id} was saved on {machine} (at {entry.saved_path}), and "
        "its result has expired on the server, so it cannot be downloaded here",
        code=RESULT_EXPIRED,
        reason=Reason.of(
            "expired_saved_elsewhere", copy_as=run.saved_as(task_id), by_label=run.by_label
        ),
        suggestion=None if run.by_label else run.again,
    )


def _frame(run: Run, task: Task, *, kept: bool = False) -> DownloadResult | None:
    """The last frame, when asked for: downloaded, or `kept` from the run that saved the
    video (it was written after the video, by a rename, to a path checked free before)."""
    path = run.last_frame_output
    if path is None:
        return None
    if kept and path.is_file():
        return DownloadResult(path=str(path), bytes=path.stat().st_size, sha256=file_sha256(path))
    try:
        return saving.save(run.rt, task, path, what="last_frame")
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped the download of the last frame",
            reason="resume",
            suggestion=Suggestion.again(),
        ) from None


def _remember(run: Run, task_id: str) -> None:
    """Keep the record beside the output up to date (best effort: the journal has it too)."""
    journal = run.rt.state
    entry = journal.find(task_id)
    if entry is None or entry.output_path != str(run.output):
        return
    saved = Path(entry.saved_path) if entry.saved_path else None
    if saved is None:
        saved = run.saved_as(task_id)
    with contextlib.suppress(OSError):
        output_record.write(output_record.OutputRecord.of(entry, task_id), saved)


def _vouch(run: Run, task_id: str, saved: Path) -> None:
    """A video saved where its create did not say (a download elsewhere) gets its own record
    too: the proof that seedance saved it (output_record.vouched), best effort."""
    entry = run.rt.state.find(task_id)
    if entry is None or entry.sha256 is None or entry.output_path == str(run.output):
        return  # unknown to the journal (nothing to vouch with), or `_remember`'s already
    existing = output_record.read(output_record.record_path(saved))
    if existing is not None and (existing.task_id, existing.sha256) == (task_id, entry.sha256):
        return
    with contextlib.suppress(OSError):
        output_record.write(output_record.OutputRecord.of(entry, task_id), saved)


def _shown(run: Run) -> str:
    return str(run.output)


RESULT_EXPIRED = "result_expired"  # videos/downloads.py: a result URL refused for good


def with_hash(prepared: Prepared, request_hash: str) -> Prepared:
    """`prepared` known by another request hash (a storyboard shot's definition)."""
    return replace(prepared, request_hash=request_hash)
