"""The live side of a plan (pure): the status table's rows and the drift notes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reconciler.models import TaskState
from reconciler.plan.model import Action, Kind, Status, Sync
from reconciler.state.format import State


def _status(state: State, action: Action) -> Status | None:
    record = state.tasks.get(action.key)
    if action.kind == Kind.IMPORT and action.task is not None:
        task = action.task
        return Status(
            action.key,
            action.repo,
            Sync.PENDING,
            task.state,
            task.created_at,
            task.html_url,
            task.id,
        )
    if record is None:
        return None
    seen = action.task
    if action.kind == Kind.NOOP:
        sync = Sync.SYNCED if seen is not None else Sync.MISSING
    else:
        sync = Sync.PENDING
    # The STATE column shows the API's value: a task gone from GitHub has none, not the last one
    # saved (a deleted task shown "queued" reads as still running, and --wait would wait for it).
    task_state = seen.state if seen is not None else None
    url = seen.html_url if seen is not None and seen.html_url else record.html_url
    return Status(action.key, record.repo, sync, task_state, record.created_at, url, record.task_id)


def statuses(
    state: State, actions: Sequence[Action], unresolved: Sequence[str]
) -> tuple[Status, ...]:
    """The live table: one row per tracked key, imported task, or unconfirmed create."""
    rows = [row for action in actions if (row := _status(state, action)) is not None]
    for key in unresolved:
        intent = state.intents[key]
        record = state.tasks.get(key)
        rows.append(
            Status(key, intent.repo, Sync.UNKNOWN, None, None, record.html_url if record else None)
        )
    return tuple(sorted(rows, key=lambda r: r.key))


def drift(state: State, actions: Sequence[Action]) -> tuple[str, ...]:
    """What changed on GitHub since the last save: never an action, only notes."""
    notes = []
    for action in actions:
        record, task = state.tasks.get(action.key), action.task
        if record is None or task is None or action.kind == Kind.IMPORT:
            continue
        if task.archived_at is not None:
            notes.append(f"task.{action.key} was archived on GitHub")
        if record.last_state is not None and task.state != record.last_state:
            notes.append(transition_note(action.key, record.last_state, task.state))
    notes += [
        f"task.{a.key}: {a.notes[0]}"
        for a in actions
        if a.kind == Kind.NOOP and a.task is None and a.notes
    ]
    return tuple(notes)


_TRANSITION = re.compile(r"task\.(?P<key>\S+): (?P<was>\w+) -> (?P<now>\w+) since the last save")
_FORWARD = (TaskState.QUEUED, TaskState.IN_PROGRESS, TaskState.COMPLETED)


def transition_note(key: str, was: TaskState, now: TaskState) -> str:
    """The drift note of a task whose state moved since the last save."""
    return f"task.{key}: {was.value} -> {now.value} since the last save"


def expected_progress(note: str) -> tuple[str, str] | None:
    """``(was, now)`` when ``note`` is a ``transition_note`` along queued -> in_progress ->
    completed, the progress every task is expected to make; None for any other note (a task
    gone, archived, failed or waiting for a person: a reviewer must see those)."""
    match = _TRANSITION.fullmatch(note)
    if match is None:
        return None
    states = [s.value for s in _FORWARD]
    was, now = match["was"], match["now"]
    if was in states and now in states and states.index(was) < states.index(now):
        return was, now
    return None
