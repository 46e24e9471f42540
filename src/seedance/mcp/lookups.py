"""get_task, cancel_task, list_tasks, list_models, spend and doctor."""

from __future__ import annotations

from typing import Any

from seedance.domain.errors import NotFoundError, SeedanceError
from seedance.mcp.calls import Call, Calls
from seedance.mcp.replies import Reply, entry_json, error_reply, next_step, task_json


def get_task(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    task_id = args["task_id"]
    with calls.client(call) as client:
        entry = client.videos.record(task_id)
        try:
            task = client.videos.get(task_id)
        except NotFoundError:
            if entry is None:
                raise
            text = f"the server no longer knows task {task_id}; the local journal has it"
            return Reply({"journal": entry_json(entry)}, text)
    document: dict[str, Any] = {"task": task_json(task)}
    if entry is not None and (entry.saved_path or entry.output_path):
        document["output"] = entry.saved_path or entry.output_path
    state = task.status.value
    if task.progress is not None and not task.status.is_terminal:
        state += f" ({task.progress}%)"
    return Reply(document, f"task {task_id} is {state}")


def cancel_task(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    results: list[dict[str, Any]] = []
    failed = False
    with calls.client(call) as client:
        for task_id in dict.fromkeys(args["task_ids"]):
            try:
                outcome = client.videos.cancel(task_id, force=bool(args.get("force")))
            except SeedanceError as exc:
                failed = True
                reply = error_reply(exc, "cancel_task", {**args, "task_ids": [task_id]})
                results.append({"id": task_id, **reply.document, "text": reply.text})
                continue
            results.append({"id": task_id, "result": outcome})
    text = "; ".join(f"{r['id']}: {r.get('result') or r['text']}" for r in results)
    return Reply({"results": results}, text, error=failed)


def list_tasks(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    status, model, limit = args.get("status"), args.get("model"), args.get("limit")
    if args.get("unsaved") or args.get("local"):
        with calls.client(call, offline=True) as client:
            mine = calls.settings.profile or calls.settings.environ.get("SEEDANCE_PROFILE")
            entries = client.videos.history(
                profile=mine,
                unsaved=bool(args.get("unsaved")),
                status=status or None,
                model=model,
                limit=limit or 50,
            )
        listed = [entry_json(e) for e in entries]
        return Reply({"entries": listed}, f"{len(listed)} creates in the local journal")
    page, size = args.get("page") or 1, args.get("page_size") or 20
    with calls.client(call) as client:
        found = client.videos.list(
            status=status, model=model, page=page, page_size=min(limit, 500) if limit else size
        )
    items = found.items[:limit] if limit else found.items
    document = {"items": [task_json(t) for t in items], "total": found.total}
    return Reply(document, f"{len(items)} tasks" + (f" of {found.total}" if found.total else ""))


def list_models(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    from seedance.domain.catalogue import catalogue
    from seedance.services.account.catalogue_rows import model_rows

    if args.get("remote"):
        with calls.client(call) as client:
            listing = client.account.models().to_json()
        return Reply(listing, f"the live model list of profile '{listing['profile']}'")
    cat = catalogue()
    vocabularies = list(cat.vocabularies) if args.get("all") else [calls.profile().vocabulary]
    rows = model_rows(cat, vocabularies)
    return Reply({"models": rows}, f"{len(rows)} models")


def spend(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:
    mine = calls.settings.profile or calls.settings.environ.get("SEEDANCE_PROFILE")
    with calls.client(call, offline=True) as client:
        report = client.account.spend(
            by=args.get("by") or "day", since=args.get("since"), profile=mine
        )
    document = report.to_json()
    return Reply(document, f"spend by {report.by}, from this machine's journal")


def doctor(calls: Calls, call: Call, args: dict[str, Any]) -> Reply:

    with calls.client(call, offline=True) as client:
        report = client.account.doctor(
            probe_models=bool(args.get("probe_models")), config_file=calls.store.path
        )
    from seedance.wording.hints import words

    document = report.to_json()
    for check, found in zip(report.checks, document["checks"], strict=True):
        found["hint"] = words(check.reasons)
        if check.suggestion is not None:
            found["suggestion"] = next_step(check.suggestion, "doctor", args)
    failed = [c.name for c in report.checks if c.status == "fail"]
    text = f"profile '{report.profile}' is ready" if report.ok else "failed: " + ", ".join(failed)
    return Reply(document, text, error=not report.ok)
