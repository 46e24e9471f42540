"""The asset library: the Action API on the wire (docs/sources/phanedge.txt §9, §12), the CLI,
waiting,
the cache, upload_cmd, signed and bearer libraries, and `create` turning URLs into assets."""

from __future__ import annotations

import json
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from seedance.domain.clock import FakeClock
from seedance.domain.errors import ValidationError
from seedance.domain.models import MediaKind
from seedance.providers.assets import AssetLibrary
from seedance.providers.assets.signing import sign
from seedance.providers.http import HttpClient
from support import expect_ark_create, runtime_of

ASSETS = "https://models.phanedge.cloud/volcark/"
TASKS = "https://models.phanedge.cloud/volcark/api/v3/contents/generations/tasks"
OFFICIAL = "https://ark.ap-southeast-1.byteplusapi.com/"
MODEL = "dreamina-seedance-2-0"  # the phanedge preset's model: gateways route by it
BEARER = {"Authorization": "Bearer oh-phanedge-test-key"}
GROUP = "group-20260611210000-abcd1"
ASSET = "asset-20260611210100-efgh2"
IMAGE_URL = "https://example.com/product.png"


def url(action: str, base: str = ASSETS) -> str:
    return f"{base}?Action={action}&Version=2024-01-01"


def answer(action: str, result: dict[str, Any]) -> dict[str, Any]:
    """A successful answer as docs/sources/phanedge.txt §9 shows them."""
    meta = {"Action": action, "Region": "ap-southeast-1", "Service": "ark", "Version": "2024-01-01"}
    return {"ResponseMetadata": meta, "Result": result}


def failure(code: str, message: str) -> dict[str, Any]:
    meta = {
        "RequestId": "req-1",
        "Action": "X",
        "Version": "2024-01-01",
        "Error": {"Code": code, "Message": message},
    }
    return {"ResponseMetadata": meta}


def asset_result(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": ASSET,
        "GroupId": GROUP,
        "AssetType": "Image",
        "Name": "product.png",
        "Status": status,
        **extra,
    }


def expect(
    httpx_mock: HTTPXMock,
    action: str,
    body: dict[str, Any] | None,
    result: dict[str, Any],
    *,
    base: str = ASSETS,
    headers: dict[str, str] | None = BEARER,
) -> None:
    """One expected action call: its exact JSON body (when given) and its answer."""
    httpx_mock.add_response(
        method="POST",
        url=url(action, base),
        match_json=body,
        match_headers=headers,
        json=answer(action, result),
    )


def expect_get(httpx_mock: HTTPXMock, *statuses: str, **extra: Any) -> None:
    for status in statuses:
        expect(httpx_mock, "GetAsset", {"model": MODEL, "Id": ASSET}, asset_result(status, **extra))


def expect_create(
    httpx_mock: HTTPXMock,
    *,
    group: str = GROUP,
    name: str = "product.png",
    source: str = IMAGE_URL,
    kind: str = "Image",
) -> None:
    body = {"model": MODEL, "GroupId": group, "URL": source, "AssetType": kind, "Name": name}
    expect(httpx_mock, "CreateAsset", body, {"Id": ASSET})


def expect_new_group(httpx_mock: HTTPXMock) -> None:
    body = {
        "model": MODEL,
        "Name": "seedance",
        "GroupType": "AIGC",
        "Description": "Media uploaded by seedance",
    }
    expect(httpx_mock, "CreateAssetGroup", body, {"Id": GROUP})


def profiles_doc(world: Any) -> dict[str, Any]:
    return tomllib.loads((world.config_dir / "profiles.toml").read_text())


# -- each action's request and answer ------------------------------------------------------


def test_upload_creates_a_group_then_the_asset_and_waits_until_active(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    expect_new_group(httpx_mock)
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Processing", "Processing", "Active")
    out = world.run("-p", "phanedge", "assets", "upload", IMAGE_URL)
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"asset://{ASSET}\n"
    assert world.clock.sleeps == [2, 5]
    assert f"asset://{ASSET} Processing" in out.stderr
    assert profiles_doc(world)["profiles"]["phanedge"]["asset_group"] == GROUP
    for request in httpx_mock.get_requests():
        assert request.headers["Authorization"] == "Bearer oh-phanedge-test-key"
        assert (request.url.host, request.url.path) == ("models.phanedge.cloud", "/volcark/")


def test_the_seed_examples_group_asset_and_list(world: Any, httpx_mock: HTTPXMock) -> None:
    body = {
        "model": MODEL,
        "Name": "campaign-product-shots",
        "GroupType": "AIGC",
        "Description": "Assets for product videos",
    }
    expect(httpx_mock, "CreateAssetGroup", body, {"Id": GROUP})
    out = world.run(
        "-p",
        "phanedge",
        "assets",
        "groups",
        "create",
        "campaign-product-shots",
        "--description",
        "Assets for product videos",
    )
    assert (out.exit_code, out.stdout) == (0, f"{GROUP}\n"), out.stderr

    expect_create(httpx_mock, name="product-front.png")
    out = world.run(
        "-p",
        "phanedge",
        "assets",
        "upload",
        IMAGE_URL,
        "--group",
        GROUP,
        "--name",
        "product-front.png",
        "--no-wait",
    )
    assert (out.exit_code, out.stdout) == (0, f"asset://{ASSET}\n"), out.stderr

    body = {
        "model": MODEL,
        "Filter": {"GroupType": "AIGC", "GroupIds": [GROUP]},
        "PageNumber": 1,
        "PageSize": 20,
    }
    items = [{"Id": ASSET, "GroupId": GROUP, "AssetType": "Image", "Status": "Active"}]
    expect(
        httpx_mock,
        "ListAssets",
        body,
        {"Items": items, "TotalCount": 1, "PageNumber": 1, "PageSize": 20},
    )
    out = world.run("-p", "phanedge", "assets", "list", "--group", GROUP)
    assert out.exit_code == 0, out.stderr
    assert out.lines == [f"asset://{ASSET}\tActive\tImage\t\t{GROUP}\t"]


def test_list_filters_by_status_and_pages_as_json(world: Any, httpx_mock: HTTPXMock) -> None:
    body = {
        "model": MODEL,
        "Filter": {"GroupType": "AIGC", "Statuses": ["Failed"]},
        "PageNumber": 2,
        "PageSize": 5,
    }
    items = [asset_result("Failed", Error={"Code": "InvalidImage", "Message": "too small"})]
    expect(
        httpx_mock,
        "ListAssets",
        body,
        {"Items": items, "TotalCount": 6, "PageNumber": 2, "PageSize": 5},
    )
    out = world.run(
        "-p",
        "phanedge",
        "--json",
        "assets",
        "list",
        "--status",
        "failed",
        "--page",
        "2",
        "--page-size",
        "5",
    )
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["total"], doc["page"], doc["page_size"]) == (6, 2, 5)
    assert doc["items"][0]["ref"] == f"asset://{ASSET}"
    assert doc["items"][0]["error"] == "InvalidImage: too small"


def test_get_parses_the_asset(world: Any, httpx_mock: HTTPXMock) -> None:
    expect_get(
        httpx_mock,
        "Active",
        URL="https://cdn.example.com/asset.png",
        CreateTime="2026-06-11T21:01:00Z",
    )
    out = world.run("-p", "phanedge", "--json", "assets", "get", f"Asset://{ASSET}")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["id"] == ASSET and doc["status"] == "Active" and doc["type"] == "Image"
    assert doc["url"] == "https://cdn.example.com/asset.png"
    assert doc["raw"]["CreateTime"] == "2026-06-11T21:01:00Z"

    expect_get(httpx_mock, "Processing")
    out = world.run("-p", "phanedge", "assets", "get", ASSET)
    assert out.exit_code == 0
    assert out.lines[:2] == [f"id:     asset://{ASSET}", "status: Processing"]


def test_groups_lists_and_marks_the_profiles_group(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    body = {"model": MODEL, "Filter": {"GroupType": "AIGC"}, "PageNumber": 1, "PageSize": 20}
    items = [
        {"Id": GROUP, "Name": "seedance", "GroupType": "AIGC"},
        {"Id": "group-2", "Name": "other", "GroupType": "AIGC"},
    ]
    expect(httpx_mock, "ListAssetGroups", body, {"Items": items, "TotalCount": 2})
    out = world.run("-p", "pe", "assets", "groups")
    assert out.exit_code == 0, out.stderr
    assert out.lines == [f"{GROUP}\tseedance\t\t\t*", "group-2\tother\t\t\t"]


def test_get_group_reads_the_group(httpx_mock: HTTPXMock) -> None:
    result = {"Id": GROUP, "Name": "campaign", "GroupType": "AIGC", "Description": "d"}
    expect(httpx_mock, "GetAssetGroup", {"Id": GROUP}, result, headers=None)
    with HttpClient(clock=FakeClock()) as http:
        group = AssetLibrary(http, ASSETS).get_group(GROUP)
    assert (group.id, group.name, group.type, group.description) == (GROUP, "campaign", "AIGC", "d")


def test_moderation_skip_is_never_sent(httpx_mock: HTTPXMock) -> None:
    with HttpClient(clock=FakeClock()) as http, pytest.raises(ValidationError):
        AssetLibrary(http, ASSETS).call("CreateAsset", {"Moderation": {"Strategy": "Skip"}})
    with HttpClient(clock=FakeClock()) as http, pytest.raises(ValidationError):
        AssetLibrary(http, ASSETS).call("DeleteAsset", {"Id": ASSET})
    assert httpx_mock.get_requests() == []


# -- errors (docs/sources/phanedge.txt §12)
# ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "args", "hint"),
    [
        (403, "InvalidAction", ["assets", "get", ASSET], "does not open this action"),
        (
            404,
            "ResourceNotFound.Asset",
            ["assets", "get", ASSET],
            "seedance -p phanedge assets list",
        ),
        (
            404,
            "ResourceNotFound.AssetGroup",
            ["assets", "upload", IMAGE_URL, "--group", "nope"],
            "seedance -p phanedge assets groups",
        ),
        (
            400,
            "moderation_skip_not_allowed",
            ["assets", "upload", IMAGE_URL, "--group", GROUP],
            "does not allow skipping moderation",
        ),
    ],
)
def test_seed_errors_exit_3_with_their_message(
    world: Any, httpx_mock: HTTPXMock, status: int, code: str, args: list[str], hint: str
) -> None:
    httpx_mock.add_response(method="POST", status_code=status, json=failure(code, "refused here"))
    out = world.run("-p", "phanedge", *args)
    assert out.exit_code == 3
    assert f"{status} {code}: refused here" in out.stderr
    assert hint in out.stderr
    assert "PHANEDGE_API_KEY" not in out.stderr  # not an auth problem: no key hint

    httpx_mock.add_response(method="POST", status_code=status, json=failure(code, "refused here"))
    out = world.run("-p", "phanedge", "--json", *args)
    assert out.exit_code == 3
    assert json.loads(out.stdout)["error"]["code"] == code


def test_an_ark_style_error_body_and_an_error_inside_a_200(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    body = {"error": {"code": "ResourceNotFound.Asset", "message": "no such asset", "type": "x"}}
    httpx_mock.add_response(method="POST", status_code=404, json=body)
    out = world.run("-p", "phanedge", "--json", "assets", "get", ASSET)
    assert out.exit_code == 3
    assert json.loads(out.stdout)["error"]["code"] == "ResourceNotFound.Asset"

    httpx_mock.add_response(
        method="POST", status_code=200, json=failure("ResourceNotFound.Asset", "gone")
    )
    out = world.run("-p", "phanedge", "assets", "get", ASSET)
    assert out.exit_code == 3
    assert "200 ResourceNotFound.Asset: gone" in out.stderr


def test_unauthorized_names_the_key_source(world: Any, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", status_code=401, json=failure("Unauthorized", "bad token")
    )
    out = world.run("-p", "phanedge", "assets", "get", ASSET)
    assert out.exit_code == 3
    assert "PHANEDGE_API_KEY" in out.stderr


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            httpx.Response(200, text="<html>gateway</html>", headers={"content-type": "text/html"}),
            "not JSON",
        ),
        (
            httpx.Response(200, json={"ResponseMetadata": {"Action": "GetAsset"}}),
            "without a Result",
        ),
    ],
)
def test_bad_answers_are_reported(
    world: Any, httpx_mock: HTTPXMock, response: httpx.Response, message: str
) -> None:
    httpx_mock.add_callback(lambda _request: response, method="POST")
    out = world.run("-p", "phanedge", "assets", "get", ASSET)
    assert out.exit_code == 3
    assert message in out.stderr


def test_a_create_is_not_retried_but_a_read_is(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    httpx_mock.add_response(
        method="POST",
        url=url("CreateAsset"),
        status_code=503,
        json=failure("service_unavailable", "later"),
    )
    out = world.run("-p", "pe", "assets", "upload", IMAGE_URL)
    assert out.exit_code == 3
    assert len(httpx_mock.get_requests()) == 1

    httpx_mock.add_response(
        method="POST",
        url=url("GetAsset"),
        status_code=503,
        json=failure("service_unavailable", "later"),
    )
    expect_get(httpx_mock, "Active")
    out = world.run("-p", "pe", "assets", "get", ASSET)
    assert out.exit_code == 0, out.stderr


# -- waiting ---------------------------------------------------------------------------------


def test_failed_asset_exits_5_with_the_reason(world: Any, httpx_mock: HTTPXMock) -> None:
    expect_new_group(httpx_mock)
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Processing")
    expect_get(httpx_mock, "Failed", Error={"Code": "DownloadFailed", "Message": "HTTP 404"})
    out = world.run("-p", "phanedge", "--json", "assets", "upload", IMAGE_URL)
    assert out.exit_code == 5
    assert world.clock.sleeps == [2]
    error = json.loads(out.stdout)["error"]
    assert error["code"] == "asset_failed"
    assert "DownloadFailed: HTTP 404" in error["message"]
    # a failed asset is forgotten: the next upload of the URL creates a new one
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Active")
    out = world.run("-p", "phanedge", "assets", "upload", IMAGE_URL)
    assert out.exit_code == 0, out.stderr


def test_waiting_honours_the_timeout(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Processing", "Processing", "Processing", "Processing")
    out = world.run("-p", "pe", "assets", "upload", IMAGE_URL, "--timeout", "10")
    assert out.exit_code == 6
    assert world.clock.sleeps == [2, 5, 3]
    assert f"assets get {ASSET}" in out.stderr


def test_backoff_reaches_20_seconds_and_stays(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    expect_create(httpx_mock)
    expect_get(httpx_mock, *["Processing"] * 6, "Active")
    out = world.run("-p", "pe", "-q", "assets", "upload", IMAGE_URL)
    assert out.exit_code == 0
    assert world.clock.sleeps == [2, 5, 10, 20, 20, 20]
    assert out.stderr == ""


# -- the cache -------------------------------------------------------------------------------


def test_the_same_url_is_uploaded_once(world: Any, httpx_mock: HTTPXMock) -> None:
    expect_new_group(httpx_mock)
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Active")
    assert world.run("-p", "phanedge", "assets", "upload", IMAGE_URL).exit_code == 0
    sent = len(httpx_mock.get_requests())
    out = world.run("-p", "phanedge", "assets", "upload", IMAGE_URL)
    assert (out.exit_code, out.stdout) == (0, f"asset://{ASSET}\n")
    assert len(httpx_mock.get_requests()) == sent
    assert "already in the asset library" in out.stderr


def test_a_processing_upload_is_waited_for_not_sent_again(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    expect_create(httpx_mock)
    assert world.run("-p", "pe", "assets", "upload", IMAGE_URL, "--no-wait").exit_code == 0
    expect_get(httpx_mock, "Processing", "Active")
    out = world.run("-p", "pe", "assets", "upload", IMAGE_URL)
    assert (out.exit_code, out.stdout) == (0, f"asset://{ASSET}\n"), out.stderr
    assert world.clock.sleeps == [2]


def test_one_medium_becomes_one_asset_whoever_asks_meanwhile(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    """The cache is looked at, the asset made and cached under the medium's OS lock: another
    thread or process asking for it meanwhile waits, then finds it cached (other media do
    not wait)."""
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    mine, theirs = (world.environment().client("pe") for _ in range(2))
    service, other = runtime_of(mine).asset_resolver(), runtime_of(theirs).asset_resolver()
    tried: list[bool] = []

    def create(request: httpx.Request) -> httpx.Response:
        for source in (IMAGE_URL, "https://example.com/another.png"):
            lock = other._making(other.cache.url_key(source))
            tried.append(lock.try_acquire())
            if lock.held:
                lock.release()
        return httpx.Response(200, json=answer("CreateAsset", {"Id": ASSET}))

    httpx_mock.add_callback(create, method="POST", url=url("CreateAsset"))
    expect_get(httpx_mock, "Active")
    assert service.upload(IMAGE_URL).ref == f"asset://{ASSET}"
    assert tried == [False, True]  # this medium's lock was held across the create
    assert other.upload(IMAGE_URL).ref == f"asset://{ASSET}"  # cached: no second create
    creates = [r for r in httpx_mock.get_requests() if "CreateAsset" in str(r.url)]
    assert len(creates) == 1
    mine.close()
    theirs.close()


# -- local files and upload_cmd --------------------------------------------------------------


def _publisher(world: Any) -> tuple[str, Path]:
    """A tiny upload command: logs its arguments, prints chatter, then the public URL."""
    log = world.root / "published.log"
    script = world.root / "publish.py"
    script.write_text(
        "import sys, urllib.parse\n"
        f"open({str(log)!r}, 'a').write(repr(sys.argv[1:]) + '\\n')\n"
        "print('uploading...')\n"
        "print('https://cdn.example.com/u/' + urllib.parse.quote(sys.argv[2]))\n"
        "print()\n"
    )
    return f"{sys.executable} {script} {{path}} {{name}}", log


def test_a_local_file_is_published_by_upload_cmd(world: Any, httpx_mock: HTTPXMock) -> None:
    command, log = _publisher(world)
    world.write_profiles(
        {"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP, "upload_cmd": command}}}
    )
    photo = world.root / "my photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    expect_create(
        httpx_mock, name="my photo.png", source="https://cdn.example.com/u/my%20photo.png"
    )
    expect_get(httpx_mock, "Active")
    out = world.run("-p", "pe", "assets", "upload", "my photo.png")
    assert (out.exit_code, out.stdout) == (0, f"asset://{ASSET}\n"), out.stderr
    assert log.read_text() == repr([str(photo), "my photo.png"]) + "\n"
    # the same bytes, even under another name: neither published nor created again
    (world.root / "copy.png").write_bytes(photo.read_bytes())
    out = world.run("-p", "pe", "assets", "upload", "copy.png")
    assert (out.exit_code, out.stdout) == (0, f"asset://{ASSET}\n")
    assert len(log.read_text().splitlines()) == 1


def test_a_local_file_without_upload_cmd_is_a_usage_error(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    (world.root / "photo.png").write_bytes(b"\x89PNG")
    out = world.run("-p", "phanedge", "assets", "upload", "photo.png")
    assert out.exit_code == 2
    assert "profile 'phanedge' cannot upload local files: it has no upload_cmd" in out.stderr
    assert httpx_mock.get_requests() == []


def test_upload_cmd_that_prints_no_url(world: Any, httpx_mock: HTTPXMock) -> None:
    command = f"{sys.executable} -c \"print('done')\" {{path}}"
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "upload_cmd": command}}})
    (world.root / "clip.mp4").write_bytes(b"\0" * 16)
    out = world.run("-p", "pe", "assets", "upload", "clip.mp4")
    assert out.exit_code == 2
    assert "printed no https:// URL last" in out.stderr


def test_unknown_kinds_ask_for_type(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    out = world.run("-p", "pe", "assets", "upload", "https://example.com/media?id=7")
    assert out.exit_code == 2
    assert "--type" in out.stderr
    expect_create(httpx_mock, name="media", source="https://example.com/media?id=7", kind="Video")
    out = world.run(
        "-p",
        "pe",
        "assets",
        "upload",
        "https://example.com/media?id=7",
        "--type",
        "video",
        "--no-wait",
    )
    assert out.exit_code == 0, out.stderr


def test_a_profile_without_an_asset_library(world: Any, httpx_mock: HTTPXMock) -> None:
    out = world.run("-p", "opeai", "assets", "list")
    assert out.exit_code == 2
    assert out.stderr.strip() == "error: profile 'opeai' has no asset library (no assets_url)"


def test_upload_of_an_asset_ref_waits_for_it(world: Any, httpx_mock: HTTPXMock) -> None:
    expect_get(httpx_mock, "Active")
    out = world.run("-p", "phanedge", "assets", "upload", f"Asset://{ASSET}")
    assert (out.exit_code, out.stdout) == (0, f"asset://{ASSET}\n"), out.stderr


# -- credentials: signed (aksk) and bearer libraries -----------------------------------------


def test_a_signed_library_gets_a_v4_signature_and_never_the_api_key(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    world.write_profiles({"profiles": {"intl": {"preset": "byteplus"}}})
    expect(
        httpx_mock, "GetAsset", {"Id": ASSET}, asset_result("Active"), base=OFFICIAL, headers=None
    )
    out = world.run("-p", "intl", "assets", "get", ASSET)
    assert out.exit_code == 0, out.stderr
    [request] = httpx_mock.get_requests()
    assert request.url.host == "ark.ap-southeast-1.byteplusapi.com"
    auth = request.headers["Authorization"]
    assert auth.startswith(
        "HMAC-SHA256 Credential=AKLTtestaccesskey/20260611/ap-southeast-1/ark/request, "
        "SignedHeaders=content-type;host;x-content-sha256;x-date, Signature="
    )
    assert "ark-test-key-0001" not in str(request.headers) and "Bearer" not in auth
    assert request.headers["X-Date"] == "20260611T124121Z"  # the FakeClock's time
    expected = sign(
        method="POST",
        path="/",
        query=request.url.query.decode(),
        headers=request.headers,
        body=request.content,
        access_key="AKLTtestaccesskey",
        secret_key="testsecretkey==",
        region="ap-southeast-1",
        when=datetime(2026, 6, 11, 12, 41, 21, tzinfo=UTC),
    )
    assert auth == expected.authorization


def test_a_signed_library_without_access_keys(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"intl": {"preset": "byteplus"}}})
    del world.environ["VOLC_SECRETKEY"]
    out = world.run("-p", "intl", "assets", "get", ASSET)
    assert out.exit_code == 2
    assert "VOLC_ACCESSKEY and VOLC_SECRETKEY" in out.stderr


# -- create: media become assets first ------------------------------------------------------


def test_create_turns_a_url_into_an_asset_once(world: Any, httpx_mock: HTTPXMock) -> None:
    task_body = {
        "model": MODEL,
        "content": [
            {"type": "text", "text": "a prompt"},
            {
                "type": "image_url",
                "image_url": {"url": f"asset://{ASSET}"},
                "role": "reference_image",
            },
        ],
    }
    expect_new_group(httpx_mock)
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Active")
    expect_ark_create(httpx_mock, TASKS, task_body, task_id="cgt-1", headers=BEARER)
    out = world.run("-p", "phanedge", "create", "a prompt", "--image", IMAGE_URL)
    assert (out.exit_code, out.stdout) == (0, "cgt-1\n"), out.stderr
    actions = [r.url.params.get("Action") for r in httpx_mock.get_requests()]
    assert actions == ["CreateAssetGroup", "CreateAsset", "GetAsset", None]

    expect_ark_create(httpx_mock, TASKS, task_body, task_id="cgt-2")
    out = world.run("-p", "phanedge", "create", "a prompt", "--image", IMAGE_URL)
    assert (out.exit_code, out.stdout) == (0, "cgt-2\n"), out.stderr
    assert len(httpx_mock.get_requests()) == 5  # only the task this time

    out = world.run("-p", "phanedge", "create", "a prompt", "--image", IMAGE_URL, "--dry-run")
    assert out.exit_code == 0
    assert json.loads(out.stdout) == task_body


def test_a_lost_create_answer_is_not_repeated(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP}}})
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=url("CreateAsset"))
    out = world.run("-p", "pe", "assets", "upload", IMAGE_URL)
    assert out.exit_code == 4
    assert "assets list" in out.stderr
    assert len(httpx_mock.get_requests()) == 1


def test_a_shared_origin_signs_only_the_library_path(httpx_mock: HTTPXMock) -> None:
    from seedance.domain.profiles import build_profile
    from seedance.providers.assets import install_signer
    from seedance.providers.http import BearerAuth, origin_of

    profile = build_profile(
        "local",
        {
            "preset": "byteplus",
            "base_url": "https://sim.test/api/v3",
            "assets_url": "https://sim.test/",
        },
    )
    environ = {"VOLC_ACCESSKEY": "AK", "VOLC_SECRETKEY": "SK"}
    httpx_mock.add_response(url=url("GetAsset", "https://sim.test/"), json=answer("GetAsset", {}))
    httpx_mock.add_response(url="https://sim.test/api/v3/contents/generations/tasks/cgt-1", json={})
    with HttpClient(credentials={origin_of("https://sim.test"): BearerAuth("key")}) as http:
        install_signer(http, profile, environ, FakeClock())
        install_signer(http, profile, environ, FakeClock())  # once only
        http.request(
            "POST",
            "https://sim.test/",
            params={"Action": "GetAsset", "Version": "2024-01-01"},
            json={},
        )
        http.request("GET", "https://sim.test/api/v3/contents/generations/tasks/cgt-1")
    signed, api = httpx_mock.get_requests()
    assert signed.headers["Authorization"].startswith("HMAC-SHA256 Credential=AK/")
    assert api.headers["Authorization"] == "Bearer key"


def test_cached_answers_without_a_request(world: Any, httpx_mock: HTTPXMock) -> None:
    expect_new_group(httpx_mock)
    expect_create(httpx_mock)
    expect_get(httpx_mock, "Active")
    client = world.environment().client("phanedge")
    service = runtime_of(client).asset_resolver()
    assert service.cached(IMAGE_URL) is None
    assert service.asset_for_url(IMAGE_URL, MediaKind.IMAGE) == f"asset://{ASSET}"
    sent = len(httpx_mock.get_requests())
    assert service.cached(IMAGE_URL) == f"asset://{ASSET}"
    assert service.asset_for_url(IMAGE_URL, MediaKind.IMAGE) == f"asset://{ASSET}"
    assert len(httpx_mock.get_requests()) == sent
    client.close()


def test_upload_cmd_is_split_before_placeholders_are_filled(tmp_path: Path) -> None:
    from seedance.services.media.publish import upload_argv

    path = tmp_path / "a b's.png"
    path.write_bytes(b"x")
    argv = upload_argv("rclone copyto {path} 'remote:my bucket/{name}' --flag={name}", path)
    assert argv == ["rclone", "copyto", str(path), "remote:my bucket/a b's.png", "--flag=a b's.png"]


def test_new_bytes_published_at_an_old_url_make_a_new_asset(
    world: Any, httpx_mock: HTTPXMock
) -> None:
    command, log = _publisher(world)
    world.write_profiles(
        {"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP, "upload_cmd": command}}}
    )
    photo = world.root / "photo.png"
    published = "https://cdn.example.com/u/photo.png"
    for content in (b"first", b"second"):
        photo.write_bytes(content)
        expect_create(httpx_mock, name="photo.png", source=published)
        expect_get(httpx_mock, "Active")
        out = world.run("-p", "pe", "assets", "upload", "photo.png")
        assert out.exit_code == 0, out.stderr
    assert len(log.read_text().splitlines()) == 2


def test_a_signed_library_needs_no_api_key(world: Any, httpx_mock: HTTPXMock) -> None:
    world.write_profiles({"profiles": {"intl": {"preset": "byteplus"}}})
    del world.environ["ARK_API_KEY"]
    expect(
        httpx_mock, "GetAsset", {"Id": ASSET}, asset_result("Active"), base=OFFICIAL, headers=None
    )
    out = world.run("-p", "intl", "assets", "get", ASSET)
    assert out.exit_code == 0, out.stderr
    assert httpx_mock.get_requests()[0].headers["Authorization"].startswith("HMAC-SHA256 ")


def test_issue15_upload_cmd_runs_commands_hidden_in_a_file_name(
    world: Any, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's own `sh -c '... {name} ...'` pattern once ran `;`-separated commands hidden
    in a file name (a shared storyboard was enough). A placeholder inside a shell script is
    refused before anything runs; the script reads the values from the environment."""
    monkeypatch.chdir(world.root)  # where the upload command runs
    pwned = world.root / "pwned"
    spliced = "sh -c 'echo https://cdn.example.com/{name}'"
    world.write_profiles({"profiles": {"pe": {"preset": "phanedge", "upload_cmd": spliced}}})
    evil = world.root / "x; touch pwned; echo .png"
    evil.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    out = world.run("-p", "pe", "assets", "upload", evil.name)
    assert out.exit_code == 2, out.stderr
    assert "inside a shell script" in out.stderr and '"$SEEDANCE_UPLOAD_NAME"' in out.stderr
    assert not pwned.exists()
    assert httpx_mock.get_requests() == []

    safe = "sh -c 'echo \"https://cdn.example.com/u/$SEEDANCE_UPLOAD_NAME\"'"
    world.write_profiles(
        {"profiles": {"pe": {"preset": "phanedge", "asset_group": GROUP, "upload_cmd": safe}}}
    )
    expect_create(httpx_mock, name=evil.name, source=f"https://cdn.example.com/u/{evil.name}")
    expect_get(httpx_mock, "Active")
    out = world.run("-p", "pe", "assets", "upload", evil.name)
    assert out.exit_code == 0, out.stderr
    assert not pwned.exists()


def test_upload_cmd_gets_the_file_in_its_environment(tmp_path: Path) -> None:
    from seedance.services.media.publish import upload_argv, upload_environment

    path = tmp_path / "a.png"
    path.write_bytes(b"x")
    env = upload_environment(path, {"PATH": "/bin"})
    assert env["SEEDANCE_UPLOAD_PATH"] == str(path) and env["SEEDANCE_UPLOAD_NAME"] == "a.png"
    assert len(env["SEEDANCE_UPLOAD_SHA256"]) == 64 and env["PATH"] == "/bin"
    assert upload_argv("bash -lc 'up \"$SEEDANCE_UPLOAD_PATH\"'", path)[2] == (
        'up "$SEEDANCE_UPLOAD_PATH"'
    )
