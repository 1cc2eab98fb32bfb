"""The state file on disk (DESIGN §3, docs/state.md): reads that never lock, a lock naming its
holder, atomic fsynced saves keeping a backup. POSIX only. ``plan``/``status``/``show`` only call
``read_state`` (``os.replace`` makes reads atomic); writers do:

    with StateLock(path, command="apply") as lock:  # StateConflict (exit 5) while another holds it
        store = StateStore(lock)                     # StateError (exit 1) for a file it cannot read
        saved = store.save(changed(store.state), server_time)
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from reconciler import failpoints
from reconciler.errors import StateConflict, StateError
from reconciler.statefile import State, decode, encode

STATE_NAME = "agenttasks.state.json"
POLL_SECONDS = 0.1


def default_state_path(first_tasks_path: Path) -> Path:
    """Beside the first tasks file given, or inside it when it names a directory."""
    folder = first_tasks_path if first_tasks_path.is_dir() else first_tasks_path.parent
    return folder / STATE_NAME


def backup_path(path: Path) -> Path:
    """Where the previous state is kept: ``<state>.backup``."""
    return path.with_name(path.name + ".backup")


def lock_path(path: Path) -> Path:
    """The file the lock is taken on: ``<state>.lock``."""
    return path.with_name(path.name + ".lock")


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


class Holder(BaseModel):
    """The JSON record inside ``<state>.lock`` while it is held; only ever used for messages."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    lock_id: str
    pid: int
    host: str
    command: str
    since: str
    run_url: str | None = None

    def describe(self) -> str:
        run = f", {self.run_url}" if self.run_url else ""
        return (
            f'lock id {self.lock_id}, pid {self.pid} on {self.host}, "{self.command}"'
            f" since {self.since}{run}"
        )


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
        return Holder.model_validate_json(os.pread(fd, 65536, 0))
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
        now: Callable[[], datetime] = _utc_now,
        run_url: str | None = None,
        on_wait: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.lock_file = lock_path(path)
        self.holder: Holder | None = None
        self._command, self._timeout, self._now, self._run_url = command, timeout, now, run_url
        self._on_wait, self._sleep, self._clock = on_wait, sleep, clock
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

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
        deadline = None if self._timeout is None else self._clock() + self._timeout
        told = False
        while not _try_flock(fd, self.lock_file):
            who = _who(fd, self.lock_file)
            if deadline is None:
                raise StateConflict(
                    f"state file {self.path} is locked {who}; retry when it has finished,"
                    " or wait for it with --lock-timeout S"
                )
            left = deadline - self._clock()
            if left <= 0:
                raise StateConflict(
                    f"state file {self.path} is still locked after {self._timeout:g}s {who};"
                    " retry when it has finished"
                )
            if self._on_wait is not None and not told:
                self._on_wait(f"Waiting up to {self._timeout:g}s for the lock on {self.path} {who}")
                told = True
            self._sleep(min(POLL_SECONDS, left))


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
        self.state = self._on_disk()[1]
        """The state as last read or saved; ``State()`` (serial 0, no lineage) when none yet."""

    def _on_disk(self) -> tuple[bytes | None, State]:
        raw = _read_bytes(self.path)
        return raw, State() if raw is None else _decode(raw, self.path)

    def save(self, state: State, server_time: datetime) -> State:
        """Write ``state`` as the next serial, dated ``server_time``; return what was written.

        ``state`` must derive from ``self.state`` (same lineage and serial). The first save mints
        the lineage; later saves keep it.
        """
        if not self._lock.held:
            raise RuntimeError("StateStore.save after its lock was released")
        if (state.lineage, state.serial) != (self.state.lineage, self.state.serial):
            raise ValueError("save() takes a state derived from StateStore.state")
        raw, current = self._on_disk()
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
            if raw is not None:
                _write_atomically(backup_path(self.path), raw, point=None)
            _write_atomically(
                self.path, encode(new).encode(), point=failpoints.BETWEEN_TEMP_AND_RENAME
            )
        except OSError as error:
            where = error.filename2 or error.filename
            kept = f"it still holds serial {current.serial}" if raw else "it was not created"
            raise StateError(
                f"cannot save state file {self.path} ({error.strerror}: {where}); {kept}"
            ) from None
        self.state = new
        return new


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
