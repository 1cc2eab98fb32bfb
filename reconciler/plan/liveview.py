"""The live side of a plan (pure): the status table's rows and the drift notes."""

from __future__ import annotations

from collections.abc import Sequence

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
            was, now = record.last_state.value, task.state.value
            notes.append(f"task.{action.key}: {was} -> {now} since the last save")
    notes += [
        f"task.{a.key}: {a.notes[0]}"
        for a in actions
        if a.kind == Kind.NOOP and a.task is None and a.notes
    ]
    return tuple(notes)
