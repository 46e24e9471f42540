"""The line that says a video was saved, and for a simulator's profile what kind of clip it is.

A simulator's clip (the `demo` profile's, a `sim-*` profile's) is labelled simulated: nothing
was billed for it. Without PyAV the simulator serves one fixed sample clip (1 s, 512x304)
whatever was asked, which the note says too, with the extra that makes clips of the length and
size asked for.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seedance.cli.environment import Environment
    from seedance.domain.models import DownloadResult
    from seedance.domain.profiles import Profile


def say_saved(env: Environment, profile: Profile, video: DownloadResult) -> None:
    """`saved boat.mp4 (30,200 bytes, sha256 …)`, and a note on a simulated clip."""
    env.output.result(f"saved {video.path} ({video.bytes:,} bytes, sha256 {video.sha256[:12]}…)")
    note = simulated_note(profile, video.sha256)
    if note:
        env.output.info(note)


def simulated_note(profile: Profile, sha256: str) -> str | None:
    """What a simulator's clip is; None for a real profile's."""
    if not profile.simulated:
        return None
    if sha256 == _sample_sha256():
        from seedance.domain.extras import install_hint

        return (
            "a simulated clip: the simulator's 1-second sample, not the length and size asked "
            f"for (nothing was billed); for clips made as asked, {install_hint('video')}"
        )
    return "a simulated clip (the simulator's): nothing was billed"


@lru_cache(maxsize=1)
def _sample_sha256() -> str:
    import hashlib
    from importlib import resources

    data = resources.files("seedance.sim.data").joinpath("sample.mp4").read_bytes()
    return hashlib.sha256(data).hexdigest()
