"""The local state file (DESIGN §3): reads that never lock, an flock naming its holder, atomic
fsynced saves keeping a backup. POSIX only. ``os.replace`` makes reads atomic, so ``plan``,
``status`` and ``show`` read without the lock.

The version a write compares is the file's identity (inode, size, modification time): every save
replaces the file with a new inode. A file that changed under a held lock (another program, or a
restored backup) is read again and written over only if it still holds the serial this run read.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from reconciler import failpoints
from reconciler.errors import StateConflict, StateError
from reconciler.state.backend import Lease, Snapshot
from reconciler.state.format import Encoder, State, decode
from reconciler.state.lock import StateLock, force_unlock, real_path

STATE_NAME = "agenttasks.state.json"


def default_state_path(first_tasks_path: Path) -> Path:
    """Beside the first tasks file given, or inside it when it names a directory."""
    folder = first_tasks_path if first_tasks_path.is_dir() else first_tasks_path.parent
    return folder / STATE_NAME


def backup_path(path: Path) -> Path:
    """Where the previous state is kept: ``<state>.backup`` beside the real state file."""
    real = real_path(path)
    return real.with_name(real.name + ".backup")


def read_state(path: Path) -> State | None:
    """The state in ``path``, or None when there is none yet. Never locks, never writes."""
    raw = _read_bytes(path)
    return None if raw is None else _decode(raw, path)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateError(f"cannot read state file {path}: {error.strerror}") from None


def _decode(raw: bytes, path: Path) -> State:
    backup = backup_path(path)
    return decode(raw, path=str(path), backup=str(backup) if backup.exists() else "")


class LocalBackend:
    """A state file on this machine's disk, its lock on ``<state>.lock`` beside it. A state path
    that is a symbolic link is resolved once: the link is never replaced, and the lock, backup and
    temp files sit beside the real file, so every path to one file shares one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path  # as given, for messages
        self._real = real_path(path)  # resolved once: every read, save and backup goes here
        self._encode = Encoder()

    @property
    def location(self) -> str:
        return str(self.path)

    def read(self) -> Snapshot:
        raw = _read_bytes(self._real)
        version = _signature(self._real)
        return Snapshot(None if raw is None else _decode(raw, self.path), version)

    def lock(
        self,
        *,
        command: str,
        timeout: float | None,
        run_url: str | None,
        on_wait: Callable[[str], None] | None,
    ) -> StateLock:
        return StateLock(
            self.path,
            command=command,
            timeout=timeout,
            run_url=run_url,
            on_wait=on_wait,
            backend=self,
        )

    def write(self, lease: Lease, state: State, *, expected: str | None) -> str:
        if not lease.held:
            raise RuntimeError("a write after its lock was released")
        before = state.serial - 1
        now = _signature(self._real)
        unchanged = expected is not None and now == expected
        if not unchanged and (expected, now) != (None, None):  # changed since read: to what?
            found = self.read().state
            serial = found.serial if found is not None else 0
            if serial != before or (found is not None and found.lineage != state.lineage):
                raise StateConflict(
                    f"state file {self.path} was changed by another program while locked (serial"
                    f" {before}, now {serial}); it was not overwritten. Run again."
                )
            unchanged = found is not None
        try:
            if unchanged:
                _keep_as_backup(self._real)
            _write_atomically(
                self._real, self._encode(state).encode(), point=failpoints.BETWEEN_TEMP_AND_RENAME
            )
        except OSError as error:
            where = error.filename2 or error.filename or self.path
            kept = f"it still holds serial {before}" if unchanged else "it was not created"
            raise StateError(
                f"cannot save state file {self.path} ({error.strerror}: {where}); {kept}"
            ) from None
        return _signature(self._real) or ""

    def force_unlock(self, lock_id: str) -> str:
        return force_unlock(self.path, lock_id)

    def close(self) -> None:
        """Nothing stays open between calls."""


def _signature(path: Path) -> str | None:
    """The file's identity: a save replaces it with a new inode, so any change shows here."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def _keep_as_backup(path: Path) -> None:
    """The current file becomes the backup by a hard link, atomically renamed into place: the
    bytes are not written again, and every save replaces the state with a new inode, so the
    backup keeps exactly the previous state."""
    backup = backup_path(path)
    temp = backup.with_name(f".{backup.name}.{uuid.uuid4().hex}.tmp")
    try:
        os.link(path, temp)
        os.chmod(temp, 0o600)
        os.replace(temp, backup)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _write_atomically(target: Path, data: bytes, *, point: str | None) -> None:
    """A temp file beside ``target`` (0600), written and fsynced, renamed over it, and the
    directory fsynced so the rename is durable before anything that follows."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if point is not None:
            failpoints.hit(point)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
