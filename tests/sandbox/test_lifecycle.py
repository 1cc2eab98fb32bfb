"""A task's life on the sandbox clock: states, artifacts, forced outcomes, archive and delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from reconciler.models import TaskState
from reconciler.sandbox import ManualClock, Sandbox
from tests.sandbox.conftest import client_for

REPO_TASKS = "/agents/repos/octo-org/web/tasks"


def get(client: httpx.Client, task_id: str) -> Any:
    return client.get(f"/agents/tasks/{task_id}").json()


def test_queued_then_in_progress_then_completed(client: httpx.Client, clock: ManualClock) -> None:
    task_id = client.post(REPO_TASKS, json={"prompt": "p"}).json()["id"]
    seen = []
    for _ in range(4):
        detail = get(client, task_id)
        finished = {"completed_at", "usage"} <= set(detail["sessions"][0])
        seen.append((detail["state"], detail["updated_at"], finished))
        clock.advance(30)
    assert seen == [
        ("queued", "2026-01-01T00:00:00Z", False),
        ("in_progress", "2026-01-01T00:00:05Z", False),
        ("completed", "2026-01-01T00:01:00Z", True),
        ("completed", "2026-01-01T00:01:00Z", True),
    ]


def test_a_frozen_clock_freezes_every_task(client: httpx.Client) -> None:
    task_id = client.post(REPO_TASKS, json={"prompt": "p"}).json()["id"]
    assert {get(client, task_id)["state"] for _ in range(20)} == {"queued"}


def test_speed_scales_the_lifecycle(clock: ManualClock) -> None:
    with client_for(Sandbox(clock=clock, speed=60)) as fast:
        task_id = fast.post(REPO_TASKS, json={"prompt": "p"}).json()["id"]
        clock.advance(1)
        assert get(fast, task_id)["state"] == "completed"
        assert get(fast, task_id)["updated_at"] == "2026-01-01T00:00:01Z"


def test_a_pull_artifact_appears_once_completed_when_asked_for(
    client: httpx.Client, clock: ManualClock
) -> None:
    with_pr = client.post(REPO_TASKS, json={"prompt": "p", "create_pull_request": True}).json()[
        "id"
    ]
    without = client.post(REPO_TASKS, json={"prompt": "q", "base_ref": "dev"}).json()["id"]
    clock.advance(30)
    assert [a["type"] for a in get(client, with_pr)["artifacts"]] == ["branch"]
    clock.advance(30)
    artifacts = get(client, with_pr)["artifacts"]
    pull = [a for a in artifacts if a["type"] == "pull"]
    assert len(pull) == 1
    assert pull[0]["provider"] == "github"
    assert isinstance(pull[0]["data"]["id"], int)
    branch = get(client, without)["artifacts"]
    assert branch == [
        {
            "provider": "github",
            "type": "branch",
            "data": {"head_ref": "copilot/q", "base_ref": "dev"},
        }
    ]


@pytest.mark.parametrize(
    "outcome", ["failed", "timed_out", "cancelled", "waiting_for_user", "idle"]
)
def test_a_prompt_marker_forces_the_outcome(
    client: httpx.Client, clock: ManualClock, outcome: str
) -> None:
    prompt = f"Refactor the parser [sandbox:outcome={outcome}]"
    created = client.post(REPO_TASKS, json={"prompt": prompt, "create_pull_request": True}).json()
    assert created["name"] == "Refactor the parser"
    clock.advance(60)
    detail = get(client, created["id"])
    assert detail["state"] == outcome
    assert all(a["type"] != "pull" for a in detail["artifacts"])
    assert detail["sessions"][0]["prompt"] == prompt


def test_an_unknown_marker_is_refused(client: httpx.Client, sandbox: Sandbox) -> None:
    response = client.post(REPO_TASKS, json={"prompt": "x [sandbox:outcome=exploded]"})
    assert response.status_code == 422
    assert "exploded" in response.json()["errors"][0]["message"]
    assert sandbox.tasks() == []


def test_set_state_forces_a_state_and_moves_updated_at(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    task_id = sandbox.create_task("octo-org/web", "p")
    clock.advance(2)
    sandbox.set_state(task_id, TaskState.WAITING_FOR_USER)
    clock.advance(600)
    detail = get(client, task_id)
    assert (detail["state"], detail["updated_at"]) == ("waiting_for_user", "2026-01-01T00:00:02Z")
    with pytest.raises(ValueError, match="unknown state"):
        sandbox.set_state(task_id, "done")


def test_failed_sessions_carry_an_error_and_completed_at(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    task_id = sandbox.create_task("octo-org/web", "p [sandbox:outcome=failed]")
    clock.advance(60)
    (session,) = get(client, task_id)["sessions"]
    assert session["error"]["message"]
    assert session["completed_at"] == "2026-01-01T00:01:00Z"
    assert session["usage"]["type"] == "ai_credits"
    assert session["usage"]["amount"] % 1_000_000_000 == 0


def test_archive_moves_updated_at_and_delete_makes_it_404(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    task_id = sandbox.create_task("octo-org/web", "p")
    clock.advance(3)
    sandbox.archive(task_id)
    detail = get(client, task_id)
    assert detail["archived_at"] == detail["updated_at"] == "2026-01-01T00:00:03Z"
    sandbox.delete(task_id)
    assert client.get(f"/agents/tasks/{task_id}").status_code == 404
    assert sandbox.tasks() == []
    with pytest.raises(KeyError):
        sandbox.archive(task_id)


def test_create_task_seeds_tasks_by_other_creators_in_the_past(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    old = datetime(2025, 6, 1, tzinfo=UTC)
    task_id = sandbox.create_task(
        "octo-org/web",
        "theirs",
        creator_id=5,
        model="claude-opus-4.6",
        custom_agent="perf",
        created_at=old,
    )
    detail = get(client, task_id)
    assert detail["creator"] == {"id": 5}
    assert detail["created_at"] == "2025-06-01T00:00:00Z"
    assert detail["state"] == "completed"
    assert detail["custom_agent"] == {"id": "perf"}
    (view,) = sandbox.tasks()
    assert (view.id, view.repo, view.creator_id, view.state) == (
        task_id,
        "octo-org/web",
        5,
        "completed",
    )
    with pytest.raises(ValueError, match="not a valid"):
        sandbox.create_task("no-slash", "p")
