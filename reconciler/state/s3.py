"""The ``s3://BUCKET/KEY`` backend (CI.md §2.2; docs/state.md "S3"): conditional writes.

Two objects: the state at KEY and its lock at ``KEY.lock.json`` (a ``RemoteHolder``: who, and a
lease). Every create sends ``If-None-Match: *``, every update ``If-Match: "<etag>"``, the release a
conditional ``DeleteObject``; a 412 (or 409 ConditionalRequestConflict, or a 404 under
``If-Match``) means someone else acted first. The lock cycle retries that; a state write never
does: ``StateConflict``.

**The fence.** The lock and the state are two objects, so a lock taken over (expired lease) or
broken (``force-unlock``) cannot stop its old holder by itself. The state object's ETag does:
taking, taking over or breaking the lock ends with a conditional re-write of the state object
carrying the new holder's lock id (``State.fence``), which changes its ETag; with no state yet it is
created then (``If-None-Match: *``, an empty state that reads as none), before the holder's
first POST. The version ``StateStore``
compares is that ETag, read after the lock (and its fence) was taken, so a writer whose lock was
taken or broken fails its next ``If-Match`` write. Its body holds its lock id, which nobody else
writes, so an ETag (the body's MD5 on S3 and moto) never comes back to a broken writer's value.

**The probe.** Some S3-compatible stores accept the conditional headers and ignore them, which would
make every lock succeed. Before its first lock or ``force-unlock`` each backend creates a fresh
probe key twice with ``If-None-Match: *`` and writes it with a wrong ``If-Match``, requires 412 for
both, deletes it, and refuses (``ConfigError``) a store that does not honour them. Reads never
probe: ``plan``, ``status`` and ``show`` need only ``s3:GetObject``.

Times in the lock record (``since``, ``expires_at``) are the store's ``Date`` header, never this
machine's clock, which is only the fallback for a store that sends no ``Date``. Credentials come
from boto3's default chain (environment, shared files, instance roles), the endpoint from
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for MinIO, R2 or moto; no message names a
credential.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from pydantic import ValidationError

from reconciler import __version__
from reconciler.errors import ConfigError, StateConflict, StateError
from reconciler.state.backend import Lease, Snapshot
from reconciler.state.format import Encoder, State, decode, encode
from reconciler.state.holder import RemoteHolder, ci_fields
from reconciler.state.location import S3Object
from reconciler.wallclock import utc_now

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LEASE = timedelta(minutes=30)
"""How long a lock excludes others without a save; every save past half of it renews it."""
POLL_SECONDS = 1.0
FENCE_TRIES = 10
_WRONG_ETAG = '"00000000000000000000000000000000"'
_PERMISSIONS = (
    "s3:GetObject, s3:PutObject and s3:DeleteObject on the key, its .lock.json and .probe.* keys,"
    " and s3:ListBucket on the bucket (without it a missing key answers 403, not 404)"
)


class _Refused(Exception):
    """A conditional request whose condition did not hold (412, 409, or 404 under If-Match)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


@dataclass(frozen=True)
class _Got:
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


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _record(holder: RemoteHolder) -> bytes:
    """The lock object's body: the holder, one line, unset fields left out."""
    return holder.model_dump_json(exclude_none=True).encode() + b"\n"


def _who(holder: RemoteHolder) -> str:
    lease = f", lease until {holder.expires_at}" if holder.expires_at else ""
    return f"({holder.describe()}{lease})"


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


class _Store:
    """The three requests the backend makes, their failures in its words."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client, self.bucket = client, bucket
        self.endpoint = _endpoint(client)

    def get(self, key: str) -> _Got:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            body = answer["Body"].read()
        except ClientError as error:
            status, code = _status(error)
            if status == 404 and code in ("NoSuchKey", "404"):
                return _Got(None, None, _date(error.response["ResponseMetadata"]["HTTPHeaders"]))
            raise self._failure("GetObject", key, status, code) from None
        except BotoCoreError as error:
            raise self._unreachable(error) from None
        return _Got(body, answer["ETag"], _date(answer["ResponseMetadata"]["HTTPHeaders"]))

    def put(
        self, key: str, body: bytes, *, if_match: str | None = None, create: bool = False
    ) -> tuple[str, datetime | None]:
        """Create (``create``: If-None-Match: *) or replace (If-Match) ``key``; its new ETag
        and the store's time. ``_Refused`` when the condition does not hold."""
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
                raise _Refused(status, code) from None
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
                raise _Refused(status, code) from None
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


def _holder(body: bytes) -> RemoteHolder | None:
    try:
        return RemoteHolder.model_validate_json(body)
    except ValidationError:
        return None


def _expired(holder: RemoteHolder, now: datetime) -> bool:
    if holder.expires_at is None:
        return False
    try:
        return now >= datetime.fromisoformat(holder.expires_at.replace("Z", "+00:00"))
    except ValueError:
        return False


class S3Backend:
    """A state object in an S3-compatible store, its lock object beside it (module docstring)."""

    def __init__(
        self,
        where: S3Object,
        *,
        client: S3Client | None = None,
        environ: Mapping[str, str] | None = None,
        lease: timedelta = LEASE,
        poll: float = POLL_SECONDS,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self.lock_key = f"{where.key}.lock.json"
        self.lease, self.poll = lease, poll
        self._client = client
        self.environ: Mapping[str, str] = environ or {}
        self._store_: _Store | None = None
        self._now, self._sleep, self._clock = now, sleep, clock
        self._probed = False
        self._encode = Encoder()

    @property
    def location(self) -> str:
        return str(self.where)

    def close(self) -> None:
        if self._store_ is not None and self._client is None:  # ours, not the caller's
            self._store_.client.close()

    @property
    def lock_location(self) -> str:
        return f"s3://{self.where.bucket}/{self.lock_key}"

    @property
    def _store(self) -> _Store:
        if self._store_ is None:
            self._store_ = _Store(self._client or open_client(), self.where.bucket)
        return self._store_

    def read(self) -> Snapshot:
        """The state without its fence (a detail of this backend's writes). The empty state a
        lock's fence created reads as no state yet, at its ETag: the first save replaces it."""
        got = self._store.get(self.where.key)
        if got.body is None:
            return Snapshot(None, None)
        state = self._decode(got.body)
        if state.serial == 0 and state.lineage is None:
            return Snapshot(None, got.etag)
        return Snapshot(state.model_copy(update={"fence": None}), got.etag)

    def _decode(self, body: bytes) -> State:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise StateError(
                f"state file {self.location} is not UTF-8 text (byte {error.start});"
                " it was not changed. No backup exists."
            ) from None
        return decode(text, path=self.location, backup="")

    def lock(
        self,
        *,
        command: str,
        timeout: float | None,
        run_url: str | None,
        on_wait: Callable[[str], None] | None,
    ) -> S3Lease:
        return S3Lease(self, command=command, timeout=timeout, run_url=run_url, on_wait=on_wait)

    def write(self, lease: Lease, state: State, *, expected: str | None) -> str:
        if not lease.held or lease.holder is None:
            raise RuntimeError("a write after its lock was released")
        new = state.model_copy(update={"fence": lease.holder.lock_id})
        body = self._encode(new).encode()
        try:
            if expected is None:
                etag, date = self._store.put(self.where.key, body, create=True)
            else:
                etag, date = self._store.put(self.where.key, body, if_match=expected)
        except _Refused as refused:
            got = self._store.get(self.where.key)
            if got.body == body and got.etag:  # our own write, its answer lost and retried
                return got.etag
            mine = lease.holder.lock_id
            raise StateConflict(self._changed(refused, got, state.serial - 1, mine)) from None
        if isinstance(lease, S3Lease):
            lease.renew_if_due(date)
        return etag

    def _changed(self, refused: _Refused, got: _Got, serial: int, mine: str) -> str:
        lock = self._store.get(self.lock_key)
        holder = _holder(lock.body) if lock.body is not None else None
        if holder is not None and holder.lock_id == mine:
            why = "another program wrote it; the lock is still this run's"
        elif holder is None:
            why = "its lock was taken over or broken: held by nobody now"
        else:
            why = f"its lock was taken over or broken: now held by {holder.describe()}"
        what = "was deleted" if got.body is None else "was changed by another writer"
        return (
            f"state {self.location} {what} while this run held its lock ({refused.status}"
            f" {refused.code}; {why}); serial {serial} was not overwritten. Run again."
        )

    def fence(self, lock_id: str) -> str:
        """Re-write the state object with ``lock_id`` inside (create it when absent), so a
        writer holding an older ETag fails its next write; the new ETag."""
        for _ in range(FENCE_TRIES):
            got = self._store.get(self.where.key)
            try:
                if got.body is None or got.etag is None:
                    body = encode(State(fence=lock_id)).encode()
                    return self._store.put(self.where.key, body, create=True)[0]
                state = self._decode(got.body).model_copy(update={"fence": lock_id})
                return self._store.put(self.where.key, encode(state).encode(), if_match=got.etag)[0]
            except _Refused:
                continue  # the old holder wrote in between: read again, fence again
        raise StateConflict(
            f"state {self.location} kept changing while its lock was being taken ({FENCE_TRIES}"
            " tries): another writer is still writing; run again"
        )

    def probe(self) -> None:
        """Refuse a store that ignores If-None-Match / If-Match (once per backend)."""
        if self._probed:
            return
        store = self._store
        key = f"{self.where.key}.probe.{uuid.uuid4().hex}"

        def refuse(why: str) -> ConfigError:
            return ConfigError(
                f"S3 store {store.endpoint} does not honour conditional writes: {why}; its locks"
                f" would exclude no one, so {self.location} is refused (docs/state.md)"
            )

        try:
            etag = store.put(key, b"probe 1\n", create=True)[0]
        except _Refused as refused:
            raise refuse(f"a create of the new key {key} was refused ({refused})") from None
        try:
            try:
                etag = store.put(key, b"probe 2\n", create=True)[0]
                raise refuse(f"a second create of {key} with If-None-Match: * succeeded")
            except _Refused as refused:
                if refused.status != 412:
                    raise refuse(f"a second create of {key} answered {refused}, not 412") from None
            try:
                etag = store.put(key, b"probe 3\n", if_match=_WRONG_ETAG)[0]
                raise refuse(f"a write of {key} with a wrong If-Match succeeded")
            except _Refused as refused:
                if refused.status != 412:
                    raise refuse(
                        f"a write with a wrong If-Match answered {refused}, not 412"
                    ) from None
        finally:
            with contextlib.suppress(_Refused, StateError, ConfigError):
                store.delete(key, if_match=etag)
        self._probed = True

    def force_unlock(self, lock_id: str) -> str:
        self.probe()
        store = self._store
        got = store.get(self.lock_key)
        if got.body is None or got.etag is None:
            raise StateConflict(
                f"state {self.location} is not locked: {self.lock_location} does not exist"
            )
        holder = _holder(got.body)
        if holder is None:
            raise StateConflict(
                f"{self.lock_location} holds no readable lock record; if no run is using"
                f" {self.location}, delete it by hand (aws s3 rm {self.lock_location})"
            )
        if holder.lock_id != lock_id:
            raise StateConflict(
                f"lock id {lock_id} is not the one recorded in {self.lock_location}"
                f" ({holder.describe()}); nothing was broken"
            )
        # Take the lock over first (so nobody else can take it meanwhile), fence, then release.
        now = got.date or self._now()
        breaker = _new_holder(f"force-unlock {lock_id}", now, self.lease, None, self.environ)
        try:
            etag = store.put(self.lock_key, _record(breaker), if_match=got.etag)[0]
        except _Refused:
            raise StateConflict(
                f"the lock on {self.location} changed while it was being broken (released or"
                " taken by another run); nothing was broken: look again"
            ) from None
        try:
            self.fence(breaker.lock_id)
        finally:
            with contextlib.suppress(_Refused):
                store.delete(self.lock_key, if_match=etag)
        return (
            f"Broke the lock of {holder.describe()}. If that run is still going, its next state"
            " write fails (exit 5) and writes nothing. The state's contents were not changed."
        )


def _new_holder(
    command: str,
    now: datetime,
    lease: timedelta,
    run_url: str | None,
    environ: Mapping[str, str],
) -> RemoteHolder:
    """The record of a new lock: who, since when and until when (the store's time), and the
    Actions run from ``GITHUB_*`` when there is one."""
    run = ci_fields(environ)
    if run_url:
        run["run_url"] = run_url
    return RemoteHolder.model_validate(
        {
            "lock_id": str(uuid.uuid4()),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": _stamp(now),
            "expires_at": _stamp(now + lease),
            "version": __version__,
            **run,
        }
    )


class S3Lease:
    """The lock object, held inside the ``with`` block: created with ``If-None-Match: *`` (or an
    expired one replaced with ``If-Match``), then the state fenced; released by a conditional
    delete. Waits up to ``timeout`` seconds for a live holder, telling ``on_wait`` once."""

    def __init__(
        self,
        backend: S3Backend,
        *,
        command: str,
        timeout: float | None,
        run_url: str | None,
        on_wait: Callable[[str], None] | None,
    ) -> None:
        self._backend = backend
        self._command, self._timeout, self._run_url, self._on_wait = (
            command,
            timeout,
            run_url,
            on_wait,
        )
        self._holder: RemoteHolder | None = None
        self._etag: str | None = None  # the lock object's, while held
        self._renewed: datetime | None = None
        self.taken_over: RemoteHolder | None = None  # the expired holder this lock replaced

    @property
    def held(self) -> bool:
        return self._etag is not None

    @property
    def holder(self) -> RemoteHolder | None:
        return self._holder

    @property
    def backend(self) -> S3Backend:
        return self._backend

    def __enter__(self) -> S3Lease:
        backend = self._backend
        backend.probe()
        self._take()
        try:
            assert self._holder is not None
            backend.fence(self._holder.lock_id)
        except BaseException:
            with contextlib.suppress(StateError, ConfigError):
                self._release()
            raise
        return self

    def _take(self) -> None:
        backend, store = self._backend, self._backend._store
        deadline = None if self._timeout is None else backend._clock() + self._timeout
        told = False
        mine: RemoteHolder | None = None
        while True:
            got = store.get(backend.lock_key)
            now = got.date or backend._now()
            current = None if got.body is None else _holder(got.body)
            if mine is not None and current == mine and got.etag:
                # our create landed, its answer was lost and the retry refused: it is ours
                self._holder, self._etag, self._renewed = mine, got.etag, now
                return
            if got.body is None or (current is not None and _expired(current, now)):
                holder = mine = _new_holder(
                    self._command, now, backend.lease, self._run_url, backend.environ
                )
                try:
                    if got.body is None or got.etag is None:
                        etag = store.put(backend.lock_key, _record(holder), create=True)[0]
                    else:
                        etag = store.put(backend.lock_key, _record(holder), if_match=got.etag)[0]
                except _Refused:
                    continue  # another run was quicker (or 409): look again
                self._holder, self._etag, self._renewed = holder, etag, now
                self.taken_over = current
                return
            who = (
                _who(current)
                if current is not None
                else f"(by a run that left no readable record in {backend.lock_location})"
            )
            unlock = (
                f"agenttasks force-unlock --state {backend.location} {current.lock_id}"
                if current is not None
                else f"aws s3 rm {backend.lock_location}"
            )
            if deadline is None:
                raise StateConflict(
                    f"state {backend.location} is locked {who}; retry when it has finished, or"
                    f" wait for it with --lock-timeout S; if its holder is gone: {unlock}"
                )
            left = deadline - backend._clock()
            if left <= 0:
                raise StateConflict(
                    f"state {backend.location} is still locked after {self._timeout:g}s {who};"
                    f" retry when it has finished; if its holder is gone: {unlock}"
                )
            if self._on_wait is not None and not told:
                self._on_wait(
                    f"Waiting up to {self._timeout:g}s for the lock on {backend.location} {who}"
                )
                told = True
            backend._sleep(min(backend.poll, left))

    def renew_if_due(self, now: datetime | None) -> None:
        """Past half its lease (the store's time of the last save), extend the lock's lease.
        A renewal refused means the lock was taken or broken: the fence stops the next write."""
        if self._holder is None or self._etag is None or now is None or self._renewed is None:
            return
        if now < self._renewed + self._backend.lease / 2:
            return
        renewed = self._holder.model_copy(update={"expires_at": _stamp(now + self._backend.lease)})
        try:
            self._etag = self._backend._store.put(
                self._backend.lock_key, _record(renewed), if_match=self._etag
            )[0]
        except _Refused:
            return
        self._holder, self._renewed = renewed, now

    def __exit__(self, *exc: object) -> None:
        try:
            self._release()
        except (StateError, ConfigError):
            if not exc or exc[0] is None:
                raise  # otherwise the error already in flight is the one to tell

    def _release(self) -> None:
        etag, self._etag = self._etag, None
        if etag is None:
            return
        with contextlib.suppress(_Refused):  # taken over or broken: nothing of ours is left
            self._backend._store.delete(self._backend.lock_key, if_match=etag)
