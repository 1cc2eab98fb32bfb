"""The lock: a second writer is refused at once naming the holder, waits when asked, and a dead
holder never blocks anyone. Holders run in real processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import ExitCode, StateConflict
from reconciler.state.local import read_state
from reconciler.state.lock import StateLock, force_unlock, lock_path
from reconciler.state.store import StateStore
from tests.state.conftest import Spawn, release, save_records, wait_locked
from tests.state.states import RUN_URL, SINCE

HOST = socket.gethostname()


def _holder(lock_id: str, pid: str, run: str = "") -> str:
    return f'(lock id {lock_id}, pid {pid} on {HOST}, "apply --yes" since {SINCE}{run})'


def _record(path: Path) -> dict[str, object] | None:
    text = lock_path(path).read_text()
    return json.loads(text) if text else None


def test_the_holder_record_is_written_while_held_and_cleared_after(state_path: Path) -> None:
    def now() -> datetime:
        return datetime(2026, 11, 24, 19, 0, 0, 123456, tzinfo=UTC)

    with StateLock(state_path, command="apply --yes", now=now, run_url=RUN_URL) as lock:
        assert lock.holder is not None
        assert _record(state_path) == {
            "lock_id": lock.holder.lock_id,
            "pid": os.getpid(),
            "host": HOST,
            "command": "apply --yes",
            "since": "2026-11-24T19:00:00+00:00",
            "run_url": RUN_URL,
        }
    assert _record(state_path) is None
    assert stat.S_IMODE(lock_path(state_path).stat().st_mode) == 0o600


def test_a_second_writer_fails_at_once_naming_the_holder(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path))
    lock_id, pid = wait_locked(holder)
    started = time.monotonic()
    with pytest.raises(StateConflict) as refused, StateLock(state_path, command="apply"):
        pass
    assert time.monotonic() - started < 1
    assert refused.value.exit_code == ExitCode.CONFLICT
    assert str(refused.value) == (
        f"state file {state_path} is locked {_holder(lock_id, pid)}; retry when it has finished,"
        " or wait for it with --lock-timeout S"
    )
    release(holder)


def test_a_holder_that_left_no_record_is_still_refused(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("bare", str(state_path))
    wait_locked(holder)
    with pytest.raises(StateConflict) as refused, StateLock(state_path, command="apply"):
        pass
    assert str(refused.value) == (
        f"state file {state_path} is locked (by a process that left no holder record in"
        f" {lock_path(state_path)}); retry when it has finished, or wait for it with"
        " --lock-timeout S"
    )
    release(holder)


def test_a_ci_holder_is_named_with_its_run(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path), "--ci")
    lock_id, pid = wait_locked(holder)
    with pytest.raises(StateConflict) as refused, StateLock(state_path, command="apply"):
        pass
    assert _holder(lock_id, pid, f", {RUN_URL}") in str(refused.value)


def test_a_lock_timeout_waits_for_the_holder_to_finish(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path), "--for", "0.5")
    lock_id, pid = wait_locked(holder)
    told: list[str] = []
    with StateLock(state_path, command="apply", timeout=10, on_wait=told.append) as lock:
        assert lock.holder is not None
        assert lock.holder.pid == os.getpid()
    assert told == [f"Waiting up to 10s for the lock on {state_path} {_holder(lock_id, pid)}"]


def test_a_lock_timeout_gives_up_when_it_runs_out(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path))
    lock_id, pid = wait_locked(holder)
    started = time.monotonic()
    with pytest.raises(StateConflict) as refused, StateLock(state_path, command="a", timeout=0.3):
        pass
    assert 0.3 <= time.monotonic() - started < 2
    assert str(refused.value) == (
        f"state file {state_path} is still locked after 0.3s {_holder(lock_id, pid)};"
        " retry when it has finished"
    )
    release(holder)


def test_a_holder_killed_with_sigkill_leaves_no_obstacle(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path))
    dead_id, _ = wait_locked(holder)
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    assert _record(state_path) is not None  # the dead holder's record is still there
    with StateLock(state_path, command="apply") as lock:
        assert lock.holder is not None
        assert _record(state_path) == lock.holder.model_dump()
        assert lock.holder.lock_id != dead_id


def test_reads_never_wait_for_the_lock(state_path: Path, spawn: Spawn) -> None:
    saved = save_records(state_path, "a")
    holder = spawn("hold", str(state_path))
    wait_locked(holder)
    started = time.monotonic()
    assert read_state(state_path) == saved
    assert time.monotonic() - started < 0.5
    release(holder)


def test_reads_during_a_stream_of_saves_always_see_a_whole_state(
    state_path: Path, spawn: Spawn
) -> None:
    save_records(state_path, "a")
    churn = spawn("churn", str(state_path))
    assert churn.stdout is not None
    churn.stdout.readline()  # saving in a loop now
    serials = [2]
    deadline = time.monotonic() + 10
    while serials[-1] < 40 and time.monotonic() < deadline:
        state = read_state(state_path)  # never a StateError: never half a file
        assert state is not None
        serials.append(state.serial)
    churn.kill()
    churn.communicate()
    assert serials == sorted(serials)
    assert serials[-1] >= 40


def test_a_store_needs_a_held_lock(state_path: Path) -> None:
    lock = StateLock(state_path, command="apply")
    with pytest.raises(RuntimeError, match="needs a held StateLock"):
        StateStore(lock)
    with lock:
        store = StateStore(lock)
    with pytest.raises(RuntimeError, match="after its lock was released"):
        store.save(store.state, datetime.now(UTC))
    assert read_state(state_path) is None


@pytest.fixture
def orphan(state_path: Path, spawn: Spawn) -> Iterator[list[str]]:
    """A holder that exited, leaving the lock held by a child it forked: lock id, pid, child."""
    parent = spawn("fork", str(state_path))
    words = wait_locked(parent)
    parent.communicate()
    yield words
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(words[2]), signal.SIGKILL)


def test_a_lock_kept_by_an_exited_holder_s_child_says_so(
    state_path: Path, orphan: list[str]
) -> None:
    lock_id, pid, _ = orphan
    lock_file = lock_path(state_path)
    with pytest.raises(StateConflict) as refused, StateLock(state_path, command="apply"):
        pass
    assert str(refused.value) == (
        f"state file {state_path} is locked {_holder(lock_id, pid)}; pid {pid} has exited, but a"
        f" process it started still holds {lock_file} (see: lsof {lock_file}); retry when it has"
        " finished, or wait for it with --lock-timeout S"
    )


def test_force_unlock_refuses_while_the_lock_is_held(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path))
    lock_id, pid = wait_locked(holder)
    with pytest.raises(StateConflict) as refused:
        force_unlock(state_path, lock_id)
    assert str(refused.value) == (
        f"refusing to force-unlock state file {state_path}: it is locked {_holder(lock_id, pid)};"
        " force-unlock only clears the record of a holder that has died"
    )
    with pytest.raises(StateConflict), StateLock(state_path, command="apply"):
        pass  # still held
    assert _record(state_path) is not None
    release(holder)


def test_force_unlock_clears_a_dead_holder_s_record(state_path: Path, spawn: Spawn) -> None:
    saved = save_records(state_path, "a")
    before = state_path.read_bytes()
    holder = spawn("hold", str(state_path))
    lock_id, pid = wait_locked(holder)
    holder.kill()
    holder.communicate()
    assert force_unlock(state_path, lock_id) == (
        f"Cleared the record of {_holder(lock_id, pid)[1:-1]}: that process no longer held the"
        " lock. The state file was not changed."
    )
    assert _record(state_path) is None
    assert state_path.read_bytes() == before
    assert read_state(state_path) == saved


def test_force_unlock_refuses_another_lock_id(state_path: Path, spawn: Spawn) -> None:
    holder = spawn("hold", str(state_path))
    lock_id, pid = wait_locked(holder)
    holder.kill()
    holder.communicate()
    with pytest.raises(StateConflict) as refused:
        force_unlock(state_path, "0000")
    assert str(refused.value) == (
        f"lock id 0000 is not the one recorded in {lock_path(state_path)}"
        f" {_holder(lock_id, pid)}; nothing was cleared"
    )
    assert _record(state_path) is not None


def test_force_unlock_with_nothing_to_clear(state_path: Path) -> None:
    with pytest.raises(StateConflict) as no_file:
        force_unlock(state_path, "0000")
    assert str(no_file.value) == (
        f"state file {state_path} is not locked: {lock_path(state_path)} does not exist"
    )
    save_records(state_path, "a")
    with pytest.raises(StateConflict) as empty:
        force_unlock(state_path, "0000")
    assert str(empty.value) == (
        f"state file {state_path} is not locked: {lock_path(state_path)} holds no record"
    )
