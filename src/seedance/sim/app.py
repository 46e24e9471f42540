"""The simulator: one app serving every dialect, the asset library and an object store.

Used three ways: in process by the `demo` profile (an httpx transport), as a loopback server
by `seedance sim`, and by seedance's own end-to-end tests (which read `requests`, inject
faults and share a FakeClock with the client).

    sim = Simulator(SimConfig(queue_seconds=1, run_seconds=4), clock=FakeClock())
    client = httpx.Client(transport=sim.transport())
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from seedance.domain.clock import Clock, SystemClock
from seedance.sim import accounts, ark, assets, media, newapi, openai
from seedance.sim.limits import table
from seedance.sim.objectstore import ObjectStore, StoredObject
from seedance.sim.state import FileState, Ids, SimState, SimTask
from seedance.sim.wire import SimRequest, SimResponse, ark_error, json_response

API_ORIGIN = "https://ark.sim.invalid"
STORE_ORIGIN = "https://tos.sim.invalid"
MAX_LOG = 20_000


@dataclass
class SimConfig:
    """How the simulated services behave. Every field is also a `seedance sim` flag."""

    queue_seconds: float = 2.0
    run_seconds: float = 8.0
    asset_seconds: float = 3.0  # Processing -> Active
    url_ttl: float = 86_400.0  # result URLs expire after this (seconds)
    token: str | None = None  # accept only this Bearer token (any, when None)
    rate_429: float = 0.0  # share of API requests answered 429 (with Retry-After)
    rate_5xx: float = 0.0  # share of read requests answered 500/502/503
    retry_after: float = 1.0  # seconds, in 429 answers
    cut_download_once: bool = False  # the first full download of each result stops halfway
    slow_seconds: float = 0.0  # delay every API answer
    poll_after_ms: int | None = None  # openai-poll-after-ms hint on OpenAI-style task reads
    platform_ids: bool = False  # kapon-native: add platform_id to /volcark create answers
    video_bytes: int | None = None  # serve synthetic results of this size (benchmarks)
    generate_media: bool = True  # a clip per task with PyAV (False: the shipped sample, faster)
    full_clips: bool = False  # the task's duration and size (False: a 1-second thumbnail)
    retention_days: float = 7.0
    seed: int = 0
    # which models this account has activated (None: all); others answer 404 ModelNotOpen
    open_models: tuple[str, ...] | None = None
    endpoints: dict[str, str] = field(default_factory=dict)  # ep-… id -> the model it serves
    clock_offset: float = 0.0  # seconds the server's clock (its Date header) is ahead
    max_running: int | None = None  # tasks unfinished at once per key (sim/accounts.py)
    # False: a requested seed is ignored, each task draws its own (sources conflict on whether
    # 2.x models honour it: docs/sources/real-world.md); a knob for tests, not a flag
    honours_seed: bool = True
    # succeeded tasks carry `revised_prompt` (the SDKs declare it: real-world.md "November
    # 2026"); no source says which models rewrite prompts, so it is off unless asked
    revised_prompts: bool = False


@dataclass
class FaultRule:
    """A one-shot (or n-shot) answer for requests matching method and path."""

    method: str
    path: str  # a regular expression searched in the path
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    times: int = 1
    after_processing: bool = False  # answer the error after the request took effect


class Simulator:
    """The simulated Seedance services."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        clock: Clock | None = None,
        api_origin: str = API_ORIGIN,
        store_origin: str = STORE_ORIGIN,
        persist: FileState | None = None,
    ) -> None:
        self.config = config or SimConfig()
        self.clock = clock or SystemClock()
        self.api_origin = api_origin.rstrip("/")
        self.persist = persist
        self.state = persist.load() if persist else SimState()
        self.ids = Ids(self.config.seed + len(self.state.tasks))
        self.rng = random.Random(self.config.seed)
        self.lock = threading.RLock()
        self.requests: list[SimRequest] = []
        self.created: list[SimRequest] = []  # the creates that made a task
        self.rules: list[FaultRule] = []
        self.crowded = 0  # creates refused for concurrency (sim/accounts.py)
        self.fetched: list[str] = []  # reference URLs the services downloaded (sim/fetching.py)
        self._fail_next: list[dict[str, str]] = []
        self.store = ObjectStore(
            store_origin, self.clock, self.config.url_ttl, b"seedance-sim-secret", self._object
        )
        self.store.cut_once = self.config.cut_download_once

    # -- the Python API for tests ------------------------------------------------------------

    def transport(self) -> Any:
        """An httpx transport that answers in process."""
        from seedance.sim.transport import SimTransport

        return SimTransport(self)

    def fail_next(
        self,
        code: str = "OutputVideoSensitiveContentDetected",
        message: str = "The output video may contain sensitive content.",
    ) -> None:
        """The next task created will end `failed` with this error."""
        self._fail_next.append({"code": code, "message": message})

    def inject(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def creates(self) -> list[SimRequest]:
        """Every create the services processed (not the ones refused before processing)."""
        return list(self.created)

    def requests_to(self, origin: str) -> list[SimRequest]:
        return [r for r in self.requests if r.origin == origin]

    def expire_next_urls(self, count: int = 1) -> None:
        """The next `count` result URLs handed out are already expired."""
        self.store.expire_next(count)

    # -- handling ----------------------------------------------------------------------------

    def handle(self, request: SimRequest) -> SimResponse:
        """Answer any request: the object store by origin, the API otherwise."""
        with self.lock:
            if len(self.requests) < MAX_LOG:
                self.requests.append(request)
        if request.origin == self.store.origin:
            response = self.store.serve(request)
        else:
            response = self.handle_api(request)
        response.headers.setdefault("date", self.http_date())
        return response

    def http_date(self) -> str:
        """The `Date` header: the simulated server's clock (with its offset)."""
        return formatdate(self.clock.time() + self.config.clock_offset, usegmt=True)

    def handle_api(self, request: SimRequest) -> SimResponse:
        if self.config.slow_seconds:
            self.clock.sleep(self.config.slow_seconds)
        most = table().media.body_max_bytes
        if len(request.body) > most:  # before any parsing, as a front server would
            return ark_error(
                413,
                "RequestEntityTooLarge",
                f"the request body is {len(request.body)} bytes; at most {most}",
                "RequestEntityTooLarge",
            )
        with self.lock:
            early = self._fault(request, after=False) or self._random_fault(request)
            if early is not None:
                return early
            try:
                response = self._route(request)
            except accounts.Refused as refused:
                why = refused.refusal
                response = ark_error(why.status, why.code, why.message, "TooManyRequests")
            late = self._fault(request, after=True)
            if self.persist is not None and request.method != "GET":
                self.persist.save(self.state)
            return late or response

    def _route(self, request: SimRequest) -> SimResponse:
        path = request.path
        if request.arg("Action") is not None and path in ("/", "/volcark/", "/volcark"):
            return assets.handle(self, request, signed=not path.startswith("/volcark"))
        unauthorized = self._check_auth(request, path)
        if unauthorized is not None:
            return unauthorized
        for prefix, service in (("/api/v3", "ark"), ("/volcark/api/v3", "volcark")):
            if path.startswith(prefix + "/contents/generations/tasks"):
                return ark.handle(self, request, path[len(prefix) :], service)
            if path == prefix + "/models" and request.method == "GET":
                return ark.models(self, service)
        if path == "/v1/models" and request.method == "GET":
            return ark.models(self, "openai")
        if path.startswith("/v1/video/generations"):
            return newapi.handle(self, request, path)
        if path.startswith("/v1/videos"):
            return openai.handle(self, request, path)
        return ark_error(404, "NotFound", f"no such path: {path}", "NotFound")

    def _check_auth(self, request: SimRequest, path: str) -> SimResponse | None:
        token = request.bearer
        if token and (self.config.token is None or token == self.config.token):
            return None
        message = "the API key in the request is missing or invalid"
        if path.startswith("/v1/"):
            return json_response(
                401,
                {"error": {"message": message, "type": "new_api_error", "code": "invalid_api_key"}},
            )
        return ark_error(401, "AuthenticationError", message, "Unauthorized")

    def _fault(self, request: SimRequest, *, after: bool) -> SimResponse | None:
        for rule in self.rules:
            if (
                rule.times > 0
                and rule.after_processing == after
                and rule.method == request.method
                and re.search(rule.path, request.path)
            ):
                rule.times -= 1
                return json_response(
                    rule.status,
                    rule.body
                    or {
                        "error": {
                            "code": "InternalServiceError",
                            "message": "injected fault",
                            "param": "",
                            "type": "InternalServerError",
                        }
                    },
                )
        return None

    def _random_fault(self, request: SimRequest) -> SimResponse | None:
        if self.config.rate_429 and self.rng.random() < self.config.rate_429:
            refused = ark_error(
                429, "RateLimitExceeded.EndpointRPM", "too many requests", "TooManyRequests"
            )
            seconds = self.config.retry_after
            refused.headers["retry-after"] = str(max(int(seconds), 0))
            refused.headers["retry-after-ms"] = str(int(seconds * 1000))
            return refused
        reads = request.method in ("GET", "DELETE") or request.arg("Action") in assets.READS
        if reads and self.config.rate_5xx and self.rng.random() < self.config.rate_5xx:
            status = self.rng.choice((500, 502, 503))
            return ark_error(
                status, "InternalServiceError", "simulated server error", "InternalServerError"
            )
        return None

    # -- tasks -------------------------------------------------------------------------------

    def new_task(self, request: SimRequest, **fields: Any) -> SimTask:
        """A task entering the queue now (the caller has validated its request); raises
        accounts.Refused when its account may not start another."""
        account = accounts.admit(self, request)
        self.created.append(request)
        now = self.clock.time()
        prompt = fields.get("prompt") or ""
        outcome, error = "succeeded", None
        if self._fail_next:
            outcome, error = "failed", self._fail_next.pop(0)
        elif "#fail" in prompt:
            outcome, error = (
                "failed",
                {
                    "code": "OutputVideoSensitiveContentDetected",
                    "message": "The output video may contain sensitive content.",
                },
            )
        elif "#expire" in prompt:
            outcome, error = (
                "expired",
                {"code": "TaskExpired", "message": "The task expired before it could run."},
            )
        task = SimTask(
            created_at=now,
            queue_seconds=self.config.queue_seconds,
            run_seconds=self.config.run_seconds,
            outcome=outcome,
            error=error,
            seed=self._seed(fields.pop("seed", None)),
            account=account,
            **fields,
        )
        self.state.tasks[task.id] = task
        return task

    def _seed(self, requested: int | None) -> int:
        """The seed a new task uses: the one requested (unless seeds are ignored), else its
        own draw."""
        if requested is not None and self.config.honours_seed:
            return requested
        return self.ids.seed()

    def add_foreign_tasks(
        self, settings: list[dict[str, Any]], *, model: str, made_at: float, key: str = ""
    ) -> list[SimTask]:
        """Tasks another client made on the account of `key` (the empty key: any token's
        account is another), none through this simulator's API: one per item of `settings`
        (its Ark parameters, as sent), made at `made_at`, each with an id of its own."""
        made = []
        with self.lock:
            for params in settings:
                task_id = self.ids.task(made_at)
                while task_id in self.state.tasks:
                    task_id = self.ids.task(made_at)
                seed = params.get("seed")
                task = SimTask(
                    id=task_id,
                    service="ark",
                    flavor=None,
                    model=model,
                    prompt="someone else's video",
                    content=[{"type": "text", "text": "someone else's video"}],
                    params=dict(params),
                    created_at=made_at,
                    queue_seconds=self.config.queue_seconds,
                    run_seconds=self.config.run_seconds,
                    seed=self._seed(seed if isinstance(seed, int) and seed >= 0 else None),
                    account=accounts.account_of_key(key),
                )
                self.state.tasks[task.id] = task
                made.append(task)
        return made

    def video_url(self, task: SimTask) -> str:
        return self.store.sign(f"videos/{task.id}.{task.output_format}")

    def frame_url(self, task: SimTask) -> str:
        return self.store.sign(f"frames/{task.id}.png")

    def _object(self, key: str) -> StoredObject | None:
        """The bytes behind an object-store key: a finished task's video or last frame."""
        match = re.fullmatch(r"(videos|frames)/(.+)\.(mp4|mov|png)", key)
        if match is None:
            return None
        with self.lock:
            task = self.state.find_task(match.group(2))
            done = task is not None and task.status(self.clock.time()) == "succeeded"
        if not done or task is None:
            return None
        if match.group(1) == "videos" and self.config.video_bytes:
            return StoredObject("video/mp4", size=self.config.video_bytes, etag_seed=task.id)
        clip = media.clip_of(task, self.config.generate_media, self.config.full_clips)
        if match.group(1) == "videos":
            kind = "video/quicktime" if match.group(3) == "mov" else "video/mp4"
            return StoredObject(kind, data=clip.mp4)
        return StoredObject("image/png", data=clip.last_frame_png)

    def content(self, task: SimTask, request: SimRequest) -> SimResponse:
        """`/v1/videos/{id}/content`: the video itself, streamed by the API (Range works)."""
        obj = self._object(f"videos/{task.id}.mp4")
        if obj is None:
            return json_response(
                400,
                {
                    "error": {
                        "message": "task is not completed yet",
                        "type": "invalid_request_error",
                        "code": "task_not_completed",
                    }
                },
            )
        return self.store.respond(request, f"content/{task.id}", obj)
