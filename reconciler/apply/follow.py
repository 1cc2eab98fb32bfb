"""``--wait``: follow tasks until each ends or needs a person (DESIGN §5).

Followed by listing — one filtered listing per repository per poll, never one GET per task per
poll — with one line per state change. Ends when every task is completed, failed, timed_out or
cancelled, or waits for a person (waiting_for_user, idle), or at the timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.errors import ExitCode, NotFound
from reconciler.github.client import AgentTasksClient
from reconciler.models import RemoteTask, TaskState
from reconciler.plan.model import Bucket, Status, Sync, bucket
from reconciler.plan.remote import listing_query

_SETTLED = {Bucket.DONE, Bucket.FAILED, Bucket.NEEDS_PERSON}


@dataclass(frozen=True)
class Followed:
    """A task to follow: its key, repository and id, and when it was created."""

    key: str
    repo: str
    task_id: str
    created_at: datetime
    creator_id: int | None


def _poll(client: AgentTasksClient, tasks: list[Followed], gone: set[str]) -> dict[str, RemoteTask]:
    """Each followed task as listed; one GET for a task the listing leaves out (archived, or
    deleted: its id is then added to ``gone``, which is final)."""
    seen: dict[str, RemoteTask] = {}
    for repo in sorted({t.repo for t in tasks}):
        mine = [t for t in tasks if t.repo == repo and t.task_id not in gone]
        if not mine:
            continue
        creators = tuple(sorted({t.creator_id for t in mine if t.creator_id is not None}))
        since = min(t.created_at for t in mine) - timedelta(seconds=1)
        ids = {t.task_id for t in mine}
        # Refresh's listing (one rule, plan.remote.listing_query); only the window is its own:
        # the followed tasks' creators, from just before the oldest of them.
        listed = client.list_repo_tasks(repo, listing_query(since, creators)).tasks
        seen.update({t.id: t for t in listed if t.id in ids})
        for task_id in sorted(ids - seen.keys()):
            try:
                seen[task_id] = client.get_task(repo, task_id)
            except NotFound:
                gone.add(task_id)
    return seen


def statuses(
    tasks: list[Followed], seen: dict[str, RemoteTask], gone: frozenset[str] = frozenset()
) -> tuple[Status, ...]:
    """The live table's rows for the followed tasks; a task deleted on GitHub is missing."""
    rows = []
    for t in sorted(tasks, key=lambda f: f.key):
        task = seen.get(t.task_id)
        state = task.state if task else None
        url = task.html_url if task else None
        sync = Sync.MISSING if t.task_id in gone else Sync.SYNCED
        rows.append(Status(t.key, t.repo, sync, state, t.created_at, url, t.task_id))
    return tuple(rows)


def poll_once(client: AgentTasksClient, tasks: list[Followed]) -> tuple[Status, ...]:
    """The followed tasks' rows from one poll (``status`` when no plan can be made)."""
    gone: set[str] = set()
    seen = _poll(client, tasks, gone)
    return statuses(tasks, seen, frozenset(gone))


def follow(
    client: AgentTasksClient,
    tasks: list[Followed],
    *,
    progress: Callable[[str], None],
    timeout: float,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    on_poll: Callable[[tuple[Status, ...]], None] | None = None,
) -> tuple[ExitCode, tuple[Status, ...]]:
    """Poll until every task settles; 3 if any ended badly or needs a person, 6 at the timeout.

    ``progress`` gets one line per state change; ``on_poll`` (a live display) every poll's rows.
    """
    deadline = monotonic() + timeout
    last: dict[str, TaskState | None] = {}
    gone: set[str] = set()
    told: set[str] = set()  # the gone tasks already announced
    stop = stop or threading.Event()
    while True:
        seen = _poll(client, tasks, gone)
        for t in tasks:
            state = seen[t.task_id].state if t.task_id in seen else None
            if t.task_id in gone and t.task_id not in told:
                told.add(t.task_id)
                progress(f"task.{t.key}: gone from GitHub (task {t.task_id} answered 404)")
            elif state is not None and last.get(t.key) != state:
                progress(f"task.{t.key}: {state.value}")
            last[t.key] = state
        rows = statuses(tasks, seen, frozenset(gone))
        if on_poll is not None:
            on_poll(rows)
        # A deleted task will never end: it is settled, and a person should look (exit 3).
        buckets = [Bucket.FAILED if t.task_id in gone else bucket(last[t.key]) for t in tasks]
        if all(b in _SETTLED for b in buckets):
            bad = any(b in (Bucket.FAILED, Bucket.NEEDS_PERSON) for b in buckets)
            return (ExitCode.TASK_FAILED if bad else ExitCode.OK), rows
        left = deadline - monotonic()
        if left <= 0 or stop.is_set():
            return ExitCode.WAIT_TIMEOUT, rows
        stop.wait(min(interval, left))
