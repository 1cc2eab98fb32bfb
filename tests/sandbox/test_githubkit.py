"""githubkit 0.16.1's generated agent-tasks client, parsing every answer of the served sandbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from githubkit import GitHub
from githubkit.exception import RequestFailed

from tests.sandbox.conftest import Served

pytestmark = pytest.mark.e2e


def test_githubkit_creates_pages_and_reads_sessions(serve: Callable[..., Served]) -> None:
    served = serve("--seed", "4", "--speed", "1000", "--user-id", "12")
    with GitHub("ghp_any", base_url=served.url, http_cache=False, auto_retry=False) as github:
        tasks = github.rest.agent_tasks
        created = [
            tasks.create_task_in_repo(
                "octo-org",
                "web",
                prompt=f"Task {n}\nbody",
                base_ref="main",
                custom_agent="perf",
                create_pull_request=True,
            ).parsed_data
            for n in range(7)
        ]
        assert {c.state for c in created} == {"queued"}
        listed = list(
            github.rest.paginate(
                tasks.list_tasks_for_repo,
                map_func=lambda r: r.parsed_data.tasks,
                owner="octo-org",
                repo="web",
                per_page=2,
                sort="created_at",
                direction="asc",
                creator_id=[12],
            )
        )
        assert [t.id for t in listed] == [c.id for c in created]
        mine = list(
            github.rest.paginate(
                tasks.list_tasks, map_func=lambda r: r.parsed_data.tasks, per_page=3
            )
        )
        assert len(mine) == 7
        detail = tasks.get_task_by_repo_and_id("octo-org", "web", created[0].id).parsed_data
        assert detail.sessions
        assert detail.sessions[0].prompt == "Task 0\nbody"
        assert detail.custom_agent
        assert detail.custom_agent.id == "perf"
        again = tasks.get_task_by_id(created[0].id).parsed_data
        assert again.id == created[0].id
        assert again.state == "completed"
        assert any(a.type == "pull" for a in again.artifacts or [])
        with pytest.raises(RequestFailed) as missing:
            tasks.get_task_by_id("no-such-task")
        assert missing.value.response.status_code == 404
