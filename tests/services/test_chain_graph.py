"""The storyboard's graph: descendants and loop detection in linear time, checked against the
plain definitions (a walk per shot, every chain of parents followed to its end) on random
storyboards, branches and loops included."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from seedance.domain.errors import StoryboardError
from seedance.domain.models import GenerationParams
from seedance.services.storyboards.storyboard import Shot, Storyboard, _check_cycles, load

PARAMS = GenerationParams(prompt="a paper boat")


def board_of(parents: list[int | None]) -> Storyboard:
    """Shots s0..sN, shot i after shot parents[i] (any shot, later ones too: loops allowed)."""
    ids = [f"s{i}" for i in range(len(parents))]
    children: dict[str, list[str]] = {shot_id: [] for shot_id in ids}
    for i, parent in enumerate(parents):
        if parent is not None:
            children[ids[parent]].append(ids[i])
    shots = tuple(
        Shot(
            i + 1,
            ids[i],
            PARAMS,
            None if parent is None else ids[parent],
            children=tuple(children[ids[i]]),
        )
        for i, parent in enumerate(parents)
    )
    return Storyboard(Path("board.toml"), shots)


def random_parents(rng: random.Random, n: int, loops: bool) -> list[int | None]:
    parents: list[int | None] = []
    for i in range(n):
        roll = rng.random()
        if i == 0 or roll < 0.15:
            parents.append(None)  # starts fresh
        elif roll < 0.7:
            parents.append(i - 1)  # follows the previous shot
        elif loops and roll < 0.75:
            parents.append(rng.randrange(n))  # after = any shot, a later one too
        else:
            parents.append(rng.randrange(i))  # after = an earlier shot: a branch
    return parents


def plain_descendants(board: Storyboard, shot_id: str) -> list[str]:
    """The definition: the shots below `shot_id`, breadth first."""
    by_id = {shot.id: shot for shot in board.shots}
    found: list[str] = []
    stack = list(by_id[shot_id].children)
    while stack:
        child = stack.pop(0)
        found.append(child)
        stack.extend(by_id[child].children)
    return found


def plain_loop(board: Storyboard) -> str | None:
    """The definition: the message of the first shot whose chain of parents comes back."""
    by_id = {shot.id: shot for shot in board.shots}
    for shot in board.shots:
        seen = [shot.id]
        current = shot.parent
        while current is not None:
            if current in seen:
                loop = " -> ".join([*reversed(seen), current])
                return f"{board.path}: shots depend on each other in a loop: {loop}"
            seen.append(current)
            current = by_id[current].parent
    return None


def found_loop(board: Storyboard) -> str | None:
    try:
        _check_cycles(board)
    except StoryboardError as exc:
        return exc.message
    return None


@pytest.mark.parametrize("seed", range(300))
def test_loops_are_found_as_the_plain_walk_finds_them(seed: int) -> None:
    rng = random.Random(seed)
    board = board_of(random_parents(rng, rng.randrange(1, 40), loops=True))
    assert found_loop(board) == plain_loop(board)


def test_random_storyboards_have_loops_and_none_alike() -> None:
    """The random storyboards above cover both outcomes (else the comparison proves little)."""
    outcomes = set()
    for seed in range(300):
        rng = random.Random(seed)
        board = board_of(random_parents(rng, rng.randrange(1, 40), loops=True))
        outcomes.add(plain_loop(board) is None)
    assert outcomes == {True, False}


@pytest.mark.parametrize("seed", range(200))
def test_descendants_are_the_plain_walks(seed: int) -> None:
    rng = random.Random(seed)
    board = board_of(random_parents(rng, rng.randrange(1, 60), loops=False))
    ids = [shot.id for shot in board.shots]
    for shot_id in ids:
        assert board.descendants(shot_id) == plain_descendants(board, shot_id)
    roots = rng.sample(ids, rng.randrange(len(ids) + 1))
    union = {child for root in roots for child in plain_descendants(board, root)}
    found = board.descendants_of(roots)
    assert len(found) == len(set(found))  # each once, though roots may follow one another
    assert set(found) == union


def test_a_long_chain_takes_linear_time() -> None:
    """20,000 shots in one chain: the plain walks would take hours (each O(n) per step)."""
    n = 20_000
    board = board_of([None, *range(n - 1)])
    assert board.by_id is board.by_id  # built once, not at every lookup
    _check_cycles(board)
    assert len(board.descendants("s0")) == n - 1
    assert len(board.descendants_of([f"s{i}" for i in range(n)])) == n - 1


def test_a_loop_through_after_is_refused_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "loop.toml"
    path.write_text(
        '[[shots]]\nid = "a"\nprompt = "x"\nafter = "c"\n'
        '[[shots]]\nid = "b"\nprompt = "x"\n'
        '[[shots]]\nid = "c"\nprompt = "x"\n'
    )
    with pytest.raises(StoryboardError) as refused:
        load(path)
    assert "shots depend on each other in a loop: b -> c -> a" in refused.value.message
