"""The lock on a ``github:`` state (``state/branch.py``): ``PATH.lock.json`` beside the state file.

Its record is a ``RemoteHolder`` (who, since when, until when on the server's clock, and the
Actions run when there is one), committed in the same tree as the state so the head that holds it
is the fencing token. A save renews the lease once less than ``RENEW_WHEN_LEFT`` is left. The lock
is held inside a ``with`` block and released only by leaving it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.state.holder import RemoteHolder, ci_fields

if TYPE_CHECKING:
    from reconciler.state.branch import BranchBackend

LEASE = timedelta(minutes=30)
RENEW_WHEN_LEFT = timedelta(minutes=15)  # a save renews the lease once less than this is left


@dataclass
class BranchLease:
    """The lock this run holds: its record, and the head that holds it (the fencing token)."""

    backend: BranchBackend
    holder: RemoteHolder
    head: str
    written: bytes | None  # the state file's bytes at ``head``
    held: bool = True


class Locking:
    """The lock as a ``with`` block: taken on entry, released on exit, and only then (a holder
    that never leaves its block, such as a killed process, keeps the lock until its lease ends)."""

    def __init__(
        self, take: Callable[[], BranchLease], release: Callable[[BranchLease], None]
    ) -> None:
        self._take, self._release = take, release
        self._lease: BranchLease | None = None

    def __enter__(self) -> BranchLease:
        self._lease = self._take()
        return self._lease

    def __exit__(self, *exc: object) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.held = False
            self._release(lease)


def new_holder(
    command: str,
    now: datetime,
    lease: timedelta,
    run_url: str | None,
    environ: Mapping[str, str],
) -> RemoteHolder:
    """The record of a new lock: who, since when and until when (the server's time), and the
    Actions run from ``GITHUB_*`` when there is one."""
    ci = ci_fields(environ)
    return RemoteHolder.model_validate(
        {
            **ci,
            "lock_id": str(uuid.uuid4()),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": format_time(now),
            "expires_at": format_time(now + lease),
            "version": __version__,
            "run_url": run_url or ci["run_url"],
        }
    )


def renewal(holder: RemoteHolder, now: datetime, lease: timedelta) -> RemoteHolder | None:
    """The record with its lease extended, once less than ``RENEW_WHEN_LEFT`` is left; else None."""
    if holder.expires_at is None or parse_time(holder.expires_at) - now > RENEW_WHEN_LEFT:
        return None
    return holder.model_copy(update={"expires_at": format_time(now + lease)})


def record(holder: RemoteHolder) -> bytes:
    return holder.model_dump_json(exclude_none=True, indent=2).encode() + b"\n"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
