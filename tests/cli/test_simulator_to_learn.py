"""The simulator as a place to learn (issue 28): a sim-* profile with no simulator running
says to start one; a second simulator on the same data directory is refused."""

from __future__ import annotations

from seedance.services.locks import Locks


def test_a_sim_profile_without_a_simulator_says_to_start_one(world):
    result = world.run("-p", "sim-byteplus", "create", "a boat")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: profile 'sim-byteplus' is a simulator's, and no simulator is running; its "
        "sim-* profiles work while it runs; start one in another terminal with: seedance sim\n"
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


def test_demo_money_and_clips_are_labelled_simulated_and_made_as_asked(world):
    import av

    result = world.run("-p", "demo", "create", "a boat", "-r", "480p", "-d", "4", "-o", "b.mp4")
    assert result.exit_code == 0, result.stderr
    assert "estimate: 40,594 tokens ≈ $0.28 (simulated: nothing is billed)" in result.stderr
    assert "a simulated clip (the simulator's): nothing was billed" in result.stderr
    with av.open(str(world.root / "b.mp4")) as clip:
        video = clip.streams.video[0]
        assert (video.width, video.height) == (864, 496)
        assert abs(clip.duration / 1e6 - 4) < 0.1


def test_without_pyav_the_demo_clip_is_said_to_be_a_sample(world, monkeypatch):
    from seedance.sim import media

    media.make_full_clip.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "av", None)  # PyAV not installed
    result = world.run("-p", "demo", "create", "a boat", "-o", "b.mp4")
    media.make_full_clip.cache_clear()
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "simulated clip" in line]
    assert notes == [
        "a simulated clip: the simulator's 1-second sample, not the length and size asked for "
        "(nothing was billed); for clips made as asked, install the 'video' extra (PyAV and "
        "Pillow): pip install '.[video]' from a clone of the repository, or pip install "
        "'seedance[video]' in the environment it is installed in"
    ]


def test_a_real_profile_is_not_simulated():
    from seedance.domain.profiles import build_profile

    assert not build_profile("byteplus", {}).simulated
    assert build_profile("demo", {}).simulated
    loopback = {"preset": "byteplus", "base_url": "http://127.0.0.1:8787/api/v3"}
    assert build_profile("sim-byteplus", loopback).simulated
    assert not build_profile("mine", loopback).simulated
