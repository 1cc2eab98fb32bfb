"""The ``s3://`` backend's lock (``state/s3.py``): the lock object ``KEY.lock.json``, its record
and its lease.

The record is a ``RemoteHolder``, one line of JSON: who, since when and until when, on the store's
clock (its ``Date`` header; this machine's only when the store sends none). The lock is created
with ``If-None-Match: *``, an expired one replaced with ``If-Match``, renewed past half its lease by
a save, and released by a conditional ``DeleteObject``; the backend's fence does the rest.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from reconciler.errors import ConfigError, StateError
from reconciler.state.holder import RemoteHolder
from reconciler.state.lease import expired, new_holder, read_holder, record, renewal
from reconciler.state.lockwait import LockWait
from reconciler.state.s3store import Refused

if TYPE_CHECKING:
    from reconciler.state.s3 import S3Backend


def _who(holder: RemoteHolder) -> str:
    lease = f", lease until {holder.expires_at}" if holder.expires_at else ""
    return f"({holder.describe()}{lease})"


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
        waiting = LockWait(
            f"state {backend.location}",
            timeout=self._timeout,
            on_wait=self._on_wait,
            clock=backend._clock,
            sleep=backend._sleep,
            poll=backend.poll,
        )
        mine: RemoteHolder | None = None
        while True:
            got = store.get(backend.lock_key)
            now = got.date or backend._now()
            current = None if got.body is None else read_holder(got.body)
            if mine is not None and current == mine and got.etag:
                # our create landed, its answer was lost and the retry refused: it is ours
                self._holder, self._etag = mine, got.etag
                return
            if got.body is None or (current is not None and expired(current, now)):
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
                self._holder, self._etag = holder, etag
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
            then = f"; if its holder is gone: {unlock}"
            waiting.held_by(who, where=backend.location, then=then)

    def renew_if_due(self, now: datetime | None) -> None:
        """Past half its lease (the store's time of the last save), extend the lock's lease.
        A renewal refused means the lock was taken or broken: the fence stops the next write."""
        if self._holder is None or self._etag is None or now is None:
            return
        renewed = renewal(self._holder, now, self._backend.lease)
        if renewed is None:
            return
        try:
            self._etag = self._backend._store.put(
                self._backend.lock_key, record(renewed), if_match=self._etag
            )[0]
        except Refused:
            return
        self._holder = renewed

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
