"""OpenAI-style `/v1/videos`, in its two gateway shapes (kapon: docs/sources/kapon.txt,
ope.ai: docs/sources/opeai.txt), and `/v1/videos/{id}/content` (also the new-api download)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seedance.sim import rules
from seedance.sim.limits import table
from seedance.sim.state import SimTask
from seedance.sim.wire import SimRequest, SimResponse, json_response, openai_error

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

KAPON_STATUS = {
    "queued": "queued",
    "running": "in_progress",
    "succeeded": "completed",
    "failed": "failed",
    "expired": "failed",
    "cancelled": "failed",
}
OPEAI_STATUS = {
    "queued": "QUEUED",
    "running": "IN_PROGRESS",
    "succeeded": "SUCCESS",
    "failed": "FAILURE",
    "expired": "FAILURE",
    "cancelled": "FAILURE",
}


def handle(sim: Simulator, request: SimRequest, path: str) -> SimResponse:
    parts = path.strip("/").split("/")  # v1, videos, [id], [content]
    if len(parts) == 2 and request.method == "POST":
        return create(sim, request)
    if len(parts) == 3 and request.method == "GET":
        return get(sim, parts[2])
    if len(parts) == 4 and parts[3] == "content" and request.method == "GET":
        task = sim.state.find_task(parts[2])
        if task is None or task.service not in ("openai", "newapi"):
            return openai_error(404, "not_found", f"video {parts[2]} not found")
        return sim.content(task, request)
    return openai_error(404, "not_found", f"no such path: {path}")


def _kapon_shape(body: dict[str, Any]) -> bool:
    return not isinstance(body.get("input_reference"), dict) and not isinstance(
        body.get("seconds"), str
    )


def create(sim: Simulator, request: SimRequest) -> SimResponse:
    try:
        body = request.json()
    except ValueError:
        return openai_error(400, "invalid_request", "the request body is not valid JSON")
    if not isinstance(body, dict):
        return openai_error(400, "invalid_request", "the request body must be a JSON object")
    kapon = _kapon_shape(body)
    content, params, problem = (_from_kapon if kapon else _from_opeai)(body)
    if problem:
        return openai_error(400, "invalid_request", problem)
    prompt = body.get("prompt")
    if isinstance(prompt, str) and prompt:
        content.insert(0, {"type": "text", "text": prompt})
    limits = rules.model_limits(sim, "openai", body.get("model"))
    refusal = (
        limits
        if isinstance(limits, rules.Refusal)
        else rules.admit(sim, limits, body["model"], content, params, assets_only=kapon)
    )
    if refusal is not None:
        return openai_error(refusal.status, refusal.code, refusal.message)
    now = sim.clock.time()
    task = sim.new_task(
        request,
        id=sim.ids.ulid() if kapon else sim.ids.task(now),
        service="openai",
        flavor="kapon" if kapon else "opeai",
        model=body["model"],
        prompt=prompt,
        content=content,
        params=params,
    )
    width, height = task.size()
    if kapon:
        answer = {
            "id": task.id,
            "object": "video",
            "status": "queued",
            "model": task.model,
            "seconds": task.duration,
            "size": f"{width}x{height}",
        }
    else:
        answer = {
            "id": task.id,
            "task_id": task.id,
            "object": "video",
            "model": task.model,
            "status": "queued",
            "created_at": int(now),
        }
    return json_response(200, answer)


def _size_params(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    size = body.get("size")
    params: dict[str, Any] = {}
    if size is not None:
        parsed = table().parse_size(str(size))
        if parsed is None:
            return params, f"size {size} is not supported"
        params["resolution"], params["ratio"] = parsed
    for key in ("resolution", "ratio"):
        if body.get(key) is not None:
            params[key] = body[key]
    return params, None


def _from_kapon(body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any], str | None]:
    params, problem = _size_params(body)
    duration = body.get("duration", body.get("seconds"))
    if duration is not None:
        try:
            params["duration"] = int(duration)
        except (TypeError, ValueError):
            return [], {}, "duration must be a number of seconds"
    for key in ("generate_audio", "watermark"):
        if body.get(key) is not None:
            params[key] = body[key]
    refs = body.get("references") or {}
    if not isinstance(refs, dict) or not isinstance(body.get("input_reference", []), list):
        return [], {}, "input_reference must be a list and references an object"
    content: list[dict[str, Any]] = []
    for url in body.get("input_reference") or []:
        content.append({"type": "image_url", "image_url": {"url": url}, "role": "reference_image"})
    for url in refs.get("video") or []:
        content.append({"type": "video_url", "video_url": {"url": url}, "role": "reference_video"})
    for url in refs.get("audio") or []:
        content.append({"type": "audio_url", "audio_url": {"url": url}, "role": "reference_audio"})
    return content, params, problem


def _from_opeai(body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any], str | None]:
    if body.get("size") is not None and body.get("resolution") is not None:
        return [], {}, "pass size or resolution + ratio, not both"
    params, problem = _size_params(body)
    seconds = body.get("seconds")
    if seconds is not None:
        if not isinstance(seconds, str) or not seconds.isdigit():
            return [], {}, 'seconds must be a string of digits, e.g. "5"'
        params["duration"] = int(seconds)
    for key in ("generate_audio", "seed"):
        if body.get(key) is not None:
            params[key] = body[key]
    reference = body.get("input_reference") or {}
    items = reference.get("content") if isinstance(reference, dict) else None
    content = [dict(i) for i in items or [] if isinstance(i, dict)]
    return content, params, problem


def get(sim: Simulator, task_id: str) -> SimResponse:
    task = sim.state.find_task(task_id)
    if task is None or task.service != "openai":
        return openai_error(404, "not_found", f"video {task_id} not found")
    headers = (
        {"openai-poll-after-ms": str(sim.config.poll_after_ms)}
        if sim.config.poll_after_ms
        else None
    )
    return json_response(200, task_json(sim, task), headers)


def task_json(sim: Simulator, task: SimTask) -> dict[str, Any]:
    now = sim.clock.time()
    status = task.status(now)
    width, height = task.size()
    if task.flavor == "kapon":
        data: dict[str, Any] = {
            "id": task.id,
            "object": "video",
            "model": task.model,
            "status": KAPON_STATUS[status],
            "progress": task.progress(now),
            "created_at": int(task.created_at),
            "seconds": task.duration,
            "size": f"{width}x{height}",
        }
        if status in ("failed", "expired") and task.error:
            data["error"] = {"code": task.error["code"], "message": task.error["message"]}
        return data
    data = {
        "created_at": int(task.created_at),
        "id": task.id,
        "model": task.model,
        "object": "video",
        "prompt": task.prompt,
        "size": f"{width}x{height}",
        "status": OPEAI_STATUS[status],
    }
    if status in ("failed", "expired") and task.error:
        data["error"] = {"code": task.error["code"], "message": task.error["message"]}
    return data
