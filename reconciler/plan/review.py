"""The review digest (CI.md §5): what a reviewer approved, as one hash. Pure.

It covers the **spec-driven** actions only — the ones the tasks files cause: a create of a new key,
a replace of a changed spec, a forget of a key no longer declared — each with its key, repository,
request-body digest and the task ids it forgets. It leaves out lineage, serial, the desired digest,
live states, and the actions live state drives (a re-run under the reviewed ``retry`` policy, an
import of a lost answer or lost state, a recreate of a vanished task), so an unrelated apply
landing between review and merge does not invalidate the review, while any other spec change does.
(``plan_id`` in ``plan/saved.py`` covers the serial: it binds one-shot saved plans.)
"""

from __future__ import annotations

import hashlib
import json

from reconciler.plan.model import Action, Kind, Plan

SPEC_DRIVEN = frozenset({Kind.CREATE, Kind.REPLACE, Kind.FORGET})
PREFIX = "sha256:"


def spec_driven(plan: Plan) -> tuple[Action, ...]:
    """The actions the tasks files cause, in the plan's order."""
    return tuple(a for a in plan.actions if a.kind in SPEC_DRIVEN)


def _identity(action: Action) -> tuple[str, str, str, str | None, tuple[str, ...]]:
    forgets = action.old_task_id  # a replace's old task, a forget's task; None for a create
    return (
        action.kind.value,
        action.key,
        action.repo.lower(),
        action.digest,
        (forgets,) if forgets else (),
    )


def review_digest(plan: Plan) -> str:
    """``sha256:`` and the hex SHA-256 of the sorted spec-driven actions' identities."""
    items = sorted(_identity(a) for a in spec_driven(plan))
    data = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    return PREFIX + hashlib.sha256(data.encode()).hexdigest()


def difference(reviewed: Plan, current: Plan) -> list[str]:
    """What changed in the spec-driven actions since review, sorted by key: ``+task.KEY`` (an
    action only now), ``-task.KEY`` (an action only reviewed), ``~task.KEY`` (an action on the key
    then and now, but another one)."""
    was = {_identity(a) for a in spec_driven(reviewed)}
    now = {_identity(a) for a in spec_driven(current)}
    added = {i[1] for i in now - was}
    dropped = {i[1] for i in was - now}
    marks = {key: "+" for key in added} | {key: "-" for key in dropped}
    marks |= {key: "~" for key in added & dropped}
    return [f"{mark}task.{key}" for key, mark in sorted(marks.items())]
