"""One contract, every backend (CI.md §2): read at a version, compare-and-swap writes, a lock
naming its holder, breaking it by id, the fence, whole reads, and one winner of twenty.

Each test runs once per backend in ``BACKENDS``; a backend is the fixture ``<name>_harness``
(tests/state/backends.py says what it provides). Where backends differ by design, a test asks the
harness's flags (``breaks_live_locks``, ``leases_expire``) instead of naming a backend.
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import AbstractContextManager

import pytest

from reconciler.errors import ExitCode, StateConflict, StateError
from reconciler.state.backend import Backend, Lease
from reconciler.state.format import State
from reconciler.state.holder import Holder, ci_run_url
from reconciler.state.store import StateStore
from tests.state.backends import Harness
from tests.state.states import SERVER_TIME, with_record

# Backends behind a server on loopback (the served sandbox, moto) are e2e, like every test that
# talks real HTTP; the fast loop keeps the local file and the in-process sandbox.
BACKENDS = (
    "local",
    "github",
    pytest.param("github_served", marks=pytest.mark.e2e),
    pytest.param("s3", marks=pytest.mark.e2e),
)
CI_ENV = {"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "octo-org/web"}
RUN_URL = "https://github.com/octo-org/web/actions/runs/42"


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest) -> Harness:
    found: Harness = request.getfixturevalue(f"{request.param}_harness")
    return found


class Held:
    """A lock taken outside a ``with`` block, released by ``release()`` (or never)."""

    def __init__(self, backend: Backend, *, ci: bool = False) -> None:
        self._manager = backend.lock(
            command="apply --yes",
            timeout=None,
            run_url=ci_run_url(CI_ENV) if ci else None,
            on_wait=None,
        )
        self.lease = self._manager.__enter__()
        assert self.lease.holder is not None
        self.holder: Holder = self.lease.holder

    def release(self) -> None:
        self._manager.__exit__(None, None, None)


def _lock(
    backend: Backend, timeout: float | None = None, told: list[str] | None = None
) -> AbstractContextManager[Lease]:
    return backend.lock(
        command="apply",
        timeout=timeout,
        run_url=None,
        on_wait=told.append if told is not None else None,
    )


def _save(backend: Backend, *keys: str) -> State:
    with backend.lock(command="test", timeout=None, run_url=None, on_wait=None) as lease:
        store = StateStore(lease)
        state = store.state
        for key in keys:
            state = store.save(with_record(state, key), SERVER_TIME)
    return state


def _stored(backend: Backend) -> State | None:
    return backend.read().state


def _tasks(backend: Backend) -> list[str]:
    state = _stored(backend)
    return sorted(state.tasks) if state is not None else []


# --- read and compare-and-swap --------------------------------------------------------------


def test_nothing_stored_reads_as_none(harness: Harness) -> None:
    assert harness.make().read().state is None
    assert harness.make().read().version is None


def test_saves_read_back_and_each_changes_the_version(harness: Harness) -> None:
    backend = harness.make()
    saved = _save(backend, "a", "b")
    first = backend.read()
    assert first.state is not None
    assert (first.state.serial, sorted(first.state.tasks)) == (2, ["a", "b"])
    assert first.state.lineage == saved.lineage
    _save(harness.make(), "c")
    second = harness.make().read()
    assert second.version != first.version
    assert second.state is not None
    assert second.state.serial == 3


def test_a_write_after_another_writer_changed_the_state_is_refused(harness: Harness) -> None:
    backend = harness.make()
    _save(backend, "a")
    with _lock(backend) as lease:
        store = StateStore(lease)
        other = with_record(store.state, "theirs").model_copy(
            update={"serial": store.state.serial + 5}
        )
        harness.tamper(other)
        with pytest.raises(StateConflict) as refused:
            store.save(with_record(store.state, "mine"), SERVER_TIME)
    assert refused.value.exit_code == ExitCode.CONFLICT
    assert _tasks(harness.make()) == ["a", "theirs"]  # nothing written over theirs


# --- the lock -------------------------------------------------------------------------------


def test_a_lock_is_held_inside_its_block_and_free_after(harness: Harness) -> None:
    backend = harness.make()
    with backend.lock(command="apply", timeout=None, run_url=None, on_wait=None) as lease:
        assert lease.held
        assert lease.holder is not None
        assert lease.holder.command == "apply"
        assert lease.backend is backend
    assert not lease.held
    with harness.make().lock(command="apply", timeout=None, run_url=None, on_wait=None) as again:
        assert again.held


def test_a_lock_held_by_another_is_refused_naming_its_holder(harness: Harness) -> None:
    holder = Held(harness.make(), ci=True)
    try:
        with pytest.raises(StateConflict) as refused, _lock(harness.make()):
            pass
        message = str(refused.value)
        assert refused.value.exit_code == ExitCode.CONFLICT
        for part in (
            f"lock id {holder.holder.lock_id}",
            f"pid {os.getpid()} on {socket.gethostname()}",
            f'"apply --yes" since {holder.holder.since}',
            RUN_URL,
            "--lock-timeout",
        ):
            assert part in message
    finally:
        holder.release()


def test_lock_timeout_waits_says_so_once_and_gives_up_naming_the_holder(harness: Harness) -> None:
    holder = Held(harness.make())
    told: list[str] = []
    try:
        with pytest.raises(StateConflict) as refused, _lock(harness.make(), 1.5, told):
            pass
    finally:
        holder.release()
    assert len(told) == 1
    assert "Waiting up to 1.5s" in told[0]
    assert "still locked after 1.5s" in str(refused.value)
    assert holder.holder.lock_id in str(refused.value)


def test_lock_timeout_takes_the_lock_once_it_is_released(harness: Harness) -> None:
    holder = Held(harness.make())
    told: list[str] = []

    def waiting(message: str) -> None:  # the holder finishes once the waiter waits
        told.append(message)
        threading.Timer(0.2, holder.release).start()

    with harness.make().lock(command="apply", timeout=30, run_url=None, on_wait=waiting) as lease:
        assert lease.held
    assert len(told) == 1
    assert not holder.lease.held


def test_a_lock_whose_holder_is_gone_is_taken(harness: Harness) -> None:
    _save(harness.make(), "a")
    gone = harness.abandon()
    stale = StateStore(gone.lease) if gone.lease is not None else None
    with _lock(harness.make()) as lease:
        assert lease.holder is not None
        assert lease.holder.lock_id != gone.lock_id
        store = StateStore(lease)
        store.save(with_record(store.state, "b"), SERVER_TIME)
    if harness.leases_expire:  # the old holder is alive and tries to write: the fence stops it
        assert stale is not None
        with pytest.raises(StateConflict):
            stale.save(with_record(stale.state, "late"), SERVER_TIME)
    assert _tasks(harness.make()) == ["a", "b"]


# --- force-unlock and the fence -------------------------------------------------------------


def test_force_unlock_breaks_a_gone_holder_s_lock_by_its_id(harness: Harness) -> None:
    gone = harness.abandon()
    with pytest.raises(StateConflict, match="nothing was"):
        harness.make().force_unlock("not-the-id")
    said = harness.make().force_unlock(gone.lock_id)
    assert gone.lock_id in said
    with _lock(harness.make()) as lease:
        assert lease.held


def test_force_unlock_without_a_lock_says_so(harness: Harness) -> None:
    with pytest.raises(StateConflict, match="not locked"):
        harness.make().force_unlock("0b6c")


def test_a_writer_whose_lock_was_broken_cannot_write(harness: Harness) -> None:
    _save(harness.make(), "a")
    holder = Held(harness.make())
    store = StateStore(holder.lease)
    try:
        if harness.breaks_live_locks:
            harness.make().force_unlock(holder.holder.lock_id)
            with pytest.raises(StateConflict) as refused:
                store.save(with_record(store.state, "late"), SERVER_TIME)
            assert refused.value.exit_code == ExitCode.CONFLICT
            assert _tasks(harness.make()) == ["a"]
        else:  # the local file: a live holder's lock cannot be broken, so it still writes
            with pytest.raises(StateConflict, match="refusing to force-unlock"):
                harness.make().force_unlock(holder.holder.lock_id)
            store.save(with_record(store.state, "b"), SERVER_TIME)
            assert _tasks(harness.make()) == ["a", "b"]
    finally:
        holder.release()


# --- whole reads and one winner -------------------------------------------------------------


def test_reads_never_see_a_torn_state(harness: Harness) -> None:
    writer = harness.make()
    _save(writer, *(f"seed-{n:03d}" for n in range(150)))  # a state of some size
    done = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with _lock(writer) as lease:
                store = StateStore(lease)
                state = store.state
                for n in range(25):
                    state = store.save(with_record(state, f"k{n % 7}"), SERVER_TIME)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    reader = harness.make()
    serials: list[int] = []
    try:
        while not done.is_set():
            state = reader.read().state  # StateError on anything torn
            assert state is not None
            serials.append(state.serial)
    except StateError as torn:
        pytest.fail(f"a read saw a torn state: {torn}")
    finally:
        thread.join()
    assert failures == []
    assert serials == sorted(serials)
    final = reader.read().state
    assert final is not None
    assert final.serial == 150 + 25


def test_of_twenty_racing_lock_attempts_exactly_one_wins(harness: Harness) -> None:
    backends = [harness.make() for _ in range(20)]
    start = threading.Barrier(len(backends))
    losers = threading.Semaphore(0)
    outcomes: list[str] = []
    guard = threading.Lock()

    def attempt(backend: Backend) -> None:
        start.wait()
        try:
            with _lock(backend):
                with guard:
                    outcomes.append("won")
                for _ in range(len(backends) - 1):  # hold until every other attempt is over
                    losers.acquire(timeout=30)
        except StateConflict:
            with guard:
                outcomes.append("refused")
            losers.release()
        except BaseException as error:
            with guard:
                outcomes.append(f"error {error!r}")
            losers.release()

    threads = [threading.Thread(target=attempt, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 19 + ["won"]
