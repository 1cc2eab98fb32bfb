"""Saving a state through any backend (DESIGN §3, CI.md §2): the serial, the lineage, the
compare-and-swap. Writers do, on every backend alike:

    with backend.lock(command="apply", ...) as lease:  # StateConflict (exit 5): held elsewhere
        store = StateStore(lease)                       # StateError (exit 1): unreadable state
        saved = store.save(changed(store.state), server_time)

``plan``, ``status`` and ``show`` only call ``backend.read()``, which never locks.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from reconciler.state.backend import Lease
from reconciler.state.format import State


class StateStore:
    """Saves of one state behind a held lease, each a compare-and-swap on the version last read
    or written, so a state changed behind the lock (or a lock broken under it) is never
    overwritten: the backend refuses with ``StateConflict``.

    It reads the state when created and refuses (``StateError``) a state it cannot read — newer
    format, broken JSON, damaged content — so such a state is never overwritten.
    """

    def __init__(self, lease: Lease) -> None:
        if not lease.held:
            raise RuntimeError("StateStore needs a held StateLock (or another backend's lease)")
        self._lease, self._backend = lease, lease.backend
        snapshot = self._backend.read()
        self._version = snapshot.version
        self.state = snapshot.state or State()
        """The state as last read or saved; ``State()`` (serial 0, no lineage) when none yet."""

    @property
    def location(self) -> str:
        """Where the state lives, as the user wrote it."""
        return self._backend.location

    def save(self, state: State, server_time: datetime) -> State:
        """Write ``state`` as the next serial, dated ``server_time``; return what was written.

        ``state`` must derive from ``self.state`` (same lineage and serial). The first save mints
        the lineage; later saves keep it.
        """
        if not self._lease.held:
            raise RuntimeError("StateStore.save after its lock was released")
        if (state.lineage, state.serial) != (self.state.lineage, self.state.serial):
            raise ValueError("save() takes a state derived from StateStore.state")
        new = state.model_copy(
            update={
                "lineage": self.state.lineage or str(uuid.uuid4()),
                "serial": self.state.serial + 1,
                "written_at": server_time,
            }
        )
        self._version = self._backend.write(self._lease, new, expected=self._version)
        self.state = new
        return new
