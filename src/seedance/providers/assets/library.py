"""The asset library's Action API (docs/sources/phanedge.txt §9, docs/sources/wire.md "Asset
library").

    POST {assets_url}?Action=<Name>&Version=2024-01-01     JSON body
    → {"ResponseMetadata": {RequestId, Action, …, "Error"?: {Code, Message}}, "Result": {…}}

The same protocol serves the official endpoints (signed, see `signing.py`) and the gateways
(the API key as a Bearer token, which route by a `model` field in the body). Only the six
read and create actions exist here: gateways refuse Update*/Delete* and moderation skipping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from seedance.domain.clock import Clock
from seedance.domain.errors import (
    APIError,
    BadResponseError,
    ConfigError,
    Suggestion,
    ValidationError,
    api_error_class,
)
from seedance.domain.models import Asset, AssetGroup, AssetStatus, Page
from seedance.domain.profiles import Profile
from seedance.providers.arkwire import ACCOUNT_ADVICE
from seedance.providers.assets.signing import CredentialsByPath, SignerV4
from seedance.providers.base import (
    Advice,
    advised,
    as_dict,
    as_int,
    as_str,
    describe_non_json,
    make_api_error,
)
from seedance.providers.http import HttpClient, Retry, origin_of

VERSION = "2024-01-01"
GROUP_TYPE = "AIGC"
ASSET_TYPES = ("Image", "Video", "Audio")
READS = frozenset({"GetAsset", "ListAssets", "GetAssetGroup", "ListAssetGroups"})
CREATES = frozenset({"CreateAsset", "CreateAssetGroup"})

# What the asset library answers (docs/sources/phanedge.txt "错误码"), and what to do about it.
ASSET_ADVICE: dict[str, Advice] = {
    **ACCOUNT_ADVICE,
    "ResourceNotFound.Asset": Advice(
        "asset_other_account",
        Suggestion.of("assets.list"),
    ),
    "ResourceNotFound.AssetGroup": Advice(
        "asset_group_other_account",
        Suggestion.of("assets.groups"),
        "group",
    ),
    "moderation_skip_not_allowed": Advice("moderation_skip_refused"),
    "InvalidAction": Advice("gateway_action_closed"),
}
_MAY_EXIST = "asset_may_exist"
WRONG_SERVER = Advice(
    "wrong_assets_server",
    Suggestion.of("profiles.show"),
    "assets_url",
)

# What an error code inside a 200 answer means, by its prefix.
_STATUS_OF_CODE: tuple[tuple[str, int], ...] = (
    ("ResourceNotFound", 404),
    ("InvalidAction", 403),
    ("AccessDenied", 403),
    ("Forbidden", 403),
    ("SignatureDoesNotMatch", 401),
    ("InvalidAccessKey", 401),
    ("InvalidCredential", 401),
    ("MissingAuthenticationToken", 401),
    ("Unauthorized", 401),
    ("RequestLimitExceeded", 429),
    ("Throttling", 429),
    ("InternalError", 500),
    ("ServiceUnavailable", 503),
)


class AssetLibrary:
    """`CreateAssetGroup`, `CreateAsset`, `GetAsset`, `ListAssets`, `GetAssetGroup`,
    `ListAssetGroups` against one asset library."""

    def __init__(self, http: HttpClient, assets_url: str, *, model: str | None = None) -> None:
        self.http = http
        self.assets_url = assets_url
        self.model = model  # gateways route asset requests by model; official endpoints take none

    # -- the actions -------------------------------------------------------------------------

    def create_group(self, name: str, description: str | None = None) -> str:
        body: dict[str, Any] = {"Name": name, "GroupType": GROUP_TYPE}
        if description:
            body["Description"] = description
        return _require_id(self.call("CreateAssetGroup", body), "CreateAssetGroup")

    def create_asset(
        self, group_id: str, url: str, asset_type: str, name: str | None = None
    ) -> str:
        if asset_type not in ASSET_TYPES:
            raise ValueError(f"asset type {asset_type!r} is not one of {ASSET_TYPES}")
        body: dict[str, Any] = {"GroupId": group_id, "URL": url, "AssetType": asset_type}
        if name:
            body["Name"] = name
        return _require_id(self.call("CreateAsset", body), "CreateAsset")

    def get_asset(self, asset_id: str) -> Asset:
        return parse_asset(self.call("GetAsset", {"Id": asset_id}))

    def list_assets(
        self,
        *,
        group_ids: list[str] | None = None,
        statuses: list[str] | None = None,
        name: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Asset]:
        filters: dict[str, Any] = {"GroupType": GROUP_TYPE}
        if group_ids:
            filters["GroupIds"] = group_ids
        if statuses:
            filters["Statuses"] = statuses
        if name:
            filters["Name"] = name
        body = {"Filter": filters, "PageNumber": page, "PageSize": page_size}
        return _page(self.call("ListAssets", body), parse_asset, page, page_size)

    def get_group(self, group_id: str) -> AssetGroup:
        return parse_group(self.call("GetAssetGroup", {"Id": group_id}))

    def list_groups(
        self, *, name: str | None = None, page: int = 1, page_size: int = 20
    ) -> Page[AssetGroup]:
        filters: dict[str, Any] = {"GroupType": GROUP_TYPE}
        if name:
            filters["Name"] = name
        body = {"Filter": filters, "PageNumber": page, "PageSize": page_size}
        return _page(self.call("ListAssetGroups", body), parse_group, page, page_size)

    # -- the protocol ------------------------------------------------------------------------

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send one action and return its `Result`, or raise a typed error."""
        if action not in READS | CREATES:
            raise ValidationError(f"the asset library action {action} is not supported")
        if as_dict(body.get("Moderation")).get("Strategy") == "Skip":
            raise ValidationError("skipping moderation is not allowed in the asset library")
        payload = {"model": self.model, **body} if self.model else body
        response = self.http.request(
            "POST",
            self.assets_url,
            params={"Action": action, "Version": VERSION},
            json=payload,
            retry=Retry.SAFE if action in READS else Retry.UNSENT,
        )
        return result_of(response, action)


def result_of(response: httpx.Response, action: str) -> dict[str, Any]:
    """The `Result` of an answer; an error status or `ResponseMetadata.Error` raises."""
    try:
        data: Any = response.json()
    except (ValueError, RecursionError):  # not JSON, too deep, a number too long
        data = None
    meta = as_dict(as_dict(data).get("ResponseMetadata"))
    code, message = error_fields(data)
    if response.status_code >= 400 or code or (message and "Result" not in as_dict(data)):
        raise asset_error(response, code, message or describe_non_json(response), meta)
    if data is None:
        error = BadResponseError(
            f"the asset library answered {action} with something that is not JSON "
            f"({describe_non_json(response)})",
            status_code=response.status_code,
        )
        raise advised(error, WRONG_SERVER)
    result = as_dict(data).get("Result")
    if not isinstance(result, dict):
        error = BadResponseError(
            f"the asset library answered {action} without a Result",
            status_code=response.status_code,
        )
        raise advised(error, WRONG_SERVER)
    return result


def error_fields(data: Any) -> tuple[str | None, str | None]:
    """(code, message): `ResponseMetadata.Error`, else an Ark-style `error`, else top level."""
    if not isinstance(data, dict):
        return None, None
    meta_error = as_dict(as_dict(data.get("ResponseMetadata")).get("Error"))
    if meta_error:
        return _text(meta_error.get("Code")), _text(meta_error.get("Message"))
    err = data.get("error")
    if isinstance(err, dict):
        return _text(err.get("code")), _text(err.get("message"))
    if isinstance(err, str):
        return None, err
    if "Result" not in data and ("code" in data or "message" in data):
        return _text(data.get("code")), _text(data.get("message"))
    return None, None


def asset_error(
    response: httpx.Response, code: str | None, message: str, meta: dict[str, Any]
) -> APIError:
    """A typed error: by HTTP status, or for an error inside a 200, by its code."""
    status = response.status_code
    if status < 400:
        status = next((s for prefix, s in _STATUS_OF_CODE if (code or "").startswith(prefix)), 400)
    return make_api_error(
        response,
        code,
        message,
        ASSET_ADVICE,
        cls=api_error_class(status),
        service="the asset library",
        request_id=as_str(meta.get("RequestId")),
    )


# -- parsing ---------------------------------------------------------------------------------


def parse_asset(data: dict[str, Any]) -> Asset:
    """A `GetAsset` Result or a `ListAssets` item, read leniently."""
    asset_id = as_str(data.get("Id"))
    if asset_id is None:
        raise BadResponseError("the asset library answered an asset without an Id")
    status = AssetStatus.parse(data.get("Status"))
    return Asset(
        id=asset_id,
        group_id=as_str(data.get("GroupId")),
        type=as_str(data.get("AssetType")),
        name=as_str(data.get("Name")),
        status=status,
        url=as_str(data.get("URL")) or as_str(data.get("Url")),
        error=failure_reason(data) if status is AssetStatus.FAILED else None,
        created_at=_text(data.get("CreateTime")),
        raw=data,
    )


def failure_reason(data: dict[str, Any]) -> str | None:
    """Why an asset failed, wherever the answer puts it."""
    err = data.get("Error")
    if isinstance(err, dict):
        code, message = _text(err.get("Code")), _text(err.get("Message"))
        if code or message:
            return ": ".join(p for p in (code, message) if p)
    for key in ("FailedReason", "FailReason", "Reason", "ErrorMessage", "StatusMessage", "Message"):
        text = _text(data.get(key))
        if text:
            return text
    return _text(err)


def parse_group(data: dict[str, Any]) -> AssetGroup:
    group_id = as_str(data.get("Id"))
    if group_id is None:
        raise BadResponseError("the asset library answered a group without an Id")
    return AssetGroup(
        id=group_id,
        name=as_str(data.get("Name")),
        type=as_str(data.get("GroupType")),
        description=as_str(data.get("Description")),
        created_at=_text(data.get("CreateTime")),
        raw=data,
    )


def _page(result: dict[str, Any], parse: Any, page: int, page_size: int) -> Page[Any]:
    items = result.get("Items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise BadResponseError("the asset library answered a list whose Items is not a list")
    return Page(
        items=[parse(item) for item in items if isinstance(item, dict)],
        total=as_int(result.get("TotalCount")),
        page=as_int(result.get("PageNumber")) or page,
        page_size=as_int(result.get("PageSize")) or page_size,
    )


def _require_id(result: dict[str, Any], action: str) -> str:
    value = as_str(result.get("Id"))
    if value is None:
        listing = "assets.groups" if action == "CreateAssetGroup" else "assets.list"
        error = BadResponseError(
            f"the asset library accepted {action} but its answer has no Result.Id"
        )
        raise advised(error, Advice(_MAY_EXIST, Suggestion.of(listing)))
    return value


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


def install_signer(
    http: HttpClient, profile: Profile, environ: Mapping[str, str], clock: Clock
) -> None:
    """Give a signed (aksk) asset library's origin its V4 signer, once. On an origin the API
    shares (a simulator), only the library's own path is signed; the rest keeps the key."""
    origin = origin_of(profile.assets_url or "")
    existing = http.credentials.get(origin)
    if isinstance(existing, SignerV4 | CredentialsByPath):
        return
    if not profile.assets_region:
        raise ConfigError(
            f"profile '{profile.name}' signs asset requests but names no assets_region",
            reason="assets_region_missing",
            field="assets_region",
        )
    access_key, secret_key = profile.access_keys(environ)
    signer = SignerV4(access_key, secret_key, profile.assets_region, clock=clock)
    if existing is None:
        http.credentials[origin] = signer
    else:
        path = urlsplit(profile.assets_url or "").path or "/"
        http.credentials[origin] = CredentialsByPath({path: signer}, fallback=existing)
