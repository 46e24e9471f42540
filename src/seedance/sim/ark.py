"""The Ark native task API, at /api/v3 (official) and /volcark/api/v3 (gateways)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seedance.sim import rules
from seedance.sim.limits import Limits, table
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
    "output_format",
    "omni_reference_task_type",
)
# What a final made from a draft may set; the rest is the draft's (live-research.md §7).
FINAL_PARAMS = frozenset(
    {
        "resolution",
        "watermark",
        "service_tier",
        "return_last_frame",
        "callback_url",
        "execution_expires_after",
        "safety_identifier",
        "output_format",
        "priority",
    }
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
    limits = rules.model_limits(sim, service, body.get("model"))
    if isinstance(limits, rules.Refusal):
        return refused(limits)
    if "content" not in body:  # the free probe: a body with only `model` creates nothing
        return refused(rules.missing_content(sim))
    content = body.get("content")
    if not isinstance(content, list):
        content = []
    target = sim.config.endpoints.get(body["model"]) if service == "ark" else None
    drafts = [c for c in content if isinstance(c, dict) and c.get("type") == "draft_task"]
    if drafts:
        final = _final(sim, service, body, limits, content, params, target)
        if isinstance(final, SimResponse):
            return final
        fields = final
    else:
        refusal = rules.admit(
            sim, limits, body["model"], content, params, assets_only=service == "volcark"
        )
        if refusal is not None:
            return refused(refusal)
        text = next((c.get("text") for c in content if c.get("type") == "text"), None)
        fields = {"prompt": text, "content": content, "params": params}
    return _made(sim, request, service, body["model"], target=target, **fields)


def refused(refusal: rules.Refusal) -> SimResponse:
    return ark_error(refusal.status, refusal.code, refusal.message, refusal.type, refusal.param)


def _made(
    sim: Simulator, request: SimRequest, service: str, model: str, **fields: Any
) -> SimResponse:
    params = fields["params"]
    task = sim.new_task(
        request,
        id=sim.ids.task(sim.clock.time()),
        service=service,
        flavor=None,
        model=model,
        seed=params.get("seed")
        if isinstance(params.get("seed"), int) and params["seed"] >= 0
        else None,
        platform_id=sim.ids.ulid() if service == "volcark" and sim.config.platform_ids else None,
        **fields,
    )
    answer: dict[str, Any] = {"id": task.id}
    if task.platform_id:
        answer["platform_id"] = task.platform_id
    return json_response(200, answer)


def _final(
    sim: Simulator,
    service: str,
    body: dict[str, Any],
    limits: Limits,
    content: list[dict[str, Any]],
    params: dict[str, Any],
    target: str | None,
) -> dict[str, Any] | SimResponse:
    """The task a final makes from its draft, or the refusal: `content` is the one
    draft_task item; the final reuses the draft's prompt, media and settings and may set its
    resolution and delivery (live-research.md §7; real-world.md "Request rules")."""
    item = content[0] if len(content) == 1 else None
    draft_id = ((item or {}).get("draft_task") or {}).get("id")
    if not isinstance(draft_id, str) or not draft_id:
        return ark_error(
            400, "InvalidParameter", "draft_task content must be the only item, with an id"
        )
    draft = _owned(sim, draft_id, service)
    now = sim.clock.time()
    if draft is None:
        return ark_error(
            404,
            "ResourceNotFound",
            f"The specified draft task {draft_id} is not found.",
            "NotFound",
        )
    problem = None
    if not draft.params.get("draft"):
        problem = f"task {draft_id} is not a draft"
    elif draft.status(now) != "succeeded":
        problem = f"draft task {draft_id} has not succeeded"
    elif now - draft.created_at > rules.DRAFT_DAYS * 86400:
        problem = f"draft task {draft_id} has expired: drafts are kept {rules.DRAFT_DAYS} days"
    elif (target or body["model"]) != (draft.target or draft.model):
        problem = f"the final must use the draft's model {draft.model}"
    else:
        kept = sorted(set(params) - FINAL_PARAMS)
        if kept:
            problem = f"parameter {kept[0]} is the draft's and cannot be set on its final"
    if problem is not None:
        return ark_error(400, "InvalidParameter", problem)
    resolution = params.get("resolution") or limits.final_resolutions[0]
    if resolution not in limits.final_resolutions:
        return refused(rules.invalid_resolution())
    settings = {k: v for k, v in draft.params.items() if k not in ("draft", "resolution")}
    return {
        "prompt": draft.prompt,
        "content": draft.content,
        "params": {**settings, **params, "resolution": resolution},
        "draft_task_id": draft.id,
    }


def models(sim: Simulator, service: str) -> SimResponse:
    """`GET {base}/models`: the catalogue with each model's status (live-research.md §5: the
    exact envelope is not recorded; generic clients read `{"data": [{"id": …}]}`)."""
    entries = table().services.get(service)
    data: list[dict[str, Any]] = []
    if entries is not None:
        open_models = sim.config.open_models
        for name in entries.models:
            status = "Active" if open_models is None or name in open_models else "NotActivated"
            data.append(
                {"id": name, "object": "model", "task_type": "VideoGeneration", "status": status}
            )
        data += [
            {"id": name, "object": "model", "task_type": "VideoGeneration", "status": "Shutdown"}
            for name in entries.shutdown
        ]
    return json_response(200, {"object": "list", "data": data})


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
    if task.draft_task_id:  # a final names its draft once it ends (docs/sources/ark.txt)
        settings["draft_task_id"] = task.draft_task_id
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
    for key in ("safety_identifier", "priority", "output_format"):
        if key in task.params:
            data[key] = task.params[key]
    if sim.config.revised_prompts and task.prompt:
        data["revised_prompt"] = f"{task.prompt.strip()}, cinematic lighting, steady camera"
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
