"""Which function does each tool's work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seedance.mcp import lookups, storyboards, videos
from seedance.mcp.calls import Call, Calls
from seedance.mcp.replies import Reply

Handler = Callable[[Calls, Call, dict[str, Any]], Reply]

HANDLERS: dict[str, Handler] = {
    "create_video": videos.create_video,
    "edit_video": videos.edit_video,
    "extend_video": videos.extend_video,
    "get_task": lookups.get_task,
    "wait_for_tasks": videos.wait_for_tasks,
    "download_video": videos.download_video,
    "cancel_task": lookups.cancel_task,
    "list_tasks": lookups.list_tasks,
    "plan_storyboard": storyboards.plan_storyboard,
    "run_storyboard": storyboards.run_storyboard,
    "list_models": lookups.list_models,
    "spend": lookups.spend,
    "doctor": lookups.doctor,
}
