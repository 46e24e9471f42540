"""The simulator's state: tasks, assets and groups, whose status follows from the clock.

Plain dataclasses, so the in-process `demo` profile can keep its state in a JSON file between
commands (a task created by one `seedance` run is still there for the next).
"""

from __future__ import annotations

import json
import os
import random
import string
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seedance.sim.limits import table


@dataclass
class SimTask:
    id: str
    service: str  # ark | volcark | openai | newapi: which API it was created through
    flavor: str | None  # openai: kapon | opeai
    model: str
    prompt: str | None
    content: list[dict[str, Any]]  # the Ark content items, whatever shape they arrived in
    params: dict[str, Any]
    created_at: float
    queue_seconds: float
    run_seconds: float
    outcome: str = "succeeded"  # succeeded | failed | expired
    error: dict[str, str] | None = None
    seed: int = 0
    cancelled_at: float | None = None
    deleted: bool = False
    platform_id: str | None = None
    upstream_id: str | None = None  # newapi: the upstream cgt- id
    draft_task_id: str | None = None  # a final: the draft it was made from
    target: str | None = None  # the model an endpoint id served (for its limits)
    account: str | None = None  # a digest of the key it was created with (sim/accounts.py)

    def status(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if now < self.created_at + self.queue_seconds:
            return "queued"
        if now < self.created_at + self.queue_seconds + self.run_seconds:
            return "running"
        return self.outcome

    def progress(self, now: float) -> int:
        state = self.status(now)
        if state == "queued":
            return 0
        if state == "running":
            ran = now - self.created_at - self.queue_seconds
            return max(1, min(99, int(ran / max(self.run_seconds, 0.001) * 100)))
        return 100

    def finished_at(self) -> float:
        if self.cancelled_at is not None:
            return self.cancelled_at
        return self.created_at + self.queue_seconds + self.run_seconds

    def updated_at(self, now: float) -> float:
        state = self.status(now)
        if state == "queued":
            return self.created_at
        if state == "running":
            return self.created_at + self.queue_seconds
        return self.finished_at()

    @property
    def duration(self) -> int:
        value = self.params.get("duration")
        return value if isinstance(value, int) and value > 0 else 5

    @property
    def resolution(self) -> str:
        if self.params.get("draft"):
            return "480p"  # a draft is always 480p (docs/sources/real-world.md)
        return self.params.get("resolution") or "720p"

    @property
    def ratio(self) -> str:
        return self.params.get("ratio") or "16:9"

    @property
    def output_format(self) -> str:
        return str(self.params.get("output_format") or "mp4")

    def size(self) -> tuple[int, int]:
        limits = table().limits(self.service, self.target or self.model)
        return table().size(self.resolution, self.ratio, limits)

    def tokens(self) -> int:
        width, height = self.size()
        return width * height * (24 * self.duration + 1) // 1024

    def wants_last_frame(self) -> bool:
        return bool(self.params.get("return_last_frame"))


@dataclass
class SimAsset:
    id: str
    group_id: str
    asset_type: str
    name: str | None
    url: str
    created_at: float
    ready_seconds: float
    fails: bool = False

    def status(self, now: float) -> str:
        if now < self.created_at + self.ready_seconds:
            return "Processing"
        return "Failed" if self.fails else "Active"


@dataclass
class SimGroup:
    id: str
    name: str
    description: str | None
    created_at: float


@dataclass
class SimState:
    tasks: dict[str, SimTask] = field(default_factory=dict)
    assets: dict[str, SimAsset] = field(default_factory=dict)
    groups: dict[str, SimGroup] = field(default_factory=dict)
    counter: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SimState:
        data = json.loads(text)
        return cls(
            tasks={k: SimTask(**v) for k, v in data.get("tasks", {}).items()},
            assets={k: SimAsset(**v) for k, v in data.get("assets", {}).items()},
            groups={k: SimGroup(**v) for k, v in data.get("groups", {}).items()},
            counter=data.get("counter", 0),
        )

    def find_task(self, task_id: str) -> SimTask | None:
        task = self.tasks.get(task_id)
        if task is None:
            task = next(
                (t for t in self.tasks.values() if task_id in (t.platform_id, t.upstream_id)), None
            )
        return None if task is None or task.deleted else task


class FileState:
    """The state in a JSON file (the demo profile), written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> SimState:
        try:
            return SimState.from_json(self.path.read_text("utf-8"))
        except (OSError, ValueError, TypeError):
            return SimState()

    def save(self, state: SimState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(state.to_json(), "utf-8")
        os.replace(tmp, self.path)


class Ids:
    """Ids shaped like the real ones, from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def _suffix(self, n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(n))

    @staticmethod
    def _stamp(now: float) -> str:
        return time.strftime("%Y%m%d%H%M%S", time.gmtime(now))

    def task(self, now: float) -> str:
        return f"cgt-{self._stamp(now)}-{self._suffix(5)}"

    def newapi(self) -> str:
        return "task_" + self._suffix(32, string.ascii_letters + string.digits)

    def ulid(self) -> str:
        return "video_01" + self._suffix(24, "0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    def asset(self, now: float) -> str:
        return f"asset-{self._stamp(now)}-{self._suffix(5)}"

    def group(self, now: float) -> str:
        return f"group-{self._stamp(now)}-{self._suffix(5)}"

    def seed(self) -> int:
        return self._rng.randrange(0, 2**31)

    def request_id(self) -> str:
        return "021" + self._suffix(29, string.digits + "abcdef")
