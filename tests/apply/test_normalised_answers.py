"""Recovery against answers GitHub may normalise (issue 11, acceptance point 3).

The served sandbox runs with ``--normalise``: every session echoes its refs as
``refs/heads/BRANCH`` and its model as a pinned version (``gpt-5`` → ``gpt-5-2025-08-07``), and
one variant also leaves fields out of the sessions. Recovery (a lost answer, a lost state) must
still find each declared task by the one tolerant rule of ``spec/matching.py``, without a second
POST, and must never adopt a lookalike: the same prompt on another branch or another model of the
same family, or the same values started by another user.

Every test here depends on the tolerance: with exact comparisons the lost tasks would not be
found again (a plan would create them anew, an apply could not confirm them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apply.conftest import Project, Sandbox
from tests.sandbox.conftest import start

pytestmark = pytest.mark.e2e

POST_TIMEOUT = 1.0
OTHER_USER = 2


def spec(n: int) -> dict[str, Any]:
    """A declared task whose every matched field GitHub may answer differently."""
    return {
        "prompt": f"Normalised task number {n}",
        "base_ref": "main",
        "model": "gpt-5",
        "head_ref": f"agent/fix-{n}",
    }


@pytest.fixture(scope="module")
def normalised_sandbox() -> Iterator[Sandbox]:
    """One ``sandbox serve --normalise`` for the module (tests stay apart by repository)."""
    sandbox = Sandbox(start("--normalise"))
    yield sandbox
    sandbox.close()


@pytest.fixture
def sandbox(normalised_sandbox: Sandbox) -> Sandbox:
    """Overrides the apply tests' sandbox: the normalising one, no fault, no request recorded."""
    normalised_sandbox.clear_faults()
    normalised_sandbox.clear_requests()
    return normalised_sandbox


def _session(sandbox: Sandbox, repo: str, task_id: str) -> dict[str, Any]:
    """A task's one session, as the API answers it to the token's user."""
    answer = sandbox.control.get(
        f"/agents/repos/{repo}/tasks/{task_id}", headers={"Authorization": "Bearer x"}
    )
    answer.raise_for_status()
    [session] = answer.json()["sessions"]
    assert isinstance(session, dict)
    return session


def _seed(sandbox: Sandbox, repo: str, **fields: Any) -> str:
    """A task added directly in the sandbox (the token's user unless ``creator_id`` says)."""
    answer = sandbox.control.post("/_sandbox/tasks", json={"repo": repo, **fields})
    answer.raise_for_status()
    return str(answer.json()["id"])


def _recorded(project: Project) -> dict[str, str]:
    """Each recorded key's task id."""
    return {key: r["task_id"] for key, r in project.state()["tasks"].items()}


def _lost_answers_are_recovered(project: Project) -> None:
    declared = {f"t{n}": spec(n) for n in range(2)}
    project.declare(declared)
    project.sandbox.add_fault(f"POST:/agents/repos/{project.repo}/tasks:commit_then_drop")

    first = project.apply(post_timeout=POST_TIMEOUT)

    assert first.returncode == 4, first.stdout + first.stderr
    assert len(project.sandbox.posts()) == 2  # each sent once, each answer lost
    created = {t["name"]: t["id"] for t in project.sandbox.tasks(project.repo)}
    assert len(created) == 2
    for key in declared:  # the end-of-run re-check already finds each through the normalisation
        assert re.search(rf"task\.{key}: unconfirmed: confirmed \(will be imported\)", first.stdout)
    project.sandbox.clear_faults()
    project.sandbox.clear_requests()

    plan = project.run("plan", post_timeout=POST_TIMEOUT)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "Plan: 2 to import, 0 to add" in plan.stdout, plan.stdout
    second = project.apply(post_timeout=POST_TIMEOUT)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Apply complete! Tasks: 2 imported, 0 added" in second.stdout, second.stdout
    assert project.sandbox.posts() == []
    assert _recorded(project) == {k: created[v["prompt"]] for k, v in declared.items()}
    project.assert_each_task_once()


def _probe(sandbox: Sandbox, repo: str) -> dict[str, Any]:
    """How the sandbox echoes ``spec(0)``'s session (the probe task is removed again)."""
    probe = _seed(sandbox, repo, **spec(0))
    echoed = _session(sandbox, repo, probe)
    sandbox.control.delete(f"/_sandbox/tasks/{probe}").raise_for_status()
    return echoed


def test_lost_answers_are_recovered_through_normalised_sessions(project: Project) -> None:
    echoed = _probe(project.sandbox, project.repo)
    assert echoed["base_ref"] == "refs/heads/main"
    assert echoed["head_ref"] == "refs/heads/agent/fix-0"
    assert echoed["model"] == "gpt-5-2025-08-07"
    _lost_answers_are_recovered(project)


def test_lost_answers_are_recovered_when_sessions_leave_fields_out(
    tmp_path: Path, serve: Callable[..., Sandbox], repo: str
) -> None:
    served = serve("--normalise", "--omit-session-field", "model")
    echoed = _probe(served, repo)
    assert "model" not in echoed
    assert echoed["base_ref"] == "refs/heads/main"
    _lost_answers_are_recovered(Project(tmp_path, served, repo=repo))


def test_a_lost_state_is_rebuilt_by_matching_normalised_sessions(project: Project) -> None:
    project.declare({f"t{n}": spec(n) for n in range(3)})
    applied = project.apply(post_timeout=POST_TIMEOUT)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    before = _recorded(project)
    project.state_path.unlink()
    project.sandbox.clear_requests()

    plan = project.run("plan", post_timeout=POST_TIMEOUT)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "will be created" not in plan.stdout
    assert "Plan: 3 to import, 0 to add" in plan.stdout, plan.stdout
    again = project.apply(post_timeout=POST_TIMEOUT)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Apply complete! Tasks: 3 imported, 0 added" in again.stdout, again.stdout
    assert project.sandbox.posts() == []
    assert _recorded(project) == before
    project.assert_each_task_once()


def test_lookalikes_are_never_adopted(project: Project) -> None:
    """Beside a lost state: the key whose own task exists is adopted (through the normalisation),
    the key with only lookalikes is created anew, and no lookalike is recorded or touched."""
    ours, fresh = spec(0), spec(1)
    project.declare({"ours": ours})
    assert project.apply(post_timeout=POST_TIMEOUT).returncode == 0
    own = _recorded(project)["ours"]
    project.state_path.unlink()
    lookalikes = []
    for declared in (ours, fresh):
        lookalikes += [
            _seed(project.sandbox, project.repo, **{**declared, "base_ref": "release"}),
            _seed(project.sandbox, project.repo, **{**declared, "model": "gpt-5-mini"}),
            _seed(project.sandbox, project.repo, **{**declared, "head_ref": "agent/other"}),
            _seed(project.sandbox, project.repo, **declared, creator_id=OTHER_USER),
        ]
    echoed = _session(project.sandbox, project.repo, lookalikes[1])
    assert echoed["model"] == "gpt-5-mini-2025-08-07"  # normalised like every session
    before = {t["id"]: t for t in project.sandbox.tasks(project.repo)}
    project.declare({"ours": ours, "fresh": fresh})
    project.sandbox.clear_requests()

    plan = project.run("plan", post_timeout=POST_TIMEOUT)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "Plan: 1 to import, 1 to add" in plan.stdout, plan.stdout
    assert "task.fresh will be created" in plan.stdout, plan.stdout
    applied = project.apply(post_timeout=POST_TIMEOUT)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete! Tasks: 1 imported, 1 added" in applied.stdout, applied.stdout

    [post] = project.sandbox.posts()
    assert post["json"]["prompt"] == fresh["prompt"]
    recorded = _recorded(project)
    assert recorded["ours"] == own
    assert recorded["fresh"] not in before
    assert not set(lookalikes) & set(recorded.values())
    state = project.state()
    earlier = [run["task_id"] for r in state["tasks"].values() for run in r["earlier_runs"]]
    assert not set(lookalikes) & set(earlier), state
    after = {t["id"]: t for t in project.sandbox.tasks(project.repo)}
    for task_id in lookalikes:  # still there, never archived
        assert after[task_id]["archived_at"] is None
    assert not [r for r in project.sandbox.requests() if r["method"] not in ("GET", "POST")]
