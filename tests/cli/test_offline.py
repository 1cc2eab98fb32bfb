"""``plan --offline``: a pull request from a fork gets no secrets; its plan is made from the tasks
files and the state alone, says so, and never fails for want of a token (CI.md §1)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.inprocess import run_main

TASKS = "version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and k != "CI"}
    # Any request would fail: port 9 on loopback is closed.
    return {**env, "AGENTTASKS_API_URL": "http://127.0.0.1:9", **extra}


def test_an_offline_plan_needs_no_token_and_no_api(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(TASKS + "  b:\n    repo: o/r\n    prompt: y\n")
    result = run_main(["plan", "--offline", "--detailed-exitcode"], cwd=tmp_path, env=_env())
    assert result.returncode == 2, result.stderr
    assert "Offline plan, made without the agent tasks API" in result.stdout
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in result.stdout
    assert "Tracked tasks (live)" not in result.stdout


def test_an_unreadable_state_is_planned_as_empty_and_said(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(TASKS)
    env = _env(GITHUB_REPOSITORY="o/r")
    result = run_main(
        ["plan", "--offline", "--state", "github:agenttasks-state:s.json"], cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "Warning: the state could not be read" in result.stderr
    assert "planned as if there were none" in result.stderr
    assert "Plan: 1 to add" in result.stdout


def test_an_offline_plan_is_never_saved(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(TASKS)
    result = run_main(["plan", "--offline", "--out", "p.json"], cwd=tmp_path, env=_env())
    assert (result.returncode, result.stderr) == (
        1,
        "Error: plan --offline cannot --out: an offline plan is not applied\n",
    )
    assert not (tmp_path / "p.json").exists()
