"""githubkit 0.16.1's generated agent-tasks client, parsing every answer of the served sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from githubkit import GitHub
from githubkit.exception import RequestFailed

from tests.sandbox.conftest import Served, start

pytestmark = pytest.mark.e2e
PROMPT = "Task {n}\nbody"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    server = start("--seed", "4", "--user-id", "12")
    try:
        with server.client() as control:
            control.post("/_sandbox/clock", json={"freeze": True}).raise_for_status()
        yield server
    finally:
        server.stop()
    assert "ConformanceError" not in server.stderr, server.stderr


@pytest.fixture(scope="module")
def github(served: Served) -> Iterator[GitHub[Any]]:
    with GitHub("ghp_any", base_url=served.url, http_cache=False, auto_retry=False) as client:
        yield client


@pytest.fixture(scope="module")
def created(github: GitHub[Any]) -> list[str]:
    tasks = github.rest.agent_tasks
    ids = []
    for n in range(7):
        task = tasks.create_task_in_repo(
            "octo-org",
            "web",
            prompt=PROMPT.format(n=n),
            base_ref="main",
            custom_agent="perf",
            create_pull_request=True,
        ).parsed_data
        assert task.state == "queued"
        ids.append(task.id)
    return ids


def test_paginate_reads_every_page_of_both_lists(github: GitHub[Any], created: list[str]) -> None:
    tasks = github.rest.agent_tasks
    by_repo = github.rest.paginate(
        tasks.list_tasks_for_repo,
        map_func=lambda r: r.parsed_data.tasks,
        owner="octo-org",
        repo="web",
        per_page=2,
        sort="created_at",
        direction="asc",
        creator_id=[12],
    )
    assert [t.id for t in by_repo] == created
    mine = github.rest.paginate(
        tasks.list_tasks, map_func=lambda r: r.parsed_data.tasks, per_page=3
    )
    assert sorted(t.id for t in mine) == sorted(created)


def test_get_returns_sessions_and_artifacts(
    github: GitHub[Any], created: list[str], served: Served
) -> None:
    tasks = github.rest.agent_tasks
    with served.client() as control:
        control.post("/_sandbox/clock", json={"advance": 61}).raise_for_status()
    detail = tasks.get_task_by_repo_and_id("octo-org", "web", created[0]).parsed_data
    assert detail.sessions
    assert detail.sessions[0].prompt == PROMPT.format(n=0)
    assert detail.custom_agent
    assert detail.custom_agent.id == "perf"
    again = tasks.get_task_by_id(created[0]).parsed_data
    assert again.state == "completed"
    assert any(a.type == "pull" for a in again.artifacts or [])
    with pytest.raises(RequestFailed) as missing:
        tasks.get_task_by_id("no-such-task")
    assert missing.value.response.status_code == 404
