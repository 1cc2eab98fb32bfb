"""The ``s3://BUCKET/KEY`` backend (CI.md §2.2; docs/state.md "S3"): conditional writes.

Two objects: the state at KEY and its lock at ``KEY.lock.json`` (a ``RemoteHolder``: who, and a
lease; ``state/s3lease.py``). Every create sends ``If-None-Match: *``, every update
``If-Match: "<etag>"``, the release a conditional ``DeleteObject`` (the requests:
``state/s3store.py``); a 412 (or 409 ConditionalRequestConflict, or a 404 under ``If-Match``) means
someone else acted first. The lock cycle retries that; a state write never does: ``StateConflict``.

**The fence.** The lock and the state are two objects, so a lock taken over (expired lease) or
broken (``force-unlock``) cannot stop its old holder by itself. The state object's ETag does:
taking, taking over or breaking the lock ends with a conditional re-write of the state object
carrying the new holder's lock id (``State.fence``), which changes its ETag; with no state yet it is
created then (``If-None-Match: *``, an empty state that reads as none), before the holder's
first POST. The version ``StateStore``
compares is that ETag, read after the lock (and its fence) was taken, so a writer whose lock was
taken or broken fails its next ``If-Match`` write. Its body holds its lock id, which nobody else
writes, so an ETag (the body's MD5 on S3 and moto) never comes back to a broken writer's value.

**The probe** (``state/s3probe.py``). Before its first lock or ``force-unlock`` each backend refuses
(``ConfigError``) a store that accepts the conditional headers and ignores them. Reads never probe:
``plan``, ``status`` and ``show`` need only ``s3:GetObject``.

Times in the lock record (``since``, ``expires_at``) are the store's ``Date`` header, never this
machine's clock, which is only the fallback for a store that sends no ``Date``. Credentials come
from boto3's default chain (environment, shared files, instance roles), the endpoint from
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for MinIO, R2 or moto; no message names a
credential.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reconciler.errors import StateConflict
from reconciler.state.backend import Lease, Snapshot
from reconciler.state.format import Encoder, State, decode, encode
from reconciler.state.lease import LEASE, new_holder, read_holder, record
from reconciler.state.location import S3Object
from reconciler.state.s3lease import S3Lease
from reconciler.state.s3probe import check_conditional_writes
from reconciler.state.s3store import Got, Refused, S3Store, open_client
from reconciler.wallclock import utc_now

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

POLL_SECONDS = 1.0
FENCE_TRIES = 10


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
        self._store_: S3Store | None = None
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
    def _store(self) -> S3Store:
        if self._store_ is None:
            self._store_ = S3Store(self._client or open_client(), self.where.bucket)
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
        return decode(body, path=self.location)

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
        except Refused as refused:
            got = self._store.get(self.where.key)
            if got.body == body and got.etag:  # our own write, its answer lost and retried
                return got.etag
            mine = lease.holder.lock_id
            raise StateConflict(self._changed(refused, got, state.serial - 1, mine)) from None
        if isinstance(lease, S3Lease):
            lease.renew_if_due(date)
        return etag

    def _changed(self, refused: Refused, got: Got, serial: int, mine: str) -> str:
        lock = self._store.get(self.lock_key)
        holder = read_holder(lock.body) if lock.body is not None else None
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
            except Refused:
                continue  # the old holder wrote in between: read again, fence again
        raise StateConflict(
            f"state {self.location} kept changing while its lock was being taken ({FENCE_TRIES}"
            " tries): another writer is still writing; run again"
        )

    def probe(self) -> None:
        """Refuse a store that ignores If-None-Match / If-Match (once per backend)."""
        if self._probed:
            return
        check_conditional_writes(self._store, self.where.key, self.location)
        self._probed = True

    def force_unlock(self, lock_id: str) -> str:
        self.probe()
        store = self._store
        got = store.get(self.lock_key)
        if got.body is None or got.etag is None:
            raise StateConflict(
                f"state {self.location} is not locked: {self.lock_location} does not exist"
            )
        holder = read_holder(got.body)
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
        breaker = new_holder(f"force-unlock {lock_id}", now, self.lease, None, self.environ)
        try:
            etag = store.put(self.lock_key, record(breaker), if_match=got.etag)[0]
        except Refused:
            raise StateConflict(
                f"the lock on {self.location} changed while it was being broken (released or"
                " taken by another run); nothing was broken: look again"
            ) from None
        try:
            self.fence(breaker.lock_id)
        finally:
            with contextlib.suppress(Refused):
                store.delete(self.lock_key, if_match=etag)
        return (
            f"Broke the lock of {holder.describe()}. If that run is still going, its next state"
            " write fails (exit 5) and writes nothing. The state's contents were not changed."
        )
