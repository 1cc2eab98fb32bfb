"""The S3 requests the ``s3://`` backend makes (``state/s3.py``), and their failures in its words.

Three requests, each conditional where it writes: ``GetObject``, ``PutObject`` with
``If-None-Match: *`` (a create) or ``If-Match: "<etag>"`` (an update), and ``DeleteObject`` with
``If-Match``. A condition that does not hold (412, 409 ConditionalRequestConflict, or a 404 under
``If-Match``) is ``Refused``, for the caller to decide; every other failure is a ``StateError`` or a
``ConfigError`` naming the store's endpoint, never a credential.

Credentials come from boto3's default chain (environment, shared files, instance roles), the
endpoint from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for MinIO, R2 or moto.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from reconciler.errors import ConfigError, StateError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_PERMISSIONS = (
    "s3:GetObject, s3:PutObject and s3:DeleteObject on the key, its .lock.json and .probe.* keys,"
    " and s3:ListBucket on the bucket (without it a missing key answers 403, not 404)"
)


class Refused(Exception):
    """A conditional request whose condition did not hold (412, 409, or 404 under If-Match)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


@dataclass(frozen=True)
class Got:
    body: bytes | None  # None: no such object
    etag: str | None
    date: datetime | None  # the store's Date header


def _date(headers: dict[str, str]) -> datetime | None:
    raw = headers.get("date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _endpoint(client: S3Client) -> str:
    """The store's URL for messages, without any user:password it might carry."""
    parts = urlsplit(client.meta.endpoint_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def open_client() -> S3Client:
    """An S3 client from boto3's default chain: credentials, region and endpoint
    (``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL``) from the environment and the AWS files."""
    try:
        return boto3.session.Session().client("s3", config=Config(retries={"mode": "standard"}))
    except BotoCoreError as error:
        raise ConfigError(f"cannot set up the S3 client: {type(error).__name__}") from None


class S3Store:
    """The three requests the backend makes, their failures in its words."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client, self.bucket = client, bucket
        self.endpoint = _endpoint(client)

    def get(self, key: str) -> Got:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            body = answer["Body"].read()
        except ClientError as error:
            status, code = _status(error)
            if status == 404 and code in ("NoSuchKey", "404"):
                return Got(None, None, _date(error.response["ResponseMetadata"]["HTTPHeaders"]))
            raise self._failure("GetObject", key, status, code) from None
        except BotoCoreError as error:
            raise self._unreachable(error) from None
        return Got(body, answer["ETag"], _date(answer["ResponseMetadata"]["HTTPHeaders"]))

    def put(
        self, key: str, body: bytes, *, if_match: str | None = None, create: bool = False
    ) -> tuple[str, datetime | None]:
        """Create (``create``: If-None-Match: *) or replace (If-Match) ``key``; its new ETag
        and the store's time. ``Refused`` when the condition does not hold."""
        try:
            if create:
                answer = self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*"
                )
            elif if_match is not None:
                answer = self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=body, IfMatch=if_match
                )
            else:
                raise ValueError("every write is conditional")
        except ClientError as error:
            status, code = _status(error)
            if status in (409, 412) or (status == 404 and code == "NoSuchKey"):
                raise Refused(status, code) from None
            raise self._failure("PutObject", key, status, code) from None
        except BotoCoreError as error:
            raise self._unreachable(error) from None
        return answer["ETag"], _date(answer["ResponseMetadata"]["HTTPHeaders"])

    def delete(self, key: str, *, if_match: str) -> None:
        """Delete ``key`` if it is still at ``if_match``; gone already is fine."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, IfMatch=if_match)
        except ClientError as error:
            status, code = _status(error)
            if status == 404:
                return
            if status in (409, 412):
                raise Refused(status, code) from None
            raise self._failure("DeleteObject", key, status, code) from None
        except BotoCoreError as error:
            raise self._unreachable(error) from None

    def _failure(
        self, operation: str, key: str, status: int, code: str
    ) -> StateError | ConfigError:
        where = f"s3://{self.bucket}/{key}"
        hint = ""
        if status == 403:
            hint = f"; the credentials need {_PERMISSIONS} (docs/state.md)"
        elif code == "NoSuchBucket":
            hint = "; the bucket does not exist"
        elif status == 501 or code == "NotImplemented":
            return ConfigError(
                f"S3 store {self.endpoint} does not support {operation} with conditional headers"
                f" ({status} {code}); agenttasks needs conditional writes (docs/state.md)"
            )
        return StateError(
            f"S3 store {self.endpoint} refused {operation} on {where} ({status} {code}){hint}"
        )

    def _unreachable(self, error: BotoCoreError) -> StateError | ConfigError:
        if isinstance(error, NoCredentialsError):
            return ConfigError(
                f"no AWS credentials for the S3 store {self.endpoint}: set them as boto3 finds"
                " them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws, a role)"
            )
        return StateError(f"cannot reach the S3 store {self.endpoint} ({type(error).__name__})")


def _status(error: ClientError) -> tuple[int, str]:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return int(status), str(error.response.get("Error", {}).get("Code", ""))
