"""Fixtures for the state tests: a state path in tmp_path, and real second processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.state.format import State
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
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
