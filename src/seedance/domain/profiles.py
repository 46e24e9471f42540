"""The profile store (`profiles.toml`) and the built-in presets (README "Configure a profile")."""

from __future__ import annotations

import copy
import os
import re
import shlex
import stat
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from seedance import data
from seedance.domain.documents import parse_toml
from seedance.domain.errors import ConfigError, Reason, Suggestion
from seedance.domain.field_errors import plain_message
from seedance.domain.hosts import is_loopback
from seedance.domain.models import CreateSettings, GenerationParams
from seedance.domain.redact import program_of, register_secret

if TYPE_CHECKING:
    from seedance.domain.pricing import ProfilePrices

PROFILES_FILE = "profiles.toml"
KEY_OVERRIDE_ENV = "SEEDANCE_API_KEY"
_KEY_SOURCES = ("api_key", "api_key_env", "api_key_cmd")
DEFAULT_KEYS = (*CreateSettings.model_fields, "model")  # what [profiles.NAME.defaults] takes


class Profile(BaseModel):
    """A profile with its preset applied: everything needed to talk to one provider."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    preset: str | None = None
    title: str | None = None
    api: Literal["ark", "openai", "newapi"]
    flavor: str | None = None
    base_url: str
    api_key: SecretStr | None = None
    api_key_env: str | None = None
    api_key_cmd: str | None = None
    model: str | None = None
    vocabulary: str | None = None
    assets_url: str | None = None
    assets_auth: Literal["bearer", "aksk"] | None = None
    assets_region: str | None = None
    access_key_env: str | None = None
    secret_key_env: str | None = None
    references: Literal["any", "assets"] = "any"
    upload_cmd: str | None = None
    # local media published to the user's S3-compatible bucket (services/media/storage.py):
    # "s3://bucket/prefix", its endpoint (AWS when unset), its region, and whether objects
    # are deleted once the video is made (else the bucket's lifecycle rules keep them)
    storage: str | None = None
    storage_endpoint: str | None = None
    storage_region: str | None = None
    storage_cleanup: bool = False
    asset_group: str | None = None
    simulator: Literal["inprocess"] | None = None
    rate_limit: int = 600
    strict: bool = False  # refuse models the catalogue does not know, instead of a notice
    model_family: str | None = None  # what an endpoint id (ep-…) serves, e.g. "2.0"
    # a preset's doubt about which models its endpoint serves (the free probe decides: doctor
    # probes, and a create refused there says so plainly)
    models_unconfirmed: str | None = None
    prices: dict[str, Any] = {}  # per model: a price per million tokens, or one per resolution
    currency: str | None = None  # of `prices` (default: the provider's price list's)
    # The account's limits, shared by every seedance process (services/accounts.py): tasks
    # unfinished at once (docs/sources/ark.txt: concurrency 10 on the pro models), per model
    # where a model has its own, and what may be spent a day / a month (UTC), in the currency
    # of the profile's prices.
    max_running: int = Field(10, ge=1)
    max_running_models: dict[str, Annotated[int, Field(ge=1)]] = {}
    budget_day: float | None = Field(None, ge=0, allow_inf_nan=False)
    budget_month: float | None = Field(None, ge=0, allow_inf_nan=False)
    defaults: dict[str, Any] = {}

    @field_validator("base_url", "assets_url")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        check_url_scheme(value)
        return value

    @field_validator("storage_endpoint")
    @classmethod
    def _safe_endpoint(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        check_url_scheme(value)
        return value

    @field_validator("storage")
    @classmethod
    def _bucket_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        storage_location(value)
        return value

    @field_validator("vocabulary")
    @classmethod
    def _known_vocabulary(cls, value: str | None) -> str | None:
        from seedance.domain.catalogue import catalogue

        if value is not None and value not in catalogue().vocabularies:
            names = ", ".join(catalogue().vocabularies)
            raise ValueError(f"unknown vocabulary '{value}' (one of: {names})")
        return value

    @field_validator("prices")
    @classmethod
    def _numeric_prices(cls, value: dict[str, Any]) -> dict[str, Any]:
        from seedance.domain.pricing import problems_in_prices

        problems = problems_in_prices(value)
        if problems:
            raise ValueError(problems[0])
        return value

    @field_validator("model_family")
    @classmethod
    def _known_family(cls, value: str | None) -> str | None:
        from seedance.domain.catalogue import catalogue

        if value is not None and catalogue().family_for_name(value) is None:
            names = ", ".join(catalogue().families)
            raise ValueError(f"model_family '{value}' names no model family (one of: {names})")
        return value

    @property
    def simulated(self) -> bool:
        """A simulator's profile (the built-in demo, or a `sim-*` one on a loopback host): its
        money is what the real service would charge, and nothing is billed."""
        from urllib.parse import urlsplit

        if self.simulator is not None:
            return True
        return self.name.startswith("sim-") and is_loopback(urlsplit(self.base_url).hostname)

    def price_overrides(self) -> ProfilePrices | None:
        """The profile's own prices, when it sets any."""
        from seedance.domain.pricing import ProfilePrices

        return ProfilePrices(self.prices, self.currency) if self.prices else None

    @field_validator("defaults")
    @classmethod
    def _known_defaults(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(DEFAULT_KEYS))
        if not unknown:
            try:
                GenerationParams.model_validate(value)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                raise ValueError(f"{where}: {plain_message(err)}") from None
        if unknown:
            raise ValueError(
                f"unknown default {', '.join(unknown)} (allowed: {', '.join(DEFAULT_KEYS)})"
            )
        return value

    # -- credentials -------------------------------------------------------------------------

    def key_source(self, environ: Mapping[str, str]) -> str:
        """Where the API key comes from, for people: never the key itself."""
        if environ.get(KEY_OVERRIDE_ENV, "").strip():
            return f"environment variable {KEY_OVERRIDE_ENV}"
        if self.api_key is not None:
            return "api_key in profiles.toml" if self.preset != "demo" else "built in (demo)"
        if self.api_key_cmd:  # its program only: the arguments might hold a secret
            return f"api_key_cmd (`{program_of(self.api_key_cmd)} …`)"
        if self.api_key_env:
            state = "set" if environ.get(self.api_key_env, "").strip() else "not set"
            return f"environment variable {self.api_key_env} ({state})"
        return "nowhere (no api_key, api_key_env or api_key_cmd)"

    def api_key_value(self, environ: Mapping[str, str]) -> str:
        """The key: SEEDANCE_API_KEY, else api_key, api_key_cmd or api_key_env, in that order;
        without the spaces or line breaks around it (a pasted key, a key file with CRLF)."""
        override = environ.get(KEY_OVERRIDE_ENV, "").strip()
        if override:
            return checked_key(override, f"environment variable {KEY_OVERRIDE_ENV}")
        if self.api_key is not None:
            where = f"api_key of profile '{self.name}'"
            return checked_key(self.api_key.get_secret_value().strip(), where, "api_key")
        if self.api_key_cmd:
            where = f"api_key_cmd `{program_of(self.api_key_cmd)} …`"
            return checked_key(run_key_command(self.api_key_cmd), where, "api_key_cmd")
        given = environ.get(self.api_key_env, "").strip() if self.api_key_env else ""
        if given:
            return checked_key(given, f"environment variable {self.api_key_env}", "api_key_env")
        raise ConfigError(
            f"no API key for profile '{self.name}'",
            reason=Reason.of("no_key", env=self.api_key_env or "", override=KEY_OVERRIDE_ENV),
            field="api_key_env",
            suggestion=Suggestion.of("profiles.show", self.name),
        )

    def access_keys(self, environ: Mapping[str, str]) -> tuple[str, str]:
        """The access key pair for a signed (aksk) asset library (without the spaces or line
        breaks around them)."""
        ak_env = self.access_key_env or "VOLC_ACCESSKEY"
        sk_env = self.secret_key_env or "VOLC_SECRETKEY"
        ak, sk = environ.get(ak_env, "").strip(), environ.get(sk_env, "").strip()
        if not ak or not sk:
            raise ConfigError(
                f"the asset library of profile '{self.name}' signs requests with an access key",
                reason=Reason.of("set_access_keys", ak=ak_env, sk=sk_env),
            )
        ak = checked_key(ak, f"environment variable {ak_env}", "access_key_env")
        return ak, checked_key(sk, f"environment variable {sk_env}", "secret_key_env")

    def register_secrets(self, environ: Mapping[str, str]) -> None:
        """Tell `domain/redact.py` the secrets this profile reaches that are not read yet (a
        signed asset library's key pair is read on its first request, but a server may echo
        it before): no text from a server shows them from now on."""
        if self.assets_auth == "aksk":
            register_secret(environ.get(self.access_key_env or "VOLC_ACCESSKEY", "").strip())
            register_secret(environ.get(self.secret_key_env or "VOLC_SECRETKEY", "").strip())
        if self.storage:  # the bucket's keys as boto3 reads them from the environment (the
            # ones it finds elsewhere, ~/.aws, are registered when the bucket is first used)
            register_secret(environ.get("AWS_SECRET_ACCESS_KEY", "").strip())
            register_secret(environ.get("AWS_SESSION_TOKEN", "").strip())


def checked_key(key: str, where: str, field: str | None = None) -> str:
    """`key` (stripped already) when a request header can carry it: printable ASCII without
    spaces (RFC 6750 §2.1: a bearer token is letters, digits and -._~+/=). Refuses any other,
    never showing it, with `where` it came from."""
    if not key:
        raise ConfigError(f"the key from {where} is empty", reason="key_empty", field=field)
    bad = next((i for i, c in enumerate(key) if not "!" <= c <= "~"), None)
    if bad is not None:
        raise ConfigError(
            f"the key from {where} holds a space, a line break, a control character or a "
            f"non-ASCII character at position {bad + 1} (the key is not shown)",
            reason="key_damaged",
            field=field,
        )
    register_secret(key)  # no text from a server shows it from now on
    return key


def check_url_scheme(url: str) -> None:
    """https everywhere; http only for a loopback host (a local simulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return
    if parts.scheme == "http":
        raise ValueError(f"{url}: http:// is only allowed for loopback hosts; use https://")
    raise ValueError(f"{url}: not an https:// URL")


# S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with
# a letter or digit (AWS "Bucket naming rules"; R2, TOS and MinIO follow them)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def storage_location(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` as (bucket, prefix without slashes at its ends)."""
    parts = urlsplit(url.strip())
    bucket = parts.netloc
    if parts.scheme != "s3" or not _BUCKET.fullmatch(bucket) or parts.query or parts.fragment:
        raise ValueError(
            f"{url}: not an s3://bucket/prefix address (a bucket name is 3-63 lower-case "
            "letters, digits, dots and hyphens)"
        )
    return bucket, parts.path.strip("/")


def run_key_command(command: str) -> str:
    """Run `api_key_cmd` (no shell) and return its first output line.

    Errors name the program only: its arguments may hold a secret (a password, a token).
    """
    program = program_of(command)
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=30, check=False
        )
    except ValueError:
        raise ConfigError("api_key_cmd cannot be split into words (an unclosed quote?)") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"api_key_cmd `{program} …` did not finish in 30 s") from None
    except OSError as exc:
        raise ConfigError(
            f"api_key_cmd `{program} …` could not run: {exc.strerror or type(exc).__name__}"
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise ConfigError(
            f"api_key_cmd `{program} …` gave no key (exit {done.returncode})",
            reason="key_cmd_failed",
        )
    return lines[0].strip()


def presets() -> dict[str, dict[str, Any]]:
    """The built-in presets, by name."""
    return data.load("presets.toml")


def build_profile(name: str, values: Mapping[str, Any]) -> Profile:
    """Apply the preset a profile names (or its own name, if that is a preset) and validate."""
    if not isinstance(values.get("preset", ""), str):
        raise _broken(name, "preset", "preset must be a name")
    if not isinstance(values.get("defaults", {}), dict):
        raise _broken(name, "defaults", "defaults must be a table")
    preset_name = values.get("preset") or (name if name in presets() else None)
    if preset_name is not None and preset_name not in presets():
        raise ConfigError(
            f"profile '{name}': unknown preset '{preset_name}'",
            reason=Reason.of("choose_one", choices=", ".join(presets())),
            field="preset",
            allowed=presets(),
        )
    merged: dict[str, Any] = dict(presets().get(preset_name, {})) if preset_name else {}
    if any(values.get(k) for k in _KEY_SOURCES):  # the profile's own key source wins
        for key in _KEY_SOURCES:
            merged.pop(key, None)
    merged.update({k: v for k, v in values.items() if k != "defaults"})
    merged["defaults"] = {**merged.get("defaults", {}), **values.get("defaults", {})}
    merged["name"], merged["preset"] = name, preset_name
    if "CallbackURL" in merged["defaults"]:  # docs/sources/phanedge.txt's alias
        merged["defaults"].setdefault("callback_url", merged["defaults"].pop("CallbackURL"))
    try:
        return Profile.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "profile"
        msg = err["msg"].removeprefix("Value error, ")
        raise _broken(name, where, f"{where}: {msg}") from None


def _broken(name: str, field: str, problem: str) -> ConfigError:
    """A stored profile that cannot be used, and how to mend it."""
    return ConfigError(
        f"profile '{name}': {problem}",
        reason="profile_broken",
        field=field,
        suggestion=Suggestion.of("profiles.add", name),
    )


class ProfileStore:
    """`profiles.toml` in the config directory, written atomically at mode 0600."""

    def __init__(self, config_dir: Path, warn: Callable[[str], None] | None = None) -> None:
        self.path = config_dir / PROFILES_FILE
        self._warn = warn
        self._doc: dict[str, Any] | None = None

    def read(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = self._load()
        return self._doc

    def _load(self) -> dict[str, Any]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from None
        if info.st_mode & 0o077 and self._warn is not None:
            mode = stat.filemode(info.st_mode)
            self._warn(f"{self.path} is readable by others ({mode}); run: chmod 600 {self.path}")
        try:
            doc = parse_toml(self.path.read_text("utf-8"))
        except ValueError as exc:  # not TOML, not UTF-8, nested too deeply, a number too long
            raise ConfigError(
                f"{self.path} is not valid TOML: {exc}", reason="profiles_file_invalid"
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from None
        profiles = doc.get("profiles", {})
        if not isinstance(profiles, dict) or not all(
            isinstance(v, dict) for v in profiles.values()
        ):
            raise ConfigError(
                f"{self.path}: [profiles.NAME] must be tables", reason="profiles_tables"
            )
        if not isinstance(doc.get("default_profile", ""), str):
            raise ConfigError(
                f"{self.path}: default_profile must be a string", reason="profiles_tables"
            )
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        """The whole file, replaced atomically (a temporary of this process and thread, fsynced,
        renamed over it), at mode 0600; only under the lock of `changing`."""
        import threading

        import tomli_w

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                tomli_w.dump(doc, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._doc = doc

    @contextmanager
    def changing(self) -> Iterator[dict[str, Any]]:
        """The file's document, read afresh under an exclusive lock, written back when the block
        ends without an error and changed it: two processes changing profiles at once each keep
        the other's change (a document read earlier may be stale)."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(
            self.path.with_name(f".{self.path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600
        )
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)  # held for a read and a write: never long
            for left in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                left.unlink(missing_ok=True)  # a writer killed mid-write (writers hold the lock)
            self._doc = None
            doc = copy.deepcopy(self.read())
            yield doc
            if doc != self.read():
                self._write(_ordered(doc))
        finally:
            os.close(lock)  # and with it the lock

    # -- queries -----------------------------------------------------------------------------

    def stored(self) -> dict[str, dict[str, Any]]:
        return dict(self.read().get("profiles", {}))

    def names(self) -> list[str]:
        """Profiles in the file, then built-in presets usable by name."""
        stored = list(self.stored())
        return stored + [p for p in presets() if p not in stored]

    def default_name(self) -> str | None:
        return self.read().get("default_profile") or None

    def state_url(self) -> str | None:
        """`state_url` at the top of the file: the shared state (domain/state_url.py)."""
        value = self.read().get("state_url")
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self.path}: state_url must be a string", reason="profiles_tables")
        return value or None

    def get(self, name: str) -> Profile:
        stored = self.stored()
        if name in stored:
            return build_profile(name, stored[name])
        if name in presets():
            return build_profile(name, {})
        raise ConfigError(
            f"no profile named '{name}'",
            reason=Reason.of("profile_unknown", names=", ".join(self.names())),
            field="profile",
            allowed=self.names(),
            suggestion=Suggestion.of("profiles.add", name),
        )

    def select(self, name: str | None, environ: Mapping[str, str]) -> Profile:
        """The profile to use: --profile, $SEEDANCE_PROFILE, default_profile, the only one."""
        chosen = name or environ.get("SEEDANCE_PROFILE") or self.default_name()
        if not chosen and len(self.stored()) == 1:
            chosen = next(iter(self.stored()))
        if not chosen:
            raise ConfigError(
                "no profile selected",
                reason="no_profiles",
                field="profile",
                allowed=self.names(),
                suggestion=Suggestion.of("create", "a paper boat", profile="demo"),
            )
        return self.get(chosen)

    # -- changes -----------------------------------------------------------------------------

    def add(self, name: str, values: dict[str, Any], *, make_default: bool = False) -> Profile:
        profile = build_profile(name, values)  # validate before writing anything
        with self.changing() as doc:
            doc.setdefault("profiles", {})[name] = values
            if make_default or not doc.get("default_profile"):
                doc["default_profile"] = name
        return profile

    def remove(self, name: str) -> None:
        def missing() -> ConfigError:
            return ConfigError(f"no profile named '{name}' in {self.path}")

        if name not in self._load().get("profiles", {}):
            raise missing()  # (no folder nor lock made for it)
        with self.changing() as doc:
            if name not in doc.get("profiles", {}):
                raise missing()
            del doc["profiles"][name]
            if doc.get("default_profile") == name:
                doc.pop("default_profile")

    def use(self, name: str) -> None:
        self.get(name)
        with self.changing() as doc:
            self.get(name)  # still: the file as read now (another process may have removed it)
            doc["default_profile"] = name

    def remember(self, name: str, key: str, value: Any) -> bool:
        """Store one setting in a profile (e.g. the asset group it created): one in the file,
        or a preset used by its name. Anything else (a running simulator's `sim-*` profile)
        is not the file's to keep: False, nothing written."""
        if name not in presets() and name not in self._load().get("profiles", {}):
            return False  # (no folder nor lock made for it)
        with self.changing() as doc:
            if name not in doc.get("profiles", {}) and name not in presets():
                return False
            doc.setdefault("profiles", {}).setdefault(name, {})[key] = value
        return True


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """default_profile first, then the profiles: how people expect to read the file."""
    out: dict[str, Any] = {}
    if doc.get("default_profile"):
        out["default_profile"] = doc["default_profile"]
    out.update({k: v for k, v in doc.items() if k != "default_profile"})
    return out
