"""The MCP server's tools: names, words and parameters, with no SDK in sight.

Each tool takes the parameters of one command (`seedance.domain.params`, the definitions the
command line builds its options from), less the few that make no sense to an agent, plus a
few of its own: `DIFFERENCES` lists every one, with its reason, and a test compares each
tool's input schema with its command's options, so neither side gains a parameter alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from seedance.domain import params
from seedance.domain.params import Param

DEFAULT_WAIT = 45.0  # seconds a call waits at most: hosts cut tool calls at about 60 s

RUN_TIMEOUT = params.Param(
    "timeout",
    float,
    "Work on the storyboard for at most SECONDS, then say where it stands; calling again "
    "with the same arguments goes on (nothing is paid twice).",
    metavar="SECONDS",
)


@dataclass(frozen=True)
class Difference:
    """A parameter only one side has: the tool (`side="mcp"`) or its command (`"cli"`)."""

    tool: str
    name: str
    side: Literal["cli", "mcp"]
    reason: str
    param: Param | None = None  # the definition of a tool's own parameter


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "create_video",
        "request_id",
        "mcp",
        "agents retry calls: a repeated request_id returns what the first call made",
        params.REQUEST_ID,
    ),
    Difference(
        "create_video",
        "prompt_file",
        "cli",
        "stdin is the protocol here, and an agent passes the prompt's text itself",
    ),
    Difference("create_video", "new", "cli", "a new request_id makes a new video"),
    *(
        d
        for tool in ("edit_video", "extend_video")
        for d in (
            Difference(
                tool,
                "request_id",
                "mcp",
                "agents retry calls: a repeated request_id returns what the first call made",
                params.REQUEST_ID,
            ),
            Difference(tool, "prompt_file", "cli", "an agent passes the prompt's text itself"),
            Difference(tool, "new", "cli", "a new request_id makes a new video"),
        )
    ),
    Difference("create_video", "sheet", "cli", "a saved video's poster and sheet always come back"),
    Difference("download_video", "sheet", "cli", "the poster and sheet always come back"),
    Difference("plan_storyboard", "dry_run", "cli", "planning is the dry run"),
    Difference("plan_storyboard", "concurrency", "cli", "a plan runs nothing"),
    Difference("run_storyboard", "dry_run", "cli", "plan_storyboard is the dry run"),
    Difference(
        "plan_storyboard",
        "allow_outside",
        "cli",
        "an agent's files stay in the server's output folder",
    ),
    Difference(
        "run_storyboard",
        "allow_outside",
        "cli",
        "an agent's files stay in the server's output folder",
    ),
    Difference(
        "run_storyboard",
        "timeout",
        "mcp",
        "a storyboard takes longer than a host lets a call last: it runs in turns",
        RUN_TIMEOUT,
    ),
)

# Descriptions that say more to an agent than the command line's help ("*": every tool).
WORDS: dict[tuple[str, str], str] = {
    ("*", "timeout"): f"Wait at most SECONDS (default {DEFAULT_WAIT:g}: hosts cut a call at "
    "about 60 s). A task still running then comes back with its state; it keeps running, and "
    "wait_for_tasks goes on waiting for it.",
    ("create_video", "output"): "Save the video here (implies wait) [default: the server's "
    "output folder, named after the request_id]. Paths are in the server's output folder "
    "(relative ones start there); the result gives the absolute path.",
    ("create_video", "dry_run"): "Return the request body and its estimate; send nothing.",
    ("wait_for_tasks", "output"): "Save each finished video: a file (one task) or a directory "
    "[default: where its create_video said, else the server's output folder].",
    ("download_video", "output"): "Where to save the video [default: the server's output "
    "folder, as TASK_ID.mp4].",
    ("download_video", "last_frame"): 'Also save the last frame here ("" for NAME.last.png '
    "beside the video).",
    ("plan_storyboard", "storyboard"): "The storyboard: a .toml file's path in the server's "
    "output folder, or the TOML text itself (anything with a line break); in text, give media "
    "as URLs or absolute paths in the output folder.",
    ("run_storyboard", "storyboard"): "The storyboard: a .toml file's path, or the TOML text "
    "itself (anything with a line break), exactly as planned.",
}


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, words, and the command whose parameters it takes."""

    name: str
    title: str
    command: str  # the command path ("tasks list")
    declared: tuple[Param, ...]  # that command's parameters
    description: str
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = True  # it talks to the provider

    @property
    def params(self) -> tuple[Param, ...]:
        """The command's parameters less those it keeps to itself, plus the tool's own."""
        dropped = {d.name for d in DIFFERENCES if d.tool == self.name and d.side == "cli"}
        own = [d.param for d in DIFFERENCES if d.tool == self.name and d.param is not None]
        return tuple(p for p in self.declared if p.name not in dropped) + tuple(own)

    def input_schema(self) -> dict[str, Any]:
        properties = {p.name: self._schema(p) for p in self.params}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        required = [p.name for p in self.params if p.required]
        if required:
            schema["required"] = required
        return schema

    def _schema(self, param: Param) -> dict[str, Any]:
        words = WORDS.get((self.name, param.name)) or WORDS.get(("*", param.name))
        return {**param.json_schema(), "description": words or plain(param.help)}


def plain(text: str) -> str:
    """Help words with `{name}` placeholders as the plain names agents pass."""
    return re.sub(r"\{([a-z_]+)\}", r"\1", text)


WAITS = (
    f"Every wait returns within its timeout (default {DEFAULT_WAIT:g} s); a task still running "
    "keeps running on the server, and wait_for_tasks with its id goes on."
)

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "create_video",
        "Make a video",
        "create",
        params.CREATE,
        "Make a video with Seedance from a prompt and reference media (URLs, asset://IDs, or "
        "local paths in the server's output folder). Every check runs first; nothing is sent "
        "that the model would refuse. "
        "Without wait (or output) it returns once the task exists: its id, state and "
        "estimate. With wait it also waits and saves the video, returning its path, a poster "
        f"and a contact sheet to look at. {WAITS} Retrying: repeat the call with the "
        "request_id a result gave, and you get that task or video back instead of paying "
        "again; a new video needs a new request_id. Money: {cap}",
    ),
    ToolSpec(
        "edit_video",
        "Edit a video",
        "edit",
        params.EDIT,
        "Make a new video from an existing one, changed as the prompt says (Seedance 2.5's "
        "task type edit: the new video keeps the source's length and shape). The video is a "
        "local path, a URL, an asset://ID, or the id of a task whose video was saved here. "
        "Checked before anything is paid (a model that takes task types, ratio adaptive, "
        f"duration -1, a source of at least 4 s); then as create_video. {WAITS} Money: {{cap}}",
    ),
    ToolSpec(
        "extend_video",
        "Extend a video",
        "extend",
        params.EXTEND,
        "Make a new video continuing an existing one (Seedance 2.5's task type extend: the "
        "new part only, in the source's shape; duration is its length). The video is a local "
        "path, a URL, an asset://ID, or the id of a task whose video was saved here. Checked "
        f"before anything is paid; then as create_video. {WAITS} Money: {{cap}}",
    ),
    ToolSpec(
        "get_task",
        "Look at a task",
        "status",
        params.STATUS,
        "One task as it stands: status, progress, model, error, and where its video was saved "
        "(the server's result URLs are left out: download_video saves the video).",
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        "wait_for_tasks",
        "Wait for tasks and save their videos",
        "wait",
        params.WAIT_TASKS,
        "Wait for tasks, with progress, and save each finished video (where its create_video "
        "said, or output), returning its path, a poster and a contact sheet. "
        f"{WAITS} A failed task comes back as an error with its reason.",
        idempotent=True,
    ),
    ToolSpec(
        "download_video",
        "Save a finished task's video",
        "download",
        params.DOWNLOAD,
        "Save a finished task's video (and its last frame), verified, returning its path, a "
        "poster and a contact sheet. A task still running comes back with its state (call "
        "wait_for_tasks).",
        idempotent=True,
    ),
    ToolSpec(
        "cancel_task",
        "Cancel tasks",
        "cancel",
        params.CANCEL,
        "Cancel queued tasks; delete finished ones (a finished video never saved is kept "
        "unless force: deleting it loses a paid video).",
        destructive=True,
    ),
    ToolSpec(
        "list_tasks",
        "List tasks",
        "tasks list",
        params.TASKS_LIST,
        "Tasks on the server (Ark APIs), or with local the creates this machine's journal "
        "recorded (with unsaved: finished videos never saved).",
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        "plan_storyboard",
        "Plan a storyboard",
        "chain",
        params.CHAIN,
        "Plan a multi-shot storyboard without sending anything: every shot's continuity, "
        "action (run, poll, skip), request body and estimate, and the total cost.",
        read_only=True,
        idempotent=True,
        open_world=False,
    ),
    ToolSpec(
        "run_storyboard",
        "Run a storyboard",
        "chain",
        params.CHAIN,
        "Make a storyboard's shots, each starting from the previous shot's last frame, into "
        "its folder with chain.json. It runs in turns of at most timeout seconds (default "
        f"{DEFAULT_WAIT:g}); call it again with the same arguments until it is done: shots "
        "already made or submitted are never paid again. Returns each shot's state and "
        "posters. Money: {cap}",
    ),
    ToolSpec(
        "list_models",
        "List models",
        "models",
        params.MODELS,
        "The models this profile's provider offers: resolutions, durations, reference "
        "limits, audio, and prices per million tokens.",
        read_only=True,
        idempotent=True,
        open_world=False,
    ),
    ToolSpec(
        "spend",
        "What was spent",
        "spend",
        params.SPEND,
        "Estimated and billed spend from this machine's journal, per day, model, profile, "
        "storyboard or batch.",
        read_only=True,
        idempotent=True,
        open_world=False,
    ),
    ToolSpec(
        "doctor",
        "Check the set-up",
        "doctor",
        params.DOCTOR,
        "Why the first real run will or will not work: profile, key, network, clock, models; "
        "spends nothing.",
        read_only=True,
        idempotent=True,
    ),
)

BY_NAME = {tool.name: tool for tool in TOOLS}
