"""7. Storyboards and batches at scale: `chain FILE --dry-run` of linear storyboards of 200,
2,000 and 10,000 shots, and `batch FILE --dry-run` of 500, 5,000 and 50,000 rows, on the demo
profile: the cost must grow with the work, not faster."""

from __future__ import annotations

import json

from harness import Check, MiB, Run, Section, World, median, table

ROUNDS = 3  # each size once per round, the order rotating
SHOTS = (200, 2_000, 10_000)
ROWS = (500, 5_000, 50_000)
RATIO = 12.0  # 10× the work may take at most 12× the time
CEILING = 30.0  # seconds for the largest size


def storyboard(n: int) -> str:
    """A linear storyboard of n shots: every shot continues from the previous one (the
    deepest graph: each shot below all those before it)."""
    lines = [
        "[defaults]",
        'model = "dreamina-seedance-2-0"',
        'resolution = "720p"',
        'ratio = "16:9"',
        "duration = 5",
        "",
    ]
    for i in range(1, n + 1):
        lines += [
            "[[shots]]",
            f'id = "s{i:05d}"',
            f'prompt = "Shot {i}: the paper boat drifts on, scene {i}, soft light, slow dolly"',
            "",
        ]
    return "\n".join(lines)


def jobs(n: int) -> str:
    """A batch of n rows (JSON lines: an id, a prompt and a duration each)."""
    rows = (
        {"id": f"r{i:06d}", "prompt": f"Row {i}: a paper boat at dawn, the river bend {i}"}
        for i in range(n)
    )
    return "".join(json.dumps({**row, "duration": 5}) + "\n" for row in rows)


def timed(
    world: World, label: str, sizes: tuple[int, ...], argv: list[str]
) -> dict[int, list[Run]]:
    """Each size's runs, ROUNDS each, interleaved (argv has {} for the file)."""
    runs: dict[int, list[Run]] = {n: [] for n in sizes}
    for i in range(ROUNDS):
        order = list(sizes[i % len(sizes) :] + sizes[: i % len(sizes)])
        for n in order:
            path = world.root / f"{label}-{n}"
            args = [a.replace("{}", str(path)) for a in argv]
            runs[n].append(world.seedance(*args, timeout=600).check(f"{label} {n}"))
    return runs


def judged(
    section: Section, what: str, unit: str, runs: dict[int, list[Run]], sizes: tuple[int, ...]
) -> list[list[str]]:
    small, middle, large = sizes
    walls = {n: median([r.wall for r in runs[n]]) for n in sizes}
    ratio = walls[middle] / walls[small]
    section.checks += [
        Check(
            what,
            f"{middle:,} {unit} ≤ {RATIO:g}× the time of {small:,}",
            f"{walls[middle]:.2f} s vs {walls[small]:.2f} s = {ratio:.1f}×",
            ratio <= RATIO,
            miss=f"{ratio:.1f}×",
            why="a step grows faster than the work: profile the dry run (python -m cProfile)",
        ),
        Check(
            what,
            f"{large:,} {unit} under {CEILING:g} s",
            f"{walls[large]:.2f} s",
            walls[large] < CEILING,
            miss=f"+{walls[large] - CEILING:.1f} s",
            why="a step grows faster than the work: profile the dry run (python -m cProfile)",
        ),
    ]
    return [
        [
            f"{n:,} {unit}",
            ", ".join(f"{r.wall:.2f}" for r in runs[n]),
            f"{walls[n]:.2f}",
            f"{walls[n] / walls[small]:.1f}×",
            f"{max(r.max_rss for r in runs[n]) / MiB:.0f}",
        ]
        for n in sizes
    ]


def benchmark() -> Section:
    section = Section("7. Storyboards and batches at scale")
    world = World("scale", "http://127.0.0.1:9")  # the demo profile needs no server
    for n in SHOTS:
        (world.root / f"chain-{n}.toml").write_text(storyboard(n))
    chains = timed(world, "chain", SHOTS, ["-p", "demo", "chain", "{}.toml", "--dry-run"])
    header = ["size", "runs (s)", "median s", "× the smallest", "peak RSS MiB"]
    section.body += [
        f"`seedance -p demo chain FILE --dry-run` as a whole process, {ROUNDS} rounds, the "
        "order rotating: load and check the storyboard, plan and price every shot (its request "
        "built as it would be sent), apply the manifest, print the plan. Linear storyboards "
        "(each shot continues from the one before): the deepest graph, where a per-shot walk "
        "of the shots below would cost n² steps.",
        "",
        *table(header, judged(section, "storyboards", "shots", chains, SHOTS)),
        "",
    ]
    for n in ROWS:
        (world.root / f"batch-{n}.jsonl").write_text(jobs(n))
    batches = timed(world, "batch", ROWS, ["-p", "demo", "batch", "{}.jsonl", "--dry-run"])
    section.body += [
        f"`seedance -p demo batch FILE.jsonl --dry-run`, {ROUNDS} rounds the same way: read "
        "and check every row (JSON lines of an id, a prompt and a duration), derive each "
        "take's seed, build, check and price each request as it would be sent, print the plan "
        "and the total.",
        "",
        *table(header, judged(section, "batches", "rows", batches, ROWS)),
    ]
    section.raw["batch"] = {n: [r.wall for r in runs] for n, runs in batches.items()}
    section.raw["chain"] = {n: [r.wall for r in runs] for n, runs in chains.items()}
    return section
