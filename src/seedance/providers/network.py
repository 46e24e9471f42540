"""Proxies and CA certificates from the environment, as every Python HTTP tool reads them.

httpx applies HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY only when it builds its own
transports (`httpx.Client(trust_env=True)` without `transport=`), and then it builds one per
proxy, each loading a CA bundle, before the first request. `EnvProxyTransport` routes each
request by the same rules (httpx 0.28: `_utils.get_environment_proxies` and `URLPattern`,
copied below; tests/providers/test_network.py checks the routing against httpx itself) but
builds a connection pool only for a (proxy, scheme) a request needs, and the TLS context
(SSL_CERT_FILE, else SSL_CERT_DIR, else certifi, as httpx does) only at the first https
request: the loopback simulator over http:// never loads a CA bundle. The environment is
a mapping, so tests never see a developer's proxy.

A proxy or CA setting that cannot work is a `ConfigError` (exit 2), raised by the first
request that needs it; credentials in a proxy URL never appear in a message.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import threading
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module

import httpx

from seedance.domain.errors import ConfigError
from seedance.providers.deadline import bound_connections

LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20)
# the variable a proxy route comes from, for messages ("all://" is ALL_PROXY)
_VARIABLES = {"http://": "HTTP_PROXY", "https://": "HTTPS_PROXY", "all://": "ALL_PROXY"}


def environment_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """`urllib.request.getproxies()` on a mapping: `*_proxy` names in any case, lowercase
    winning, an empty lowercase one switching the uppercase one off, and under CGI
    (REQUEST_METHOD set) no uppercase HTTP_PROXY (httpoxy, CVE-2016-1000110). The process's
    own `os.environ` goes to urllib itself, which adds the macOS and Windows system proxies."""
    if environ is os.environ:
        return urllib.request.getproxies()
    proxies: dict[str, str] = {}
    for name, value in environ.items():
        if value and name[-6:].lower() == "_proxy":
            proxies[name[:-6].lower()] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)
    for name, value in environ.items():
        if name[-6:] == "_proxy":
            if value:
                proxies[name[:-6].lower()] = value
            else:
                proxies.pop(name[:-6].lower(), None)
    return proxies


def proxy_mounts(environ: Mapping[str, str]) -> dict[str, str | None]:
    """httpx's `get_environment_proxies()`: URL patterns to a proxy URL, or None for NO_PROXY
    entries (go direct). `NO_PROXY=*` turns every proxy off."""
    info = environment_proxies(environ)
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        if info.get(scheme):
            url = info[scheme]
            mounts[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    for host in (entry.strip() for entry in info.get("no", "").split(",")):
        if host == "*":
            return {}
        if not host:
            continue
        if "://" in host:
            mounts[host] = None
        elif _is_ip(host, ipaddress.IPv4Address):
            mounts[f"all://{host}"] = None
        elif _is_ip(host, ipaddress.IPv6Address):
            mounts[f"all://[{host}]"] = None
        elif host.lower() == "localhost":
            mounts[f"all://{host}"] = None
        else:  # "example.com": it and its subdomains; ".example.com": subdomains only
            mounts[f"all://*{host}"] = None
    return mounts


def _is_ip(host: str, kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        kind(host.split("/")[0])
    except ValueError:
        return False
    return True


class _Pattern:
    """httpx's `URLPattern`: which URLs a mount key covers, and its precedence."""

    def __init__(self, key: str) -> None:
        url = httpx.URL(key)
        self.key = key
        self.scheme = "" if url.scheme == "all" else url.scheme
        self.host = "" if url.host == "*" else url.host
        self.port = url.port
        self.regex: re.Pattern[str] | None = None
        if self.host.startswith("*."):
            self.regex = re.compile(f"^.+\\.{re.escape(self.host[2:])}$")
        elif self.host.startswith("*"):
            self.regex = re.compile(f"^(.+\\.)?{re.escape(self.host[1:])}$")
        elif self.host:
            self.regex = re.compile(f"^{re.escape(self.host)}$")

    def matches(self, url: httpx.URL) -> bool:
        if self.scheme and self.scheme != url.scheme:
            return False
        if self.regex is not None and not self.regex.match(url.host):
            return False
        return self.port is None or self.port == url.port

    @property
    def priority(self) -> tuple[int, int, int]:
        """A port first, then the longer host, then the longer scheme."""
        return (0 if self.port is not None else 1, -len(self.host), -len(self.scheme))


def redact_proxy(url: str) -> str:
    """A proxy URL fit for a message: `user:password@` is a credential."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return f"{scheme}{sep}{netloc}{slash}{path}"


def ca_source(environ: Mapping[str, str]) -> str:
    """Where https certificates are checked against: SSL_CERT_FILE, SSL_CERT_DIR or certifi."""
    if environ.get("SSL_CERT_FILE"):
        return f"SSL_CERT_FILE={environ['SSL_CERT_FILE']}"
    if environ.get("SSL_CERT_DIR"):
        return f"SSL_CERT_DIR={environ['SSL_CERT_DIR']}"
    return "certifi"


def tls_context(environ: Mapping[str, str]) -> ssl.SSLContext:
    """httpx 0.28's verifying context: SSL_CERT_FILE replaces certifi's bundle, else
    SSL_CERT_DIR, else certifi. A file that cannot be read is a ConfigError."""
    cafile, capath = environ.get("SSL_CERT_FILE"), environ.get("SSL_CERT_DIR")
    try:
        if cafile:
            return ssl.create_default_context(cafile=cafile)
        if capath:
            return ssl.create_default_context(capath=capath)
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(
            f"{ca_source(environ)} cannot be used as CA certificates: {reason}",
            reason="ca_bundle_broken",
        ) from None


class EnvProxyTransport(httpx.BaseTransport):
    """One transport for every request: routed by the environment's proxy rules, with the
    connection pools and the TLS context built only when a request first needs them.

    The environment is read once, here (a dict scan): like `httpx.Client`, a live client is
    not re-routed by later changes.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self._ca = {k: environ[k] for k in ("SSL_CERT_FILE", "SSL_CERT_DIR") if k in environ}
        mounts = proxy_mounts(environ)
        self._routes = sorted(
            ((_Pattern(key), proxy) for key, proxy in mounts.items()),
            key=lambda route: route[0].priority,
        )
        self._pools: dict[tuple[str | None, str], httpx.HTTPTransport] = {}
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def route(self, url: httpx.URL | str) -> tuple[str | None, str | None]:
        """(the proxy a request to `url` goes through or None, the mount key that chose it)."""
        url = url if isinstance(url, httpx.URL) else httpx.URL(url)
        for pattern, proxy in self._routes:
            if pattern.matches(url):
                return proxy, pattern.key
        return None, None

    def proxy_for(self, url: httpx.URL | str) -> str | None:
        """The proxy URL a request to `url` goes through, or None for a direct connection."""
        return self.route(url)[0]

    @property
    def tls_loaded(self) -> bool:
        return self._tls is not None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        proxy, key = self.route(request.url)
        scheme = "https" if request.url.scheme == "https" else "http"
        pool = self._pools.get((proxy, scheme))  # the common case takes no lock
        if pool is None:
            with self._lock:
                pool = self._pools.get((proxy, scheme))
                if pool is None:
                    pool = self._pools[(proxy, scheme)] = self._build(proxy, key, scheme)
        return pool.handle_request(request)

    def _build(self, proxy: str | None, key: str | None, scheme: str) -> httpx.HTTPTransport:
        """A pool for one (proxy, scheme). Plain http never does TLS with its origin, so its
        pools get a context that loads no CA bundle; https pools share the verifying one."""
        variable = _VARIABLES.get(key or "", "the environment")
        proxy_config = _proxy(proxy, variable) if proxy is not None else None
        verify: ssl.SSLContext | bool = False
        if scheme == "https":
            if self._tls is None:
                self._tls = tls_context(self._ca)
            verify = self._tls
        transport = httpx.HTTPTransport(verify=verify, limits=LIMITS, proxy=proxy_config)
        bound_connections(transport)  # every read ends by its deadline (providers/deadline.py)
        return transport

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _proxy(url: str, variable: str) -> httpx.Proxy:
    shown = redact_proxy(url)
    try:
        proxy = httpx.Proxy(url)  # moves user:password@ into Proxy-Authorization
    except ValueError:  # a scheme httpx does not speak (socks4://, ftp://...)
        raise ConfigError(
            f"the proxy {shown} in {variable} is not one httpx can use",
            reason="proxy_scheme",
        ) from None
    if proxy.url.scheme.startswith("socks"):
        try:
            import_module("socksio")  # httpx's optional SOCKS support
        except ImportError:
            raise ConfigError(
                f"the SOCKS proxy {shown} in {variable} needs httpx's SOCKS support",
                reason="socks_missing",
            ) from None
    return proxy


@dataclass(frozen=True)
class NetworkRoute:
    """How requests to one URL leave this machine (for `doctor`)."""

    url: str
    proxy: str | None  # the proxy URL, credentials hidden; None: a direct connection
    variable: str | None  # the variable that chose it: HTTPS_PROXY, ALL_PROXY, NO_PROXY...
    ca: str | None  # https only: "certifi", "SSL_CERT_FILE=…" or "SSL_CERT_DIR=…"


def network_summary(environ: Mapping[str, str], urls: Iterable[str]) -> list[NetworkRoute]:
    """For each URL (a profile's base_url, assets_url...): the proxy its requests take and
    the CA certificates https is checked against. Builds nothing and sends nothing."""
    transport = EnvProxyTransport(environ)
    routes = []
    for url in urls:
        proxy, key = transport.route(url)
        variable = _VARIABLES.get(key or "", "NO_PROXY") if key else None
        ca = ca_source(environ) if httpx.URL(url).scheme == "https" else None
        routes.append(NetworkRoute(url, redact_proxy(proxy) if proxy else None, variable, ca))
    return routes
