"""`client.videos`: tasks from a request to a saved, verified file.

    made = client.videos.generate(prompt="a paper boat at dawn", duration=5, output="boat.mp4")
    task = client.videos.create(prompt="a paper boat at dawn")      # sent; not waited for
    task = client.videos.wait(task.id, timeout=600)                  # TaskFailedError if it failed
    saved = client.videos.download(task, "boat.mp4")

Every call that spends takes its own `max_cost`, `timeout`, `strict`, `validate` and
`allow_unpriced` (the client's defaults otherwise, see `Client.with_options`); nothing one call
is given outlives it.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

from seedance.domain.errors import UsageError, ValidationError
from seedance.domain.models import (
    DownloadResult,
    GenerationParams,
    Reference,
    Task,
    TaskStatus,
    VideoRequest,
)
from seedance.domain.validation import check_task_id
from seedance.providers.base import CancelOutcome, TaskPage
from seedance.services.assets.cache import file_sha256
from seedance.services.media.references import Confinement
from seedance.services.options import CallOptions
from seedance.services.runtime import Runtime
from seedance.services.state import Entry
from seedance.services.videos import output_record, request_ids, saving, tasks
from seedance.services.videos.generate import generate
from seedance.services.videos.polling import Listener, Watch
from seedance.services.videos.prepare import Prepared, prepare_for
from seedance.services.videos.sending import send
from seedance.services.videos.steps import Generated, OnStep, Progress
from seedance.services.videos.task_types import Kind, model_for, source_video, task_params


@dataclass(frozen=True)
class Downloaded:
    """What `download` saved: the video, and the last frame when asked for."""

    task: Task
    video: DownloadResult
    last_frame: DownloadResult | None = None
    kept: bool = False  # the video was already there (its SHA-256 the one saved): not fetched


class Videos:
    """Video tasks on one profile: prepare, create, get, list, wait, cancel, download, and
    `generate`, the one call from a request to a verified file."""

    def __init__(self, rt: Runtime, options: CallOptions) -> None:
        self._rt = rt
        self._options = options

    # -- requests ----------------------------------------------------------------------------

    def prepare(
        self,
        request: GenerationParams | None = None,
        /,
        *,
        validate: bool | None = None,
        strict: bool | None = None,
        dry_run: bool = False,
        base_dir: str | Path | None = None,
        frame: Reference | None = None,
        fit: bool = False,
        confine: Confinement | None = None,
        **params: Unpack[VideoRequest],
    ) -> Prepared:
        """The request checked and built, nothing sent: the exact body, the model and the
        estimate (a dry run). Local media are read relative to `base_dir` (default: the
        working directory), must be inside `confine`'s folder when it is given, and are
        measured against the API's bounds; `fit` re-encodes a reference video out of them
        within them (the `video` extra) and sends that copy. Under a cap (the client's
        `max_cost`, the profile's budgets) a reference video by URL is measured. Raises
        ValidationError for anything the model cannot serve."""
        options = self._options.given(validate=validate, strict=strict)
        return prepare_for(
            self._rt,
            _params(request, params),
            validate=options.validate,
            strict=options.strict,
            dry_run=dry_run,
            base_dir=Path(base_dir) if base_dir is not None else None,
            frame=frame,
            fit=fit,
            allowance=options.allowance(),
            confine=confine,
        )

    def create(
        self,
        request: GenerationParams | Prepared | None = None,
        /,
        *,
        max_cost: float | None = None,
        allow_unpriced: bool | None = None,
        validate: bool | None = None,
        strict: bool | None = None,
        base_dir: str | Path | None = None,
        fit: bool = False,
        **params: Unpack[VideoRequest],
    ) -> Task:
        """Send a create and return its task, not waited for. Journaled before and after:
        when its answer is lost the task is looked for, never sent again blindly (an
        OutcomeUnknownError says so where it cannot be looked for)."""
        options = self._options.given(
            max_cost=max_cost, allow_unpriced=allow_unpriced, validate=validate, strict=strict
        )
        prepared = self._prepared(request, params, options, base_dir, fit)
        return send(self._rt, prepared, allowance=options.allowance())

    def generate(
        self,
        request: GenerationParams | Prepared | None = None,
        /,
        *,
        output: str | Path,
        task_id: str | None = None,
        last_frame_output: str | Path | None = None,
        new: bool = False,
        overwrite: bool = False,
        request_id: str | None = None,
        max_cost: float | None = None,
        timeout: float | None = None,
        allow_unpriced: bool | None = None,
        validate: bool | None = None,
        strict: bool | None = None,
        base_dir: str | Path | None = None,
        fit: bool = False,
        on_step: OnStep | None = None,
        on_update: Listener | None = None,
        on_progress: Progress | None = None,
        stop: threading.Event | None = None,
        **params: Unpack[VideoRequest],
    ) -> Generated:
        """A request (keyword arguments, a GenerationParams or a Prepared), or an existing
        task (`task_id`), made into a saved, verified video at `output` (a file, or a folder
        for `<task id>.mp4`).

        Running it again after any interruption resumes: a video already saved is returned as
        it is, an earlier create of the same request and output is followed, and nothing is
        paid twice. `new` makes it anew on purpose; `overwrite` lets it replace a file that
        is there; `request_id` is the caller's key for this one video (a repeat returns what
        the first made). A create waits for a free slot of the account and is refused
        (BudgetError) when it does not fit `max_cost` or the profile's budgets. `stop`, once
        set, ends the waits. `fit` re-encodes a reference video out of the API's bounds
        within them (see `prepare`). `on_step`, `on_update` and `on_progress` hear the steps, the
        task's status and the download's bytes.

        Raises TaskFailedError, WaitTimeoutError, OutcomeUnknownError, BusyError, LocalError
        (a local failure once the task exists), BudgetError, InterruptedByUser, or the API's
        errors.
        """
        options = self._options.given(
            max_cost=max_cost,
            timeout=timeout,
            allow_unpriced=allow_unpriced,
            validate=validate,
            strict=strict,
        )
        prepared = None
        if request is not None or params:
            prepared = self._prepared(request, params, options, base_dir, fit)
        if (prepared is None) == (task_id is None):
            raise UsageError("give a request or a task id, not both", field="task_id")
        if request_id is not None:
            if prepared is None:
                raise UsageError("a request id goes with a request", field="request_id")
            request_ids.check(request_id)
        if task_id is not None:
            check_task_id(task_id, field="task_id")
        return generate(
            self._rt,
            prepared,
            task_id=task_id,
            output=Path(output),
            last_frame_output=Path(last_frame_output) if last_frame_output else None,
            timeout=options.timeout,
            new=new,
            overwrite=overwrite,
            on_step=on_step,
            on_update=on_update,
            on_progress=on_progress,
            stop=stop,
            request_id=request_id,
            allowance=options.allowance(),
        )

    def finalize(
        self,
        draft_id: str,
        *,
        resolution: str | None = None,
        watermark: bool | None = None,
        return_last_frame: bool | None = None,
        output_format: str | None = None,
        service_tier: str | None = None,
        callback_url: str | None = None,
        expires_after: int | None = None,
        safety_id: str | None = None,
        strict: bool | None = None,
        validate: bool | None = None,
    ) -> Prepared:
        """The final video of a draft task, prepared (its content is the draft; it may set its
        resolution and delivery): give it to `create` or `generate`. Refuses a draft older
        than 7 days, or one that has not succeeded (`validate=False`: what the catalogue would
        refuse is sent, and the server decides). Nothing is sent but a read."""
        from seedance.services.videos.finalize import FinalOptions, prepare_final

        check_task_id(draft_id, field="draft_id", what="draft task id")
        final = FinalOptions(
            resolution=resolution,
            watermark=watermark,
            return_last_frame=return_last_frame,
            output_format=output_format,
            service_tier=service_tier,
            callback_url=callback_url,
            expires_after=expires_after,
            safety_id=safety_id,
        )
        options = self._options.given(strict=strict, validate=validate)
        prepared = prepare_final(
            self._rt, draft_id, final, strict=options.strict, validate=options.validate
        )
        self._rt.tell(prepared.notes)
        return prepared

    def edit(
        self,
        video: str | Path,
        prompt: str | None = None,
        /,
        *,
        validate: bool | None = None,
        strict: bool | None = None,
        dry_run: bool = False,
        base_dir: str | Path | None = None,
        confine: Confinement | None = None,
        **params: Unpack[VideoRequest],
    ) -> Prepared:
        """A new video: `video` changed as `prompt` says (Seedance 2.5's task type edit; it
        keeps the video's length and shape), prepared: give it to `create` or `generate`.
        `video` is a file, a URL, an asset:// id or the id of a task whose video was saved
        here. Raises ValidationError (nothing sent) for a model without task types, a ratio
        other than adaptive or a duration other than -1."""
        return self._of_video(
            "edit", video, prompt, validate, strict, dry_run, base_dir, confine, params
        )

    def extend(
        self,
        video: str | Path,
        prompt: str | None = None,
        /,
        *,
        validate: bool | None = None,
        strict: bool | None = None,
        dry_run: bool = False,
        base_dir: str | Path | None = None,
        confine: Confinement | None = None,
        **params: Unpack[VideoRequest],
    ) -> Prepared:
        """A new video continuing `video` (task type extend; `duration` is the new part's
        length, in the video's shape), prepared: give it to `create` or `generate`. `video`
        as for `edit`."""
        return self._of_video(
            "extend", video, prompt, validate, strict, dry_run, base_dir, confine, params
        )

    def _of_video(
        self,
        kind: Kind,
        video: str | Path,
        prompt: str | None,
        validate: bool | None,
        strict: bool | None,
        dry_run: bool,
        base_dir: str | Path | None,
        confine: Confinement | None,
        params: VideoRequest,
    ) -> Prepared:
        options = self._options.given(validate=validate, strict=strict)
        where = Path(base_dir) if base_dir is not None else None
        settings: dict[str, Any] = dict(params)
        named = settings.pop("prompt", None)
        if prompt is not None and named is not None:
            raise UsageError("give the prompt once", field="prompt")
        prompt = prompt if prompt is not None else named
        chosen, notice = model_for(self._rt.profile, kind, settings.pop("model", None))
        if notice:
            self._rt.tell([notice])
        source = source_video(str(video), self._rt.state, where)
        # a task's saved output (found by its id, its SHA-256 checked): the service made it,
        # and takes it back; a row without a digest proves nothing of the file
        made_here: frozenset[Path] = frozenset()
        if source != str(video).strip():
            entry = self._rt.state.find(str(video).strip())
            if entry is not None and entry.sha256:
                made_here = frozenset({Path(source)})
        request = task_params(kind, source, prompt, {**settings, "model": chosen})
        try:
            return prepare_for(
                self._rt,
                request,
                validate=options.validate,
                strict=options.strict,
                dry_run=dry_run,
                base_dir=where,
                allowance=options.allowance(),
                confine=confine,
                made_here=made_here,
            )
        except ValidationError as exc:
            if exc.field == "videos":  # the video is the call's argument, not a list
                exc.field = "video"
            raise

    # -- tasks -------------------------------------------------------------------------------

    def get(self, task_id: str) -> Task:
        """One task as the server has it now."""
        return tasks.get(self._rt, task_id)

    def list(
        self,
        *,
        status: TaskStatus | str | None = None,
        model: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> TaskPage:
        """The server's task list (Ark dialects; others raise UnsupportedError)."""
        return tasks.listing(self._rt, status=status, model=model, page=page, page_size=page_size)

    def history(
        self,
        *,
        status: TaskStatus | str | None = None,
        model: str | None = None,
        unsaved: bool = False,
        profile: str | None = None,
        limit: int | None = 50,
    ) -> builtins.list[Entry]:
        """The creates the journal knows, newest first: every profile's, or one `profile`'s;
        only the `unsaved` ones (succeeded, their video never saved) if asked."""
        journal = self._rt.state
        if unsaved:
            return journal.unsaved(profile, limit)
        wanted = TaskStatus(status) if status is not None else None
        return journal.entries(profile=profile, status=wanted, model=model, limit=limit)

    def record(self, task_id: str) -> Entry | None:
        """The journal's record of a task (what was sent, where it was saved), if any."""
        return self._rt.state.find(task_id)

    def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        on_update: Listener | None = None,
        stop: threading.Event | None = None,
    ) -> Task:
        """Wait for one task; return it finished successfully. Raises TaskFailedError
        (failed, expired or cancelled) or WaitTimeoutError (it keeps running)."""
        timeout = self._options.given(timeout=timeout).timeout
        return tasks.wait_one(self._rt, task_id, timeout=timeout, on_update=on_update, stop=stop)

    def wait_all(
        self,
        task_ids: Sequence[str],
        *,
        timeout: float | None = None,
        on_update: Listener | None = None,
        just_created: bool = False,
        stop: threading.Event | None = None,
    ) -> builtins.list[Watch]:
        """Wait for several tasks at once (each on its own schedule); every watch says how
        its task ended, or the error that stopped it."""
        timeout = self._options.given(timeout=timeout).timeout
        return tasks.wait(
            self._rt,
            task_ids,
            timeout=timeout,
            on_update=on_update,
            just_created=just_created,
            stop=stop,
        )

    def cancel(self, task_id: str, *, force: bool = False) -> CancelOutcome:
        """Cancel a queued task, delete a finished one. A finished task whose video this
        machine never saved is not deleted unless `force` (deleting it loses a paid video)."""
        return tasks.cancel(self._rt, task_id, force=force)

    def download(
        self,
        task: Task | str,
        output: str | Path,
        *,
        last_frame: str | Path | None = None,
        force: bool = False,
        on_progress: Progress | None = None,
    ) -> Downloaded:
        """A finished task's video saved at `output` and verified (and its last frame at
        `last_frame`: the API's, or taken from the video with PyAV). An expired URL is asked
        for again; a file already at `output` that is this task's video (the journal has its
        SHA-256) is kept, not fetched again, unless `force`. Raises WaitTimeoutError for a
        task still running, TaskFailedError for one that failed."""
        dest = Path(output)
        found = task if isinstance(task, Task) else tasks.get(self._rt, task)
        if not found.status.is_terminal:
            raise tasks.still_running(found, output=str(dest))
        if found.status.is_failure:
            raise tasks.failed(found)
        frame = Path(last_frame) if last_frame is not None else None
        if frame is not None:  # refused now when there is none and no PyAV to make one
            saving.check_last_frame(self._rt, found)
        kept = None if force else self.saved_copy(found.id, dest)
        video = kept or saving.save(self._rt, found, dest, on_progress=on_progress)
        saved_frame = None
        if frame is not None:
            saved_frame = saving.save_last_frame(self._rt, found, frame, video=Path(video.path))
        return Downloaded(found, video, saved_frame, kept=kept is not None)

    def saved_copy(self, task_id: str, output: str | Path) -> DownloadResult | None:
        """The file at `output` when it is this task's video, byte for byte the one seedance
        saved (the journal has its SHA-256), wherever it was saved last; else None."""
        entry = self._rt.state.find(task_id)
        dest = Path(output)
        if entry is None or entry.sha256 is None or not dest.is_file():
            return None
        if file_sha256(dest) != entry.sha256:
            return None
        return DownloadResult(path=str(dest), bytes=dest.stat().st_size, sha256=entry.sha256)

    def vouched(self, path: str | Path) -> bool:
        """Whether the file at `path` is, as it is now, a video seedance saved: its record
        beside it names a task whose video the journal saved with this very SHA-256 (a
        record alone, or a file alone, proves nothing)."""
        return output_record.vouched(Path(path), self._rt.state)

    def save(
        self,
        task: Task,
        output: str | Path,
        *,
        last_frame: bool = False,
        on_progress: Progress | None = None,
    ) -> DownloadResult:
        """One file of a finished task (its video, or with `last_frame` its last frame)
        saved at `output` and verified, without the checks of `download`."""
        dest = Path(output)
        if last_frame:
            return saving.save(self._rt, task, dest, what="last_frame", on_progress=on_progress)
        return saving.save(self._rt, task, dest, on_progress=on_progress)

    # -- what tasks take -----------------------------------------------------------------------

    def typical_seconds(self, task: Task) -> float | None:
        """How long a task like this one usually takes (the journal's history, else the
        catalogue's first guess); None when nothing is known."""
        return tasks.typical_run(self._rt, task)

    def cost(self, task: Task) -> tuple[float, str | None, bool] | None:
        """(amount, currency, billed): billed from the usage a finished task reports, else
        estimated from its settings; None when its price is unknown."""
        return tasks.cost_of(self._rt, task)

    # -- helpers -------------------------------------------------------------------------------

    def _prepared(
        self,
        request: GenerationParams | Prepared | None,
        params: VideoRequest,
        options: CallOptions,
        base_dir: str | Path | None,
        fit: bool,
    ) -> Prepared:
        if isinstance(request, Prepared):
            if params:
                raise UsageError("a prepared request takes no more parameters")
            return request
        return prepare_for(
            self._rt,
            _params(request, params),
            validate=options.validate,
            strict=options.strict,
            base_dir=Path(base_dir) if base_dir is not None else None,
            fit=fit,
            allowance=options.allowance(),
        )


def _params(request: GenerationParams | None, params: VideoRequest) -> GenerationParams:
    """The request as GenerationParams: given whole, or as keyword arguments (not both)."""
    if request is not None:
        if params:
            raise UsageError("give the request as GenerationParams or as keywords, not both")
        return request
    return GenerationParams.model_validate(dict(params))
