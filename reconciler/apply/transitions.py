"""How each step of an apply changes the state (pure): intents, records, tombstones.

``apply/run.py`` saves the result of each function here; nothing here does I/O, so the rules for
what the state says at every instant of an apply are tested without a file or a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from reconciler.models import RemoteTask
from reconciler.plan.model import Action, Kind
from reconciler.state.format import EarlierRun, Intent, Record, State, Tombstone

V = TypeVar("V")


def without(table: Mapping[str, V], key: str) -> dict[str, V]:
    """``table`` less ``key``."""
    return {k: v for k, v in table.items() if k != key}


def _earlier(state: State, key: str) -> tuple[EarlierRun, ...]:
    """Earlier runs to carry into a new task for ``key``: the old record and its history."""
    old = state.tasks.get(key)
    if old is None:
        return ()
    return (*old.earlier_runs, EarlierRun(task_id=old.task_id, state=old.last_state))


def record_for(
    action: Action, task: RemoteTask, *, now: datetime, earlier: tuple[EarlierRun, ...]
) -> Record:
    """The record of ``task``, created or found for ``action``."""
    assert action.digest is not None  # every creating or importing action carries its spec
    return Record(
        task_id=task.id,
        repo=action.repo,
        digest=action.digest,
        body=action.body,
        attempt=action.attempt,
        creator_id=task.creator_id,
        created_at=task.created_at,
        last_state=task.state,
        last_seen_at=now,
        html_url=task.html_url,
        pull_id=task.pull_id,
        earlier_runs=earlier,
    )


def settle(state: State, actions: tuple[Action, ...], *, now: datetime) -> State:
    """Everything that needs no POST, in one save: imports, forgets, last states seen."""
    tasks, intents, stones = dict(state.tasks), dict(state.intents), dict(state.tombstones)
    for action in actions:
        key, task = action.key, action.task
        if action.kind == Kind.IMPORT and task is not None:
            earlier = intents[key].earlier_runs if key in intents else _earlier(state, key)
            intents.pop(key, None)
            if action.forget_after_import:
                tasks.pop(key, None)
                stones[key] = Tombstone(
                    task_id=task.id, repo=action.repo, forgotten_at=now, last_state=task.state
                )
            else:
                tasks[key] = record_for(
                    action, task, now=now, earlier=(*earlier, *action.earlier_runs)
                )
        elif action.kind == Kind.FORGET and key in tasks:
            old = tasks.pop(key)
            last = task.state if task is not None else old.last_state
            stones[key] = Tombstone(
                task_id=old.task_id, repo=old.repo, forgotten_at=now, last_state=last
            )
        elif action.kind == Kind.NOOP and task is not None and key in tasks:
            tasks[key] = tasks[key].model_copy(
                update={"last_state": task.state, "last_seen_at": now}
            )
    return state.model_copy(update={"tasks": tasks, "intents": intents, "tombstones": stones})


def drop_intents(state: State, keys: tuple[str, ...]) -> State:
    """Forget intents whose settle window passed with nothing created."""
    return state.model_copy(
        update={"intents": {k: v for k, v in state.intents.items() if k not in keys}}
    )


def with_intent(
    state: State, action: Action, *, server_time: datetime | None, started_at: datetime
) -> State:
    """Before a POST: enough to find the task again if the answer is lost."""
    assert action.body is not None
    assert action.digest is not None
    intent = Intent(
        key=action.key,
        repo=action.repo,
        body=action.body,
        digest=action.digest,
        server_time=server_time,
        started_at=started_at,
        attempt=action.attempt,
        earlier_runs=_earlier(state, action.key),
    )
    return state.model_copy(
        update={
            "intents": {**state.intents, action.key: intent},
            "recent_creates": counted(_uncounted(state, action.key), server_time or started_at),
        }
    )


# How long a create counts towards GitHub's limits (the longest of 80/min and 500/h).
CREATE_MEMORY = timedelta(hours=1)


def _uncounted(state: State, key: str) -> tuple[datetime, ...]:
    """``state.recent_creates`` less the POST of ``key``'s intent, when it is saved again (dated
    later, after a stall): one POST counts once."""
    earlier = state.intents.get(key)
    recent = list(state.recent_creates)
    if earlier is not None and (earlier.server_time or earlier.started_at) in recent:
        recent.remove(earlier.server_time or earlier.started_at)
    return tuple(recent)


def counted(recent: tuple[datetime, ...], sent: datetime) -> tuple[datetime, ...]:
    """``recent`` with a POST leaving at ``sent``, less what is older than ``CREATE_MEMORY``.
    Saved with the intent, before the POST: a crash after it still counts the create."""
    kept = tuple(t for t in recent if t > sent - CREATE_MEMORY)
    return tuple(sorted((*kept, sent)))


def with_created(state: State, action: Action, task: RemoteTask, *, now: datetime) -> State:
    """After the 201: the record replaces the intent in the same save."""
    intent = state.intents.get(action.key)
    earlier = intent.earlier_runs if intent else _earlier(state, action.key)
    record = record_for(action, task, now=now, earlier=earlier)
    return state.model_copy(
        update={
            "tasks": {**state.tasks, action.key: record},
            "intents": without(state.intents, action.key),
            "tombstones": without(state.tombstones, action.key),
        }
    )


def without_intent(state: State, key: str) -> State:
    """After a refusal the server certainly did not act on: nothing was created."""
    return state.model_copy(update={"intents": without(state.intents, key)})


def redate_intent(state: State, key: str, server_time: datetime) -> State:
    """Move an intent's server time later (never earlier): a POST retried after a rate limit
    left later than the intent was first dated, and its settle window runs from then."""
    intent = state.intents.get(key)
    if intent is None or (intent.server_time is not None and intent.server_time >= server_time):
        return state
    moved = intent.model_copy(update={"server_time": server_time})
    return state.model_copy(update={"intents": {**state.intents, key: moved}})
