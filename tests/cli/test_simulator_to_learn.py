"""The simulator as a place to learn (issue 28): a sim-* profile with no simulator running
says to start one; a second simulator on the same data directory is refused."""

from __future__ import annotations

from seedance.services.locks import Locks


def test_a_sim_profile_without_a_simulator_says_to_start_one(world):
    result = world.run("-p", "sim-byteplus", "create", "a boat")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: profile 'sim-byteplus' is a simulator's, and no simulator is running; start "
        "one in another terminal with `seedance sim` (its sim-* profiles work while it runs), "
        "then run this again\n"
    )
    assert "profiles add" not in result.stderr


def test_a_second_simulator_is_refused(world):
    running = Locks(world.data_dir).simulator()  # as a first `seedance sim` holds it
    assert running.try_acquire()
    try:
        result = world.run("sim", "--port", "0")
    finally:
        running.release()
    assert result.exit_code == 2, result
    assert "a simulator already runs" in result.stderr and "nothing was started" in result.stderr
    assert not (world.data_dir / "sim.json").exists()
    assert result.stdout == ""
