"""5. Storyboards: a branching storyboard against its critical path, with --concurrency 2."""

from __future__ import annotations

import itertools

from harness import Check, Section, Sim, World, reads_of, table

from seedance.sim.app import SimConfig
from seedance.sim.state import SimTask

CONCURRENCY = 2
QUEUE = 1.0  # seconds each task is queued; the rest of its length it runs

# id: (parent, length in seconds). None: starts fresh (continue = false for a non-first shot).
SHOTS: dict[str, tuple[str | None, float]] = {
    "dawn": (None, 12.0),
    "bridge": ("dawn", 16.0),
    "city": ("bridge", 14.0),
    "harbor": ("dawn", 10.0),
    "night": ("harbor", 10.0),
    "skyline": (None, 18.0),
}


def storyboard_toml() -> str:
    lines = ["[defaults]", 'resolution = "720p"', 'ratio = "16:9"', "duration = 5", ""]
    previous = None
    for shot_id, (parent, _) in SHOTS.items():
        lines += ["[[shots]]", f'id = "{shot_id}"', f'prompt = "shot {shot_id}: a paper boat"']
        if parent is None and previous is not None:
            lines.append("continue = false")
        elif parent is not None and parent != previous:
            lines.append(f'after = "{parent}"')
        lines.append("")
        previous = shot_id
    return "\n".join(lines)


def chains() -> list[list[str]]:
    """Every root-to-leaf chain of dependent shots."""
    children: dict[str | None, list[str]] = {}
    for shot_id, (parent, _) in SHOTS.items():
        children.setdefault(parent, []).append(shot_id)
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        below = children.get(path[-1], [])
        if not below:
            found.append(path)
        for child in below:
            walk([*path, child])

    for root in children[None]:
        walk([root])
    return found


def _timing(task: SimTask) -> tuple[float, float] | None:
    for shot_id, (_, length) in SHOTS.items():
        if task.prompt and task.prompt.startswith(f"shot {shot_id}:"):
            return QUEUE, length - QUEUE
    return None


def _most_at_once(tasks: list[SimTask]) -> int:
    events = sorted(
        [(t.created_at, 1) for t in tasks] + [(t.finished_at(), -1) for t in tasks],
        key=lambda e: (e[0], e[1]),
    )
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def benchmark() -> Section:
    section = Section("5. Storyboards")
    with Sim(SimConfig(queue_seconds=QUEUE, run_seconds=10, generate_media=False)) as sim:
        sim.on_create(_timing)
        world = World("storyboard", sim.origin)
        board = world.root / "shots.toml"
        board.write_text(storyboard_toml())
        ran = world.seedance(
            "chain",
            str(board),
            "--concurrency",
            str(CONCURRENCY),
            "-o",
            str(world.root / "out"),
            timeout=300,
        )
        tasks = list(sim.sim.state.tasks.values())
        hits = sim.api_log.all()

    by_shot = {}
    for task in tasks:
        for shot_id in SHOTS:
            if task.prompt and task.prompt.startswith(f"shot {shot_id}:"):
                by_shot[shot_id] = task
    lengths = {s: length for s, (_, length) in SHOTS.items()}
    critical = max(chains(), key=lambda c: sum(lengths[s] for s in c))
    critical_s = sum(lengths[s] for s in critical)
    allowance = sum(max(3.0, 0.05 * lengths[s]) for s in critical)
    limit = 1.1 * critical_s + allowance
    most = _most_at_once(tasks)
    notice = {}
    for shot_id, task in by_shot.items():
        after = [h.at for h in reads_of(hits, task.id) if h.at >= task.finished_at()]
        notice[shot_id] = (after[0] - task.finished_at()) if after else float("nan")
    complete = ran.rc == 0 and len(by_shot) == len(SHOTS)
    section.checks += [
        Check(
            "storyboards",
            "wall ≤ 1.1 × critical path + polling delay",
            f"{ran.wall:.1f} s ≤ 1.1 × {critical_s:.0f} + {allowance:.0f} = {limit:.1f} s"
            if ran.wall <= limit
            else f"{ran.wall:.1f} s > {limit:.1f} s",
            complete and ran.wall <= limit,
            miss=f"+{ran.wall - limit:.1f} s",
            why=_why_slow(ran.wall, critical_s, by_shot, critical),
        ),
        Check(
            "storyboards",
            f"concurrency never above {CONCURRENCY}",
            f"at most {most} tasks at once in the simulator",
            most <= CONCURRENCY,
            miss=f"{most} at once",
            why="the runner started more shots than allowed",
        ),
    ]
    start = min(t.created_at for t in tasks) if tasks else 0.0
    rows = []
    for shot_id, (parent, length) in SHOTS.items():
        task = by_shot.get(shot_id)
        if task is None:
            rows.append([shot_id, parent or "—", f"{length:.0f}", "not created", "", "", ""])
            continue
        gap = ""
        if parent in by_shot:
            gap = f"{task.created_at - by_shot[parent].finished_at():.2f}"
        rows.append(
            [
                shot_id,
                parent or "—",
                f"{length:.0f}",
                f"{task.created_at - start:.1f}",
                f"{task.finished_at() - start:.1f}",
                f"{notice[shot_id]:.2f}",
                gap,
            ]
        )
    section.body += [
        f"`seedance chain shots.toml --concurrency {CONCURRENCY}`: {len(SHOTS)} shots in two "
        "branches from `dawn` plus an independent shot (`skyline`), each made to last its "
        f"length in the simulator ({QUEUE:.0f} s queued, the rest running). Critical path = the "
        f"longest chain of dependent shots: {' → '.join(critical)} = {critical_s:.0f} s. The "
        "polling delay allowed = Σ over that chain of the polling target, max(3 s, 5 % of "
        f"each length) = {allowance:.0f} s. Exit code {ran.rc}; wall time of the whole "
        f"`chain` process {ran.wall:.1f} s.",
        "",
        *table(
            [
                "shot",
                "after",
                "length s",
                "created at s",
                "ended at s",
                "noticed after s",
                "parent end → create s",
            ],
            rows,
        ),
        "",
        "`parent end → create` is what the chain adds between two dependent shots: noticing the "
        "parent's end, downloading its video and last frame, and creating the next task — "
        f"plus, off the critical path, waiting for one of the {CONCURRENCY} slots (a shot "
        "whose parent ended while two others ran starts when one of them is noticed done).",
    ]
    section.raw = {
        "wall": ran.wall,
        "critical": critical_s,
        "allowance": allowance,
        "most": most,
        "rc": ran.rc,
        "notice": notice,
    }
    return section


def _why_slow(wall: float, critical_s: float, by_shot: dict[str, SimTask], chain: list[str]) -> str:
    gaps = [
        by_shot[b].created_at - by_shot[a].finished_at()
        for a, b in itertools.pairwise(chain)
        if a in by_shot and b in by_shot
    ]
    return (
        f"{wall - critical_s:.1f} s beyond the critical path; between dependent shots the "
        f"chain took {', '.join(f'{g:.1f} s' for g in gaps)} from a parent's end to its "
        "child's create (noticing + downloads + create)"
    )
