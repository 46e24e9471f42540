"""Where seedance fetches what a server names (a task's result URL, a reference video it
measures): http(s) only, and public addresses only.

A server's answer is not trusted to point anywhere: a result URL on loopback, `localhost`, a
link-local address (169.254.169.254, a cloud's metadata service) or a private network would
make seedance fetch from the user's own machine or network. Literal addresses are checked, and
a host name by what it resolves to (every address it has). A name that does not resolve here
passes: the request then goes through a proxy, which resolves it, or nowhere.

The exception: when the profile's API host is itself non-public (the simulator, a gateway on
a private network), its results may come from its own network; and a result on the API's own
host is always fetched (its key is trusted with it already).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import httpx

from seedance.domain.errors import BadResponseError
from seedance.domain.redact import redact_url

SCHEMES = ("http", "https")
UNUSABLE_URL = "unusable_url"
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (raises OSError when it does not resolve)."""
    found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in found]


def _address_is_public(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 zone
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def non_public(host: str) -> str | None:
    """Why `host` is not public (the address it is or resolves to), or None when it is
    public or does not resolve here."""
    name = host.strip("[]").rstrip(".").lower()
    if not name:
        return "no host"
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return name
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return None if _address_is_public(name) else name
    if name.endswith(".invalid"):  # never resolves (RFC 6761): the in-process simulator
        return None
    try:
        addresses = resolve(name)
    except (OSError, UnicodeError):
        return None
    for address in addresses:
        if not _address_is_public(address):
            return f"{name}, which resolves to {address}"
    return None


class PublicOnly:
    """A check of each URL a download requests (redirects included): http(s), and on a public
    address unless the profile's API host is non-public or the URL is on that very host.
    Raises BadResponseError (the server answered a URL seedance does not fetch)."""

    def __init__(self, api_base_url: str, what: str = "the result") -> None:
        self.api_host = (httpx.URL(api_base_url).host or "").lower()
        self.what = what
        self._trusted: bool | None = None

    @property
    def api_is_private(self) -> bool:
        if self._trusted is None:
            self._trusted = bool(self.api_host) and non_public(self.api_host) is not None
        return self._trusted

    def __call__(self, url: httpx.URL | str) -> None:
        url = httpx.URL(str(url)) if isinstance(url, str) else url
        shown = redact_url(url)
        if url.scheme not in SCHEMES:
            raise BadResponseError(
                f"{self.what} URL {shown} is not an http(s) URL: only http(s) URLs are fetched",
                code=UNUSABLE_URL,
            )
        host = (url.host or "").lower()
        if host == self.api_host or self.api_is_private:
            return
        why = non_public(host)
        if why is not None:
            raise BadResponseError(
                f"{self.what} URL {shown} is on {why}, not a public address: results are "
                "fetched only from public hosts",
                code=UNUSABLE_URL,
                reason="result_host_private",
            )


UrlCheck = Callable[[httpx.URL], None]
