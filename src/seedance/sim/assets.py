"""The asset library Action API (docs/sources/phanedge.txt §9, docs/sources/wire.md):
`POST {root}?Action=…&Version=2024-01-01`.

`/volcark/` takes the Bearer token (gateways); `/` takes a Volcengine V4 signature (official).
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from seedance.sim import fetching
from seedance.sim.limits import table
from seedance.sim.state import SimAsset, SimGroup
from seedance.sim.wire import SimRequest, SimResponse, json_response

if TYPE_CHECKING:
    from seedance.sim.app import Simulator

VERSION = "2024-01-01"
READS = frozenset({"GetAsset", "ListAssets", "ListAssetGroups", "GetAssetGroup"})
ASSET_TYPES = ("Image", "Video", "Audio")


def _answer(
    action: str,
    result: dict[str, Any] | None = None,
    *,
    status: int = 200,
    code: str | None = None,
    message: str = "",
) -> SimResponse:
    meta: dict[str, Any] = {
        "RequestId": f"sim{int(time.time() * 1000)}",
        "Action": action,
        "Version": VERSION,
        "Service": "ark",
        "Region": "ap-southeast-1",
    }
    if code is not None:
        meta["Error"] = {"Code": code, "Message": message}
        return json_response(status, {"ResponseMetadata": meta})
    return json_response(status, {"ResponseMetadata": meta, "Result": result or {}})


def _authorized(sim: Simulator, request: SimRequest, signed: bool) -> bool:
    if not signed:
        token = request.bearer
        return bool(token) and (sim.config.token is None or token == sim.config.token)
    auth = request.headers.get("authorization", "")
    body_hash = hashlib.sha256(request.body).hexdigest()
    return (
        auth.startswith("HMAC-SHA256 Credential=")
        and "SignedHeaders=" in auth
        and "Signature=" in auth
        and bool(request.headers.get("x-date"))
        and request.headers.get("x-content-sha256") == body_hash
    )


def handle(sim: Simulator, request: SimRequest, *, signed: bool) -> SimResponse:
    action = request.arg("Action") or ""
    if request.arg("Version") != VERSION:
        return _answer(
            action, status=400, code="InvalidParameter", message="Version must be 2024-01-01"
        )
    if not _authorized(sim, request, signed):
        return _answer(
            action,
            status=401,
            code="InvalidAuthorization",
            message="the request is not authenticated",
        )
    if action.startswith(("Update", "Delete")):
        return _answer(action, status=403, code="InvalidAction", message=f"{action} is not open")
    try:
        body = request.json() if request.body else {}
    except ValueError:
        return _answer(
            action, status=400, code="invalid_request", message="the body is not valid JSON"
        )
    if not isinstance(body, dict):
        return _answer(
            action, status=400, code="invalid_request", message="the body must be an object"
        )
    if (body.get("Moderation") or {}).get("Strategy") == "Skip":
        return _answer(
            action,
            status=400,
            code="moderation_skip_not_allowed",
            message="Moderation.Strategy=Skip is not allowed",
        )
    handler = ACTIONS.get(action)
    if handler is None:
        return _answer(action, status=400, code="InvalidAction", message=f"unknown action {action}")
    return handler(sim, action, body)


def _asset_json(sim: Simulator, asset: SimAsset) -> dict[str, Any]:
    status = asset.status(sim.clock.time())
    data: dict[str, Any] = {
        "Id": asset.id,
        "GroupId": asset.group_id,
        "AssetType": asset.asset_type,
        "Name": asset.name or "",
        "Status": status,
        "URL": asset.url,
        "CreateTime": _iso(asset.created_at),
        "UpdateTime": _iso(asset.created_at + asset.ready_seconds),
    }
    if status == "Failed":
        data["Error"] = {
            "Code": "AssetPreprocessFailed",
            "Message": "the source could not be downloaded or failed moderation",
        }
    return data


def _group_json(group: SimGroup) -> dict[str, Any]:
    return {
        "Id": group.id,
        "Name": group.name,
        "GroupType": "AIGC",
        "Description": group.description or "",
        "CreateTime": _iso(group.created_at),
    }


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def create_group(sim: Simulator, action: str, body: dict[str, Any]) -> SimResponse:
    name = body.get("Name")
    if not isinstance(name, str) or not name:
        return _answer(action, status=400, code="invalid_request", message="Name is required")
    group = SimGroup(
        sim.ids.group(sim.clock.time()), name, body.get("Description"), sim.clock.time()
    )
    sim.state.groups[group.id] = group
    return _answer(action, {"Id": group.id})


def create_asset(sim: Simulator, action: str, body: dict[str, Any]) -> SimResponse:
    url = body.get("URL") or body.get("Url") or body.get("url")
    group_id = body.get("GroupId")
    if group_id not in sim.state.groups:
        return _answer(
            action,
            status=404,
            code="ResourceNotFound.AssetGroup",
            message=f"asset group {group_id} not found",
        )
    if not isinstance(url, str) or not url:
        return _answer(action, status=400, code="invalid_request", message="URL is required")
    if body.get("AssetType") not in ASSET_TYPES:
        return _answer(
            action,
            status=400,
            code="invalid_request",
            message="AssetType must be Image, Video or Audio",
        )
    now = sim.clock.time()
    fails = not url.startswith(("https://", "http://")) or "fail" in url.lower()
    if not fails:  # the library downloads the medium (what it reaches: sim/fetching.py)
        limit = table().media.video_max_bytes
        fetched = fetching.fetch(sim, url, limit)
        fails = isinstance(fetched, tuple) or (fetched is not None and len(fetched) > limit)
    asset = SimAsset(
        sim.ids.asset(now),
        group_id,
        body["AssetType"],
        body.get("Name"),
        url,
        now,
        sim.config.asset_seconds,
        fails,
    )
    sim.state.assets[asset.id] = asset
    return _answer(action, {"Id": asset.id})


def get_asset(sim: Simulator, action: str, body: dict[str, Any]) -> SimResponse:
    asset = sim.state.assets.get(body.get("Id", ""))
    if asset is None:
        return _answer(
            action,
            status=404,
            code="ResourceNotFound.Asset",
            message=f"asset {body.get('Id')} not found",
        )
    return _answer(action, _asset_json(sim, asset))


def get_group(sim: Simulator, action: str, body: dict[str, Any]) -> SimResponse:
    group = sim.state.groups.get(body.get("Id", ""))
    if group is None:
        return _answer(
            action,
            status=404,
            code="ResourceNotFound.AssetGroup",
            message=f"asset group {body.get('Id')} not found",
        )
    return _answer(action, _group_json(group))


def _page(body: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    number = int(body.get("PageNumber") or 1)
    size = int(body.get("PageSize") or 20)
    start = (max(number, 1) - 1) * size
    return {
        "Items": items[start : start + size],
        "TotalCount": len(items),
        "PageNumber": number,
        "PageSize": size,
    }


def list_assets(sim: Simulator, action: str, body: dict[str, Any]) -> SimResponse:
    filters = body.get("Filter") or {}
    if filters.get("GroupType") != "AIGC":
        return _answer(
            action, status=400, code="invalid_request", message="Filter.GroupType must be AIGC"
        )
    groups, statuses, name = filters.get("GroupIds"), filters.get("Statuses"), filters.get("Name")
    items = [
        _asset_json(sim, a)
        for a in sorted(sim.state.assets.values(), key=lambda a: -a.created_at)
        if (not groups or a.group_id in groups) and (not name or name in (a.name or ""))
    ]
    if statuses:
        items = [i for i in items if i["Status"] in statuses]
    return _answer(action, _page(body, items))


def list_groups(sim: Simulator, action: str, body: dict[str, Any]) -> SimResponse:
    items = [_group_json(g) for g in sorted(sim.state.groups.values(), key=lambda g: -g.created_at)]
    return _answer(action, _page(body, items))


ACTIONS = {
    "CreateAssetGroup": create_group,
    "CreateAsset": create_asset,
    "GetAsset": get_asset,
    "GetAssetGroup": get_group,
    "ListAssets": list_assets,
    "ListAssetGroups": list_groups,
}
