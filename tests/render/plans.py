"""Plans to render, built from the dataclasses so every field is under the test's control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.models import RemoteTask, RequestBody, TaskState
from reconciler.plan.model import Action, Attention, Kind, Plan, Status, Sync, sort_actions
from reconciler.state.format import EarlierRun

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FILES = ("tasks.yaml",)
STATE = "agenttasks.state.json"
WEB, API = "octo-org/web", "octo-org/api"

LONG_PROMPT = "\n".join(
    [
        "Write the contributor guide.",
        "",
        "Cover:",
        "- setting up the development environment",
        "- running the tests",
        "- the release process",
        "- the code of conduct",
        "- how to report a security issue",
        "Keep it under two pages.",
    ]
)


def url(repo: str, task_id: str) -> str:
    return f"https://github.com/{repo}/copilot/tasks/{task_id}"


def task(task_id: str, state: str, *, repo: str = WEB, age: timedelta) -> RemoteTask:
    return RemoteTask(
        id=task_id,
        state=TaskState(state),
        created_at=NOW - age,
        html_url=url(repo, task_id),
    )


def body(prompt: str, **fields: object) -> RequestBody:
    return RequestBody(prompt=prompt, **fields)  # type: ignore[arg-type]


def _creates() -> list[Action]:
    return [
        Action(
            "fix-login-button",
            Kind.CREATE,
            WEB,
            "not created yet",
            body=body(
                "Fix the login button on the homepage.", base_ref="main", create_pull_request=True
            ),
        ),
        Action(
            "write-contributing",
            Kind.CREATE,
            WEB,
            "not created yet",
            body=body(
                LONG_PROMPT,
                base_ref="main",
                head_ref="docs/contributing",
                model="claude-sonnet-4.6",
                custom_agent="docs-writer",
                create_pull_request=True,
            ),
        ),
        Action(
            "vanished",
            Kind.RECREATE,
            API,
            "task 5e6f7a8b is gone from GitHub (its GET answered 404)",
            body=body("Add rate limiting to the search endpoint."),
            old_task_id="5e6f7a8b",
        ),
    ]


def _imports() -> list[Action]:
    return [
        Action(
            "adopted",
            Kind.IMPORT,
            API,
            "a task started from this spec exists on GitHub",
            body=body("Upgrade the API to Python 3.12."),
            task=task("1a2b3c4d", "completed", repo=API, age=timedelta(days=3)),
            earlier_runs=(EarlierRun(task_id="0f0f0f0f", state=TaskState.FAILED),),
            notes=("1 older task(s) from the same spec kept as earlier runs",),
        ),
        Action(
            "orphan",
            Kind.IMPORT,
            WEB,
            "the create whose answer was lost did start this task",
            body=body("Remove the legacy banner."),
            task=task("7c7c7c7c", "queued", age=timedelta(minutes=4)),
            forget_after_import=True,
        ),
    ]


def _reruns() -> list[Action]:
    return [
        Action(
            "speed-up-search",
            Kind.REPLACE,
            API,
            "prompt changed; task 9f3c2d1e stays on GitHub as it is",
            body=body("Make search twice as fast.", model="claude-sonnet-4.6"),
            task=task("9f3c2d1e", "in_progress", repo=API, age=timedelta(hours=3)),
            old_task_id="9f3c2d1e",
        ),
        Action(
            "flaky-test",
            Kind.RERUN,
            WEB,
            "retry 2 of 3 after failed",
            body=body("Fix the flaky checkout test."),
            attempt=2,
            task=task("2b2b2b2b", "failed", age=timedelta(days=2)),
            old_task_id="2b2b2b2b",
        ),
        Action(
            "manual",
            Kind.RERUN,
            WEB,
            "--replace",
            body=body("Tidy the changelog."),
            attempt=2,
            task=task("3c3c3c3c", "completed", age=timedelta(days=1)),
            old_task_id="3c3c3c3c",
        ),
    ]


def _others() -> list[Action]:
    return [
        Action(
            "old-cleanup",
            Kind.FORGET,
            WEB,
            "no longer declared; task 4d4d4d4d keeps running on GitHub",
            task=task("4d4d4d4d", "waiting_for_user", age=timedelta(days=5)),
            old_task_id="4d4d4d4d",
        ),
        Action("tidy-readme", Kind.NOOP, WEB, task=task("8e8e8e8e", "in_progress", age=_12M)),
        Action(
            "ignored-change",
            Kind.NOOP,
            API,
            task=task("6a6a6a6a", "idle", repo=API, age=timedelta(hours=5)),
            notes=("prompt changed, but on_change: ignore keeps task 6a6a6a6a",),
        ),
        Action("lost", Kind.NOOP, API, notes=("task 9d9d9d9d could not be found",)),
    ]


_12M = timedelta(minutes=12)


def _statuses() -> tuple[Status, ...]:
    def row(
        key: str, repo: str, sync: Sync, state: str | None, task_id: str, age: timedelta
    ) -> Status:
        return Status(
            key,
            repo,
            sync,
            TaskState(state) if state else None,
            NOW - age,
            url(repo, task_id),
            task_id,
        )

    return (
        row("adopted", API, Sync.PENDING, "completed", "1a2b3c4d", timedelta(days=3)),
        row("flaky-test", WEB, Sync.PENDING, "failed", "2b2b2b2b", timedelta(days=2)),
        row("ignored-change", API, Sync.SYNCED, "idle", "6a6a6a6a", timedelta(hours=5)),
        row("lost", API, Sync.MISSING, None, "9d9d9d9d", timedelta(days=9)),  # no live state
        row("manual", WEB, Sync.PENDING, "completed", "3c3c3c3c", timedelta(days=1)),
        row("old-cleanup", WEB, Sync.PENDING, "waiting_for_user", "4d4d4d4d", timedelta(days=5)),
        row("orphan", WEB, Sync.PENDING, "queued", "7c7c7c7c", timedelta(minutes=4)),
        Status("pending-create", WEB, Sync.UNKNOWN, None, None, None),
        row("speed-up-search", API, Sync.PENDING, "in_progress", "9f3c2d1e", timedelta(hours=3)),
        row("tidy-readme", WEB, Sync.SYNCED, "in_progress", "8e8e8e8e", _12M),
        row("weird-state", WEB, Sync.SYNCED, "unknown", "5f5f5f5f", timedelta(seconds=42)),
    )


def rich_actions() -> list[Action]:
    """Every kind of action, in no particular order."""
    return [*_others(), *_reruns(), *_imports(), *_creates()]


def rich_plan(actions: list[Action] | None = None) -> Plan:
    """Every Kind, every Sync, attention, drift, unresolved, targeting and a clipped prompt."""
    return Plan(
        actions=sort_actions(actions if actions is not None else rich_actions()),
        statuses=_statuses(),
        attention=(
            Attention(
                "reborn",
                "was run and forgotten on 2026-11-20; use --replace reborn to run it again",
            ),
        ),
        drift=(
            "task.tidy-readme: queued -> in_progress since the last save",
            "task.speed-up-search was archived on GitHub",
            "task.lost: task 9d9d9d9d could not be found",
        ),
        unresolved=("pending-create",),
        dropped_intents=("fix-login-button",),
        targeted=True,
        declared=12,
        tracked=10,
        repositories=2,
    )


def empty_plan(*, tracked: bool) -> Plan:
    """Nothing to do; with or without tasks already tracked."""
    if not tracked:
        return Plan(actions=(), declared=0, tracked=0, repositories=0)
    action = Action("tidy-readme", Kind.NOOP, WEB, task=task("8e8e8e8e", "completed", age=_12M))
    status = Status(
        "tidy-readme",
        WEB,
        Sync.SYNCED,
        TaskState.COMPLETED,
        NOW - _12M,
        url(WEB, "8e8e8e8e"),
        "8e8e8e8e",
    )
    return Plan(actions=(action,), statuses=(status,), declared=1, tracked=1, repositories=1)
