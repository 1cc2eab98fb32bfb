"""Small builders for planner inputs: declared tasks, records, intents and what the API says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.errors import Position
from reconciler.models import (
    Desired,
    DesiredTask,
    OnChange,
    RemoteSession,
    RemoteTask,
    RetryPolicy,
    RetryState,
    TaskDetail,
    TaskState,
)
from reconciler.plan.remote import Remote, RepoListing
from reconciler.spec.digest import request_body, spec_digest
from reconciler.state.format import Intent, Record, State, Tombstone

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
USER = 7
OTHER = 99
REPO = "octo/web"


def declared(
    key: str = "k",
    *,
    repo: str = REPO,
    prompt: str | None = None,
    on_change: str = "replace",
    retry: tuple[list[str], int] | None = None,
    **fields: Any,
) -> DesiredTask:
    body = request_body(prompt or f"Do {key}.", **fields)
    policy = RetryPolicy(frozenset(RetryState(s) for s in retry[0]), retry[1]) if retry else None
    return DesiredTask(
        key, repo, body, spec_digest(repo, body), OnChange(on_change), policy, Position("t", 1, 1)
    )


def desired(*tasks: DesiredTask, max_creates: int | None = None) -> Desired:
    settings = "tasks.yaml" if max_creates is not None else None
    return Desired({t.key: t for t in tasks}, ("tasks.yaml",), max_creates, settings)


def remote_task(
    task_id: str,
    *,
    repo: str = REPO,
    state: str = "in_progress",
    creator: int = USER,
    created: datetime = NOW - timedelta(hours=1),
    archived: bool = False,
) -> RemoteTask:
    return RemoteTask(
        id=task_id,
        state=TaskState(state),
        created_at=created,
        updated_at=created,
        html_url=f"https://github.com/{repo}/copilot/tasks/{task_id}",
        creator={"id": creator},  # type: ignore[arg-type]
        archived_at=NOW if archived else None,
    )


def detail(task: RemoteTask, spec: DesiredTask) -> TaskDetail:
    body = spec.body
    session = RemoteSession(
        id=f"s-{task.id}",
        state=task.state,
        created_at=task.created_at,
        prompt=body.prompt,
        base_ref=body.base_ref or "main",
        head_ref=body.head_ref or f"copilot/{task.id}",
        model=body.model or "auto-model",
    )
    return TaskDetail(**task.model_dump(), sessions=(session,))


def record(
    spec: DesiredTask,
    task_id: str,
    *,
    attempt: int = 1,
    creator: int = USER,
    created: datetime = NOW - timedelta(hours=1),
    last_state: str | None = "in_progress",
) -> Record:
    return Record(
        task_id=task_id,
        repo=spec.repo,
        digest=spec.digest,
        body=spec.body,
        attempt=attempt,
        creator_id=creator,
        created_at=created,
        last_state=TaskState(last_state) if last_state else None,
    )


def intent(spec: DesiredTask, *, age: timedelta, attempt: int = 1) -> Intent:
    return Intent(
        key=spec.key,
        repo=spec.repo,
        body=spec.body,
        digest=spec.digest,
        server_time=NOW - age,
        started_at=NOW - age,
        attempt=attempt,
    )


def tombstone(task_id: str, repo: str = REPO) -> Tombstone:
    return Tombstone(task_id=task_id, repo=repo, forgotten_at=NOW - timedelta(days=2))


def state(
    records: dict[str, Record] | None = None,
    intents: dict[str, Intent] | None = None,
    tombstones: dict[str, Tombstone] | None = None,
    *,
    written: datetime | None = NOW - timedelta(hours=2),
) -> State:
    return State(
        lineage="l-1",
        serial=3,
        written_at=written,
        user_id=USER,
        tasks=records or {},
        intents=intents or {},
        tombstones=tombstones or {},
    )


def remote(
    listed: list[RemoteTask] | None = None,
    *,
    details: list[TaskDetail] | None = None,
    gone: set[str] | None = None,
    found: list[RemoteTask] | None = None,
    failed: dict[str, int] | None = None,
    repos: tuple[str, ...] = (REPO,),
) -> Remote:
    listings = {
        r.lower(): RepoListing(tasks=tuple(t for t in listed or [] if r in (t.html_url or "")))
        for r in repos
    }
    for repo, status in (failed or {}).items():
        listings[repo.lower()] = RepoListing(status=status)
    return Remote(
        USER,
        listings,
        {t.id: t for t in found or []},
        frozenset(gone or set()),
        {d.id: d for d in details or []},
    )
