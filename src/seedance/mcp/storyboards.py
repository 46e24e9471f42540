"""plan_storyboard and run_storyboard."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from seedance.mcp import policy
from seedance.mcp.calls import Call, Calls, budget, capped
from seedance.mcp.replies import Picture, Reply, error_reply
from seedance.mcp.turns import TurnClock
from seedance.mcp.videos import look_at
from seedance.services.media.references import Confinement
from seedance.services.videos.prepare import redact_body

STORYBOARDS = "mcp-storyboards"  # in the data dir: storyboards given as text


def storyboard_file(calls: Calls, given: str) -> Path:
    """A storyboard's file: the path given, or the TOML text kept in the data dir (named
    by its content, so the same text runs into the same folder and resumes there)."""
    if "\n" not in given:
        return calls.path(given, "storyboard")
    digest = hashlib.sha256(given.encode()).hexdigest()[:16]
    path = calls.data_dir / STORYBOARDS / f"storyboard-{digest}.toml"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(given, "utf-8")
        os.replace(tmp, path)
    return path


def where_media_are(calls: Calls, given: str) -> Confinement:
    """The folder a storyboard's local media must be in: a file's own folder (inside the
    output folder), or for a storyboard given as text, the output folder."""
    if "\n" in given:
        return calls.confinement()
    return calls.confinement(calls.path(given, "storyboard").parent, "the storyboard's folder")


def chain_options(calls: Calls, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "output": calls.path(args["output"]) if args.get("output") else None,
        "confine": where_media_are(calls, args["storyboard"]),
        "restart": bool(args.get("restart")),
        "rerun": args.get("rerun") or [],
        "concat": bool(args.get("concat")),
        "draft": bool(args.get("draft")),
        "finalize": bool(args.get("finalize")),
        "allow_unpriced": bool(args.get("allow_unpriced")),
        "strict": bool(args.get("strict")),
        "validate": not args.get("no_validate"),
    }


def plan_storyboard(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    path = storyboard_file(calls, args["storyboard"])
    with calls.client(call, offline=not args.get("finalize")) as client:
        session = client.storyboards.plan(
            path, max_cost=args.get("max_cost"), dry_run=True, **chain_options(calls, args)
        )
        cap, _default = policy.cap_for(client.profile, args.get("max_cost"))
    plan = session.plan.to_json()
    for shot in plan["shots"]:
        shot["request"] = redact_body(shot["request"])
    plan["directory"] = str(session.directory)
    plan["spending_cap"] = cap
    text = f"{session.plan.describe_total()}; nothing was sent"
    return Reply(plan, text)


def run_storyboard(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    from seedance.services.storyboards.session import ChainIncomplete, ChainResult

    path = storyboard_file(calls, args["storyboard"])
    turn = TurnClock(calls.settings.clock, budget(args.get("timeout")), call.stop)
    with calls.client(call, clock=turn) as opened:
        client = capped(opened, call, args)
        session = client.storyboards.plan(path, **chain_options(calls, args))

        def event(shot_id: str, state: str, detail: str) -> None:
            call.progress(f"{shot_id}: {state} {detail}".rstrip())

        incomplete: ChainIncomplete | None = None
        try:
            result: ChainResult = session.run(
                concurrency=args.get("concurrency") or 2,
                concat=bool(args.get("concat")),
                on_event=event,
                stop=call.stop,
            )
        except ChainIncomplete as exc:
            incomplete, result = exc, exc.result
    document = result.to_json()
    pictures: list[Picture] = []
    for shot_id, outcome in result.outcomes.items():
        clip = result.manifest.record(shot_id).clip
        if clip and outcome.state == "done":
            pictures += look_at(result.directory / clip, sheet=False)[0]
    if incomplete is not None and turn.over and not call.cancelled:
        done = len(result.outcomes) - len(result.attention)
        step = {"tool": "run_storyboard", "arguments": args}
        document["next"] = step
        text = (
            f"{done}/{len(result.outcomes)} shots done; the rest keep running on the server: "
            "call run_storyboard again with the same arguments to go on"
        )
        return Reply(document, text, pictures)
    if incomplete is not None:
        reply = error_reply(incomplete, "run_storyboard", args)
        reply.pictures = pictures
        return reply
    return Reply(document, f"every shot is done, in {result.directory}", pictures)
