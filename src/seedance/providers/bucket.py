"""The user's S3-compatible bucket (AWS S3, Cloudflare R2, Volcengine/BytePlus TOS, MinIO),
through boto3 (the `storage` extra, imported only here and only when a profile uses `storage`).

Credentials come from the standard AWS places, never from seedance: the environment
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE), the shared files
(~/.aws/credentials and ~/.aws/config, or AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE) and
whatever else boto3's chain finds (SSO, credential_process, an instance role). Every failure
is a SeedanceError saying what to do.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from seedance.domain.errors import (
    APIError,
    AuthError,
    ConfigError,
    NetworkError,
    Reason,
    SeedanceError,
)

DEFAULT_REGION = "us-east-1"
# Names the standard AWS chain reads from the environment, passed on from the caller's
# environment (a library user's own mapping, a test's) to boto3's session.
_FILES = {"AWS_SHARED_CREDENTIALS_FILE": "credentials_file", "AWS_CONFIG_FILE": "config_file"}
_AUTH_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
        "403",
        "401",
    }
)


@dataclass(frozen=True)
class Identity:
    """The credentials in use, for people: never the secret."""

    access_key: str  # shown shortened
    method: str  # where boto3 found them: "env", "shared-credentials-file", "explicit", ...
    expires_at: dt.datetime | None  # temporary credentials end then

    @property
    def shown(self) -> str:
        key = self.access_key
        return (key[:4] + "…" + key[-4:]) if len(key) > 8 else "…"


def boto3_module() -> Any:
    try:
        import boto3
    except ImportError:
        raise ConfigError(
            "this profile publishes local media to a bucket (storage), which needs boto3",
            reason=Reason.of("install_extra", extra="storage"),
            field="storage",
        ) from None
    return boto3


class Bucket:
    """One bucket at one endpoint: head, upload, presign, delete."""

    def __init__(
        self,
        name: str,
        *,
        environ: Mapping[str, str],
        endpoint: str | None = None,
        region: str | None = None,
    ) -> None:
        self.name = name
        self.endpoint = endpoint
        self.environ = environ
        self._region = region
        self._client: Any = None
        self._session: Any = None
        self._lock = threading.RLock()  # a boto3 session is not thread-safe; its clients are

    # -- the session and its credentials ---------------------------------------------------

    def session(self) -> Any:
        with self._lock:
            return self._session_unlocked()

    def _session_unlocked(self) -> Any:
        if self._session is None:
            boto3 = boto3_module()
            import botocore.session

            core = botocore.session.Session()
            core.register_component("data_loader", _shared_loader())
            for variable, setting in _FILES.items():
                if self.environ.get(variable):
                    core.set_config_variable(setting, self.environ[variable])
            keys = {
                "aws_access_key_id": self.environ.get("AWS_ACCESS_KEY_ID") or None,
                "aws_secret_access_key": self.environ.get("AWS_SECRET_ACCESS_KEY") or None,
                "aws_session_token": self.environ.get("AWS_SESSION_TOKEN") or None,
            }
            explicit = bool(keys["aws_access_key_id"] and keys["aws_secret_access_key"])
            profile = None if explicit else (self.environ.get("AWS_PROFILE") or None)
            with self._explained("open the AWS profile"):
                self._session = boto3.Session(
                    **(keys if explicit else {}),
                    profile_name=profile,
                    botocore_session=core,
                )
        return self._session

    def region(self) -> str:
        return (
            self._region
            or self.environ.get("AWS_REGION")
            or self.environ.get("AWS_DEFAULT_REGION")
            or self.session().region_name
            or DEFAULT_REGION
        )

    def identity(self) -> Identity | None:
        """The credentials boto3 found, or None when it found none."""
        with self._explained("find the credentials"):
            found = self.session().get_credentials()
        if found is None:
            return None
        expires = getattr(found, "_expiry_time", None)
        if expires is None and self.environ.get("AWS_CREDENTIAL_EXPIRATION"):
            expires = _parse_time(self.environ["AWS_CREDENTIAL_EXPIRATION"])
        frozen = found.get_frozen_credentials()
        return Identity(frozen.access_key or "", getattr(found, "method", "") or "", expires)

    def secrets(self) -> list[str]:
        """The secret values of the credentials in use (to keep out of every output)."""
        found = self.session().get_credentials()
        if found is None:
            return []
        frozen = found.get_frozen_credentials()
        return [s for s in (frozen.secret_key, frozen.token) if s]

    def client(self) -> Any:
        with self._lock:
            return self._client_unlocked()

    def _client_unlocked(self) -> Any:
        if self._client is None:
            from botocore.config import Config

            proxies = {
                scheme: self.environ[name]
                for scheme, name in (("http", "HTTP_PROXY"), ("https", "HTTPS_PROXY"))
                if self.environ.get(name)
            }
            config = Config(
                signature_version="s3v4",
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=10,
                read_timeout=120,
                proxies=proxies or None,
            )
            with self._explained("connect"):
                self._client = self._session_unlocked().client(
                    "s3", endpoint_url=self.endpoint, region_name=self.region(), config=config
                )
        return self._client

    # -- objects ---------------------------------------------------------------------------

    def size_of(self, key: str) -> int | None:
        """The size of the object `key`, or None when there is none."""
        from botocore.exceptions import ClientError

        try:
            with self._explained(f"look for {key}"):
                head = self.client().head_object(Bucket=self.name, Key=key)
        except ClientError as exc:  # (re-raised by _explained only for a missing object)
            if _status(exc) == 404:
                return None
            raise
        return int(head.get("ContentLength", 0))

    def upload(self, path: str, key: str, content_type: str) -> None:
        with self._explained(f"upload {key}"):
            self.client().upload_file(path, self.name, key, ExtraArgs={"ContentType": content_type})

    def presign(self, key: str, seconds: int) -> str:
        with self._explained("sign a URL"):
            url: str = self.client().generate_presigned_url(
                "get_object", Params={"Bucket": self.name, "Key": key}, ExpiresIn=seconds
            )
        return url

    def delete(self, key: str) -> None:
        with self._explained(f"delete {key}"):
            self.client().delete_object(Bucket=self.name, Key=key)

    def check(self) -> None:
        """The bucket answers these credentials (HEAD bucket: reads nothing, costs nothing)."""
        with self._explained("reach the bucket"):
            self.client().head_bucket(Bucket=self.name)

    def try_url(self, url: str, *, timeout: float = 15.0) -> tuple[int, str | None]:
        """GET a presigned URL as the API would (no credentials but the URL's): its status
        and the error code its XML answer names. Reads at most a few KiB."""
        import re

        import httpx

        try:
            with (
                httpx.Client(timeout=timeout, follow_redirects=False) as client,
                client.stream("GET", url, headers={"range": "bytes=0-0"}) as response,
            ):
                head = b""
                for piece in response.iter_bytes():
                    head += piece
                    if len(head) > 4096:
                        break
        except httpx.HTTPError as exc:
            raise NetworkError(
                f"could not fetch a presigned URL of bucket {self.name}: {exc}"
            ) from None
        found = re.search(rb"<Code>([^<]{1,64})</Code>", head)
        return response.status_code, found.group(1).decode("ascii", "replace") if found else None

    # -- errors ----------------------------------------------------------------------------

    @contextmanager
    def _explained(self, doing: str) -> Iterator[None]:
        """boto3's exceptions as SeedanceErrors (a missing object's 404 is left to the
        caller)."""
        from botocore import exceptions as bx

        where = f"bucket {self.name}" + (f" at {self.endpoint}" if self.endpoint else "")
        try:
            yield
        except SeedanceError:
            raise
        except bx.ClientError as exc:
            status = _status(exc)
            if status == 404 and doing.startswith("look for"):
                raise
            code = str(exc.response.get("Error", {}).get("Code") or status or "error")
            answer = f"HTTP {status}" if status else "an error"
            if code != str(status):
                answer += f" {code}"
            message = f"{where}: could not {doing} ({answer})"
            if code in _AUTH_CODES or status in (401, 403):
                raise AuthError(
                    message,
                    status_code=status or 403,
                    code=code,
                    reason="bucket_refused",
                ) from None
            if code in ("NoSuchBucket", "404") or status == 404:
                raise ConfigError(
                    f"{where} does not exist",
                    reason="bucket_missing",
                    field="storage",
                ) from None
            raise APIError(message, status_code=status, code=code) from None
        except (bx.NoCredentialsError, bx.PartialCredentialsError):
            raise ConfigError(
                f"no credentials for {where}",
                reason="storage_credentials_missing",
                field="storage",
            ) from None
        except bx.ProfileNotFound as exc:
            raise ConfigError(f"{exc}", reason="storage_profile_broken") from None
        except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
            raise NetworkError(f"could not {doing} in {where}: {exc}") from None
        except bx.BotoCoreError as exc:
            raise ConfigError(f"could not {doing} in {where}: {exc}", field="storage") from None
        except OSError as exc:
            raise ConfigError(f"could not {doing}: {exc.strerror or exc}") from None


_LOADER: Any = None


def _shared_loader() -> Any:
    """botocore's reader of its service descriptions, one per process: a session reads the
    S3 description (some 0.3 s) once, not once per client."""
    global _LOADER
    if _LOADER is None:
        from botocore.loaders import create_loader

        _LOADER = create_loader()
    return _LOADER


def _status(exc: Any) -> int | None:
    meta = exc.response.get("ResponseMetadata", {}) if hasattr(exc, "response") else {}
    status = meta.get("HTTPStatusCode")
    return int(status) if isinstance(status, int) else None


def _parse_time(text: str) -> dt.datetime | None:
    try:
        found = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)
