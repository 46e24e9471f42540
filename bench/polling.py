"""2. Polling: requests sent and the delay between a task finishing and `wait` noticing it.

Every case runs against its own simulator, at the same time as the others: `seedance create`
then `seedance wait ID` as real processes. The simulator's log says when each read arrived;
the task's own timing says when it ended, so delay = first read at or after the end - the end.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from harness import Check, Section, Sim, World, median, reads_of, table

from seedance.services.state.sqlite import SqliteState as Journal
from seedance.sim.app import SimConfig

LENGTHS = (20.0, 60.0, 180.0)
QUEUE_SHARE = 0.1  # of a task's length spent queued; the rest running
HISTORY = (0.96, 1.0, 1.04, 0.98, 1.02)  # earlier tasks' lengths, relative to this one's
HINT_MS = 2500
RETRY_AFTER = 2.0


@dataclass
class Case:
    name: str
    profile: str
    length: float
    history: bool = False  # a journal with earlier tasks of the same kind
    poll_after_ms: int | None = None
    rate_429: float = 0.0

    @property
    def budget(self) -> float:
        """The delay the target allows: 3 s or 5 % of the length, whichever is larger."""
        return max(3.0, 0.05 * self.length)


@dataclass
class Outcome:
    case: Case
    task_id: str
    requests: int  # reads of the task
    delay: float  # first read at/after the end - the end
    exited_after: float  # the wait process's exit - the end
    gaps: list[float]  # seconds between consecutive requests of the wait
    after_429: list[float]  # seconds from each 429 answer to the next request
    rc: int
    reads: list[tuple[float, str, int]]  # (task age, status, progress) at each read
    length: float = 0.0


def cases() -> list[Case]:
    found = []
    for length in LENGTHS:
        n = int(length)
        found += [
            Case(f"Ark, cold journal, {n} s", "sim-byteplus", length),
            Case(f"Ark, warm journal, {n} s", "sim-byteplus", length, history=True),
            Case(f"new-api (progress %), cold, {n} s", "sim-easyrouter", length),
        ]
    found += [
        Case(
            f"OpenAI-style, poll hint {HINT_MS} ms, 30 s", "sim-opeai", 30.0, poll_after_ms=HINT_MS
        ),
        Case(
            f"Ark, 50 % answered 429 Retry-After {RETRY_AFTER:.0f} s, 20 s",
            "sim-byteplus",
            20.0,
            rate_429=0.5,
        ),
    ]
    return found


def _seed_history(world: World, task_id: str, length: float) -> None:
    """Earlier succeeded tasks of the same model, resolution and duration, as the journal keeps
    them (created -> finished as seen by seedance)."""
    journal = Journal(world.data_dir)
    try:
        entry = journal.find(task_id)
        assert entry is not None, "the create was not journaled"
        for i, share in enumerate(HISTORY):
            at = entry.created_at - 3600 * (i + 1)
            row = journal.begin(
                profile=entry.profile,
                dialect=entry.dialect,
                base_url=entry.base_url,
                body=entry.body,
                request_hash=f"history-{i}",
                model=entry.model,
                resolution=entry.resolution,
                duration=entry.duration,
                prompt="an earlier task",
                output_path=None,
                at=at,
            )
            journal.created(row, f"history-task-{i}", at)
            journal.observe(
                f"history-task-{i}",
                status="succeeded",
                at=at + length * share,
                tokens=None,
                error=None,
            )
    finally:
        journal.close()


def run_case(case: Case) -> Outcome:
    queue = round(case.length * QUEUE_SHARE, 1)
    config = SimConfig(
        queue_seconds=queue,
        run_seconds=case.length - queue,
        generate_media=False,
        poll_after_ms=case.poll_after_ms,
        rate_429=case.rate_429,
        retry_after=RETRY_AFTER,
    )
    with Sim(config) as sim:
        world = World(
            "polling-" + "".join(c if c.isalnum() else "-" for c in case.name), sim.origin
        )
        created = world.seedance("-p", case.profile, "create", "a paper boat at dawn", timeout=60)
        task_id = created.check("create").stdout.strip()
        if case.history:
            _seed_history(world, task_id, case.length)
        waited = world.seedance("-p", case.profile, "wait", task_id, timeout=case.length * 2 + 60)
        task = sim.sim.state.find_task(task_id)
        assert task is not None
        end = task.finished_at()
        every = sorted(sim.api_log.all(), key=lambda h: h.at)
        hits = [h for h in every if h.at >= waited.started]
        reads = reads_of(hits, task_id)
        final = [h.at for h in reads if h.at >= end]
        after_429 = [b.at - a.done for a, b in itertools.pairwise(every) if a.status == 429]
        return Outcome(
            case=case,
            task_id=task_id,
            requests=len(hits),
            delay=(final[0] - end) if final else float("inf"),
            exited_after=waited.ended - end,
            gaps=[b.at - a.at for a, b in itertools.pairwise(hits)],
            after_429=after_429,
            rc=waited.rc,
            reads=[(h.at - task.created_at, task.status(h.at), task.progress(h.at)) for h in reads],
            length=end - task.created_at,
        )


def benchmark() -> Section:
    section = Section("2. Polling")
    all_cases = cases()
    with ThreadPoolExecutor(len(all_cases)) as pool:
        outcomes = list(pool.map(run_case, all_cases))
    rows = []
    for o in outcomes:
        c = o.case
        hinted = c.poll_after_ms is not None or c.rate_429 > 0
        rows.append(
            [
                c.name,
                o.requests,
                f"{o.delay:.2f}",
                f"{c.budget:.1f}",
                f"{o.exited_after:.2f}",
                "n/a (hint)" if hinted else ("PASS" if o.delay <= c.budget else "MISS"),
                "" if c.length != 180 else ("PASS" if o.requests <= 15 else "MISS"),
                o.rc,
            ]
        )
    section.body += [
        "Each case: its own simulator; `seedance create`, then `seedance wait ID` timed. "
        f"Tasks are queued for {QUEUE_SHARE:.0%} of their length, then run. Requests = every API "
        "request the `wait` process sent (Ark reads one task with the list endpoint, then reads "
        "it alone once the list shows it finished). Delay = the first read at or after the "
        "task's end - the end; `exit` = when the `wait` process exited - the end. The warm "
        f"journal holds {len(HISTORY)} earlier succeeded tasks of the same model, resolution and "
        "duration, whose lengths are 96-104 % of this one's. All cases ran at once.",
        "",
        *table(
            [
                "case",
                "requests",
                "delay s",
                "allowed s",
                "exit s",
                "delay target",
                "≤ 15 requests",
                "exit code",
            ],
            rows,
        ),
        "",
    ]
    close = [o for o in outcomes if not o.case.rate_429 and 0.9 < o.delay / o.case.budget <= 1]
    if close:
        section.body += [
            "Close to the limit: "
            + ", ".join(f"{o.case.name} {o.delay:.2f} s of {o.case.budget:.1f} s" for o in close)
            + ". Without an expectation, `poll_delay` (src/seedance/services/polling.py) looks "
            "every max(3 s, 5 % of the age) — exactly the allowed delay, with no room for the "
            "time a read takes or a late wake-up, so such a case can miss by milliseconds. "
            "Proposed: aim 10 % under it (`tight = 0.9 * max(3.0, 0.05 * age)`), costing ~10 % "
            "more requests in that mode.",
            "",
        ]
    for o in outcomes:
        c = o.case
        if c.poll_after_ms is not None:
            gaps = o.gaps
            ok = bool(gaps) and abs(median(gaps) - c.poll_after_ms / 1000) <= 0.5
            section.checks.append(
                Check(
                    "polling",
                    f"honour `openai-poll-after-ms: {c.poll_after_ms}`",
                    f"median gap between reads {median(gaps):.2f} s ({o.requests} reads, delay "
                    f"{o.delay:.2f} s)",
                    ok,
                    miss=f"median gap {median(gaps):.2f} s",
                    why="the poller did not follow the hint",
                )
            )
        elif c.rate_429:
            shortest = min(o.after_429) if o.after_429 else float("nan")
            ok = bool(o.after_429) and shortest >= RETRY_AFTER - 0.05
            section.checks.append(
                Check(
                    "polling",
                    f"honour `Retry-After: {RETRY_AFTER:.0f}` on 429",
                    f"{len(o.after_429)} answers 429; next request after ≥ {shortest:.2f} s",
                    ok,
                    miss=f"shortest {shortest:.2f} s",
                    why="a retry came before Retry-After passed",
                )
            )
    for length in LENGTHS:
        mine = [
            o
            for o in outcomes
            if o.case.length == length and not o.case.rate_429 and o.case.poll_after_ms is None
        ]
        worst = max(mine, key=lambda o: o.delay)
        budget = mine[0].case.budget
        section.checks.append(
            Check(
                "polling",
                f"{length:.0f} s task: delay ≤ {budget:.1f} s (every journal/dialect case)",
                ", ".join(f"{o.delay:.2f} s" for o in mine) + " (cold, warm, new-api)",
                worst.delay <= budget,
                miss=f"{worst.case.name}: +{worst.delay - budget:.2f} s",
                why=_why_late(worst),
            )
        )
        if length == 180:
            for o in mine:
                section.checks.append(
                    Check(
                        "polling",
                        f"180 s task, {o.case.name.split(',')[0]} "
                        f"{'warm' if o.case.history else 'cold'}: ≤ 15 requests",
                        f"{o.requests} requests",
                        o.requests <= 15,
                        miss=f"+{o.requests - 15} requests ({o.requests / 15:.1f}×)",
                        why=_why_many(o),
                    )
                )
    section.raw = {
        o.case.name: {
            "requests": o.requests,
            "delay": o.delay,
            "exited_after": o.exited_after,
            "task": o.task_id,
        }
        for o in outcomes
    }
    return section


def _why_late(o: Outcome) -> str:
    seen = ", ".join(f"{age:.1f} s ({status} {progress} %)" for age, status, progress in o.reads)
    text = (
        f"{o.case.name}: reads at task ages {seen}; the task ended at {o.length:.1f} s, so the "
        f"end was noticed {o.delay:.2f} s late. "
    )
    running = [(age, p) for age, status, p in o.reads if status == "running"]
    if o.case.profile == "sim-easyrouter" and running:
        first_age, first_status, first_p = o.reads[0]
        last_age, last_p = running[-1]
        rate = (last_p - first_p) / (last_age - first_age) if last_p > first_p else 0.0
        guess = last_age + (100 - last_p) / rate if rate else float("inf")
        text += (
            "`Watch.expected_from_progress` (src/seedance/services/polling.py) fits a rate through "
            f"its first and last samples: the first at {first_age:.1f} s ({first_status}, "
            f"{first_p} %), the last at {last_age:.1f} s ({last_p} %), so it expected the end "
            f"at age {guess:.0f} s instead of {o.length:.0f} s — the queued time counted as "
            "slow progress — and slept min(remaining/2, MAX_INTERVAL = 60 s), past the end. "
            "Proposed change there: take progress samples only while the task is `running` "
            "(in `Waiter._poll`), and trust the fitted rate only once progress has moved by "
            "≥ 5 points across ≥ 2 running samples; until then `poll_delay` gets no expectation "
            "and keeps the max(3 s, 5 % of the age) cadence. Expected: the 60 s new-api task "
            "noticed within 3 s, at ~8 requests."
        )
    else:
        text += "The poller slept past the end towards an expected end later than the real one."
    return text


def _why_many(o: Outcome) -> str:
    if o.case.profile == "sim-easyrouter":
        return _why_many_progress(o)
    return (
        "Nothing tells the poller when an Ark task will end: Ark reports no progress, and an "
        "empty journal has no history. To keep the delay within max(3 s, 5 % of the length) "
        "for a task whose length it cannot know, it must look every max(3 s, 5 % of the age): "
        "20 looks in the first minute, then ln(180/60)/ln(1.05) ≈ 23 more up to 180 s, plus "
        f"Ark's final single read — about 45 requests (here {o.requests}). "
        "Both targets together are met only "
        "with an expectation (the warm journal above, or the new-api progress). Proposed "
        "change in src/seedance/services/polling.py + domain/catalogue.py: "
        "a cold-start prior — the "
        "catalogue ships a typical generation time per model/resolution/duration (e.g. the "
        "median of the provider's published figures), used by `Client.expected_run` when the "
        "journal has fewer than 3 samples, with the same halving schedule; when the task "
        "outlives the prior, the schedule falls back to max(3 s, 5 % of the age) as today. "
        "Expected: ~8 requests for a 180 s task whose length is near the prior; the delay "
        "target can be missed only when a task ends well before its prior."
    )


def _why_many_progress(o: Outcome) -> str:
    queued = sum(1 for _, status, _ in o.reads if status == "queued")
    running = [(age, p) for age, status, p in o.reads if status == "running"]
    seen = ", ".join(f"{age:.0f} s/{p} %" for age, p in running)
    return (
        f"The task reports progress, yet {o.requests} requests: {queued} while it was queued "
        f"(the first {QUEUE_SHARE:.0%} of its length, polled at the fallback cadence, since "
        "nothing says when it will start), then running reads at age/progress "
        f"{seen}, then {o.requests - queued - len(running)} for the end. Each read before the "
        "poller trusts the pace of the progress costs one at the fallback cadence, and from "
        "then on `poll_delay` halves the remaining time at each look. Options in "
        "src/seedance/services/polling.py, each worth a read or two: trust the pace after fewer "
        "points of progress (integer percentages make 2-3 points noisy, though), and once "
        "three or more running samples agree on the pace, sleep to ~80 % of the remaining time "
        "instead of half of it."
    )
