"""The lock on a ``github:`` state (``state/branch.py``): ``PATH.lock.json`` beside the state file.

Its record is a ``RemoteHolder`` (who, since when, until when on the server's clock, and the
Actions run when there is one), committed in the same tree as the state so the head that holds it
is the fencing token; its lease is ``state/lease.py``'s rule. The lock is held inside a ``with``
block and released only by leaving it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.state.holder import RemoteHolder

if TYPE_CHECKING:
    from reconciler.state.branch import BranchBackend


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
