"""The reference media a simulated service fetches, and what it finds wrong with them.

Like the live services, the simulator downloads a reference it is given as a URL, and refuses
one it cannot download or that is out of its bounds (`[media]` of its own table). It reaches
only loopback hosts (a local bucket, a test's server) and its own object store; any other URL
it takes as it is. Inline audio (`data:audio/...;base64`) is measured where it stands.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from seedance.domain.hosts import is_loopback
from seedance.sim.limits import MediaRules, table
from seedance.sim.wire import SimRequest

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

MediumRefusal = tuple[str, str]  # (code, message)


def loopback(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname)


def shown(url: str) -> str:
    """A URL fit for an answer: no query (a presigned URL's signature)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def fetch(sim: Simulator, url: str, limit: int) -> bytes | MediumRefusal | None:
    """The bytes at `url` (at most `limit` + 1), a refusal when they cannot be had, or None
    for a URL the simulator does not reach (taken as it is)."""
    rules = table().media
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" == sim.store.origin:
        answer = sim.store.serve(SimRequest("GET", url, {}))
        body = answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)
        if answer.status != 200:
            return _unreachable(url, str(answer.status))
        return body[: limit + 1]
    if parts.scheme not in ("http", "https") or not loopback(url):
        return None
    import httpx

    sim.fetched.append(url)
    try:
        with (
            httpx.Client(trust_env=False, timeout=rules.fetch_seconds) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                return _unreachable(url, str(response.status_code))
            data = bytearray()
            for piece in response.iter_bytes():
                data += piece
                if len(data) > limit:
                    break
            return bytes(data)
    except httpx.HTTPError as exc:
        return _unreachable(url, type(exc).__name__)


def _unreachable(url: str, why: str) -> MediumRefusal:
    return ("InvalidParameter", f"the media at {shown(url)} could not be downloaded ({why})")


def check(sim: Simulator, kind: str, url: str) -> MediumRefusal | None:
    """Why the service refuses this reference medium (fetched where it can be), or None."""
    rules = table().media
    if kind == "audio_url" and url.startswith("data:"):
        text = url.split(",", 1)[1] if "," in url else ""
        if len(text) > rules.audio_max_bytes:
            return (
                "InvalidParameter",
                f"the inline audio is {len(text)} bytes; at most {rules.audio_max_bytes}",
            )
        try:
            base64.b64decode(text, validate=True)
        except ValueError:
            return ("InvalidParameter", "the inline audio is not valid base64")
        return None
    if kind not in ("video_url", "audio_url") or url.startswith("data:"):
        return None
    limit = rules.video_max_bytes if kind == "video_url" else rules.audio_max_bytes
    found = fetch(sim, url, limit)
    if found is None or isinstance(found, tuple):
        return found
    if len(found) > limit:
        return ("InvalidParameter", f"the media at {shown(url)} is over {limit} bytes")
    if kind == "video_url" and own_result(sim, url):
        return None  # a video the service made itself (an extension of its own output)
    return _video(found, rules, url) if kind == "video_url" else None


def own_result(sim: Simulator, url: str) -> bool:
    """Whether `url` is the result video of one of the simulator's own tasks: the service
    takes what it made (its thumbnails stand for videos in its bounds)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] in sim.state.tasks


def _video(data: bytes, rules: MediaRules, url: str) -> MediumRefusal | None:
    """A fetched reference video within the bounds, as far as PyAV can tell (without PyAV,
    its size alone was checked)."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(data)) as container:
            stream: Any = container.streams.video[0]
            codec = stream.codec_context.codec.canonical_name
            width, height = stream.codec_context.width, stream.codec_context.height
            rate = stream.average_rate or stream.guessed_rate
    except Exception:  # anything PyAV cannot read is not a video
        return ("InvalidParameter", f"the media at {shown(url)} is not a video")
    where = shown(url)
    if codec not in rules.video_codecs:
        return (
            "InvalidParameter",
            f"the reference video {where} is {codec}; "
            f"codecs taken: {', '.join(rules.video_codecs)}",
        )
    low, high = rules.video_pixels
    if not low <= width * height <= high:
        return (
            "InvalidParameter",
            f"the reference video {where} is {width}x{height}; its pixels must be {low}-{high}",
        )
    fps = float(rate) if rate else 0.0
    if not rules.video_fps[0] <= fps <= rules.video_fps[1]:
        return (
            "InvalidParameter",
            f"the reference video {where} is {fps:g} fps; "
            f"it must be {rules.video_fps[0]:g}-{rules.video_fps[1]:g}",
        )
    return None
