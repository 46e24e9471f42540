"""Which class speaks each dialect, and how a profile becomes a connected provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module

import httpx

from seedance.domain.clock import Clock
from seedance.domain.errors import ConfigError, Reason
from seedance.domain.profiles import Profile
from seedance.providers.base import Capabilities, Provider
from seedance.providers.http import BearerAuth, Credentials, HttpClient, RetryPolicy, origin_of

# The class speaking each (api, flavor) a profile can name. The `openai` api has two body
# shapes, kapon's and ope.ai's; a profile that names none gets ope.ai's (OpenAI's own).
PROVIDERS: dict[tuple[str, str | None], str] = {
    ("ark", None): "seedance.providers.ark:ArkProvider",
    ("openai", "kapon"): "seedance.providers.kapon:KaponProvider",
    ("openai", "opeai"): "seedance.providers.opeai:OpeAIProvider",
    ("newapi", None): "seedance.providers.newapi:NewAPIProvider",
}
DEFAULT_FLAVORS: dict[str, str] = {"openai": "opeai"}


def flavors(api: str) -> tuple[str, ...]:
    """The body shapes an api has (none: it has one)."""
    return tuple(flavor for known, flavor in PROVIDERS if known == api and flavor is not None)


def provider_class(profile: Profile) -> type[Provider]:
    """The class for a profile's `api` and `flavor` (imported only when needed)."""
    choices = flavors(profile.api)
    flavor = (profile.flavor or DEFAULT_FLAVORS.get(profile.api)) if choices else None
    target = PROVIDERS.get((profile.api, flavor))
    if target is None:
        raise ConfigError(
            f"profile '{profile.name}': unknown flavor '{flavor}' for the {profile.api} API",
            reason=Reason.of("choose_flavor", choices=", ".join(choices)),
            field="flavor",
            allowed=choices,
        )
    module, _, name = target.partition(":")
    cls: type[Provider] = getattr(import_module(module), name)
    return cls


def capabilities(profile: Profile) -> Capabilities:
    """A profile's capabilities without connecting (for docs, tables and early checks)."""
    return provider_class(profile).capabilities_for(profile)


def credentials_for(profile: Profile, environ: Mapping[str, str]) -> dict[str, Credentials]:
    """Which host gets which credentials: the API key for the API host and for a bearer asset
    library on the same key. (A signed asset library adds its signer when first used.)"""
    bearer = BearerAuth(profile.api_key_value(environ))
    creds: dict[str, Credentials] = {origin_of(profile.base_url): bearer}
    if profile.assets_url and profile.assets_auth != "aksk":
        creds.setdefault(origin_of(profile.assets_url), bearer)
    return creds


def connect(
    profile: Profile,
    *,
    environ: Mapping[str, str],
    clock: Clock,
    transport: httpx.BaseTransport | None = None,
    log: Callable[[str], None] | None = None,
    retry: RetryPolicy | None = None,
    offline: bool = False,
) -> Provider:
    """A provider for `profile`, with its HTTP client (credentials, retries, rate limit).

    `offline` (for --dry-run) tolerates a missing key: nothing will be sent.
    """
    cls = provider_class(profile)
    profile.register_secrets(environ)
    try:
        creds = credentials_for(profile, environ)
    except ConfigError:
        if not offline:
            raise
        creds = {}
    http = HttpClient(
        credentials=creds,
        clock=clock,
        transport=transport,
        environ=environ,
        retry=retry,
        rate_limit=profile.rate_limit,
        log=log,
    )
    return cls(profile, http)
