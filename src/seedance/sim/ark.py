"""The Ark native task API, at /api/v3 (official) and /volcark/api/v3 (gateways)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seedance.sim import rules
from seedance.sim.state import SimTask
from seedance.sim.wire import SimRequest, SimResponse, ark_error, json_response

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

TASKS = "/contents/generations/tasks"
PARAMS = (
    "callback_url",
    "return_last_frame",
    "service_tier",
    "execution_expires_after",
    "priority",
    "generate_audio",
    "draft",
    "camera_fixed",
    "watermark",
    "seed",
    "resolution",
    "ratio",
    "duration",
    "frames",
    "safety_identifier",
)


def handle(sim: Simulator, request: SimRequest, path: str, service: str) -> SimResponse:
    rest = path[len(TASKS) :].strip("/")
    if not rest:
        if request.method == "POST":
            return create(sim, request, service)
        if request.method == "GET":
            return list_tasks(sim, request, service)
    elif "/" not in rest:
        if request.method == "GET":
            return get(sim, rest, service)
        if request.method == "DELETE":
            return delete(sim, rest, service)
    return ark_error(
        405, "MethodNotAllowed", f"{request.method} is not allowed here", "MethodNotAllowed"
    )


def _not_found(task_id: str, service: str) -> SimResponse:
    code = "task_not_found" if service == "volcark" else "ResourceNotFound"
    return ark_error(404, code, f"The specified task {task_id} is not found.", "NotFound")


def create(sim: Simulator, request: SimRequest, service: str) -> SimResponse:
    try:
        body = request.json()
    except ValueError:
        return ark_error(400, "invalid_request", "the request body is not valid JSON")
    if not isinstance(body, dict):
        return ark_error(400, "invalid_request", "the request body must be a JSON object")
    if "callback_url" not in body and "CallbackURL" in body:  # docs/sources/phanedge.txt: the alias
        body["callback_url"] = body.pop("CallbackURL")
    params = rules.clean({k: body.get(k) for k in PARAMS})
    content = body.get("content")
    if not isinstance(content, list):
        content = []
    refusal = rules.admit(
        sim, body.get("model"), content, params, service=service, assets_only=service == "volcark"
    )
    if refusal is not None:
        return ark_error(refusal.status, refusal.code, refusal.message)
    text = next((c.get("text") for c in content if c.get("type") == "text"), None)
    task = sim.new_task(
        request,
        id=sim.ids.task(sim.clock.time()),
        service=service,
        flavor=None,
        model=body["model"],
        prompt=text,
        content=content,
        params=params,
        seed=params.get("seed")
        if isinstance(params.get("seed"), int) and params["seed"] >= 0
        else None,
        platform_id=sim.ids.ulid() if service == "volcark" and sim.config.platform_ids else None,
    )
    answer: dict[str, Any] = {"id": task.id}
    if task.platform_id:
        answer["platform_id"] = task.platform_id
    return json_response(200, answer)


def task_json(sim: Simulator, task: SimTask) -> dict[str, Any]:
    """A task as the Ark API shows it, by state, in GET answers and list items alike.

    Only what a real answer is known to carry: a succeeded task the whole documented body
    (docs/sources/ark.txt "返回（成功时）", docs/sources/phanedge.txt §6); a queued or running one
    its id, model, status and times alone, and an ended unsuccessful one those with its error
    and the request's settings but no seed, resolution, ratio or duration (both as recorded
    from the live API: docs/sources/real-world.md). So a client that leans on a field the real
    API leaves out fails here too.
    """
    now = sim.clock.time()
    status = task.status(now)
    data: dict[str, Any] = {
        "id": task.id,
        "model": task.model,
        "status": status,
        "created_at": int(task.created_at),
        "updated_at": int(task.updated_at(now)),
    }
    if task.platform_id:
        data["platform_id"] = task.platform_id
    if status in ("queued", "running"):
        return data
    settings = {
        "service_tier": task.params.get("service_tier", "default"),
        "execution_expires_after": task.params.get("execution_expires_after", 172800),
        "generate_audio": bool(task.params.get("generate_audio", True)),
        "draft": bool(task.params.get("draft", False)),
    }
    if status != "succeeded":
        error = dict(task.error) if task.error and status in ("failed", "expired") else None
        return {**data, "error": error, **settings, "priority": task.params.get("priority", 0)}
    tokens = task.tokens()
    content = {"video_url": sim.video_url(task)}
    if task.wants_last_frame():
        content["last_frame_url"] = sim.frame_url(task)
    data.update(
        {
            "error": None,
            "content": content,
            "usage": {"completion_tokens": tokens, "total_tokens": tokens},
            "seed": task.seed,
            "resolution": task.resolution,
            "ratio": task.ratio,
            "duration": task.duration,
            "framespersecond": 24,
            **settings,
        }
    )
    for key in ("safety_identifier", "priority"):
        if key in task.params:
            data[key] = task.params[key]
    return data


def _owned(sim: Simulator, task_id: str, service: str) -> SimTask | None:
    task = sim.state.find_task(task_id)
    return task if task is not None and task.service == service else None


def get(sim: Simulator, task_id: str, service: str) -> SimResponse:
    task = _owned(sim, task_id, service)
    if task is None:
        return _not_found(task_id, service)
    return json_response(200, task_json(sim, task))


def list_tasks(sim: Simulator, request: SimRequest, service: str) -> SimResponse:
    query = request.query
    try:
        page_num = int(query.get("page_num", ["1"])[0])
        page_size = int(query.get("page_size", ["10"])[0])
    except ValueError:
        return ark_error(400, "InvalidParameter", "page_num and page_size must be integers")
    if not (1 <= page_num <= 500 and 1 <= page_size <= 500):
        return ark_error(400, "InvalidParameter", "page_num and page_size must be within [1, 500]")
    wanted_ids = {i for value in query.get("filter.task_ids", []) for i in value.split(",") if i}
    status = next(iter(query.get("filter.status", [])), None)
    model = next(iter(query.get("filter.model", [])), None)
    tier = next(iter(query.get("filter.service_tier", [])), None)
    now = sim.clock.time()
    horizon = now - sim.config.retention_days * 86400
    tasks = [
        t
        for t in sim.state.tasks.values()
        if t.service == service
        and not t.deleted
        and t.created_at >= horizon
        and (not wanted_ids or t.id in wanted_ids)
        and (status is None or t.status(now) == status)
        and (model is None or t.model == model)
        and (tier is None or t.params.get("service_tier", "default") == tier)
    ]
    tasks.sort(key=lambda t: t.created_at, reverse=True)
    start = (page_num - 1) * page_size
    items = [task_json(sim, t) for t in tasks[start : start + page_size]]
    return json_response(200, {"items": items, "total": len(tasks)})


def delete(sim: Simulator, task_id: str, service: str) -> SimResponse:
    task = _owned(sim, task_id, service)
    if task is None:
        return _not_found(task_id, service)
    status = task.status(sim.clock.time())
    if status == "queued":
        task.cancelled_at = sim.clock.time()
    elif status == "running":
        return ark_error(
            409,
            "InvalidAction.RunningTaskDeletion",
            "Cannot delete task because it is currently running.",
            "Conflict",
        )
    else:
        task.deleted = True
    return json_response(200, {})
