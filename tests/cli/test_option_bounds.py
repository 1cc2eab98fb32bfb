"""Option values that once crashed (exit 70): each is now one ``Error:`` line, exit 1, and the
state is never touched. In-process, against the built-in sandbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.inprocess import run_main

TASKS = "version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n"
DURATION = "--adopt-window takes a duration such as 30d, 12h or 90m"
POST = "--post-timeout takes a number of seconds above 0 and at most 1000000"
WAIT = "--max-wait takes a number of seconds from 0 and at most 1000000"


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "AGENTTASKS_TOKEN": "t", "CI": "true"}
    env.pop("AGENTTASKS_API_URL", None)
    result = run_main(list(args), cwd=cwd, env=env)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


SANDBOX = ("--api-url", "sandbox:sandbox.json")
CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "adopt window inf": (
        (*SANDBOX, "plan", "--adopt-window", "inf"),
        f"Error: {DURATION}, not 'inf'",
    ),
    "adopt window nan": (
        (*SANDBOX, "plan", "--adopt-window", "nand"),
        f"Error: {DURATION}, not 'nand'",
    ),
    "adopt window huge": (
        (*SANDBOX, "plan", "--adopt-window", "99999999999d"),
        "Error: --adopt-window may be at most 3650d (ten years), not '99999999999d'",
    ),
    "adopt window huge on apply": (
        (*SANDBOX, "apply", "--yes", "--adopt-window", "1e300"),
        "Error: --adopt-window may be at most 3650d (ten years), not '1e300'",
    ),
    "post timeout inf": ((*SANDBOX, "--post-timeout", "inf", "plan"), f"Error: {POST}, not 'inf'"),
    "post timeout nan": ((*SANDBOX, "--post-timeout", "nan", "plan"), f"Error: {POST}, not 'nan'"),
    "post timeout 0": ((*SANDBOX, "--post-timeout", "0", "plan"), f"Error: {POST}, not '0'"),
    "post timeout negative": (
        (*SANDBOX, "--post-timeout", "-1", "apply", "--yes"),
        f"Error: {POST}, not '-1'",
    ),
    "post timeout not a number": (
        (*SANDBOX, "--post-timeout", "soon", "plan"),
        f"Error: {POST}, not 'soon'",
    ),
    "max wait inf": ((*SANDBOX, "--max-wait", "inf", "plan"), f"Error: {WAIT}, not 'inf'"),
    "post timeout huge": (
        (*SANDBOX, "--post-timeout", "1e300", "plan"),
        f"Error: {POST}, not '1e300'",
    ),
    "max wait negative": ((*SANDBOX, "--max-wait", "-5", "plan"), f"Error: {WAIT}, not '-5'"),
    "lock timeout nan": (
        (*SANDBOX, "apply", "--yes", "--lock-timeout", "nan"),
        "Error: --lock-timeout takes a number of seconds from 0 and at most 1000000, not 'nan'",
    ),
    "state is the current directory": (
        (*SANDBOX, "apply", "--yes", "--state", "."),
        "Error: --state '.' is a directory; name a file in it, such as ./agenttasks.state.json",
    ),
    "state is a directory by a trailing slash": (
        (*SANDBOX, "plan", "--state", "sub/"),
        "Error: --state 'sub/' is a directory; name a file in it, such as"
        " sub/agenttasks.state.json",
    ),
    "api url port over 65535": (
        ("--api-url", "http://127.0.0.1:70000", "plan"),
        "Error: Invalid API URL 'http://127.0.0.1:70000' from --api-url: the port must be a"
        " number from 1 to 65535.",
    ),
    "api url port not a number": (
        ("--api-url", "https://example.com:http/api", "plan"),
        "Error: Invalid API URL 'https://example.com:http/api' from --api-url: the port must be a"
        " number from 1 to 65535.",
    ),
    "sandbox port negative": (
        ("sandbox", "serve", "--port", "-1"),
        "Error: --port takes a number from 0 to 65535 (0: any free port), not '-1'",
    ),
    "sandbox port over 65535": (
        ("sandbox", "serve", "--port", "70000"),
        "Error: --port takes a number from 0 to 65535 (0: any free port), not '70000'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_option_is_one_line(tmp_path: Path, case: str) -> None:
    (tmp_path / "tasks.yaml").write_text(TASKS)
    (tmp_path / "sub").mkdir()
    args, message = CASES[case]
    assert run(tmp_path, *args) == (1, "", message + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "tasks.yaml"]
