"""An S3-compatible server on loopback for the storage tests: moto's server (`moto[server]`,
the test extra) started as a real process bound to 127.0.0.1 on a free port.

    with S3Server() as s3:            # s3.url, s3.client(), s3.bucket("name")
        ...
    with S3Server(auth=True) as s3:   # signatures checked: s3.keys are the only valid ones

Bounded: the server announces its address on its first lines, or the start fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

READY = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")
HEAD_LINES = 50  # what the server prints before it listens, at most
# keys for the servers that check none (moto takes any; the ones it checks come from IAM)
ANY_KEYS = ("AKIAMOTOTESTKEY00001", "moto-test-secret-key-not-a-real-one")


class S3Server:
    def __init__(self, *, auth: bool = False) -> None:
        self.auth = auth
        self.url = ""
        self.keys = ANY_KEYS
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> S3Server:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/nonexistent"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if self.auth:  # the first 3 requests set up a user and its key; then every one checks
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._process.stderr is not None
        for _ in range(HEAD_LINES):
            line = self._process.stderr.readline()
            found = READY.search(line)
            if found:
                self.url = found.group(1)
                break
            if not line:
                break
        if not self.url:
            self.__exit__()
            raise RuntimeError("moto's S3 server did not start")
        if self.auth:
            self.keys = self._iam_user()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._process = None

    def client(self, service: str = "s3", keys: tuple[str, str] | None = None) -> Any:
        import boto3
        from botocore.config import Config

        key, secret = keys or self.keys
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(signature_version="s3v4"),
        )

    def bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str) -> dict[str, Any]:
        """key -> its LastModified, of every object in the bucket."""
        listed = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: item["LastModified"] for item in listed}

    def _iam_user(self) -> tuple[str, str]:
        iam = self.client("iam", ANY_KEYS)
        iam.create_user(UserName="seedance-test")
        everything = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.put_user_policy(
            UserName="seedance-test", PolicyName="all", PolicyDocument=json.dumps(everything)
        )
        made = iam.create_access_key(UserName="seedance-test")["AccessKey"]
        return made["AccessKeyId"], made["SecretAccessKey"]
