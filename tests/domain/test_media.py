"""What a downloaded video must look like before it is kept (domain/media.py video_problem)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest

from seedance.domain.media import VIDEO_HEAD, video_problem
from seedance.sim.media import shipped_clip
from seedance.sim.objectstore import StoredObject, synthetic_bytes


def head_of(data: bytes) -> bytes:
    return data[:VIDEO_HEAD]


def first_bytes(pieces: Iterator[bytes]) -> bytes:
    """The first VIDEO_HEAD bytes of a stream (without reading the rest)."""
    head = b""
    for piece in pieces:
        head += piece
        if len(head) >= VIDEO_HEAD:
            break
    return head[:VIDEO_HEAD]


def test_the_simulators_videos_and_the_benchs_bytes_are_videos():
    clip = shipped_clip().mp4
    assert video_problem(head_of(clip), len(clip)) is None
    for size in (40, 4096, 512 * 2**20, 5 * 2**32):  # 5 GiB: the 64-bit box size
        head = first_bytes(synthetic_bytes(size))  # what the bench compares with
        stored = b"".join(StoredObject("video/mp4", size=size).stream(0, min(size, VIDEO_HEAD)))
        assert head == stored and video_problem(head, size) is None, size


def test_a_quicktime_file_may_start_with_free_space():
    wide = struct.pack(">I4s", 8, b"wide") + struct.pack(">I4s", 16, b"mdat") + bytes(8)
    assert video_problem(wide, len(wide)) is None


@pytest.mark.parametrize(
    ("data", "size", "why"),
    [
        (b"", 0, "it is empty"),
        (b"\n <!DOCTYPE html><html>blocked</html>", 37, "it is an HTML or XML page"),
        (b'{"error": "denied"}', 19, "it is JSON"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07rest", 12, "it does not start as an MP4 file does"),
        (struct.pack(">I4s", 24, b"ftyp") + b"isom", 12, "its first box at byte 0 does not fit"),
        (struct.pack(">I4s", 4, b"ftyp") + b"isom", 12, "its first box at byte 0 does not fit"),
        (struct.pack(">I4sI4s", 8, b"ftyp", 9, b"mdat"), 16, "its mdat box at byte 8 does not fit"),
        (b"abc", 3, "too short to be a video"),
    ],
)
def test_what_is_not_a_video_is_named(data, size, why):
    problem = video_problem(data, size)
    assert problem is not None and why in problem, problem
