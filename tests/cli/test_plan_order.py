"""``plan`` reads the state and asks the API while it parses the tasks files
(``commands/prefetch.py``), yet says what is wrong in the order it always did: the tasks files,
then the state, then the selection, then the API; one error, nothing printed before it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.client.served import ServedSandbox
from tests.inprocess import run_main

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: any request fails as a transport error
GOOD = "version: 1\ntasks:\n  fix-login:\n    repo: octo-org/web\n    prompt: Fix the login.\n"
BAD = GOOD + "    colour: red\n"
CORRUPT = "{ this is not a state"


def _plan(
    tmp_path: Path, tasks: str, state: str | None, *args: str, token: bool = True
) -> tuple[int, str]:
    (tmp_path / "tasks.yaml").write_text(tasks)
    if state is not None:
        (tmp_path / "agenttasks.state.json").write_text(state)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AGENTTASKS_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")
    }
    env["PATH"] = ""  # no `gh` to ask for a token either
    if token:
        env["AGENTTASKS_TOKEN"] = "ghp_" + "x" * 36
    result = run_main(["--api-url", UNREACHABLE, "plan", *args], cwd=tmp_path, env=env)
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    ("tasks", "state", "args", "token", "expected"),
    [
        (BAD, CORRUPT, (), True, "tasks.yaml:6:5"),  # the files first
        (BAD, None, (), False, "tasks.yaml:6:5"),  # before the missing token
        (GOOD, CORRUPT, (), True, "agenttasks.state.json"),  # then the state
        (GOOD, CORRUPT, (), False, "agenttasks.state.json"),
        (GOOD, None, ("--target", "nope"), True, "--target 'nope' matches no declared"),
        (GOOD, None, ("--target", "nope"), False, "--target 'nope' matches no declared"),
        (GOOD, None, (), False, "No token found"),  # then the API's
    ],
)
def test_a_plan_says_the_first_thing_wrong_and_only_that(
    tmp_path: Path, tasks: str, state: str | None, args: tuple[str, ...], token: bool, expected: str
) -> None:
    started = time.monotonic()
    code, err = _plan(tmp_path, tasks, state, *args, token=token)
    # Each is said at once: not after the early requests' retries on the unreachable API (12 s).
    assert time.monotonic() - started < 5
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0], err


def _timed_plan(
    cwd: Path, env: dict[str, str], *options: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``agenttasks [OPTIONS] plan`` as a process, and the seconds it took to end."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *options, "plan"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, time.monotonic() - started


@pytest.mark.e2e
def test_a_refusal_does_not_wait_for_an_api_that_never_answers(tmp_path: Path) -> None:
    """The early requests are in flight when the tasks file is refused: an API that takes the
    connection and never answers (a read timeout of 30 s) must not hold the refusal or the
    process's exit. A real process: the exit is the point."""
    (tmp_path / "tasks.yaml").write_text(BAD)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshakes; nothing ever reads or answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = {**os.environ, "AGENTTASKS_TOKEN": "ghp_" + "x" * 36, "NO_COLOR": "1"}
        done, took = _timed_plan(tmp_path, env, "--api-url", url)
    assert done.returncode == 1, done.stderr
    assert "tasks.yaml:6:5" in done.stderr
    assert took < 5, f"took {took:.1f}s"


@pytest.mark.e2e
def test_a_refusal_does_not_wait_for_an_early_listing_in_flight(tmp_path: Path) -> None:
    """The state tracks a repository, so its listing is asked on the early thread's pool while
    the tasks file parses; the file is refused while that listing waits 20 s for its answer.
    The process says so and exits at once: the interpreter's exit would wait for the pool's
    worker (it inherits the early thread's daemon flag, and the exit waits for pool workers)."""
    (tmp_path / "tasks.yaml").write_text(GOOD)
    token = "ghp_" + "x" * 36
    with ServedSandbox("--token", token) as served:
        env = {**os.environ, "AGENTTASKS_API_URL": served.url, "AGENTTASKS_TOKEN": token}
        env["NO_COLOR"] = "1"
        apply = [sys.executable, "-m", "reconciler", "apply", "--yes", "--min-interval", "0"]
        subprocess.run(apply, cwd=tmp_path, env=env, check=True, capture_output=True)
        served.add_fault("GET:/agents/repos/*/tasks:latency:ms=20000")
        # Five thousand tasks and the mistake at the end: the listing is out before it is seen.
        many = "".join(
            f"  t{n}:\n    repo: octo-org/web\n    prompt: Task {n}.\n" for n in range(5000)
        )
        (tmp_path / "tasks.yaml").write_text(GOOD + many + "    colour: red\n")
        done, took = _timed_plan(tmp_path, env)
        listed = [r for r in served.requests() if r["path"].endswith("/tasks")]
    assert done.returncode == 1, done.stderr
    assert "unknown field 'colour'" in done.stderr
    assert listed, "the early listing was never asked: nothing was in flight"
    assert took < 10, f"took {took:.1f}s"
