"""The library as a Python user holds it: resources on the client, options that belong to the
call that spends, one client shared by threads, and types a user's mypy checks."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from seedance import BatchIncomplete, BudgetError, Client, ExitStatus
from seedance.services.storyboards.session import ChainIncomplete
from support import World

STORYBOARD = '[[shots]]\nid = "a"\nprompt = "a paper boat"\n'


def client_of(world: World, profile: str = "sim-byteplus") -> Client:
    return world.client(profile)


def test_a_cap_given_to_one_call_is_not_in_force_on_the_next(sim: Any, world: World) -> None:
    """A batch, a storyboard and a generate each capped at nothing, on one client: each is
    refused, and the next call (uncapped) is not (the cap used to stay on the client)."""
    (world.root / "one.toml").write_text(STORYBOARD)
    rows = [{"id": "gull", "prompt": "a gull"}]
    with client_of(world) as client:
        with pytest.raises(BatchIncomplete) as batch:
            client.batches.run(rows, output=world.root / "gulls", max_cost=0)
        assert batch.value.result.counts() == {"stopped": 1}
        first = client.videos.generate(prompt="a boat", duration=5, output=world.root / "a.mp4")
        with pytest.raises(BudgetError):
            client.storyboards.run(world.root / "one.toml", max_cost=0)
        second = client.videos.generate(prompt="a ship", duration=5, output=world.root / "b.mp4")
        with pytest.raises(BudgetError):
            client.videos.generate(
                prompt="a raft", duration=5, output=world.root / "c.mp4", max_cost=0
            )
        third = client.videos.generate(prompt="a raft", duration=5, output=world.root / "c.mp4")
    assert len({first.task.id, second.task.id, third.task.id}) == 3
    assert len(sim.creates()) == 3  # the refused calls sent nothing


def test_with_options_returns_a_copy_and_leaves_the_client_as_it_was(
    sim: Any, world: World
) -> None:
    with client_of(world) as client:
        capped = client.with_options(max_cost=0)
        with pytest.raises(BudgetError) as refused:
            capped.videos.generate(prompt="a boat", duration=5, output=world.root / "a.mp4")
        assert refused.value.exit_status is ExitStatus.USAGE
        made = client.videos.generate(prompt="a boat", duration=5, output=world.root / "a.mp4")
    assert made.video.bytes > 0 and len(sim.creates()) == 1


def test_a_cap_is_checked_the_same_way_everywhere(sim: Any, world: World) -> None:
    from seedance import UsageError

    with client_of(world) as client:
        for bad in (-1.0, float("nan"), float("inf")):
            with pytest.raises(UsageError) as refused:
                client.with_options(max_cost=bad)
            assert refused.value.field == "max_cost"
            with pytest.raises(UsageError):
                client.batches.plan([{"id": "a", "prompt": "x"}], output=world.root, max_cost=bad)
            with pytest.raises(UsageError):
                client.videos.create(prompt="x", max_cost=bad)


def test_three_threads_make_three_videos_on_one_client(sim: Any, world: World) -> None:
    """The README says a client may be shared by threads: three `generate` calls at once on
    one client, each its own video, each verified; one create each."""
    made: dict[int, Any] = {}
    errors: list[BaseException] = []
    with client_of(world) as client:

        def make(n: int) -> None:
            try:
                made[n] = client.videos.generate(
                    prompt=f"boat number {n}", duration=5, output=world.root / f"{n}.mp4"
                )
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=make, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors
    assert sorted(made) == [0, 1, 2]
    assert len({m.task.id for m in made.values()}) == 3
    for n, generated in made.items():
        assert Path(generated.video.path) == (world.root / f"{n}.mp4").resolve()
        assert Path(generated.video.path).read_bytes()[4:8] == b"ftyp"
    assert len(sim.creates()) == 3


USER_SCRIPT = """
from pathlib import Path

from seedance import Client, SeedanceError, TaskFailedError


def make(name: str) -> Path:
    with Client.from_profile("demo").with_options(max_cost=2.0, timeout=600) as client:
        plan = client.videos.prepare(prompt="a boat", duration=5, resolution="720p")
        if plan.estimate is not None:
            print(plan.estimate.describe())
        try:
            made = client.videos.generate(prompt="a boat", duration=5, output=f"{name}.mp4")
        except TaskFailedError as exc:
            raise SystemExit(exc.message) from None
        except SeedanceError as exc:
            raise SystemExit(int(exc.exit_status)) from None
        spent = [line["billed"] for line in client.account.spend().totals()]
        print(spent, made.task.id, made.video.sha256)
        return Path(made.video.path)
"""

WRONG_SCRIPT = """
from seedance import Client

with Client.from_profile("demo") as client:
    client.videos.generate(prompt="a boat", duration="5 s", output="b.mp4")
    path: int = client.videos.get("cgt-1").id
"""


def test_a_user_script_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    """Against the installed package (py.typed): a script using the API passes `mypy
    --strict`, and one that passes a wrong type is caught (the check can fail)."""
    (tmp_path / "user.py").write_text(USER_SCRIPT)
    (tmp_path / "wrong.py").write_text(WRONG_SCRIPT)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            "user.py",
            "wrong.py",
        ],
        cwd=tmp_path,  # outside the repository: the package as installed
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert not [line for line in lines if line.startswith("user.py")], done.stdout
    wrong = [line for line in lines if line.startswith("wrong.py")]
    assert any('"duration"' in line for line in wrong), done.stdout
    assert any("Incompatible types in assignment" in line for line in wrong), done.stdout


def test_the_client_keeps_its_api_small_and_documented(world: World) -> None:
    """At most 12 public names on the client (its resources included), each documented, as
    is every public method of every resource."""
    with client_of(world, "demo") as client:
        public = sorted({n for n in dir(client) if not n.startswith("_")})
        assert len(public) <= 12, public
        for name in public:
            member = getattr(type(client), name, None)
            if member is None:  # a resource: its methods are checked below
                resource = type(getattr(client, name))
                for method, body in vars(resource).items():
                    if not method.startswith("_") and callable(body):
                        assert (body.__doc__ or "").strip(), f"{resource.__name__}.{method}"
                continue
            doc = member.fget.__doc__ if isinstance(member, property) else member.__doc__
            assert (doc or "").strip(), f"Client.{name} has no docstring"


def test_storyboards_report_a_cap_refusal_as_a_budget_error_before_anything_is_sent(
    sim: Any, world: World
) -> None:
    (world.root / "one.toml").write_text(STORYBOARD)
    with client_of(world) as client, pytest.raises((BudgetError, ChainIncomplete)):
        client.storyboards.run(world.root / "one.toml", max_cost=0)
    assert not sim.creates()
