"""States and times the state tests build on."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.models import TaskState
from reconciler.state.format import Record, State

SINCE = "2026-11-24T18:00:00+00:00"
SERVER_TIME = datetime(2026, 11, 24, 18, 5, 0, tzinfo=UTC)
RUN_URL = "https://github.com/octo-org/web/actions/runs/42"


def with_record(state: State, key: str) -> State:
    """``state`` plus a record for ``key`` (replacing any)."""
    record = Record(
        task_id=f"id-{key}",
        repo="octo-org/web",
        digest="0" * 64,
        created_at=SERVER_TIME,
        last_state=TaskState.QUEUED,
        html_url=f"https://github.com/octo-org/web/tasks/id-{key}",
    )
    return state.model_copy(update={"tasks": {**state.tasks, key: record}})
