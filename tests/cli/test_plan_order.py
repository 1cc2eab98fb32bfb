"""``plan`` reads the state and asks the API while it parses the tasks files
(``commands/prefetch.py``), yet says what is wrong in the order it always did: the tasks files,
then the state, then the selection, then the API; one error, nothing printed before it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

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
