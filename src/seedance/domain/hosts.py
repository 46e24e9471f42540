"""What a host name says of where it is, without asking DNS: loopback, a private name, an
address that is not public (the simulator's own check, the doctor's, a callback URL's)."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    """`localhost` or a loopback address (127.0.0.1, ::1)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_private_name(host: str) -> bool:
    """A name that is never public: localhost, *.localhost, *.local."""
    return host == "localhost" or host.endswith((".localhost", ".local"))


def is_private_address(host: str) -> bool:
    """An IP address that is not public (private, loopback, link-local, ...); False for a
    name."""
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False
