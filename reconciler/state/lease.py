"""A remote lock's record and lease, one rule for the ``github:`` and ``s3://`` backends (the local
lock needs none: the kernel drops a dead holder's flock).

The record is a ``RemoteHolder``: who, since when and until when on the server's clock (its
``Date``; this machine's only when none came), and the Actions run from ``GITHUB_*``. A lock past
its ``expires_at`` may be taken over; a save renews it once half the lease has passed.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from reconciler import __version__
from reconciler.state.holder import RemoteHolder, ci_fields

LEASE = timedelta(minutes=30)
"""How long a lock excludes others without a save; a save past half of it renews it."""


def stamp(moment: datetime) -> str:
    """A record's time: RFC 3339, UTC, seconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def expired(holder: RemoteHolder, now: datetime) -> bool:
    """Whether the holder's lease has ended (a record without a readable one never ends)."""
    ends = _moment(holder.expires_at) if holder.expires_at else None
    return ends is not None and now >= ends


def renewal(holder: RemoteHolder, now: datetime, lease: timedelta) -> RemoteHolder | None:
    """The record with a fresh lease once half of ``lease`` has passed; None while it need not."""
    ends = _moment(holder.expires_at) if holder.expires_at else None
    if ends is None or ends - now > lease / 2:
        return None
    return holder.model_copy(update={"expires_at": stamp(now + lease)})


def new_holder(
    command: str,
    now: datetime,
    lease: timedelta,
    run_url: str | None,
    environ: Mapping[str, str],
) -> RemoteHolder:
    """The record of a new lock: who, since when and until when (the server's time), and the
    Actions run from ``GITHUB_*`` when there is one."""
    run = ci_fields(environ)
    return RemoteHolder.model_validate(
        {
            **run,
            "lock_id": str(uuid.uuid4()),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": stamp(now),
            "expires_at": stamp(now + lease),
            "version": __version__,
            "run_url": run_url or run["run_url"],
        }
    )


def record(holder: RemoteHolder) -> bytes:
    """The lock file's bytes: the holder as JSON, unset fields left out."""
    return holder.model_dump_json(exclude_none=True).encode() + b"\n"


def read_holder(body: bytes) -> RemoteHolder | None:
    """A lock file's holder, or None when it holds no record."""
    try:
        return RemoteHolder.model_validate_json(body)
    except ValidationError:
        return None
