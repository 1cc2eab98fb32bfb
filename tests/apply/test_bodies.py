"""What ``apply`` sends: exactly the declared, normalised request bodies, and nothing the second
time (DESIGN §3 request body, §5)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.apply.conftest import Project

pytestmark = pytest.mark.e2e

DECLARED: dict[str, dict[str, Any]] = {
    "everything": {
        "prompt": "Fix the login button.\r\nAdd a test.   \n\n",
        "base_ref": "main",
        "head_ref": "fix/login",
        "model": "claude-sonnet-4.6",
        "custom_agent": "performance-optimizer",
        "create_pull_request": True,
    },
    "bare": {"prompt": "Tidy the README."},
    "no-pull": {"prompt": "\ufeffSpeed up search.", "create_pull_request": False},
}

EXPECTED = {
    "everything": {
        "prompt": "Fix the login button.\nAdd a test.",
        "base_ref": "main",
        "head_ref": "fix/login",
        "model": "claude-sonnet-4.6",
        "custom_agent": "performance-optimizer",
        "create_pull_request": True,
    },
    "bare": {"prompt": "Tidy the README."},
    "no-pull": {"prompt": "Speed up search."},
}


def test_apply_sends_exactly_the_normalised_bodies_and_nothing_the_second_time(
    project: Project,
) -> None:
    project.declare(DECLARED)
    first = project.apply()
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.rstrip().endswith("Apply complete! Tasks: 3 added, 0 changed, 0 destroyed.")
    for key in DECLARED:
        assert f"task.{key}: Creating..." in first.stdout
        assert f"task.{key}: Creation complete after " in first.stdout

    posts = project.sandbox.posts()
    assert all(p["path"] == f"/agents/repos/{project.repo}/tasks" for p in posts)
    # Creates run in key order, one POST each, with the body exactly as normalised.
    assert [p["json"] for p in posts] == [EXPECTED[k] for k in sorted(DECLARED)]

    state = project.state()
    assert state["intents"] == {}
    assert sorted(state["tasks"]) == sorted(DECLARED)

    plan = project.run("plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout

    project.sandbox.clear_requests()
    second = project.apply()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No changes." in second.stdout
    assert project.sandbox.posts() == []
    assert project.state()["serial"] == state["serial"]  # nothing to save either
