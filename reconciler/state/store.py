"""The state file on disk (DESIGN §3, docs/state.md): reads that never lock, a lock naming its
holder, atomic fsynced saves keeping a backup. POSIX only. ``plan``/``status``/``show`` only call
``read_state`` (``os.replace`` makes reads atomic); writers do:

    with StateLock(path, command="apply") as lock:  # StateConflict (exit 5) while another holds it
        store = StateStore(lock)                     # StateError (exit 1) for a file it cannot read
        saved = store.save(changed(store.state), server_time)
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from reconciler import failpoints
from reconciler.errors import StateConflict, StateError
from reconciler.state.format import Encoder, State, decode
from reconciler.state.lock import Holder, StateLock, force_unlock, lock_path

__all__ = [
    "Holder",
    "StateLock",
    "StateStore",
    "backup_path",
    "ci_run_url",
    "default_state_path",
    "force_unlock",
    "lock_path",
    "read_state",
]

STATE_NAME = "agenttasks.state.json"


def default_state_path(first_tasks_path: Path) -> Path:
    """Beside the first tasks file given, or inside it when it names a directory."""
    folder = first_tasks_path if first_tasks_path.is_dir() else first_tasks_path.parent
    return folder / STATE_NAME


def backup_path(path: Path) -> Path:
    """Where the previous state is kept: ``<state>.backup``."""
    return path.with_name(path.name + ".backup")


def ci_run_url(environ: Mapping[str, str]) -> str | None:
    """The GitHub Actions run's URL for the holder record, when ``GITHUB_RUN_ID`` is set."""
    run_id, repo = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_REPOSITORY")
    if not run_id or not repo:
        return None
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    url = f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}"
    attempt = environ.get("GITHUB_RUN_ATTEMPT")
    return f"{url}/attempts/{attempt}" if attempt else url


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
    kept = str(backup) if backup.exists() else ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        hint = f"The previous state is kept in {kept}" if kept else "No backup exists"
        raise StateError(
            f"state file {path} is not UTF-8 text (byte {error.start}); it was not changed. {hint}."
        ) from None
    return decode(text, path=str(path), backup=kept)


class StateStore:
    """Saves of the state file behind a held ``StateLock``.

    It reads the file when created and again before every save, and refuses (``StateError``) a
    file it cannot read — newer format, broken JSON, damaged content — so such a file is never
    overwritten, whoever calls ``save``.
    """

    def __init__(self, lock: StateLock) -> None:
        if not lock.held:
            raise RuntimeError("StateStore needs a held StateLock")
        self.path = lock.path
        self._lock = lock
        for leftover in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()  # a crashed save's temp file: nobody else writes while we hold
        self._seen: tuple[int, int, int] | None = None
        self._encode = Encoder()
        self.state = self._on_disk()[1]
        """The state as last read or saved; ``State()`` (serial 0, no lineage) when none yet."""

    def _on_disk(self) -> tuple[bytes | None, State]:
        raw = _read_bytes(self.path)
        self._seen = _signature(self.path)
        return raw, State() if raw is None else _decode(raw, self.path)

    def _current(self) -> tuple[bool, State]:
        """Whether a state file exists, and what it holds. Unchanged since our last read or save
        (same inode, size and mtime), it is not read again: an apply saves twice per create."""
        if self._seen is not None and _signature(self.path) == self._seen:
            return True, self.state
        raw, current = self._on_disk()
        return raw is not None, current

    def save(self, state: State, server_time: datetime) -> State:
        """Write ``state`` as the next serial, dated ``server_time``; return what was written.

        ``state`` must derive from ``self.state`` (same lineage and serial). The first save mints
        the lineage; later saves keep it.
        """
        if not self._lock.held:
            raise RuntimeError("StateStore.save after its lock was released")
        if (state.lineage, state.serial) != (self.state.lineage, self.state.serial):
            raise ValueError("save() takes a state derived from StateStore.state")
        exists, current = self._current()
        if (current.lineage, current.serial) != (self.state.lineage, self.state.serial):
            raise StateConflict(
                f"state file {self.path} was changed by another program while locked (serial"
                f" {self.state.serial}, now {current.serial}); it was not overwritten. Run again."
            )
        new = state.model_copy(
            update={
                "lineage": current.lineage or str(uuid.uuid4()),
                "serial": current.serial + 1,
                "written_at": server_time,
            }
        )
        try:
            if exists:
                _keep_as_backup(self.path)
            _write_atomically(
                self.path, self._encode(new).encode(), point=failpoints.BETWEEN_TEMP_AND_RENAME
            )
        except OSError as error:
            where = error.filename2 or error.filename
            kept = f"it still holds serial {current.serial}" if exists else "it was not created"
            raise StateError(
                f"cannot save state file {self.path} ({error.strerror}: {where}); {kept}"
            ) from None
        self.state = new
        self._seen = _signature(self.path)
        return new


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


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
