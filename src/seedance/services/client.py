"""The seedance client: the domain operations the CLI renders and Python users call.

from seedance import Client
with Client.from_profile("demo") as client:
    made = client.generate(GenerationParams(prompt="a paper boat at dawn"), output="boat.mp4")
    print(made.task.id, made.download.path, made.download.sha256)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx

from seedance.domain.catalogue import ModelSpec
from seedance.domain.clock import Clock, default_clock
from seedance.domain.errors import (
    AuthError,
    BadResponseError,
    LocalError,
    OutcomeUnknownError,
    SeedanceError,
    Suggestion,
    TaskFailedError,
    UsageError,
    WaitTimeoutError,
)
from seedance.domain.models import (
    DownloadResult,
    GenerationParams,
    Reference,
    Task,
    TaskStatus,
)
from seedance.domain.paths import default_config_dir, default_data_dir
from seedance.domain.profiles import Profile, ProfileStore
from seedance.domain.validation import check_task_id
from seedance.providers.base import CancelOutcome, Capabilities, Provider, TaskPage
from seedance.providers.registry import connect

if TYPE_CHECKING:
    from seedance.domain.pricing import Estimate
    from seedance.providers.base import ModelProbe
    from seedance.services.assets import AssetService
    from seedance.services.batch.session import BatchResult, BatchSession, JobsSource
    from seedance.services.chain.session import ChainResult, ChainSession
    from seedance.services.doctor import Report
    from seedance.services.generate import Generated, OnStep
    from seedance.services.remote_models import RemoteListing
    from seedance.services.spend import Spend
from seedance.services import references, request_ids
from seedance.services.accounts import Allowance, Gate
from seedance.services.asset_cache import file_sha256
from seedance.services.download_check import NOT_A_VIDEO, check_video
from seedance.services.downloads import DOWNLOAD_FAILED, download
from seedance.services.journal import Journal, Observation
from seedance.services.polling import Listener, Waiter, Watch, typical_duration
from seedance.services.prepare import Prepared, prepare, resolve_model

Notify = Callable[[str], None]


class Client:
    """One profile's provider, journal and clock."""

    def __init__(
        self,
        profile: Profile,
        provider: Provider,
        *,
        journal: Journal,
        clock: Clock,
        environ: Mapping[str, str],
        data_dir: Path,
        store: ProfileStore | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.profile = profile
        self.provider = provider
        self.journal = journal
        self.clock = clock
        self.environ = environ
        self.data_dir = data_dir
        self.store = store
        self.notify = notify or (lambda _text: None)
        self._assets: AssetService | None = None
        self._expected: dict[str, float | None] = {}
        self._told: set[str] = set()  # notes already passed to `notify`
        # the account's limits (services/accounts.py): what this client's run may spend, and
        # its way through the account's slots and budgets
        self.allowance = Allowance()
        self.gate = Gate(self)

    def cap_spending(self, max_cost: float | None, *, allow_unpriced: bool = False) -> None:
        """From now on, send no create that would take what this client sends above
        `max_cost` (estimates, in the currency of the requests' prices), nor, under any cap
        (this one or the profile's budgets), a request whose price is unknown unless
        `allow_unpriced`. Refused creates raise BudgetError; nothing is sent."""
        if max_cost is not None and not max_cost >= 0:  # also refuses nan
            raise UsageError("the cost cap must be a number of 0 or more", field="max_cost")
        self.allowance = Allowance(max_cost, allow_unpriced)

    @classmethod
    def from_profile(
        cls,
        name: str | None = None,
        *,
        config_dir: Path | None = None,
        data_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Client:
        """A client for a named profile, with the same lookup rules as the CLI: the name, else
        `$SEEDANCE_PROFILE`, else the default profile (a preset's name works too)."""
        environ = os.environ if environ is None else environ
        store = ProfileStore(config_dir or default_config_dir(environ))
        return cls.for_profile(
            store.select(name, environ),
            environ=environ,
            data_dir=data_dir,
            clock=clock,
            transport=transport,
            store=store,
        )

    @classmethod
    def for_profile(
        cls,
        profile: Profile,
        *,
        environ: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        store: ProfileStore | None = None,
        notify: Notify | None = None,
        warn: Notify | None = None,
        log: Notify | None = None,
        offline: bool = False,
    ) -> Client:
        """The one wiring of a profile into a client: its provider (with the HTTP layer's
        credentials, retries and rate limit), the journal and the clock.

        `offline` (a dry run) works without an API key: nothing will be sent. The `demo`
        profile gets the in-process simulator as its transport.
        """
        environ = os.environ if environ is None else environ
        data_dir = data_dir or default_data_dir(environ)
        clock = clock or default_clock(environ)
        if profile.simulator == "inprocess" and transport is None:
            from seedance.sim.transport import demo_transport

            transport = demo_transport(data_dir, clock)
        provider = connect(
            profile,
            environ=environ,
            clock=clock,
            transport=transport,
            log=log,
            offline=offline,
        )
        return cls(
            profile,
            provider,
            journal=Journal(data_dir, warn=warn),
            clock=clock,
            environ=environ,
            data_dir=data_dir,
            store=store,
            notify=notify,
        )

    def close(self) -> None:
        self.provider.http.close()
        self.journal.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def capabilities(self) -> Capabilities:
        return self.provider.capabilities

    # -- preparing ---------------------------------------------------------------------------

    def resolve_model(
        self, name: str | None, *, validate: bool = True, strict: bool = False
    ) -> ModelSpec | None:
        """The model spec for `name` (or the profile's model) on this provider; None when the
        catalogue does not know it (it is then sent unchecked, unless `strict`)."""
        return resolve_model(self.profile, name, validate=validate, strict=strict)

    def tell(self, notes: Sequence[str]) -> None:
        """Pass each note to `notify`, once per client."""
        for note in notes:
            if note not in self._told:
                self._told.add(note)
                self.notify(note)

    def prepare(
        self,
        params: GenerationParams,
        *,
        validate: bool = True,
        dry_run: bool = False,
        base_dir: Path | None = None,
        frame: Reference | None = None,
        strict: bool = False,
    ) -> Prepared:
        """Apply the profile, choose the model, check everything, resolve media, build the
        body (see services/prepare.py); nothing is sent. Its notes (a model sent unchecked,
        prompt guidance...) go to `notify`, each once. `strict` refuses a model the catalogue
        does not know instead of sending it unchecked."""
        prepared = prepare(
            self.profile,
            self.provider,
            self.asset_resolver,
            params,
            validate=validate,
            dry_run=dry_run,
            base_dir=base_dir,
            frame=frame,
            strict=strict,
        )
        self.tell(prepared.notes)
        return prepared

    def asset_resolver(self) -> references.AssetResolver | None:
        """The profile's asset library as a resolver, when it has one."""
        if self._assets is None and self.profile.assets_url:
            from seedance.services.assets import AssetService

            self._assets = AssetService.for_client(self)
        return self._assets

    # -- tasks -------------------------------------------------------------------------------

    def create(self, prepared: Prepared) -> Task:
        """Send a create, journaled before and after. Never sent twice blindly: when its answer
        is lost, the task is looked for and adopted (dialects that can), or the create sent
        again only once it provably never arrived; otherwise OutcomeUnknownError says so."""
        from seedance.services.generate import send

        return send(self, prepared)

    def generate(
        self,
        request: GenerationParams | Prepared | None = None,
        *,
        output: str | Path,
        task_id: str | None = None,
        last_frame_output: str | Path | None = None,
        timeout: float | None = None,
        new: bool = False,
        overwrite: bool = False,
        again: Suggestion | None = None,
        on_step: OnStep | None = None,
        on_update: Listener | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        stop: threading.Event | None = None,
        validate: bool = True,
        base_dir: Path | None = None,
        label: str | None = None,
        request_id: str | None = None,
    ) -> Generated:
        """A request (or an existing task, `task_id`) made into a saved, verified video at
        `output` (a file, or a directory for `<task id>.mp4`): the one path every command
        that makes videos takes.

        Running it again after any interruption resumes: a video already saved is returned as
        it is, an earlier create of the same request and output is followed (found exactly
        on the server when its answer was lost), and nothing is paid for twice. One process
        at a time works on an output; another waits for it (up to `timeout`). `new` makes
        the video anew on purpose; `overwrite` lets it replace a file that is there. A create
        waits for a free slot of the account (`Step.WAITING_FOR_SLOT`) and is refused when it
        does not fit the spending caps (`cap_spending`, the profile's budgets); `label` says
        in the ledger what it was made for.

        `request_id` is the caller's key for this video (services/request_ids.py): its first
        use creates the video (as `new` does), a repeat of the same request and output goes on
        with what the first made (never paying again), and a repeat with another request or
        output raises UsageError. `stop`, once set, ends the waits: for a slot with
        InterruptedByUser (nothing was sent), for the task with `Stopped`
        (services/polling.py; the task keeps running).

        Raises TaskFailedError, WaitTimeoutError, OutcomeUnknownError, BusyError, LocalError
        (a local failure once the task exists), BudgetError, InterruptedByUser, or the API's
        errors.
        """
        from seedance.services.generate import generate

        prepared = None
        if isinstance(request, GenerationParams):
            prepared = self.prepare(request, validate=validate, base_dir=base_dir)
        elif request is not None:
            prepared = request
        if (prepared is None) == (task_id is None):
            raise UsageError("give a request or a task id, not both", field="task_id")
        if request_id is not None:
            if prepared is None:
                raise UsageError("a request id goes with a request", field="request_id")
            request_ids.check(request_id)
        if task_id is not None:
            check_task_id(task_id, field="task_id")
        return generate(
            self,
            prepared,
            task_id=task_id,
            output=Path(output),
            last_frame_output=Path(last_frame_output) if last_frame_output else None,
            timeout=timeout,
            new=new,
            overwrite=overwrite,
            again=again,
            on_step=on_step,
            on_update=on_update,
            on_progress=on_progress,
            stop=stop,
            label=label,
            request_id=request_id,
        )

    def lost_answer(self, exc: SeedanceError) -> OutcomeUnknownError:
        """The report of a create whose answer was lost, on a dialect that cannot look."""
        where = (
            "the server's task list shows whether it made one"
            if self.capabilities.can_list
            else "the provider's console shows whether a task was created"
        )
        look = [Suggestion.of("tasks.list")] if self.capabilities.can_list else []
        return OutcomeUnknownError(
            f"the create may have reached the server, but its answer was lost ({exc.message})",
            hint=f"it was not sent again, so nothing is billed twice; {where}, and the journal "
            "what was sent",
            suggestion=[*look, Suggestion.of("tasks.list", local=True)],
            exit_status=exc.exit_status,
        )

    def get(self, task_id: str) -> Task:
        check_task_id(task_id, field="task_id")
        with self.explain_auth():
            task = self.provider.get(task_id)
        self._observe(task)
        return task

    def wait(
        self,
        task_ids: list[str],
        *,
        timeout: float | None = None,
        on_update: Listener | None = None,
        just_created: bool = False,
        stop: threading.Event | None = None,
    ) -> list[Watch]:
        for task_id in task_ids:
            check_task_id(task_id)

        def journal(watches: list[Watch]) -> None:  # once per poll, however many tasks
            self.journal.observe_many([self._seen(w.task) for w in watches if w.task is not None])

        waiter = Waiter(
            self.provider,
            self.clock,
            expected=self.expected_run,
            on_update=on_update,
            on_round=journal,
        )
        with self.explain_auth():
            return waiter.wait(task_ids, timeout=timeout, just_created=just_created, stop=stop)

    def wait_one(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        on_update: Listener | None = None,
        just_created: bool = False,
        stop: threading.Event | None = None,
    ) -> Task:
        """Wait for one task and return it finished successfully.

        Raises TaskFailedError (failed, expired or cancelled), WaitTimeoutError (still
        running after `timeout` seconds; it keeps running) or the error that stopped the wait.
        """
        watches = self.wait(
            [task_id], timeout=timeout, on_update=on_update, just_created=just_created, stop=stop
        )
        return task_outcome(watches[0])

    def expected_run(self, task: Task) -> float | None:
        """How long a task like this one usually takes, learned from the journal."""
        if task.id not in self._expected:
            entry = self.journal.find(task.id)
            samples = (
                self.journal.run_seconds(
                    base_url=entry.base_url,
                    model=entry.model,
                    resolution=entry.resolution,
                    duration=entry.duration,
                )
                if entry is not None
                else []
            )
            self._expected[task.id] = typical_duration(samples)
        return self._expected[task.id]

    def typical_run(self, task: Task) -> float | None:
        """How long a task like this one usually takes: learned from the journal, else the
        model's typical time from the catalogue (a first guess, for a progress display)."""
        learned = self.expected_run(task)
        if learned is not None:
            return learned
        spec = self._spec_of(task)
        return spec.family.typical_seconds if spec is not None else None

    def cost_of(self, task: Task) -> tuple[float, str | None, bool] | None:
        """What a task costs: (amount, currency, billed): billed from the tokens it reports
        once finished (nothing once it failed), else its own estimate (services/task_cost.py);
        None when the price is unknown."""
        from seedance.services.task_cost import task_cost

        return task_cost(task, self.journal.find(task.id), lambda: self._estimate_of(task))

    def _estimate_of(self, task: Task) -> Estimate | None:
        """The task priced from what its answer says (a task this machine did not create)."""
        from seedance.domain.catalogue import catalogue

        spec = self._spec_of(task)
        if spec is None:
            return None
        return catalogue().estimate(
            spec,
            resolution=task.resolution,
            ratio=task.ratio,
            duration=task.duration,
            draft=bool(task.draft),
            overrides=self.profile.price_overrides(),
        )

    def _spec_of(self, task: Task) -> ModelSpec | None:
        from seedance.domain.catalogue import catalogue

        name = task.model
        if name is None:
            entry = self.journal.find(task.id)
            name = entry.model if entry is not None else None
        if not name:
            return None
        try:
            return catalogue().resolve(
                name, self.profile.vocabulary, model_family=self.profile.model_family
            )
        except (SeedanceError, LookupError):
            return None

    def _observe(self, task: Task) -> None:
        self.journal.observe_many([self._seen(task)])

    def _seen(self, task: Task) -> Observation:
        """What the journal records of a task as read now."""
        error = f"{task.error.code}: {task.error.message}" if task.error else None
        tokens = task.usage.completion_tokens if task.usage else None
        ended = task.updated_at.timestamp() if task.updated_at and task.status.is_terminal else None
        return Observation(task.id, task.status, self.clock.time(), tokens, error, ended)

    def download(
        self,
        task: Task,
        dest: Path,
        *,
        what: Literal["video", "last_frame"] = "video",
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> DownloadResult:
        """Save a finished task's video (or last frame), refreshing an expired URL as needed,
        and verify the file that took its name: a video that is not one (an empty body, an
        HTML page) is fetched once more, then refused, never kept. A disk or permission
        failure raises LocalError (the task keeps its result on the server; running again
        resumes)."""
        current = task
        url = ""

        def source(expired: bool):  # type: ignore[no-untyped-def]
            nonlocal current, url
            if expired:
                self.notify("the result URL expired; asking for a fresh one")
                current = self.get(current.id)
            found = self.provider.download_source(current, what)
            url = found.url
            return found

        def saving(result: DownloadResult) -> None:
            if what == "video":
                check_video(dest, url)  # before it is journaled or takes its name
                self.journal.saving(task.id, **_saved_file(result))

        try:
            for attempt in range(1, VIDEO_TRIES + 1):
                try:
                    with self.explain_auth():
                        result = download(
                            self.provider.http,
                            source,
                            dest,
                            identity=f"{task.id}:{what}",
                            on_progress=on_progress,
                            before_rename=saving,
                        )
                    break
                except BadResponseError as exc:
                    if exc.code != NOT_A_VIDEO or attempt == VIDEO_TRIES:
                        raise
                    self.notify(f"{exc.message}; downloading it again")
            verify(result)
        except OSError as exc:
            raise local_failure(exc, dest, task.id) from None
        except SeedanceError as exc:
            if exc.code == "disk_full":  # the task exists: a local failure, not a usage one
                raise LocalError(
                    exc.message, hint=exc.hint, suggestion=Suggestion.again()
                ) from None
            if exc.code == DOWNLOAD_FAILED:  # the result host refused it: the task tells why
                exc.message = f"task {task.id}, {what.replace('_', ' ')}: {exc.message}"
                exc.suggestion = Suggestion.of("status", task.id)
            raise
        if what == "video":
            self.journal.downloaded(task.id, **_saved_file(result), at=self.clock.time())
        return result

    def check_last_frame(self, task: Task) -> None:
        """Raise now, before any download, when `save_last_frame` could not give this task's
        last frame: the provider made none and PyAV (the `video` extra) cannot take it from
        the video."""
        from seedance.services import video

        try:
            self.provider.download_source(task, "last_frame")
        except SeedanceError as exc:
            if not video.available():
                exc.hint = (exc.hint + "; " if exc.hint else "") + (
                    "PyAV would take it from the video: " + video.INSTALL_HINT
                )
                raise

    def save_last_frame(self, task: Task, dest: Path, *, video: Path | None) -> DownloadResult:
        """A finished task's last frame at `dest`: downloaded when the provider made one (the
        task asked for it), else taken from its saved `video` with PyAV."""
        from seedance.services import video as clips

        try:
            self.provider.download_source(task, "last_frame")
        except SeedanceError as missing:
            if video is None or not clips.available():
                raise
            try:
                clips.extract_last_frame(video, dest)
            except UsageError as exc:
                raise UsageError(
                    f"{missing.message}, and it could not be taken from {video.name}: "
                    f"{exc.message}",
                    hint=missing.hint,
                    field=missing.field,
                ) from None
            return DownloadResult(
                path=str(dest), bytes=dest.stat().st_size, sha256=file_sha256(dest)
            )
        return self.download(task, dest, what="last_frame")

    # -- storyboards -------------------------------------------------------------------------

    def open_chain(
        self,
        storyboard: Path,
        *,
        output: Path | None = None,
        restart: bool = False,
        rerun: Sequence[str] = (),
        max_cost: float | None = None,
        concat: bool = False,
        draft: bool = False,
        finalize: bool = False,
        allow_unpriced: bool = False,
        strict: bool = False,
        dry_run: bool = False,
    ) -> ChainSession:
        """Load and plan a storyboard (nothing is sent): `session.plan` holds every shot's
        action, continuity, request and estimate; `session.run()` makes them. `draft` makes
        480p drafts (into `<output>/drafts`), `finalize` their finals. Unless `dry_run`, the
        session holds the output directory until it has run (`session.close()` lets go
        without running); BusyError when another process holds it."""
        from seedance.services.chain.session import open_chain

        return open_chain(
            self,
            storyboard,
            output=output,
            restart=restart,
            rerun=list(rerun),
            max_cost=max_cost,
            concat=concat,
            dry_run=dry_run,
            draft=draft,
            finalize=finalize,
            allow_unpriced=allow_unpriced,
            strict=strict,
        )

    def chain(
        self,
        storyboard: Path,
        *,
        output: Path | None = None,
        restart: bool = False,
        rerun: Sequence[str] = (),
        max_cost: float | None = None,
        concurrency: int = 2,
        concat: bool = False,
        on_event: Callable[[str, str, str], None] | None = None,
        draft: bool = False,
        finalize: bool = False,
        allow_unpriced: bool = False,
        strict: bool = False,
    ) -> ChainResult:
        """Run a storyboard to its end: every shot made once, each continuing from its
        parent's last frame, the manifest written after every step so a re-run resumes.

        Raises ChainIncomplete (with `.result`) when some shots failed; the rest are kept."""
        session = self.open_chain(
            storyboard,
            output=output,
            restart=restart,
            rerun=rerun,
            max_cost=max_cost,
            concat=concat,
            draft=draft,
            finalize=finalize,
            allow_unpriced=allow_unpriced,
            strict=strict,
        )
        return session.run(concurrency=concurrency, concat=concat, on_event=on_event)

    # -- batches ---------------------------------------------------------------------------

    def open_batch(
        self,
        jobs: JobsSource,
        *,
        output: Path | None = None,
        rerun: Sequence[str] = (),
        retry_failed: bool = False,
        skip_invalid: bool = False,
        dry_run: bool = False,
        base_dir: Path | None = None,
    ) -> BatchSession:
        """Read and check a batch's jobs (a .jsonl or .csv file, or rows as mappings) and plan
        every take; nothing is sent. `session.plan` holds each take's request and estimate,
        `session.run()` makes them. Raises JobsError (naming the line and column) for a row
        that cannot run, unless `skip_invalid`. Unless `dry_run`, the session holds the
        output folder until it has run (`session.close()` lets go); BusyError when another
        process holds it."""
        from seedance.services.batch.session import open_batch

        return open_batch(
            self,
            jobs,
            output=output,
            rerun=rerun,
            retry_failed=retry_failed,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            base_dir=base_dir,
        )

    def batch(
        self,
        jobs: JobsSource,
        *,
        output: Path | None = None,
        concurrency: int | None = None,
        max_cost: float | None = None,
        allow_unpriced: bool = False,
        fail_fast: bool = False,
        retry_failed: bool = False,
        skip_invalid: bool = False,
        rerun: Sequence[str] = (),
        on_event: Callable[[str, str, str], None] | None = None,
    ) -> BatchResult:
        """Make every row's takes (`<id>.mp4`, `<id>.take2.mp4`, ... and `batch.json` in
        `output`, by default the jobs file's name beside it), each through `generate`: a
        re-run pays for nothing already made, after any crash. `concurrency` takes at a time
        (default: the profile's max_running), within the account's slots; `max_cost` caps
        what this run newly spends.

        Raises BatchIncomplete (with `.result`) when some takes need attention; the rest are
        kept."""
        self.cap_spending(max_cost, allow_unpriced=allow_unpriced)
        session = self.open_batch(
            jobs,
            output=output,
            rerun=rerun,
            retry_failed=retry_failed,
            skip_invalid=skip_invalid,
        )
        return session.run(concurrency=concurrency, fail_fast=fail_fast, on_event=on_event)

    def spend(
        self, *, by: str = "day", since: str | None = None, profile: str | None = None
    ) -> Spend:
        """What was spent, from this machine's journal: estimated and billed, per day,
        model, profile, storyboard or batch (`by`), since a day (`2026-11-01`) or a time ago
        (`7d`; default 30 days); `profile` keeps one profile's creates."""
        from seedance.services.spend import spend

        return spend(self.journal, by=by, since=since, now=self.clock.time(), profile=profile)

    def cancel(self, task_id: str, *, force: bool = False) -> CancelOutcome:
        """Cancel a queued task, delete a finished one; the journal keeps its last state.

        A finished task whose video this machine made but never saved is not deleted unless
        `force`: it is a paid video, and deleting it loses it."""
        check_task_id(task_id)
        if not self.capabilities.can_cancel:  # refuse without a request
            return self.provider.cancel(Task(id=task_id, profile=self.profile.name))
        task = self.get(task_id)
        entry = self.journal.find(task_id)
        unsaved = entry is not None and entry.downloaded_at is None
        if task.status is TaskStatus.SUCCEEDED and unsaved and not force:
            raise UsageError(
                f"task {task_id} finished but its video was never saved; deleting it loses it",
                hint="save it first with",
                suggestion=[Suggestion.of("download", task_id), Suggestion.again(force=True)],
            )
        with self.explain_auth():
            outcome = self.provider.cancel(task)
        if outcome == "cancelled":
            self.journal.observe(
                task_id, status=TaskStatus.CANCELLED, at=self.clock.time(), tokens=None, error=None
            )
        return outcome

    def list_tasks(
        self,
        *,
        status: TaskStatus | str | None = None,
        model: str | None = None,
        page: int = 1,
        page_size: int = 20,
        task_ids: Sequence[str] | None = None,
    ) -> TaskPage:
        """The provider's task list (Ark dialects; others raise UnsupportedError)."""
        with self.explain_auth():
            return self.provider.list(
                status=TaskStatus(status).value if status is not None else None,
                model=model,
                page=page,
                page_size=page_size,
                task_ids=list(task_ids) if task_ids is not None else None,
            )

    @contextmanager
    def explain_auth(self) -> Iterator[None]:
        """Auth failures say which profile and key source were used (never the key)."""
        try:
            yield
        except AuthError as exc:
            source = self.profile.key_source(self.environ)
            exc.hint = (
                f"{exc.hint}; " if exc.hint else ""
            ) + f"profile '{self.profile.name}' used the key from {source}; check it with"
            exc.suggestions = (Suggestion.of("profiles.show", self.profile.name),)
            raise

    # -- drafts, the catalogue and the account -----------------------------------------------

    def prepare_final(
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
        strict: bool = False,
    ) -> Prepared:
        """The final video of a draft task, ready for `create` (see services/finalize.py):
        its content is the draft; it may set its resolution and delivery. Refuses a draft
        older than 7 days, or one that has not succeeded. Nothing is sent but a read."""
        from seedance.services.finalize import FinalOptions, prepare_final

        check_task_id(draft_id, field="draft_id", what="draft task id")
        options = FinalOptions(
            resolution=resolution,
            watermark=watermark,
            return_last_frame=return_last_frame,
            output_format=output_format,
            service_tier=service_tier,
            callback_url=callback_url,
            expires_after=expires_after,
            safety_id=safety_id,
        )
        prepared = prepare_final(self, draft_id, options, strict=strict)
        self.tell(prepared.notes)
        return prepared

    def probe_models(self, names: Sequence[str]) -> list[ModelProbe]:
        """Whether this key can use each model, asked for free (Ark dialects): nothing is
        created. Raises UnsupportedError on dialects without the probe."""
        from seedance.services.remote_models import probe_models

        with self.explain_auth():
            return probe_models(self, names)

    def remote_models(self) -> RemoteListing:
        """The provider's live model list merged with the catalogue (known, new, gone), the
        cached one when the provider cannot be reached."""
        from seedance.services.remote_models import remote_listing

        with self.explain_auth():
            return remote_listing(self)

    def doctor(self, *, probe_models: bool = False, config_file: Path | None = None) -> Report:
        """Why the first real run will or will not work: config, key, proxy, DNS, TLS, auth,
        clock, asset library and (with `probe_models`) each model; spends nothing."""
        from seedance.services.doctor import diagnose

        return diagnose(self, probe_models=probe_models, config_file=config_file)


def task_outcome(watch: Watch) -> Task:
    """The task a wait ended with, when it succeeded; otherwise the error that says why not."""
    if watch.error is not None:
        raise watch.error
    task = watch.task
    if task is None or not task.status.is_terminal:
        state = task.status.value if task else "not seen yet"
        raise WaitTimeoutError(
            f"task {watch.task_id} is still {state}",
            hint="it keeps running; continue with",
            suggestion=Suggestion.of("wait", watch.task_id),
            task=task,
        )
    if task.status.is_failure:
        raise TaskFailedError(
            failure_text(task), code=task.error.code if task.error else None, task=task
        )
    return task


def failure_text(task: Task) -> str:
    """`task ID failed: CODE: message`."""
    if task.error is not None:
        return f"task {task.id} {task.status.value}: {task.error.code}: {task.error.message}"
    return f"task {task.id} {task.status.value}"


VIDEO_TRIES = 2  # downloads of a video whose bytes are not one, before the error

# Files up to this size are hashed again once saved (a 4k clip is well under it); a larger one
# is checked by its size: hashing 1 GiB again costs about as long as downloading it.
VERIFY_LIMIT = 256 * 1024 * 1024


def verify(result: DownloadResult) -> None:
    """The file at the result's path holds the bytes downloaded: its SHA-256 is the one
    computed as they arrived (its size, above VERIFY_LIMIT)."""
    path = Path(result.path)
    size = path.stat().st_size
    if size != result.bytes or (size <= VERIFY_LIMIT and file_sha256(path) != result.sha256):
        raise LocalError(
            f"{path} does not hold what was downloaded (it changed as it was saved)",
            hint="run the same command again: it downloads it again",
            suggestion=Suggestion.again(),
        )


def local_failure(exc: OSError, dest: Path, task_id: str) -> LocalError:
    """A disk or permission failure once the task exists: what failed, and that nothing is
    lost."""
    where = exc.filename or dest
    return LocalError(
        f"cannot save {dest.name}: {exc.strerror or exc} ({where})",
        hint=f"task {task_id} keeps its result on the server for about 24 hours; fix it, then "
        "run the same command again",
        suggestion=Suggestion.again(),
    )


def disk_failure(exc: OSError, resume: Suggestion) -> LocalError:
    """A disk or permission failure in a run of many videos: which file, and that running
    again (`resume`) loses nothing made."""
    return LocalError(
        f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
        hint="fix it, then run the same command again: nothing made is lost",
        suggestion=resume,
    )


def _saved_file(result: DownloadResult) -> dict[str, Any]:
    """What the journal records of a saved file: where it is, its SHA-256 and its size."""
    return {"path": str(Path(result.path).resolve()), "sha256": result.sha256, "size": result.bytes}
