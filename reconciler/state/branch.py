"""State on a branch of a GitHub repository (CI.md §2.1): one commit per save, the branch ref as
the compare-and-swap, the lock file in the same tree so the head is the fencing token.

Git itself comes through ``GitStore`` (``github/repos.py`` implements it over the REST API with
the Actions token); this module decides what to commit and when. A swap that is not a fast
forward means someone else moved the branch: it is never retried with the same commit. The run
re-reads; while the lock at the new head is still its own and the state file there is the one it
last wrote (another state on the branch moved the head), it commits again on top; otherwise it
stops with ``StateConflict`` (exit 5) and writes nothing. The lock's record and lease are in
``state/branchlock.py``, the commit messages' words in ``state/branchlog.py``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from reconciler.errors import StateConflict, StateError
from reconciler.state.backend import Lease, Snapshot
from reconciler.state.branchlock import BranchLease, Locking
from reconciler.state.branchlog import run_note, summary
from reconciler.state.format import Encoder, State, decode
from reconciler.state.holder import RemoteHolder, ci_fields
from reconciler.state.lease import LEASE, expired, new_holder, read_holder, record, renewal
from reconciler.state.location import GithubFile
from reconciler.state.lockwait import LockWait
from reconciler.wallclock import utc_now

POLL_SECONDS = 2.0
MAX_REBASES = 5  # commits of others (another state on the branch) between two of ours


class GitStore(Protocol):
    """The git operations a branch backend needs, on one repository."""

    def head(self, branch: str) -> str | None:
        """The branch's head commit (read uncached), or None when the branch does not exist."""
        ...

    def file(self, commit: str, path: str) -> bytes | None:
        """A file's bytes at ``commit``, or None when it is absent."""
        ...

    def commit(self, parent: str | None, changes: Mapping[str, bytes | None], message: str) -> str:
        """A new commit on ``parent`` (None: a root commit) with ``changes`` (None deletes)."""
        ...

    def swap(self, branch: str, old: str | None, new: str) -> bool:
        """Move ``branch`` from ``old`` to ``new`` without force (``old`` None: create it);
        False when someone else moved or created it first."""
        ...

    def run_completed(self, repository: str, run_id: int) -> bool:
        """Whether the workflow run has completed (False when it cannot be told)."""
        ...

    @property
    def server_time(self) -> datetime | None:
        """The ``Date`` of the last answer: leases are measured on the server's clock."""
        ...

    def close(self) -> None:
        """Close its connections."""
        ...


class BranchBackend:
    """``github:[OWNER/REPO@]BRANCH:PATH``: the state file and ``PATH.lock.json`` beside it."""

    def __init__(
        self,
        git: GitStore,
        where: GithubFile,
        *,
        repo: str,
        environ: Mapping[str, str],
        lease: timedelta = LEASE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        poll: float = POLL_SECONDS,
    ) -> None:
        self._git, self._repo, self._environ, self._lease = git, repo, environ, lease
        self._poll = poll
        self.branch, self.path, self.lock_path = where.branch, where.path, f"{where.path}.lock.json"
        self._sleep, self._clock = sleep, clock
        self._encode = Encoder()

    @property
    def location(self) -> str:
        return str(GithubFile(self._repo, self.branch, self.path))

    def close(self) -> None:
        self._git.close()

    def read(self) -> Snapshot:
        head = self._git.head(self.branch)
        if head is None:
            return Snapshot(None, None)
        raw = self._git.file(head, self.path)
        return Snapshot(None if raw is None else self._decode(raw), head)

    def lock(
        self,
        *,
        command: str,
        timeout: float | None,
        run_url: str | None,
        on_wait: Callable[[str], None] | None,
    ) -> Locking:
        return Locking(lambda: self._take(command, timeout, run_url, on_wait), self._release)

    def write(self, lease: Lease, state: State, *, expected: str | None) -> str:
        if not isinstance(lease, BranchLease) or not lease.held or lease.backend is not self:
            raise RuntimeError("a write needs this backend's held lease")
        # ``expected`` is the head the store read, normally the lease's own. Were it not, the
        # commit on the lease's head fails its swap and the lock there says why.
        data = self._encode(state).encode()
        changes: dict[str, bytes | None] = {self.path: data}
        renewed = renewal(lease.holder, self._now(), self._lease)
        if renewed is not None:
            changes[self.lock_path] = record(renewed)
        message = f"agenttasks {lease.holder.command}: {summary(self._last(lease), state)}"
        self._commit(lease, changes, message + run_note(lease.holder))
        lease.written = data
        if renewed is not None:
            lease.holder = renewed
        return lease.head

    def force_unlock(self, lock_id: str) -> str:
        for _ in range(MAX_REBASES):
            head = self._git.head(self.branch)
            holder = self._holder_at(head) if head else None
            if head is None or holder is None:
                raise StateConflict(f"state {self.location} is not locked")
            if holder.lock_id != lock_id:
                raise StateConflict(
                    f"lock id {lock_id} is not the one recorded on {self.location}"
                    f" ({holder.describe()}); nothing was broken"
                )
            message = f"agenttasks force-unlock: break lock {lock_id}"
            new = self._git.commit(head, {self.lock_path: None}, message)
            if self._git.swap(self.branch, head, new):
                return (
                    f"Broke the lock of {holder.describe()} on {self.location}: its next write"
                    " will fail. The state was not changed."
                )
        raise StateConflict(f"{self.location} kept moving; force-unlock again")

    # --- the lock ---

    def _take(
        self,
        command: str,
        timeout: float | None,
        run_url: str | None,
        on_wait: Callable[[str], None] | None,
    ) -> BranchLease:
        waiting = LockWait(
            f"state {self.location}",
            timeout=timeout,
            on_wait=on_wait,
            clock=self._clock,
            sleep=self._sleep,
            poll=self._poll,
        )
        tried: dict[str, RemoteHolder] = {}
        while True:
            head = self._git.head(self.branch)
            now = self._now()
            holder = self._holder_at(head) if head else None
            if head and holder and holder.lock_id in tried:
                # Our swap went through although its answer was lost, and it was sent again.
                mine = tried[holder.lock_id]
                return BranchLease(self, mine, head, self._git.file(head, self.path))
            if holder is None or self._dead(holder, now):
                mine = new_holder(command, now, self._lease, run_url, self._environ)
                tried[mine.lock_id] = mine
                taken = "take over the lock of " + holder.lock_id if holder else "lock"
                message = f"agenttasks {command}: {taken} {self.path}{run_note(mine)}"
                new = self._git.commit(head, {self.lock_path: record(mine)}, message)
                if self._git.swap(self.branch, head, new):
                    written = self._git.file(new, self.path) if head else None
                    return BranchLease(self, mine, new, written)
                continue  # someone moved the branch first: look again
            waiting.held_by(f"({holder.describe()})", where=self.location)

    def _release(self, lease: BranchLease) -> None:
        message = f"agenttasks {lease.holder.command}: unlock {self.path}{run_note(lease.holder)}"
        with contextlib.suppress(StateConflict):  # broken or taken over: not ours to remove
            self._commit(lease, {self.lock_path: None}, message)

    def _dead(self, holder: RemoteHolder, now: datetime) -> bool:
        """A lease past its expiry, a holder whose workflow run has completed, or an earlier
        attempt of this very run (GitHub runs one attempt of a run at a time)."""
        if expired(holder, now):
            return True
        mine = ci_fields(self._environ)
        if holder.run_id is not None and holder.run_id == mine["run_id"]:
            attempt = mine["run_attempt"]
            if isinstance(attempt, int) and (holder.run_attempt or 0) < attempt:
                return True
        if holder.run_id is not None and holder.repository:
            return self._git.run_completed(holder.repository, holder.run_id)
        return False

    def _holder_at(self, head: str) -> RemoteHolder | None:
        raw = self._git.file(head, self.lock_path)
        if raw is None:
            return None
        holder = read_holder(raw)
        if holder is None:
            raise StateError(
                f"{self.location}: the lock file {self.lock_path} is not a lock record; fix or"
                " delete it on the branch"
            )
        return holder

    # --- commits ---

    def _commit(
        self, lease: BranchLease, changes: Mapping[str, bytes | None], message: str
    ) -> None:
        """Commit on the lease's head and swap; on a lost race, commit again on the new head
        while the lock there is ours and the state file is the one we last wrote."""
        head = lease.head
        for _ in range(MAX_REBASES):
            new = self._git.commit(head, changes, message)
            if self._git.swap(self.branch, head, new):
                lease.head = new
                return
            head = self._moved_from(head)
            holder = self._holder_at(head)
            if holder is None or holder.lock_id != lease.holder.lock_id:
                who = f" (now {holder.describe()})" if holder else ""
                raise StateConflict(
                    f"the lock on {self.location} was broken or taken over while this run held"
                    f" it{who}; nothing more was written. Run again."
                )
            if self._git.file(head, self.path) != lease.written:
                raise StateConflict(
                    f"state {self.location} was changed by another writer while locked; it was"
                    " not overwritten. Run again."
                )
        raise StateConflict(f"{self.location} kept moving under the lock; run again")

    def _moved_from(self, old: str) -> str:
        """The branch head after a lost swap: re-read (uncached) until it differs."""
        for attempt in range(MAX_REBASES):
            head = self._git.head(self.branch)
            if head is not None and head != old:
                return head
            self._sleep(0.5 * 2**attempt)
        raise StateConflict(f"{self.location}: a swap was refused but the branch did not move")

    def _last(self, lease: BranchLease) -> State | None:
        return None if lease.written is None else self._decode(lease.written)

    def _decode(self, raw: bytes) -> State:
        return decode(
            raw, path=self.location, history="Earlier versions are in the branch's history"
        )

    def _now(self) -> datetime:
        return self._git.server_time or utc_now()
