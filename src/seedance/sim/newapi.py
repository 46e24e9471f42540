"""The new-api gateway shape (docs/sources/easyrouter.txt, docs/sources/wire.md):
`/v1/video/generations` with `metadata`, answers wrapped in `{code, message, data}`,
upper-case statuses and "NN%" progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedance.sim import ark, rules
from seedance.sim.wire import SimRequest, SimResponse, json_response

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

STATUS = {
    "queued": "QUEUED",
    "running": "IN_PROGRESS",
    "succeeded": "SUCCESS",
    "failed": "FAILURE",
    "expired": "IN_PROGRESS",
    "cancelled": "IN_PROGRESS",
}
# docs/sources/wire.md: upstream cancelled/expired stay IN_PROGRESS until a 24 h sweep marks them
# FAILURE


def _error(status: int, message: str, code: str = "invalid_request") -> SimResponse:
    return json_response(
        status, {"error": {"message": message, "type": "new_api_error", "code": code}}
    )


def handle(sim: Simulator, request: SimRequest, path: str) -> SimResponse:
    rest = path[len("/v1/video/generations") :].strip("/")
    if not rest and request.method == "POST":
        return create(sim, request)
    if rest and "/" not in rest and request.method == "GET":
        return get(sim, rest)
    return _error(404, f"no such path: {path}", "not_found")


def create(sim: Simulator, request: SimRequest) -> SimResponse:
    try:
        body = request.json()
    except ValueError:
        return _error(400, "invalid request body")
    if not isinstance(body, dict):
        return _error(400, "invalid request body")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _error(400, "prompt is required")
    seconds = body.get("seconds")
    if seconds is not None and not isinstance(seconds, str):
        return _error(
            400,
            "json: cannot unmarshal number into Go struct field "
            "VideoRequest.seconds of type string",
        )
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        return _error(400, "metadata must be an object")
    params = rules.clean({k: metadata.get(k) for k in ark.PARAMS})
    if seconds:
        try:
            params["duration"] = int(seconds)
        except ValueError:
            return _error(400, f"invalid seconds {seconds!r}")
    items = metadata.get("content")
    if isinstance(items, list):  # metadata.content replaces the images; text items dropped
        content = [dict(i) for i in items if isinstance(i, dict) and i.get("type") != "text"]
    else:
        images = [body["image"]] if body.get("image") else list(body.get("images") or [])
        role = "first_frame" if len(images) == 1 else "reference_image"
        content = [{"type": "image_url", "image_url": {"url": u}, "role": role} for u in images]
    content.insert(0, {"type": "text", "text": prompt})
    limits = rules.model_limits(sim, "newapi", body.get("model"))
    refusal = (
        limits
        if isinstance(limits, rules.Refusal)
        else rules.admit(sim, limits, body["model"], content, params, assets_only=False)
    )
    if refusal is not None:
        return _error(refusal.status, refusal.message, refusal.code)
    now = sim.clock.time()
    task = sim.new_task(
        request,
        id=sim.ids.newapi(),
        service="newapi",
        flavor=None,
        model=body["model"],
        prompt=prompt,
        content=content,
        params=params,
        upstream_id=sim.ids.task(now),
    )
    return json_response(
        200,
        {
            "id": task.id,
            "task_id": task.id,
            "object": "video",
            "model": task.model,
            "status": "queued",
            "progress": 0,
            "created_at": int(now),
        },
    )


def get(sim: Simulator, task_id: str) -> SimResponse:
    task = sim.state.find_task(task_id)
    if task is None or task.service != "newapi":
        return json_response(
            400, {"code": "task_not_exist", "message": "task_not_exist", "data": None}
        )
    now = sim.clock.time()
    status = task.status(now)
    upstream = ark.task_json(sim, task)
    upstream["id"] = task.upstream_id
    upstream["model"] = f"{task.model}-260128" if not task.model.endswith("260128") else task.model
    tokens = task.tokens() if status == "succeeded" else 0
    data = {
        "id": list(sim.state.tasks).index(task.id) + 1,
        "task_id": task.id,
        "platform": "45",
        "user_id": 1,
        "group": "default",
        "channel_id": 12,
        "quota": tokens * 7 if status == "succeeded" else 0,
        "action": "generate",
        "status": "SUBMITTED"
        if status == "queued" and now - task.created_at < 1
        else STATUS[status],
        "fail_reason": task.error["message"] if status == "failed" and task.error else "",
        "result_url": upstream.get("content", {}).get("video_url", ""),
        "submit_time": int(task.created_at),
        "start_time": int(task.created_at + task.queue_seconds) if status != "queued" else 0,
        "finish_time": int(task.finished_at()) if status in ("succeeded", "failed") else 0,
        "created_at": int(task.created_at),
        "updated_at": int(task.updated_at(now)),
        "progress": f"{task.progress(now)}%",
        "properties": {
            "input": "",
            "upstream_model_name": upstream["model"],
            "origin_model_name": task.model,
        },
        "data": upstream,
    }
    return json_response(200, {"code": "success", "message": "", "data": data})
