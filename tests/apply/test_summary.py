"""Apply's closing line counts what its plan's summary promised (DESIGN §4, §5): replace and
re-run count one add and one forget, a key no longer declared one forget."""

from __future__ import annotations

import re

import pytest

from tests.apply.conftest import Project, prompts

pytestmark = pytest.mark.e2e

PLANNED = re.compile(
    r"^Plan: (?:(\d+) to import, )?(\d+) to add, 0 to change, 0 to destroy"
    r"(?:, (\d+) to forget)?\.$",
    re.M,
)
APPLIED = re.compile(
    r"^Apply complete! Tasks: (?:(\d+) imported, )?(\d+) added, 0 changed, 0 destroyed"
    r"(?:, (\d+) forgotten)?\.$",
    re.M,
)


def test_the_closing_line_counts_what_the_plan_said(project: Project) -> None:
    project.declare(prompts(3))
    assert project.apply().returncode == 0
    changed = prompts(3)
    changed["t00"]["prompt"] = "Task number 0, said differently"  # replaced
    del changed["t01"]  # forgotten
    project.declare(changed)
    result = project.apply("--replace", "t02")  # re-run
    assert result.returncode == 0, result.stdout + result.stderr
    planned, applied = PLANNED.search(result.stdout), APPLIED.search(result.stdout)
    assert planned is not None
    assert applied is not None
    assert planned.groups() == (None, "2", "3")
    assert applied.groups() == planned.groups()
    assert "task.t01: Forgetting... (state only)" in result.stdout
    state = project.state()
    assert sorted(state["tasks"]) == ["t00", "t02"]
    assert sorted(state["tombstones"]) == ["t01"]
    for key in ("t00", "t02"):
        assert len(state["tasks"][key]["earlier_runs"]) == 1
