"""Fixtures for the state tests: a state path in tmp_path, and real second processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import Sandbox
from reconciler.state.format import State, encode
from reconciler.state.local import LocalBackend
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
from tests.client.served import ServedSandbox
from tests.state.backends import (
    GITHUB_BRANCH,
    GITHUB_REPO,
    Abandoned,
    GithubPlace,
    Harness,
    S3Place,
)
from tests.state.states import SERVER_TIME, with_record

ROOT = Path(__file__).resolve().parents[2]

Spawn = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "agenttasks.state.json"


def save_records(path: Path, *keys: str) -> State:
    """One locked save per key, in this process; the last state written."""
    with StateLock(path, command="test") as lock:
        store = StateStore(lock)
        state = store.state
        for key in keys:
            state = store.save(with_record(state, key), SERVER_TIME)
    return state


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start ``python -m tests.state.proc ARGS`` (extra environment via ``env=``); every process
    started is killed if still running, and reaped, at the end of the test."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.state.proc", *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_locked(process: subprocess.Popen[str]) -> list[str]:
    """Block until the holder says it holds the lock; its words after "locked"."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.split()[:1] != ["locked"]:
        _, err = process.communicate()
        pytest.fail(f"the holder did not lock: {line!r} {err}")
    return line.split()[1:]


def release(process: subprocess.Popen[str]) -> None:
    """Tell a ``hold`` process to release its lock, and wait until it has."""
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()
    process.communicate(timeout=10)
    assert process.returncode == 0


# --- backends for the contract suite (tests/state/test_contract.py) -------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 for this test session (worker): never the real AWS."""
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> S3Place:
    """A fresh bucket on the moto server, and a client with test credentials."""
    place = S3Place.open(moto_endpoint)
    place.client.create_bucket(Bucket=place.bucket)
    return place


@pytest.fixture
def local_harness(state_path: Path, spawn: Spawn) -> Harness:
    def abandon() -> Abandoned:
        holder = spawn("hold", str(state_path))
        lock_id, _ = wait_locked(holder)
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
        return Abandoned(lock_id, None)

    def tamper(state: State) -> None:
        state_path.write_text(encode(state), encoding="utf-8")

    return Harness(
        name="local",
        make=lambda: LocalBackend(state_path),
        tamper=tamper,
        abandon=abandon,
        breaks_live_locks=False,
        leases_expire=False,
    )


@pytest.fixture
def github_harness() -> Iterator[Harness]:
    """A state branch on the in-process sandbox."""
    sandbox = Sandbox()

    def commit(files: dict[str, str | None]) -> None:
        sandbox.commit(GITHUB_REPO, GITHUB_BRANCH, dict(files))

    place = GithubPlace("https://api.github.com", sandbox.transport, commit)
    yield place.harness("github", "agenttasks/agenttasks.state.json")
    place.close()


@pytest.fixture(scope="session")
def served_git() -> Iterator[ServedSandbox]:
    """One served sandbox for the session (worker); each test its own state path on it."""
    with ServedSandbox() as served:
        yield served


@pytest.fixture
def github_served_harness(served_git: ServedSandbox) -> Iterator[Harness]:
    """A state branch on the served sandbox, over real loopback HTTP."""

    def commit(files: dict[str, str | None]) -> None:
        body = {"repo": GITHUB_REPO, "branch": GITHUB_BRANCH, "files": files}
        served_git.control.post("/_sandbox/commits", json=body).raise_for_status()

    place = GithubPlace(served_git.url, httpx.HTTPTransport, commit)
    yield place.harness("github-served", f"states/{uuid.uuid4().hex}.json")
    place.close()


@pytest.fixture
def s3_harness(s3_bucket: S3Place) -> Harness:
    return s3_bucket.harness("agenttasks/agenttasks.state.json")
