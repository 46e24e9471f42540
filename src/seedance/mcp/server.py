"""The MCP server over stdio, on the official SDK's low-level `Server` (which sends our own
input schemas unchanged; it neither validates arguments nor turns an exception into an error
result, so both happen here). The only module that imports the SDK; `seedance mcp` imports it.

stdout is the protocol: nothing else is written there (logs go to stderr). Each call's work
runs in a worker thread (the library is synchronous); its progress comes back as MCP progress
notifications, and a cancelled call, or a server going away, stops its waits at once (the
tasks keep running on the server; the journal has them).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import logging
import re
import signal
import sys
import threading
import time
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from jsonschema import Draft202012Validator
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.types import (
    CallToolRequestParams,
    CallToolResult,
    ContentBlock,
    ImageContent,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
    ToolAnnotations,
)

from seedance import __version__
from seedance.domain.errors import UsageError
from seedance.domain.redact import redact_urls
from seedance.mcp import policy
from seedance.mcp.calls import Call, Calls, Settings
from seedance.mcp.replies import Reply, error_reply
from seedance.mcp.tools import BY_NAME, DEFAULT_WAIT, TOOLS, ToolSpec

log = logging.getLogger("seedance.mcp")

INSTRUCTIONS = (
    "seedance makes videos with ByteDance Seedance and keeps every paid task safe. Each call "
    f"returns within its timeout (default {DEFAULT_WAIT:g} s): a task still running keeps "
    "running, and wait_for_tasks with its id goes on and saves the video. Repeat a "
    "create_video with the same request_id to get its task or video back; never create again "
    "to retry. Errors say what to call next. Money: {cap}"
)


def definition(spec: ToolSpec, cap: str) -> Tool:
    return Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description.replace("{cap}", cap),
        input_schema=spec.input_schema(),
        annotations=ToolAnnotations(
            title=spec.title,
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            idempotent_hint=spec.idempotent,
            open_world_hint=spec.open_world,
        ),
    )


def result(reply: Reply) -> CallToolResult:
    content: list[ContentBlock] = [TextContent(type="text", text=reply.worded())]
    for picture in reply.pictures:
        content.append(TextContent(type="text", text=picture.caption))
        data = base64.b64encode(picture.jpeg).decode("ascii")
        content.append(ImageContent(type="image", data=data, mime_type="image/jpeg"))
    return CallToolResult(content=content, structured_content=reply.document, is_error=reply.error)


def invalid(spec: ToolSpec, arguments: dict[str, Any], problems: list[Any]) -> Reply:
    """Arguments the tool's schema refuses: every problem, and the first one's parameter."""
    first = problems[0]
    field = str(first.absolute_path[0]) if first.absolute_path else None
    if first.validator == "additionalProperties":
        field = next(iter(sorted(set(arguments) - set(spec.input_schema()["properties"]))), None)
    elif first.validator == "required":
        named = re.match(r"'([^']+)'", first.message)
        field = named.group(1) if named else None
    words = "; ".join(
        f"{'/'.join(map(str, p.absolute_path)) or 'arguments'}: {p.message}" for p in problems
    )
    error = UsageError(f"invalid arguments for {spec.name}: {words}", field=field)
    return error_reply(error, spec.name, arguments)


class SeedanceServer:
    """The tools of one profile, served to one client."""

    def __init__(self, settings: Settings) -> None:
        self.calls = Calls(settings)
        self.cap = policy.describe(self.calls.profile())
        self.tools = [definition(spec, self.cap) for spec in TOOLS]
        self.validators = {s.name: Draft202012Validator(s.input_schema()) for s in TOOLS}
        self.running: set[Call] = set()
        self._lock = threading.Lock()
        self.server = Server(
            "seedance",
            version=__version__,
            instructions=INSTRUCTIONS.replace("{cap}", self.cap),
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
        )

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return ListToolsResult(tools=self.tools)

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        name, arguments = params.name, dict(params.arguments or {})
        spec = BY_NAME.get(name)
        if spec is None:
            error = UsageError(f"no tool is called {name!r}", allowed=list(BY_NAME))
            return result(error_reply(error, name, arguments).safe())
        problems = list(self.validators[name].iter_errors(arguments))
        if problems:
            return result(invalid(spec, arguments, problems).safe())
        call = Call(progress=self._reporter(ctx))
        with self._lock:
            self.running.add(call)
        started = time.monotonic()
        try:
            reply = await anyio.to_thread.run_sync(
                self.calls.run, name, call, arguments, abandon_on_cancel=True
            )
        except anyio.get_cancelled_exc_class():
            call.cancel()  # its thread stops at its next wait; the tasks keep running
            log.info("%s cancelled", name)
            raise
        finally:
            with self._lock:
                self.running.discard(call)
        log.info(
            "%s: %s (%.1f s)", name, "error" if reply.error else "ok", time.monotonic() - started
        )
        return result(reply)

    def _reporter(self, ctx: ServerRequestContext[Any]) -> Any:
        """Progress messages from a worker thread, as notifications (nothing when the client
        asked for none, or once the call is over)."""
        counter = itertools.count(1)

        def report(message: str) -> None:
            # the call or the connection may be gone: the work goes on without a word
            with contextlib.suppress(Exception):
                anyio.from_thread.run(
                    ctx.session.report_progress, float(next(counter)), None, message
                )

        return report

    def stop_all(self) -> None:
        """The server is going away: every call's waits end (their tasks keep running)."""
        with self._lock:
            for call in self.running:
                call.cancel()

    async def serve(self) -> None:
        try:
            async with stdio_server() as (read_stream, write_stream):
                options = self.server.create_initialization_options()
                await self.server.run(read_stream, write_stream, options)
        finally:
            self.stop_all()


class Redacting(logging.Formatter):
    """Log lines (tracebacks included) without URL queries: the host keeps them."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_urls(super().format(record))


def serve(settings: Settings) -> None:
    """Serve the tools on stdin/stdout until the client goes away."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Redacting("seedance mcp: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    server = SeedanceServer(settings)
    log.info("serving %d tools on stdio (profile %s)", len(TOOLS), server.calls.profile().name)
    # A host stops its server with SIGTERM (Ctrl-C in a terminal): the process ends at once,
    # as a kill would. Nothing is lost: creates are journaled before they are sent, downloads
    # go to .part files, and the OS drops the locks. (Waiting instead would wait for the
    # thread reading stdin, which only the client can end.)
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
    try:
        anyio.run(server.serve)
    except* (BrokenPipeError, ConnectionResetError):
        pass  # the client went away
