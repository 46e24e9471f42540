"""Why the first real run will or will not work, spending nothing.

Each check reads only: the profile and where its key comes from, the state (the local journal,
or the shared database: reachable, schema version, privileges, round trip), the proxy settings
in the environment, DNS, one authenticated read of the API (which also shows TLS works and gives the
server's clock), the asset library, the bucket local media are published to (a presigned URL
of an object that need not exist), and, when asked, the free model probe of the Ark API
(docs/sources/real-world.md "Finding out what an account can use", "Network").
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from seedance.domain.catalogue import catalogue
from seedance.domain.errors import (
    AuthError,
    ConfigError,
    ExitStatus,
    NetworkError,
    Reason,
    SeedanceError,
    Suggestion,
)
from seedance.domain.hosts import is_private_address, is_private_name
from seedance.domain.redact import redact_url
from seedance.providers.http import RetryPolicy, http_date

if TYPE_CHECKING:
    from seedance.services.runtime import Runtime

PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
# Signed requests (the asset library's AK/SK signature) carry the time and are refused when
# it is far from the server's; a V4-style signature allows some minutes. Warn early.
SKEW_WARN = 60.0
SKEW_FAIL = 300.0
ONE_TRY = RetryPolicy(attempts=1)


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # worth knowing; the run can still work
    FAIL = "fail"
    SKIP = "skip"  # could not be checked (an earlier check failed, or it does not apply)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    reasons: tuple[Reason, ...] = ()  # why, and the way out (the front ends word them)
    exit_status: ExitStatus = ExitStatus.OK  # what a failure means, as the exit codes say
    suggestion: Suggestion | None = None  # the next step the reasons lead into

    @classmethod
    def failed(cls, name: str, exc: SeedanceError, detail: str | None = None) -> Check:
        """A failed check from an error: its message, reasons, next step and exit status."""
        return cls(
            name,
            Status.FAIL,
            detail or exc.message,
            exc.reasons,
            exc.exit_status,
            exc.suggestion,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "reasons": [r.name for r in self.reasons],
            "suggestion": self.suggestion.to_json() if self.suggestion else None,
        }


@dataclass
class Report:
    profile: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status is not Status.FAIL for c in self.checks)

    @property
    def exit_status(self) -> ExitStatus:
        """The first failure's meaning (checks run from the root cause outward)."""
        failed = [c for c in self.checks if c.status is Status.FAIL]
        return failed[0].exit_status if failed else ExitStatus.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
        }


class DoctorFailed(SeedanceError):
    """Some checks failed; `details` holds the whole report."""

    code = "doctor"

    def __init__(self, report: Report) -> None:
        failed = [c.name for c in report.checks if c.status is Status.FAIL]
        super().__init__(
            f"{len(failed)} check{'s' if len(failed) != 1 else ''} failed: {', '.join(failed)}",
            exit_status=report.exit_status,
        )
        self.report = report
        self.details = report.to_json()


def diagnose(rt: Runtime, *, probe_models: bool = False, config_file: Path | None = None) -> Report:
    """Every check, in order; nothing is created or paid."""
    profile = rt.profile
    report = Report(profile.name)
    add = report.checks.append
    add(_config(rt, config_file))
    add(_state(rt))
    key = _key(rt)
    add(key)
    add(_proxies(rt.environ))
    with _single_tries(rt):
        dns = _dns(rt)
        add(dns)
        api_ok = False
        if dns.status is Status.FAIL:
            add(Check("api", Status.SKIP, "not tried: the host does not resolve"))
            add(Check("clock", Status.SKIP, "not checked: no answer from the server"))
        else:
            check, date = _api(rt, key_ok=key.status is Status.OK)
            api_ok = check.status is Status.OK
            add(check)
            add(_clock(rt, date))
        add(_assets(rt))
        add(_storage(rt))
        doubt = profile.models_unconfirmed
        if probe_models or doubt:  # the probe is free; a doubtful region is always probed
            models = _models(rt, usable=api_ok)
            report.checks += models
            if doubt and api_ok and not any(c.status is Status.OK for c in models):
                add(_no_models_here(rt, doubt))
    return report


def _no_models_here(rt: Runtime, doubt: str) -> Check:
    """A region the sources doubt serves Seedance, where no model answered the probe."""
    return Check(
        "region",
        Status.FAIL,
        f"no Seedance model answers on {rt.profile.base_url} for this key: {doubt}",
        (Reason("region_without_seedance"),),
        ExitStatus.API,
    )


# -- the checks ------------------------------------------------------------------------------


def _config(rt: Runtime, config_file: Path | None) -> Check:
    profile = rt.profile
    kind = f"preset {profile.preset}" if profile.preset else "its own settings"
    if config_file is not None and config_file.exists():
        where = f"from {config_file}"
    else:
        where = "a built-in preset (no profiles.toml)" if profile.preset else "in memory"
    return Check(
        "config",
        Status.OK,
        f"profile '{profile.name}' ({kind}, {profile.api} API at {profile.base_url}), {where}",
    )


def _state(rt: Runtime) -> Check:
    """Where the journal, ledger and locks live, and whether this process can use them."""
    health = rt.state.health()
    kind = "shared state" if health.store == "postgres" else "local journal"
    if not health.reachable:
        return Check(
            "state",
            Status.FAIL,
            health.problem or f"the {kind} cannot be reached: {health.detail}",
            health.reasons,
            ExitStatus.NETWORK,
        )
    if health.problem is not None:
        older = (health.schema_version or 0) < (health.expected_version or 0)
        suggestion = Suggestion.of("journal.migrate") if older else None
        return Check(
            "state",
            Status.FAIL,
            health.problem,
            health.reasons,
            ExitStatus.USAGE,
            suggestion,
        )
    return Check("state", Status.OK, f"{kind}: {health.detail}")


def _key(rt: Runtime) -> Check:
    source = rt.profile.key_source(rt.environ)
    try:
        rt.profile.api_key_value(rt.environ)
    except ConfigError as exc:
        return Check.failed("key", exc)
    return Check("key", Status.OK, f"from {source}")


def _proxies(environ: Mapping[str, str]) -> Check:
    found = []
    for name in PROXY_VARIABLES:
        value = environ.get(name) or environ.get(name.lower())
        if value:
            shown = redact_url(value) if "://" in value else value
            found.append(f"{name}={shown}")
    detail = ", ".join(found) if found else "none set (direct connections)"
    return Check("proxy", Status.OK, detail)


def _dns(rt: Runtime) -> Check:
    profile = rt.profile
    if profile.simulator == "inprocess":
        return Check("dns", Status.SKIP, "the in-process simulator: no network needed")
    host = urlsplit(profile.base_url).hostname or ""
    try:
        found = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError) as exc:
        return Check(
            "dns",
            Status.FAIL,
            f"{host} does not resolve ({exc})",
            (Reason("dns_failed"),),
            ExitStatus.NETWORK,
        )
    return Check("dns", Status.OK, f"{host} -> {', '.join(sorted(found)[:3])}")


def _api(rt: Runtime, *, key_ok: bool) -> tuple[Check, str | None]:
    """One authenticated read: it reaches the host (TLS included) and tries the key."""
    host = urlsplit(rt.profile.base_url).netloc
    started = rt.clock.monotonic()
    try:
        response = rt.provider.auth_read()
    except NetworkError as exc:
        check = Check(
            "api",
            Status.FAIL,
            f"cannot reach {host}: {exc.message}",
            (Reason("api_unreachable"),),
            ExitStatus.NETWORK,
        )
        return check, None
    except ConfigError as exc:  # no key: the request could not even be made
        return Check("api", Status.SKIP, f"not tried: {exc.message}"), None
    date = response.headers.get("date")
    millis = (rt.clock.monotonic() - started) * 1000
    scheme = "TLS" if rt.profile.base_url.startswith("https://") else "plain HTTP"
    if not key_ok:
        return Check("api", Status.SKIP, f"{host} answered over {scheme}; no key to try"), date
    if response.status_code in (401, 403):
        error = rt.provider.error_for(response)
        source = rt.profile.key_source(rt.environ)
        return (
            Check(
                "api",
                Status.FAIL,
                f"{host} refused the key ({response.status_code} {error.code}); the key came "
                f"from {source}",
                (Reason("key_refused"),),
                ExitStatus.API,
            ),
            date,
        )
    return (
        Check(
            "api",
            Status.OK,
            f"{host} answered over {scheme} ({response.status_code}, {millis:.0f} ms); key "
            "accepted",
        ),
        date,
    )


def _clock(rt: Runtime, date: str | None) -> Check:
    if not date:
        return Check("clock", Status.SKIP, "not checked: no Date header from the server")
    server = http_date(date)
    if server is None:
        return Check("clock", Status.SKIP, f"the server's Date header is unreadable: {date!r}")
    skew = rt.clock.time() - server
    text = f"this machine is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the server"
    if abs(skew) > SKEW_FAIL:
        return Check(
            "clock",
            Status.FAIL,
            text,
            (Reason("clock_off"),),
            ExitStatus.USAGE,
        )
    if abs(skew) > SKEW_WARN:
        return Check("clock", Status.WARN, text, (Reason("clock_drifting"),))
    return Check("clock", Status.OK, text if abs(skew) >= 1 else "in step with the server")


def _assets(rt: Runtime) -> Check:
    """The asset library: a failure where the profile's media must be assets; elsewhere (its
    references go as URLs or inline) only a warning, since only asset:// media need it."""
    profile = rt.profile
    if not profile.assets_url:
        return Check("assets", Status.SKIP, "the profile has no asset library")
    how = "signed with AK/SK" if profile.assets_auth == "aksk" else "with the API key"
    try:
        library = rt.asset_resolver()
        assert library is not None  # the profile has an assets_url
        library.groups(page_size=1)
    except (ConfigError, AuthError, NetworkError) as exc:
        failed = Check.failed("assets", exc)
        if rt.capabilities.needs_assets:
            return failed
        return replace(
            failed,
            status=Status.WARN,
            detail=f"{failed.detail}; needed only for asset:// media and the asset library",
            exit_status=ExitStatus.OK,
        )
    except SeedanceError as exc:
        return Check("assets", Status.WARN, f"answered: {exc.message}", exc.reasons)
    return Check("assets", Status.OK, f"{urlsplit(profile.assets_url).netloc} ({how}) answered")


def _storage(rt: Runtime) -> Check:
    """The bucket local media are published to: boto3 and credentials there, the bucket
    answering them, and a presigned URL that fetches (read only: nothing is written)."""
    storage = rt.storage()
    if storage is None:
        return Check("storage", Status.SKIP, "the profile publishes no media to a bucket")
    where = f"s3://{storage.bucket_name}"
    try:
        storage.ready()
        identity = storage.bucket.identity()
        storage.bucket.check()
        key = storage.key_for(Path("doctor-probe"), "0" * 64)  # need not exist: a 404 is fine
        status, code = storage.bucket.try_url(storage.bucket.presign(key, 300))
    except SeedanceError as exc:
        return Check.failed("storage", exc)
    if code == "AccessDenied":  # S3's answer for a missing object without ListBucket
        return Check(
            "storage",
            Status.WARN,
            f"{where} answers; a presigned URL of an object that is not there answered "
            "403 AccessDenied (as S3 does without the ListBucket permission)",
            (Reason("bucket_permissions"),),
        )
    if status not in (200, 206, 404) or code in ("SignatureDoesNotMatch", "InvalidAccessKeyId"):
        return Check(
            "storage",
            Status.FAIL,
            f"{where}: a presigned URL was refused ({status} {code or ''})".rstrip(),
            (Reason("bucket_presign_refused"),),
            ExitStatus.API,
        )
    detail = f"{where} answers; a presigned URL fetches"
    if identity is not None:
        detail += f" (credentials {identity.shown})"
    endpoint = storage.bucket.endpoint or ""
    host = urlsplit(endpoint).hostname if endpoint else None
    if host and _private(host):
        return Check(
            "storage",
            Status.WARN,
            f"{detail}; but {host} is not a public address",
            (Reason("bucket_not_public"),),
        )
    if identity is not None and identity.expires_at is not None:
        return Check(
            "storage",
            Status.WARN,
            f"{detail}; the credentials are temporary (they end "
            f"{identity.expires_at:%Y-%m-%d %H:%M} UTC) and presigned URLs stop working with them",
            (Reason("bucket_credentials_temporary"),),
        )
    return Check("storage", Status.OK, detail)


def _private(host: str) -> bool:
    return is_private_name(host) or is_private_address(host)


def _models(rt: Runtime, *, usable: bool) -> list[Check]:
    """The free probe of every model the profile's catalogue names, and its own model."""
    if not rt.capabilities.can_probe:
        return [
            Check(
                "models",
                Status.SKIP,
                f"the {rt.provider.dialect} API has no free probe (documented only for "
                "the Ark API)",
            )
        ]
    if not usable:
        return [Check("models", Status.SKIP, "not probed: the API check did not pass")]
    from seedance.services.account.remote_models import probe_models

    vocab = catalogue().vocabularies.get(rt.profile.vocabulary or "")
    own = rt.profile.model
    names = [*(vocab.primaries() if vocab else []), *([own] if own else [])]
    try:
        probes = probe_models(rt, names)
    except SeedanceError as exc:
        return [Check.failed("models", exc)]
    checks = []
    for probe in probes:
        mine = probe.model == own
        name = f"model {probe.model}" + (" (the profile's)" if mine else "")
        if probe.outcome == "usable":
            checks.append(Check(name, Status.OK, "usable with this key"))
            continue
        words = {
            "not_activated": "real, but not activated on this account",
            "not_found": "not found for this key (a wrong id, or not served in this region)",
        }.get(probe.outcome, f"unclear: {probe.status} {probe.code or ''} {probe.message}")
        reason = Reason("activate_model" if probe.outcome == "not_activated" else "check_model_id")
        status = Status.FAIL if mine else Status.WARN
        checks.append(Check(name, status, words, (reason,), ExitStatus.API))
    return checks


@contextmanager
def _single_tries(rt: Runtime) -> Iterator[None]:
    """Every request of the diagnosis tried once: a dead host is reported, not waited out."""
    http = rt.provider.http
    saved = http.retry
    http.retry = ONE_TRY
    try:
        yield
    finally:
        http.retry = saved
