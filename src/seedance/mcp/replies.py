"""What goes back to the agent: a JSON document, a line of words, pictures to look at.

Never a secret: a task's result URLs lose their query (a pre-signed URL's signature is a
credential) and its raw provider answer is left out; every string of every reply passes
`redact_urls` on its way out. Errors carry their facts (code, message, field, allowed) and
their next steps as tool calls ("call wait_for_tasks with task_ids=[...]"), never as
command lines.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from seedance.domain.errors import SeedanceError, Suggestion
from seedance.domain.models import Task
from seedance.domain.redact import redact_url, redact_urls, redact_urls_in
from seedance.services.state import Entry


@dataclass
class Picture:
    """A still to show the agent: what it is, and its JPEG bytes."""

    caption: str
    jpeg: bytes


@dataclass
class Reply:
    """One tool call's answer."""

    document: dict[str, Any]
    text: str
    pictures: list[Picture] = field(default_factory=list)
    error: bool = False

    def safe(self) -> Reply:
        """The reply with every URL's query and user info hidden."""
        return Reply(
            redact_urls_in(self.document), redact_urls(self.text), self.pictures, self.error
        )

    def worded(self) -> str:
        """The words and the document, for clients that read only text."""
        return f"{self.text}\n{json.dumps(self.document, ensure_ascii=False, indent=1)}"


def task_json(task: Task) -> dict[str, Any]:
    """A task for an agent: the raw provider answer left out, result URLs without their
    query (download_video saves the video)."""
    data = task.to_json()
    data.pop("raw", None)
    for key in ("video_url", "last_frame_url"):
        if data.get(key):
            data[key] = redact_url(data[key])
    return data


def entry_json(entry: Entry) -> dict[str, Any]:
    """A journal row: what was sent (inline media already reduced to their hashes)."""
    data = asdict(entry)
    data["request"] = entry.body
    return data


# -- next steps as tool calls ----------------------------------------------------------------

# operation -> (tool, the name its positional arguments go under, whether it takes a list)
TOOL_OF: dict[str, tuple[str, str | None, bool]] = {
    "create": ("create_video", "prompt", False),
    "status": ("get_task", "task_id", False),
    "wait": ("wait_for_tasks", "task_ids", True),
    "download": ("download_video", "task_id", False),
    "cancel": ("cancel_task", "task_ids", True),
    "tasks.list": ("list_tasks", None, False),
    "chain": ("run_storyboard", "storyboard", False),
    "models": ("list_models", None, False),
    "spend": ("spend", None, False),
    "doctor": ("doctor", None, False),
}


def next_step(
    suggestion: Suggestion, tool: str, arguments: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A suggestion as a tool call (`again` is the call just made, with its arguments), or
    as an operation for the user when no tool does it."""
    if suggestion.is_again:
        args = dict(arguments or {})
        options = dict(suggestion.options)
        if options.pop("new", False):  # a new video: a new request id
            args.pop("request_id", None)
            return {"tool": tool, "arguments": {**args, **options}, "new_request_id": True}
        return {"tool": tool, "arguments": {**args, **options}}
    known = TOOL_OF.get(suggestion.action)
    if known is None:
        return {
            "operation": suggestion.action,
            "args": list(suggestion.args),
            "options": dict(suggestion.options),
        }
    name, positional, many = known
    args = dict(suggestion.options)
    if positional is not None and suggestion.args:
        args[positional] = list(suggestion.args) if many else suggestion.args[0]
    return {"tool": name, "arguments": args}


def step_words(step: dict[str, Any]) -> str:
    """`call wait_for_tasks with task_ids=["cgt-1"]`."""
    if "tool" not in step:
        return (
            f"the user can do this outside the MCP server (seedance's {step['operation']} "
            f"operation{' on ' + ', '.join(step['args']) if step['args'] else ''})"
        )
    shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in step["arguments"].items())
    words = f"call {step['tool']}" + (f" with {shown}" if shown else "")
    if step.get("new_request_id"):
        words += " and a new request_id (a new video, paid again)"
    return words


def error_reply(
    exc: SeedanceError, tool: str, arguments: dict[str, Any], note: str | None = None
) -> Reply:
    """An error as facts, with its next steps as tool calls."""
    steps = [next_step(s, tool, arguments) for s in exc.suggestions]
    from seedance.wording.hints import explain

    said = explain(exc)
    error: dict[str, Any] = {"code": exc.code, "message": said}
    if exc.field is not None:
        error["field"] = exc.field
    if exc.allowed is not None:
        error["allowed"] = list(exc.allowed)
    if steps:
        error["suggestions"] = steps
    rule = getattr(exc, "rule", None)
    text = said + (f" ({note})" if note else "")
    if rule is not None:
        error["rule"] = rule.to_json()
        source = f", source {rule.source}" if rule.source else ""
        text += (
            f" (the catalogue's rule {rule.name}{source}; if the service has changed, the same "
            "call with no_validate=true sends it anyway and the server decides)"
        )
    if steps:
        text += "; next: " + "; or ".join(step_words(s) for s in steps)
    elif exc.field is not None:
        text += f" (argument: {exc.field})"
    return Reply({"error": error, **exc.details}, text, error=True)
