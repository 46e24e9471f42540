"""A finished download is a video before it is published: a result host that answers 200 with
something else (an empty body, a proxy's or a CDN's HTML page, a JSON error) never has it
journaled, named or verified as the paid video, which a re-run would then keep for good."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from seedance.domain.errors import BadResponseError, Suggestion
from seedance.domain.media import VIDEO_HEAD, video_problem
from seedance.services.videos.downloads import part_paths

NOT_A_VIDEO = "not_a_video"


def check_video(dest: Path, url: str) -> None:
    """Refuse the download waiting in `dest`'s `.part` (fetched from `url`) unless it looks
    like an MP4 or MOV video: the `.part` is removed, so the next try fetches it afresh, and
    nothing takes the name `dest`."""
    part, sidecar = part_paths(dest)
    size = part.stat().st_size
    with open(part, "rb") as fh:
        head = fh.read(VIDEO_HEAD)
    problem = video_problem(head, size)
    if problem is None:
        return
    part.unlink(missing_ok=True)
    sidecar.unlink(missing_ok=True)
    host = urlsplit(url).hostname or "the result host"
    raise BadResponseError(
        f"the download from {host} is not a video ({problem}); nothing was saved",
        code=NOT_A_VIDEO,
        reason="download_not_a_video",
        suggestion=Suggestion.again(),
    )
