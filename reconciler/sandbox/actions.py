"""Changes to the store shared by the API, the control route and the Python API.

Each raises ``KeyError`` for an unknown task id and ``ValueError`` for a bad value; callers turn
those into 404 / 422 answers or let them propagate to Python callers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from reconciler.sandbox.lifecycle import OUTCOMES, STATES, outcome_marker
from reconciler.sandbox.store import Store, StoredTask

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def valid_repository(owner: str, repo: str) -> bool:
    """Whether ``owner/repo`` is a name GitHub could have."""
    if not _OWNER.fullmatch(owner) or not _REPO.fullmatch(repo):
        return False
    return repo not in (".", "..") and not repo.lower().endswith(".git")


def visible(store: Store, owner: str, repo: str) -> bool:
    """Whether the repository exists for the sandbox: validly named and allowed by ``repos``."""
    if not valid_repository(owner, repo):
        return False
    allowed = store.config.repos
    return allowed is None or f"{owner}/{repo}".lower() in allowed


@dataclass(frozen=True)
class NewTask:
    """What a task is started with."""

    owner: str
    repo: str
    prompt: str
    creator_id: int
    base_ref: str | None = None
    head_ref: str | None = None
    model: str | None = None
    custom_agent: str | None = None
    create_pull_request: bool = False


def create(store: Store, new: NewTask, created_at: datetime) -> StoredTask:
    """Add a task; its outcome comes from a ``[sandbox:outcome=…]`` marker, else ``completed``."""
    outcome = outcome_marker(new.prompt) or "completed"
    if outcome not in OUTCOMES:
        raise ValueError(
            f"unknown sandbox outcome {outcome!r}; one of {', '.join(sorted(OUTCOMES))}"
        )
    task = StoredTask(
        id=store.new_uuid(),
        owner=new.owner,
        repo=new.repo,
        creator_id=new.creator_id,
        prompt=new.prompt,
        created_at=created_at,
        outcome=outcome,
        session_id=store.new_uuid(),
        pull_id=1_000_000_000 + store.draw() % 3_000_000_000,
        base_ref=new.base_ref,
        head_ref=new.head_ref,
        model=new.model,
        custom_agent=new.custom_agent,
        create_pull_request=new.create_pull_request,
    )
    store.add(task)
    return task


def archive(store: Store, task_id: str, now: datetime) -> None:
    """Archive a task: hidden from lists unless ``is_archived=true``."""
    task = store.tasks[task_id]
    if task.archived_at is None:
        task.archived_at = now
        task.touched_at = now


def unarchive(store: Store, task_id: str, now: datetime) -> None:
    """Bring an archived task back into the default listing."""
    task = store.tasks[task_id]
    if task.archived_at is not None:
        task.archived_at = None
        task.touched_at = now


def delete(store: Store, task_id: str) -> None:
    """Remove a task entirely (the public API cannot; GitHub staff or a purge can)."""
    store.remove(task_id)


def set_state(store: Store, task_id: str, state: str, now: datetime) -> None:
    """Force a task into a state from ``now`` on; its lifecycle stops there."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; one of {', '.join(STATES)}")
    task = store.tasks[task_id]
    task.forced_state = state
    task.forced_at = now
