"""Volcengine V4 signing: a vector derived by hand, the official SDK's signer, and httpx."""

from __future__ import annotations

import datetime as real_datetime
import hashlib
import hmac
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from seedance.domain.clock import FakeClock
from seedance.providers.assets.signing import SignerV4, canonical_query, sign, signing_key

AK = "AKLTtestaccesskey"
SK = "testsecretkey=="
REGION = "ap-southeast-1"
HOST = "ark.ap-southeast-1.byteplusapi.com"
BODY = b'{"Id":"asset-20260611210100-efgh2"}'
QUERY = "Action=GetAsset&Version=2024-01-01"
WHEN = datetime(2026, 6, 11, 21, 1, 0, tzinfo=UTC)

# Derived by hand (and checked with `sha256sum` and `openssl dgst -sha256 -mac HMAC`):
BODY_HASH = "50afb1a2c26cfdc30499bf52263f8512e4144baa8dcf70deab89fa866d074ec9"
CANONICAL_REQUEST = (
    "POST\n"
    "/\n"
    "Action=GetAsset&Version=2024-01-01\n"
    "content-type:application/json\n"
    "host:ark.ap-southeast-1.byteplusapi.com\n"
    f"x-content-sha256:{BODY_HASH}\n"
    "x-date:20260611T210100Z\n"
    "\n"
    "content-type;host;x-content-sha256;x-date\n"
    f"{BODY_HASH}"
)
CANONICAL_REQUEST_HASH = "71f4a62c7cf80f81b079967f7d0916c18a53ff9f40c3ec843b2a6bbf2215ca8c"
STRING_TO_SIGN = (
    f"HMAC-SHA256\n20260611T210100Z\n20260611/ap-southeast-1/ark/request\n{CANONICAL_REQUEST_HASH}"
)
SIGNATURE = "bea8a8628b0f944cc153f79fd40f50d7b16927dbb7d49d2d1ce8cac8089b5ca0"
AUTHORIZATION = (
    "HMAC-SHA256 Credential=AKLTtestaccesskey/20260611/ap-southeast-1/ark/request, "
    "SignedHeaders=content-type;host;x-content-sha256;x-date, "
    f"Signature={SIGNATURE}"
)


def _ours() -> Any:
    return sign(
        method="POST",
        path="/",
        query=QUERY,
        headers={"Host": HOST, "Content-Type": "application/json"},
        body=BODY,
        access_key=AK,
        secret_key=SK,
        region=REGION,
        when=WHEN,
    )


def test_the_vector_derived_step_by_step() -> None:
    assert hashlib.sha256(BODY).hexdigest() == BODY_HASH
    assert hashlib.sha256(CANONICAL_REQUEST.encode()).hexdigest() == CANONICAL_REQUEST_HASH
    key = SK.encode()
    for part in ("20260611", REGION, "ark", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert key == signing_key(SK, "20260611", REGION, "ark")
    assert hmac.new(key, STRING_TO_SIGN.encode(), hashlib.sha256).hexdigest() == SIGNATURE


def test_sign_produces_the_vector() -> None:
    signature = _ours()
    assert signature.canonical_request == CANONICAL_REQUEST
    assert signature.string_to_sign == STRING_TO_SIGN
    assert signature.authorization == AUTHORIZATION
    assert signature.headers == {
        "X-Date": "20260611T210100Z",
        "X-Content-Sha256": BODY_HASH,
        "Authorization": AUTHORIZATION,
    }


def _sdk_authorization(
    monkeypatch: pytest.MonkeyPatch,
    *,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: str,
    when: datetime,
) -> str:
    signv4 = pytest.importorskip("volcenginesdkcore.signv4")

    class FixedDatetime(real_datetime.datetime):
        @classmethod
        def utcnow(cls) -> Any:  # the SDK reads the current time itself
            return when.replace(tzinfo=None)

    monkeypatch.setattr(signv4, "datetime", SimpleNamespace(datetime=FixedDatetime))
    signv4.SignerV4.sign(path, "POST", headers, body, {}, query, AK, SK, REGION, "ark")
    return str(headers["Authorization"])


def test_the_official_sdk_signer_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = {"Host": HOST, "Content-Type": "application/json"}
    query = {"Action": "GetAsset", "Version": "2024-01-01"}
    got = _sdk_authorization(
        monkeypatch, path="/", query=query, headers=headers, body=BODY.decode(), when=WHEN
    )
    assert got == AUTHORIZATION
    assert headers["X-Content-Sha256"] == BODY_HASH


def test_the_sdk_agrees_on_an_odd_query_and_unicode_body(monkeypatch: pytest.MonkeyPatch) -> None:
    body = '{"Name":"été ~ caf/é","PageSize":20}'
    query = {"Version": "2024-01-01", "Action": "ListAssets", "b": "x y/z", "a": "~-_."}
    headers = {"Host": HOST, "Content-Type": "application/json"}
    when = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    expected = _sdk_authorization(
        monkeypatch, path="/", query=query, headers=headers, body=body, when=when
    )
    ours = sign(
        method="POST",
        path="/",
        query=list(query.items()),
        headers={"Host": HOST, "Content-Type": "application/json"},
        body=body.encode(),
        access_key=AK,
        secret_key=SK,
        region=REGION,
        when=when,
    )
    assert ours.authorization == expected


def test_canonical_query_sorts_and_encodes() -> None:
    assert canonical_query("Version=2024-01-01&Action=GetAsset") == QUERY
    assert canonical_query("b=x+y&a=%2F~&c=") == "a=%2F~&b=x%20y&c="


def test_signer_signs_an_httpx_request_with_its_clock() -> None:
    clock = FakeClock(start=WHEN.timestamp())
    request = httpx.Request(
        "POST",
        f"https://{HOST}/",
        params={"Action": "GetAsset", "Version": "2024-01-01"},
        content=BODY,
        headers={"Content-Type": "application/json"},
    )
    SignerV4(AK, SK, REGION, clock=clock).apply(request)
    assert request.headers["Authorization"] == AUTHORIZATION
    assert request.headers["X-Date"] == "20260611T210100Z"
    assert request.headers["X-Content-Sha256"] == BODY_HASH
    assert request.headers["Host"] == HOST


def test_signer_drops_a_default_port_and_keeps_others() -> None:
    clock = FakeClock(start=WHEN.timestamp())
    with_port = httpx.Request(
        "POST",
        f"https://{HOST}:443/?{QUERY}",
        content=BODY,
        headers={"Content-Type": "application/json"},
    )
    SignerV4(AK, SK, REGION, clock=clock).apply(with_port)
    assert with_port.headers["Authorization"] == AUTHORIZATION
    other = httpx.Request(
        "POST",
        f"https://{HOST}:8443/?{QUERY}",
        content=BODY,
        headers={"Content-Type": "application/json"},
    )
    SignerV4(AK, SK, REGION, clock=clock).apply(other)
    assert other.headers["Authorization"] != AUTHORIZATION


def test_repr_never_shows_the_secret() -> None:
    signer = SignerV4(AK, SK, REGION)
    shown = repr(signer) + str(signer)
    assert SK not in shown
    assert AK not in shown
    assert "ap-southeast-1" in shown
