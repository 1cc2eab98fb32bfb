"""The ``s3://`` backend's lock (``state/s3.py``): the lock object ``KEY.lock.json``, its record
and its lease.

The record is a ``RemoteHolder``, one line of JSON: who, since when and until when, on the store's
clock (its ``Date`` header; this machine's only when the store sends none). The lock is created
with ``If-None-Match: *``, an expired one replaced with ``If-Match``, renewed past half its lease by
a save, and released by a conditional ``DeleteObject``; the backend's fence does the rest.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from reconciler import __version__
from reconciler.errors import ConfigError, StateConflict, StateError
from reconciler.state.holder import RemoteHolder, ci_fields
from reconciler.state.s3store import Refused

if TYPE_CHECKING:
    from reconciler.state.s3 import S3Backend

LEASE = timedelta(minutes=30)
"""How long a lock excludes others without a save; every save past half of it renews it."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record(holder: RemoteHolder) -> bytes:
    """The lock object's body: the holder, one line, unset fields left out."""
    return holder.model_dump_json(exclude_none=True).encode() + b"\n"


def _who(holder: RemoteHolder) -> str:
    lease = f", lease until {holder.expires_at}" if holder.expires_at else ""
    return f"({holder.describe()}{lease})"


def read_holder(body: bytes) -> RemoteHolder | None:
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


def new_holder(
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
            current = None if got.body is None else read_holder(got.body)
            if mine is not None and current == mine and got.etag:
                # our create landed, its answer was lost and the retry refused: it is ours
                self._holder, self._etag, self._renewed = mine, got.etag, now
                return
            if got.body is None or (current is not None and _expired(current, now)):
                holder = mine = new_holder(
                    self._command, now, backend.lease, self._run_url, backend.environ
                )
                try:
                    if got.body is None or got.etag is None:
                        etag = store.put(backend.lock_key, record(holder), create=True)[0]
                    else:
                        etag = store.put(backend.lock_key, record(holder), if_match=got.etag)[0]
                except Refused:
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
                self._backend.lock_key, record(renewed), if_match=self._etag
            )[0]
        except Refused:
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
        with contextlib.suppress(Refused):  # taken over or broken: nothing of ours is left
            self._backend._store.delete(self._backend.lock_key, if_match=etag)
