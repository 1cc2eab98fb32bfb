"""One task's refusal (a 422) does not stop the others unless ``--fail-fast``; every success is
recorded (DESIGN §5)."""

from __future__ import annotations

import json

import pytest

from tests.apply.conftest import Project

pytestmark = pytest.mark.e2e

DECLARED = {
    "t00": {"prompt": "First task"},
    "t01": {"prompt": "Second task [sandbox:outcome=bogus]"},  # the sandbox answers 422
    "t02": {"prompt": "Third task"},
}


def test_a_refused_create_does_not_stop_the_others(project: Project) -> None:
    project.declare(DECLARED)
    result = project.apply()
    assert result.returncode == 4, result.stdout + result.stderr
    assert "task.t01: Creation failed: " in result.stdout
    closing = result.stdout[result.stdout.index("Apply finished with errors!") :]
    assert closing.startswith("Apply finished with errors! Tasks: 2 added, 0 changed, 0 destroyed.")
    failed = [line for line in closing.splitlines() if line.startswith("  task.t01: failed: ")]
    assert len(failed) == 1
    assert "422" in failed[0]
    assert "bogus" in failed[0]  # the API's own reason
    assert len(project.sandbox.posts()) == 3

    state = project.state()
    assert sorted(state["tasks"]) == ["t00", "t02"]
    assert state["intents"] == {}  # a 422 created nothing: no intent is kept


def test_fail_fast_stops_at_the_first_failure(project: Project) -> None:
    project.declare(DECLARED)
    result = project.apply("--fail-fast")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "task.t02: Creating..." not in result.stdout
    assert "  task.t02: skipped: --fail-fast" in result.stdout
    assert [p["json"]["prompt"] for p in project.sandbox.posts()] == [
        "First task",
        "Second task [sandbox:outcome=bogus]",
    ]
    state = project.state()
    assert sorted(state["tasks"]) == ["t00"]
    assert state["intents"] == {}


def test_the_json_report_says_the_same(project: Project) -> None:
    project.declare(DECLARED)
    result = project.apply("--format", "json")
    assert result.returncode == 4, result.stdout + result.stderr
    report = json.loads(result.stdout)  # nothing else on stdout
    assert report["exit_code"] == 4
    assert report["interrupted"] is False
    assert report["counts"] == {
        "created": 2,
        "failed": 1,
        "forgotten": 0,
        "imported": 0,
        "skipped": 0,
        "unconfirmed": 0,
    }
    statuses = {o["key"]: o["status"] for o in report["outcomes"]}
    assert statuses == {"t00": "created", "t01": "failed", "t02": "created"}
    recorded = project.state()["tasks"]
    created = {o["key"]: o["task_id"] for o in report["outcomes"] if o["status"] == "created"}
    assert created == {k: recorded[k]["task_id"] for k in ("t00", "t02")}
