"""Sending a create: journaled (with its identity nonce and a lease on its row) before it goes
out, never sent twice blindly. When its answer is lost, its task is looked for
(videos/identity.py) and adopted when found, and the create sent again only when it provably
never arrived; a dialect that cannot look says so instead (`lost_answer`)."""

from __future__ import annotations

import json
from collections.abc import Callable

from seedance.domain.errors import (
    BadResponseError,
    InterruptedByUser,
    OutcomeUnknownError,
    Reason,
    SeedanceError,
    ServerError,
    Suggestion,
    UnusableTaskIdError,
)
from seedance.domain.models import Task
from seedance.services import crashpoints
from seedance.services.account.gate import MAX_CROWDED, SLOT_POLL, Allowance, is_crowded
from seedance.services.runtime import Runtime
from seedance.services.state import Entry, JournalState, Lock
from seedance.services.videos.identity import LostCreate, identity_picker, with_identity
from seedance.services.videos.prepare import Prepared, redact_body
from seedance.services.videos.steps import Run, Step, told

MAX_SENDS = 5  # creates sent for one request when each provably never arrived


def send(
    rt: Runtime,
    prepared: Prepared,
    *,
    allowance: Allowance,
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
            task, lost = _send_once(rt, prepared, allowance, output, run, again)
        except Crowded as refused:
            crowded += 1
            if crowded >= MAX_CROWDED:
                raise refused.error from None
            rt.gate.crowded(refused.error)
            pause = min(SLOT_POLL * crowded, 60.0)  # the account's other users, if any
            stop = run.stop if run is not None else None
            if stop is None:
                rt.clock.sleep(pause)
            elif rt.clock.wait(stop, pause):
                raise KeyboardInterrupt from None
            attempt -= 1
            continue
        crowded = 0
        if task is not None:
            if prepared.overridden:  # the server took what the catalogue refuses
                from seedance.services.videos.stale_rules import stale_notice

                rt.tell([stale_notice(prepared.overridden, task.id, rt.clock.time())])
            return task
        assert lost is not None
        if attempt == MAX_SENDS:
            raise ServerError(
                f"the create failed {attempt} times, and each time nothing was made "
                f"({lost.message})",
                reason="not_arrived",
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
    rt: Runtime,
    prepared: Prepared,
    allowance: Allowance,
    output: str | None,
    run: Run | None,
    again: Suggestion,
) -> tuple[Task | None, SeedanceError | None]:
    """(the task, None), or (None, why) when the create provably never arrived."""
    journal, clock, provider = rt.state, rt.clock, rt.provider
    exact = rt.capabilities.finds_lost_creates
    lease: list[Lock] = []

    def hold(row: int) -> None:
        lock = journal.row_lease(row)
        lock.try_acquire()
        lease.append(lock)

    request = prepared.request

    def slot_wait(detail: str) -> None:
        if run is not None:
            run.step(Step.WAITING_FOR_SLOT, detail)
        else:
            rt.notify(f"waiting for a slot: {detail}")

    with rt.gate.admit(
        request.model,
        prepared.estimate,
        allowance=allowance,
        deadline=run.deadline if run is not None else None,
        on_wait=slot_wait,
        stop=run.stop if run is not None else None,
    ) as ticket:
        ledger = ticket.ledger(run.label if run else None)
        if run is not None and run.unit is not None:
            ledger |= run.unit.columns()
        row = _begin(rt, prepared, output, hold, ledger)
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
            with rt.explain_auth():
                task = provider.create(body)
        except UnusableTaskIdError as exc:
            # it arrived and may be billed (the reservation stays); it holds no slot
            journal.unusable(row, unusable_reason(rt, exc), clock.time())
            raise
        except (OutcomeUnknownError, ServerError, BadResponseError) as exc:
            # it may have arrived: a lost answer, a 5xx, or an answer we cannot read (even a
            # 200 without a task id may have made one)
            journal.unknown(row, exc.message, clock.time())
            if not exact:
                raise lost_answer(rt, exc) from None
            found = find_lost(
                rt, entry, run, again, just_lost=True, output=output, lost_how=exc.message
            )
            if found is None:
                journal.rejected(row, f"never reached the server ({exc.message})", clock.time())
                ticket.release()
                return None, exc
            journal.adopt(row, found.id, clock.time())
            if run is not None:
                run.task_id = found.id
            told(run, Step.FOUND, found.id)
            return found, None
        except KeyboardInterrupt:
            journal.unknown(row, "interrupted while it was being sent", clock.time())
            raise _interrupted_sending(output) from None
        except SeedanceError as exc:
            journal.rejected(row, str(exc), clock.time())
            ticket.release()
            if is_crowded(exc):
                raise Crowded(exc) from None
            raise _in_this_region(rt, exc) from None
        if run is not None:
            run.task_id = task.id
        crashpoints.reached("create-sent")
        journal.created(row, task.id, clock.time())
        crashpoints.reached("create-created")
        told(run, Step.CREATED, task.id)
        return task, None
    finally:
        for lock in lease:
            lock.release()


# the Ark answers of a model this key cannot use here (docs/sources/real-world.md "Finding
# out what an account can use")
_NOT_HERE = ("InvalidEndpointOrModel.NotFound", "ModelNotOpen")


def _in_this_region(rt: Runtime, exc: SeedanceError) -> SeedanceError:
    """A create refused for its model on an endpoint whose preset doubts it serves Seedance
    (byteplus-eu): said plainly, with the server's answer."""
    doubt = rt.profile.models_unconfirmed
    if doubt and exc.code in _NOT_HERE:
        exc.message = (
            f"no Seedance model answers on {rt.profile.base_url} for this key: {doubt} "
            f"({exc.message})"
        )
        exc.instead("region_without_seedance")
        exc.suggestions = (Suggestion.of("doctor"),)
    return exc


MAX_ANSWER = 4000  # characters of a server's unusable answer kept in the journal


def unusable_reason(rt: Runtime, exc: UnusableTaskIdError) -> str:
    """What the journal keeps of a create answered with an unusable task id: the error, and
    the server's answer as it was (escaped, cut short, without any credential)."""
    try:
        answer = json.dumps(exc.answer)
    except (TypeError, ValueError):
        answer = repr(exc.answer)
    if len(answer) > MAX_ANSWER:
        answer = answer[:MAX_ANSWER] + "..."
    return rt.provider.http.scrub(
        f"{UnusableTaskIdError.code}: {exc.message}; the server's answer: {answer}"
    )


def was_unusable(entry: Entry) -> bool:
    """Whether the journal row is a create answered with an unusable task id."""
    return entry.state is JournalState.UNKNOWN and (entry.error or "").startswith(
        f"{UnusableTaskIdError.code}: "
    )


def _begin(
    rt: Runtime,
    prepared: Prepared,
    output: str | None,
    hold: Callable[[int], object],
    ledger: dict[str, object],
) -> int:
    """The journal row of a create about to be sent (its lease taken before it is seen)."""
    request = prepared.request
    exact = rt.capabilities.finds_lost_creates
    return rt.state.begin(
        profile=rt.profile.name,
        dialect=rt.provider.dialect,
        base_url=rt.profile.base_url,
        body=redact_body(prepared.body, prepared.redactions),
        request_hash=prepared.request_hash,
        model=request.model,
        resolution=request.resolution,
        duration=request.duration,
        prompt=request.prompt,
        output_path=output,
        at=rt.clock.time(),
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
            reason="interrupted_create_unrecorded",
            suggestion=[Suggestion.of("tasks.list"), Suggestion.of("tasks.list", local=True)],
        )
    return InterruptedByUser(
        stopped,
        reason="interrupted_create",
        suggestion=Suggestion.again(),
    )


def find_lost(
    rt: Runtime,
    entry: Entry,
    run: Run | None,
    again: Suggestion,
    *,
    just_lost: bool,
    output: str | None,
    lost_how: str | None = None,
) -> Task | None:
    def say(text: str) -> None:
        if run is not None:
            run.step(Step.LOOKING, text)

    search = LostCreate(
        rt.provider,
        rt.state,
        rt.clock,
        entry,
        again=again,
        output=output,
        on_step=say,
        stop=run.stop if run is not None else None,
        lost_how=lost_how,
    )
    try:
        with rt.explain_auth():
            return search.find(
                deadline=run.deadline if run is not None else None,
                keep_watching=run is not None,
                just_lost=just_lost,
            )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "stopped while looking for the task of a create whose answer was lost; "
            "nothing was sent again",
            reason="look_again",
            suggestion=Suggestion.again(),
        ) from None


def lost_answer(rt: Runtime, exc: SeedanceError) -> OutcomeUnknownError:
    """The report of a create whose answer was lost, on a dialect that cannot look."""
    can_list = rt.capabilities.can_list
    look = [Suggestion.of("tasks.list")] if can_list else []
    return OutcomeUnknownError(
        f"the create may have reached the server, but its answer was lost ({exc.message})",
        reason=Reason.of("lost_answer", can_list=can_list),
        suggestion=[*look, Suggestion.of("tasks.list", local=True)],
        exit_status=exc.exit_status,
    )
