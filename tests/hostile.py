"""A hostile server: the simulator, with a text planted in every text field of its answers.

`Hostile(sim, planted)` wraps a `Simulator`'s answers (in process or behind `SimServer`): every
JSON answer of the API and the asset library gets `planted` appended to each of its strings
(error codes and messages, a task's error, its raw fields, list items, asset names...), under a
key of its own at the top level, and as a header (`x-request-id`); the few fields a run needs
to go on (ids, statuses, URLs) are left as they are. A test plants the secrets the process
knows and terminal escapes, and asserts that none of them reaches any output, file or reply.
"""

from __future__ import annotations

import json
from typing import Any

from seedance.sim.app import Simulator
from seedance.sim.wire import SimRequest, SimResponse

# what a run needs to go on: the task and asset ids, statuses, where results are, and the few
# fields whose values the client matches (the dialect's status word, the content type)
KEPT = frozenset(
    {
        "id",
        "Id",
        "task_id",
        "GroupId",
        "status",
        "Status",
        "video_url",
        "last_frame_url",
        "URL",
        "Url",
        "url",
        "type",
        "AssetType",
        "role",
    }
)

# colours, a screen clear, an OSC window title and clipboard write, an 8-bit CSI, a carriage
# return that overwrites the line, a right-to-left override, and a line of its own
ESCAPES = (
    "\x1b[31mred\x1b[0m \x1b[2J\x1b]0;owned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x9b2J"
    "\rover\u202eevil\nerror: forged line"
)
# what no output may show after the planted text was cleaned
CONTROL_BYTES = ("\x1b", "\x07", "\x9b", "\r", "\u202e", "\\u001b", "\\u009b", "\\u202e")


def plant(value: Any, text: str, key: str | None = None) -> Any:
    """`value` with `text` appended to every string it holds (but under KEPT keys)."""
    if isinstance(value, dict):
        return {k: plant(v, text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [plant(item, text, key) for item in value]
    if isinstance(value, str) and key not in KEPT:
        return f"{value} {text}"
    return value


class Hostile:
    """Plants `planted` in the simulator's answers while `on` (on from the start)."""

    def __init__(self, sim: Simulator, planted: str) -> None:
        self.sim = sim
        self.planted = planted
        self.on = True
        self._answer = sim.handle
        sim.handle = self.handle  # type: ignore[method-assign]

    def handle(self, request: SimRequest) -> SimResponse:
        answer = self._answer(request)
        if not self.on or request.origin == self.sim.store.origin:
            return answer
        if "json" not in answer.headers.get("content-type", "") or not isinstance(
            answer.body, bytes
        ):
            return answer
        document = plant(json.loads(answer.body), self.planted)
        if isinstance(document, dict):
            document[f"echo {self.planted}"] = {"said": [self.planted]}
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        headers = {**answer.headers, "x-request-id": self.planted.split("\x1b")[0].strip()}
        headers.pop("content-length", None)
        return SimResponse(answer.status, headers, body)
