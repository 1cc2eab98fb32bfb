"""What the API said during a refresh, and the rules for matching a task to a spec. Pure.

The refresh (``refresh.py``) fills a ``Remote``; the planner reads it. Matching (DESIGN §4) is how
agenttasks finds a task again when a POST's answer was lost or the state file is gone: the task's
first session carries the prompt and refs it was started with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reconciler.models import RemoteTask, RequestBody, TaskDetail
from reconciler.spec.digest import normalise_prompt

LOOKBACK = timedelta(minutes=5)
SETTLE_MARGIN = timedelta(seconds=40)  # DESIGN §4: the POST timeout + 10 s + 30 s


@dataclass(frozen=True)
class RepoListing:
    """One repository's listing: ``status`` 200 with its tasks, or the status that failed it."""

    status: int = 200
    tasks: tuple[RemoteTask, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the token could list the repository."""
        return self.status == 200


@dataclass(frozen=True)
class Remote:
    """Everything the refresh learned: listings, single GETs, and candidates' details."""

    user_id: int
    listings: dict[str, RepoListing] = field(default_factory=dict)
    found: dict[str, RemoteTask] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    details: dict[str, TaskDetail] = field(default_factory=dict)

    def task(self, repo_key: str, task_id: str) -> RemoteTask | None:
        """The task as listed or fetched, or None."""
        listing = self.listings.get(repo_key)
        for task in listing.tasks if listing else ():
            if task.id == task_id:
                return task
        return self.found.get(task_id)


def settle_window(post_timeout: float) -> timedelta:
    """How long after a POST its task may still appear in a listing."""
    return timedelta(seconds=post_timeout) + SETTLE_MARGIN


def first_session_matches(body: RequestBody, detail: TaskDetail) -> bool:
    """Whether the task was started from ``body``; a field the body leaves out matches anything."""
    if not detail.sessions:
        return False
    first = min(detail.sessions, key=lambda s: s.created_at)
    if first.prompt is None or normalise_prompt(first.prompt) != body.prompt:
        return False
    for name in ("base_ref", "head_ref", "model"):
        wanted = getattr(body, name)
        if wanted is not None and getattr(first, name) != wanted:
            return False
    agent = detail.custom_agent.id if detail.custom_agent else None
    return body.custom_agent is None or agent == body.custom_agent


def candidate_ids(remote: Remote, repo_key: str, *, known: set[str], since: datetime) -> list[str]:
    """Tasks that may be a lost one: by the token's user, unknown to the state, recent enough."""
    listing = remote.listings.get(repo_key)
    if listing is None or not listing.ok:
        return []
    return sorted(
        task.id
        for task in listing.tasks
        if task.creator_id == remote.user_id and task.id not in known and task.created_at >= since
    )


def matching(
    remote: Remote, body: RequestBody, ids: list[str], *, claimed: set[str]
) -> list[TaskDetail]:
    """The candidates started from ``body``, newest first, leaving out tasks already claimed."""
    found = [
        remote.details[i]
        for i in ids
        if i in remote.details
        and i not in claimed
        and first_session_matches(body, remote.details[i])
    ]
    return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)
