"""The state lock: an exclusive ``fcntl.flock`` on ``<state>.lock`` with a record of its holder.

The kernel drops a flock when its process dies, however it dies, so a dead holder never blocks
anyone; the record inside only names the holder in messages. See docs/state.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from reconciler.errors import StateConflict, StateError
from reconciler.state.holder import Holder
from reconciler.state.lockwait import LockWait
from reconciler.wallclock import utc_now

if TYPE_CHECKING:
    from reconciler.state.local import LocalBackend

POLL_SECONDS = 0.1
_RECORD_LIMIT = 64 * 1024  # a holder record is a few hundred bytes; read no more than this


def real_path(path: Path) -> Path:
    """The file a state path names: a symbolic link (or a chain of them) resolved, so the lock,
    the backup and the temp files sit beside the real file, and a save keeps the link. A link
    whose target does not exist yet resolves to that target: the first save creates it."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def lock_path(path: Path) -> Path:
    """The file the lock is taken on: ``<state>.lock`` beside the real state file."""
    real = real_path(path)
    return real.with_name(real.name + ".lock")


def _open_lock_file(lock_file: Path) -> int:
    try:
        return os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StateError(f"cannot open the lock file {lock_file}: {error.strerror}") from None


def _try_flock(fd: int, lock_file: Path) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as error:
        raise StateError(f"cannot lock {lock_file}: {error.strerror}") from None
    return True


def _read_record(fd: int) -> Holder | None:
    try:
        return Holder.model_validate_json(os.pread(fd, _RECORD_LIMIT, 0))
    except ValidationError:
        return None


def _has_exited(holder: Holder) -> bool:
    if holder.host != socket.gethostname():
        return False  # another machine's pid says nothing here
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    return False


def _who(fd: int, lock_file: Path) -> str:
    """The holder in words, in parentheses, for a message about a held lock."""
    holder = _read_record(fd)
    if holder is None:
        return f"(by a process that left no holder record in {lock_file})"
    if _has_exited(holder):
        return (
            f"({holder.describe()}); pid {holder.pid} has exited, but a process it started"
            f" still holds {lock_file} (see: lsof {lock_file})"
        )
    return f"({holder.describe()})"


class StateLock:
    """An exclusive ``fcntl.flock`` on ``<state>.lock``, with a holder record written inside.

    Fails at once with ``StateConflict`` when held, unless ``timeout`` (seconds) is given: then it
    polls until the lock is free or the time is up, calling ``on_wait`` once with a message saying
    why nothing is happening. The kernel drops the flock when its process dies, however it dies,
    so a dead holder never blocks anyone; its record is just overwritten.
    """

    def __init__(
        self,
        path: Path,
        *,
        command: str,
        timeout: float | None = None,
        now: Callable[[], datetime] = utc_now,
        run_url: str | None = None,
        on_wait: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backend: LocalBackend | None = None,
    ) -> None:
        self.path = path
        self._real = real_path(path)
        self.lock_file = lock_path(self._real)
        self.holder: Holder | None = None
        self._command, self._timeout, self._now, self._run_url = command, timeout, now, run_url
        self._on_wait, self._sleep, self._clock = on_wait, sleep, clock
        self._fd: int | None = None
        self._backend: LocalBackend | None = backend

    @property
    def held(self) -> bool:
        return self._fd is not None

    @property
    def backend(self) -> LocalBackend:
        """The local file this lock guards (``StateStore`` writes through it)."""
        if self._backend is None:
            from reconciler.state.local import LocalBackend  # local imports this module

            self._backend = LocalBackend(self.path)
        return self._backend

    def __enter__(self) -> StateLock:
        fd = _open_lock_file(self.lock_file)
        try:
            self._wait(fd)
            holder = Holder(
                lock_id=str(uuid.uuid4()),
                pid=os.getpid(),
                host=socket.gethostname(),
                command=self._command,
                since=self._now().astimezone(UTC).isoformat(timespec="seconds"),
                run_url=self._run_url,
            )
            record = holder.model_dump_json().encode() + b"\n"
            os.pwrite(fd, record, 0)
            os.ftruncate(fd, len(record))
        except BaseException:
            os.close(fd)  # closing the descriptor drops the flock
            raise
        self._fd, self.holder = fd, holder
        real = self._real
        for leftover in real.parent.glob(f".{glob.escape(real.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()  # a crashed save's temp file: nobody else writes while we hold
        return self

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # clear the record; the file itself stays (see docs/state.md)
        finally:
            os.close(fd)

    def _wait(self, fd: int) -> None:
        waiting = LockWait(
            f"state file {self.path}",
            timeout=self._timeout,
            on_wait=self._on_wait,
            clock=self._clock,
            sleep=self._sleep,
            poll=POLL_SECONDS,
        )
        while not _try_flock(fd, self.lock_file):
            waiting.held_by(_who(fd, self.lock_file), where=str(self.path))


def force_unlock(path: Path, lock_id: str) -> str:
    """Clear the holder record a dead process left in ``<state>.lock``; say what was cleared.

    Refuses (``StateConflict``) while a live process holds the lock, and when ``lock_id`` is not
    the recorded one. Never touches the state file.
    """
    lock_file = lock_path(path)
    if not lock_file.exists():
        raise StateConflict(f"state file {path} is not locked: {lock_file} does not exist")
    fd = _open_lock_file(lock_file)
    try:
        if not _try_flock(fd, lock_file):
            raise StateConflict(
                f"refusing to force-unlock state file {path}: it is locked {_who(fd, lock_file)};"
                " force-unlock only clears the record of a holder that has died"
            )
        holder = _read_record(fd)
        if holder is None:
            raise StateConflict(f"state file {path} is not locked: {lock_file} holds no record")
        if holder.lock_id != lock_id:
            raise StateConflict(
                f"lock id {lock_id} is not the one recorded in {lock_file} ({holder.describe()});"
                " nothing was cleared"
            )
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    return (
        f"Cleared the record of {holder.describe()}: that process no longer held the lock."
        " The state file was not changed."
    )
