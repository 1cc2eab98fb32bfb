"""The one interface every state backend offers (docs/state.md; CI.md §2).

Plan, apply, import, the ``state`` commands and ``force-unlock`` see a state location only through
this: read the state at a version; take a lock naming its holder; write a new state only if the
stored version is still the one read (compare-and-swap); break a lock by its id. The version is
the backend's own (the local file's identity, a branch head's commit sha, an object's ETag) and
means nothing outside it. A write whose swap fails raises ``StateConflict`` (exit 5) and is never
retried blindly: whoever called it stops, and the next run re-reads and re-plans.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from reconciler.state.format import State
from reconciler.state.holder import Holder


@dataclass(frozen=True)
class Snapshot:
    """A state as read, and the version a write must still find to replace it."""

    state: State | None  # None: no state stored yet
    version: str | None  # None: nothing stored (a write must create)


class Lease(Protocol):
    """A held lock: who holds it, whether it still does, and the backend it locks."""

    @property
    def held(self) -> bool: ...

    @property
    def holder(self) -> Holder | None: ...

    @property
    def backend(self) -> Backend: ...


class Backend(Protocol):
    """A place a state lives: a local file, a file on a GitHub branch, an S3 object."""

    @property
    def location(self) -> str:
        """The location as the user wrote it; messages and plans name the state by it."""
        ...

    def read(self) -> Snapshot:
        """The stored state and its version. Never locks, never writes."""
        ...

    def lock(
        self,
        *,
        command: str,
        timeout: float | None,
        run_url: str | None,
        on_wait: Callable[[str], None] | None,
    ) -> AbstractContextManager[Lease]:
        """The state's lock, held inside the ``with`` block; ``StateConflict`` (exit 5) naming
        the holder when another holds it past ``timeout`` seconds (None: do not wait)."""
        ...

    def write(self, lease: Lease, state: State, *, expected: str | None) -> str:
        """Store ``state`` if the stored version is still ``expected``; return the new version.

        ``StateConflict`` when it is not (another writer, or a lock broken under ``lease``):
        nothing is written."""
        ...

    def force_unlock(self, lock_id: str) -> str:
        """Break the lock whose id is ``lock_id``; say what was broken."""
        ...

    def close(self) -> None:
        """Close the connections it opened (a backend is used for one command)."""
        ...
