"""``apply PLANFILE`` applies the reviewed plan or refuses it; ``apply`` without one asks, or needs
``--yes`` (DESIGN §3 saved plan, §5)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.apply.conftest import Project, prompts

pytestmark = pytest.mark.e2e


def _created_bodies(plan_file: str, project: Project) -> list[dict[str, object]]:
    saved = json.loads((project.root / plan_file).read_text(encoding="utf-8"))
    return [
        {k: v for k, v in action["body"].items() if v is not None}
        for action in saved["plan"]["actions"]
        if action["kind"] == "create"
    ]


def test_a_saved_plan_is_applied_exactly_once(project: Project) -> None:
    project.declare(prompts(3))
    planned = project.run("plan", "--out", "p.json")
    assert planned.returncode == 0, planned.stderr
    bodies = _created_bodies("p.json", project)
    assert len(bodies) == 3

    applied = project.run("apply", "--min-interval", "0", "p.json")  # no --yes: the plan is it
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete! Tasks: 3 added, 0 changed, 0 destroyed." in applied.stdout
    assert [p["json"] for p in project.sandbox.posts()] == bodies

    project.sandbox.clear_requests()
    again = project.run("apply", "p.json")
    assert again.returncode == 5, again.stdout + again.stderr
    assert "stale" in again.stderr
    assert "run plan again" in again.stderr
    assert project.sandbox.posts() == []
    project.assert_each_task_once()


def test_a_plan_whose_tasks_file_changed_is_refused(project: Project) -> None:
    project.declare(prompts(2))
    assert project.run("plan", "--out", "p.json").returncode == 0
    project.declare(prompts(2, prefix="Changed"))
    refused = project.run("apply", "p.json")
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert "the tasks files changed since the plan was made; run plan again" in refused.stderr
    assert project.sandbox.posts() == []
    assert not project.state_path.exists()


def test_a_plan_made_for_another_state_is_refused(project: Project) -> None:
    project.declare(prompts(1))
    assert project.apply().returncode == 0
    project.declare(prompts(2))
    assert project.run("plan", "--out", "p.json").returncode == 0
    # Another state (another lineage): e.g. another project's.
    other = project.root / "other"
    other.mkdir()
    shutil.copy(project.root / "tasks.yaml", other / "tasks.yaml")
    elsewhere = Project(other, project.sandbox)
    elsewhere.declared = project.declared
    assert elsewhere.apply("--target", "t00").returncode == 0  # imports t00
    assert elsewhere.state()["lineage"] != project.state()["lineage"]

    project.sandbox.clear_requests()
    refused = project.run("apply", "p.json", "--state", str(elsewhere.state_path))
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert "made for a different state" in refused.stderr
    assert "run plan again" in refused.stderr
    assert project.sandbox.posts() == []


def test_without_a_plan_file_off_a_terminal_apply_needs_yes(project: Project) -> None:
    project.declare(prompts(1))
    refused = project.run("apply")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "--yes" in refused.stderr
    assert project.sandbox.posts() == []
    assert not project.state_path.exists()


def test_nothing_to_do_is_no_changes_and_exit_0(project: Project) -> None:
    project.declare(prompts(1))
    assert project.apply().returncode == 0
    again = project.run("apply")  # no --yes needed when there is nothing to approve
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes. Declared tasks match the state." in again.stdout
