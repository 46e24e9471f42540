"""Proxies and CAs from the environment: routed as httpx routes them, built only when needed,
through a real loopback proxy, and said plainly when they cannot work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import httpx
import pytest

from loopback import LoopbackProxy, Origin, make_test_ca
from seedance.domain.clock import FakeClock
from seedance.domain.errors import ConfigError, ExitStatus, NetworkError
from seedance.providers.http import HttpClient
from seedance.providers.network import (
    EnvProxyTransport,
    NetworkRoute,
    environment_proxies,
    network_summary,
)
from support import World

# -- routing: the same choices as httpx.Client(trust_env=True) --------------------------------

P1, P2, P3 = "http://p1:3128", "http://p2:3128", "http://u:pw@p3:8080"
ENVIRONMENTS = [
    {},
    {"HTTPS_PROXY": P1},
    {"https_proxy": P1},
    {"HTTPS_PROXY": P1, "https_proxy": P2},  # lowercase wins
    {"HTTPS_PROXY": P1, "https_proxy": ""},  # an empty lowercase one switches it off
    {"HTTP_PROXY": P1},
    {"HTTP_PROXY": P1, "REQUEST_METHOD": "GET"},  # httpoxy: uppercase ignored under CGI
    {"http_proxy": P1, "REQUEST_METHOD": "GET"},
    {"ALL_PROXY": P3},
    {"all_proxy": "p3:8080"},  # no scheme: http://
    {"HTTPS_PROXY": P1, "HTTP_PROXY": P2, "ALL_PROXY": P3},
    {"HTTPS_PROXY": P1, "NO_PROXY": "*"},
    {"HTTPS_PROXY": P1, "NO_PROXY": "example.com"},
    {"HTTPS_PROXY": P1, "NO_PROXY": ".example.com"},
    {"HTTPS_PROXY": P1, "no_proxy": " example.com , 10.0.0.1,::1,localhost"},
    {"HTTPS_PROXY": P1, "NO_PROXY": "example.com:8443"},
    {"HTTPS_PROXY": P1, "NO_PROXY": "http://example.com"},
    {"ALL_PROXY": P3, "NO_PROXY": "192.168.0.0/16"},  # no CIDR in httpx
    {"ALL_PROXY": P3, "NO_PROXY": "LOCALHOST"},
    {"ALL_PROXY": P3, "NO_PROXY": "127.0.0.1,localhost"},
    {"ALL_PROXY": P3, "NO_PROXY": ",,"},
    {"FTP_PROXY": P1, "NO_PROXY": "x"},
]
URLS = [
    "http://example.com/",
    "https://example.com/",
    "https://www.example.com/",
    "https://wwwexample.com/",
    "https://example.com:8443/",
    "https://EXAMPLE.com/",
    "http://10.0.0.1/",
    "https://[::1]:8000/",
    "http://localhost:8000/",
    "http://127.0.0.1:8000/",
    "http://192.168.1.5/",
    "https://ark.ap-southeast.bytepluses.com/api/v3",
]


def httpx_routes(environ: dict[str, str]) -> dict[str, str | None]:
    """The proxy stock httpx picks for each URL under `environ` (its private routing table)."""
    with mock.patch.dict(os.environ, environ, clear=True):
        client = httpx.Client()
        proxies = client._get_proxy_map(None, True)
    by_transport = {id(t): str(proxies[p.pattern].url) for p, t in client._mounts.items() if t}
    try:
        return {u: by_transport.get(id(client._transport_for_url(httpx.URL(u)))) for u in URLS}
    finally:
        client.close()


@pytest.mark.parametrize(
    "environ", ENVIRONMENTS, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items())
)
def test_routes_are_the_ones_httpx_picks(environ: dict[str, str]) -> None:
    transport = EnvProxyTransport(environ)
    ours = {url: transport.proxy_for(url) for url in URLS}
    shown = {url: None if p is None else str(httpx.Proxy(p).url) for url, p in ours.items()}
    assert shown == httpx_routes(environ)


def test_the_process_environment_is_read_by_urllib_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", P1)
    monkeypatch.setenv("no_proxy", "example.com")
    assert environment_proxies(os.environ) == {"https": P1, "no": "example.com"}
    assert EnvProxyTransport().proxy_for("https://api.test/") == P1


# -- nothing built before it is needed ---------------------------------------------------------


def test_no_pool_and_no_tls_context_before_the_first_request() -> None:
    transport = EnvProxyTransport({"HTTPS_PROXY": P1, "HTTP_PROXY": P2})
    with HttpClient(clock=FakeClock(), transport=transport):
        assert transport._pools == {} and not transport.tls_loaded


def test_http_requests_never_build_a_tls_context_proxied_or_not() -> None:
    with Origin() as origin, LoopbackProxy() as proxy:
        for environ in ({}, {"HTTP_PROXY": proxy.url}, {"HTTPS_PROXY": "http://unused:1"}):
            transport = EnvProxyTransport(environ)
            with HttpClient(clock=FakeClock(), transport=transport) as http:
                assert http.request("GET", f"{origin.url}/x").text == "hello /x"
            assert not transport.tls_loaded
    assert proxy.targets() == [("FORWARD", f"GET {origin.url}/x")]


def test_start_up_commands_import_no_http_layer_and_no_mcp_sdk() -> None:
    probe = (
        "import sys; from seedance.cli import entry; sys.argv = ['seedance', {flag}]\n"
        "try: entry.main()\nexcept SystemExit: pass\n"
        "print([m for m, module in sys.modules.items() if module is not None\n"
        "       and m.startswith(('httpx', 'seedance.providers', 'mcp', 'seedance.mcp'))])"
    )
    for flag in ("'--version'", "'--help'", "'mcp', '--help'"):
        done = subprocess.run(
            [sys.executable, "-c", probe.replace("{flag}", flag)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert done.stdout.strip().splitlines()[-1] == "[]", flag


# -- through a real proxy, on loopback ------------------------------------------------------------


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def https_origin(test_ca: tuple[Path, Path, Path]) -> Iterator[Origin]:
    _ca, cert, key = test_ca
    with Origin((cert, key)) as origin:
        yield origin


def test_https_requests_go_through_https_proxy_and_skip_it_for_no_proxy_hosts(
    test_ca: tuple[Path, Path, Path], https_origin: Origin
) -> None:
    ca = str(test_ca[0])
    host = httpx.URL(https_origin.url).netloc.decode()
    with LoopbackProxy() as proxy:
        proxied = {"HTTPS_PROXY": proxy.url, "SSL_CERT_FILE": ca, "NO_PROXY": "localhost"}
        with HttpClient(clock=FakeClock(), environ=proxied) as http:
            assert http.request("GET", f"{https_origin.url}/a").text == "hello /a"
        assert proxy.targets() == [("CONNECT", host)]  # a tunnel: TLS end to end

        direct = {**proxied, "NO_PROXY": "example.com, 127.0.0.1"}
        with HttpClient(clock=FakeClock(), environ=direct) as http:
            assert http.request("GET", f"{https_origin.url}/b").text == "hello /b"
        assert proxy.targets() == [("CONNECT", host)]  # nothing more went through it


def test_proxy_credentials_are_sent_to_the_proxy_only(
    test_ca: tuple[Path, Path, Path], https_origin: Origin
) -> None:
    with LoopbackProxy() as proxy:
        url = proxy.url.replace("http://", "http://user:s3cret@")
        environ = {"HTTPS_PROXY": url, "SSL_CERT_FILE": str(test_ca[0])}
        with HttpClient(clock=FakeClock(), environ=environ) as http:
            http.request("GET", https_origin.url)
    [(_kind, _target, auth)] = proxy.log
    assert auth == "Basic dXNlcjpzM2NyZXQ="  # user:s3cret


def test_ssl_cert_file_is_what_https_is_checked_against(https_origin: Origin) -> None:
    with (
        HttpClient(clock=FakeClock(), environ={}) as http,
        pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        http.request("GET", https_origin.url)  # certifi does not know the test CA


def test_the_cli_sends_through_the_environments_proxy_unless_no_proxy(
    world: World, sim_server: object
) -> None:
    with LoopbackProxy() as proxy:
        world.environ["HTTP_PROXY"] = proxy.url
        made = world.run("-p", "sim-byteplus", "create", "a boat", "-o", "boat.mp4")
        assert made.exit_code == 0, made.stderr
        relayed = [target for kind, target in proxy.targets() if kind == "FORWARD"]
        assert any(t.startswith("POST http://127.0.0.1") for t in relayed)  # the create
        assert any(t.endswith(".mp4") or ".mp4?" in t for t in relayed)  # the video

        before = len(proxy.log)
        world.environ["NO_PROXY"] = "127.0.0.1"
        listed = world.run("-p", "sim-byteplus", "tasks", "list")
        assert listed.exit_code == 0, listed.stderr
        assert len(proxy.log) == before


# -- settings that cannot work: exit 2, one line, no secret -----------------------------------


def test_socks_without_httpx_socks_support_is_one_plain_line(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "socksio", None)  # as when httpx[socks] is not installed
    world.environ["ALL_PROXY"] = "socks5://user:hunter2@127.0.0.1:9"

    outcome = world.run("-p", "byteplus", "status", "cgt-1")

    assert outcome.exit_code == 2
    [line] = outcome.stderr.strip().splitlines()
    assert line.startswith("error: the SOCKS proxy socks5://***@127.0.0.1:9 in ALL_PROXY")
    assert "pip install 'httpx[socks]'" in line and "hunter2" not in line


def test_a_proxy_scheme_httpx_cannot_use_is_a_config_error() -> None:
    environ = {"HTTPS_PROXY": "socks4://user:hunter2@127.0.0.1:9"}
    with (
        HttpClient(clock=FakeClock(), environ=environ) as http,
        pytest.raises(ConfigError) as caught,
    ):
        http.request("GET", "https://api.test/")
    assert caught.value.exit_status is ExitStatus.USAGE
    assert "HTTPS_PROXY" in str(caught.value) and "hunter2" not in str(caught.value)


def test_a_broken_proxy_fails_only_the_requests_it_routes() -> None:
    with Origin() as origin:
        environ = {"HTTPS_PROXY": "socks4://127.0.0.1:9"}
        with HttpClient(clock=FakeClock(), environ=environ) as http:
            assert http.request("GET", origin.url).status_code == 200  # http: not routed there
            with pytest.raises(ConfigError):
                http.request("GET", "https://127.0.0.1:9/")


def test_an_unreadable_ssl_cert_file_is_a_config_error_at_the_first_https_request(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "ca.pem"
    environ = {"SSL_CERT_FILE": str(missing)}
    with (
        HttpClient(clock=FakeClock(), environ=environ) as http,
        pytest.raises(ConfigError, match=f"SSL_CERT_FILE={missing} cannot be used"),
    ):
        http.request("GET", "https://127.0.0.1:9/")


# -- what doctor shows --------------------------------------------------------------------------


def test_network_summary_says_how_each_host_is_reached() -> None:
    environ = {
        "HTTPS_PROXY": "http://user:pw@proxy.corp:3128",
        "NO_PROXY": "models.kapon.cloud",
        "SSL_CERT_FILE": "/etc/corp-ca.pem",
    }
    routes = network_summary(
        environ,
        [
            "https://ark.ap-southeast.bytepluses.com/api/v3",
            "https://models.kapon.cloud/volcark/",
            "http://127.0.0.1:8000/api/v3",
        ],
    )
    assert routes == [
        NetworkRoute(
            "https://ark.ap-southeast.bytepluses.com/api/v3",
            "http://***@proxy.corp:3128",
            "HTTPS_PROXY",
            "SSL_CERT_FILE=/etc/corp-ca.pem",
        ),
        NetworkRoute(
            "https://models.kapon.cloud/volcark/",
            None,
            "NO_PROXY",
            "SSL_CERT_FILE=/etc/corp-ca.pem",
        ),
        NetworkRoute("http://127.0.0.1:8000/api/v3", None, None, None),
    ]
    assert json.dumps([r.__dict__ for r in routes])  # plain data, for --json
